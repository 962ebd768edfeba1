/**
 * The Kubernetes API server as a network peer: the egress rule for pods that call it, and, on
 * Cilium, the CiliumNetworkPolicy that a Kubernetes NetworkPolicy cannot express.
 *
 * Cilium gives the API server's addresses the reserved `kube-apiserver` identity, and CIDR
 * selectors (a NetworkPolicy `ipBlock`, even `0.0.0.0/0`) never match a reserved identity or a
 * cluster node: without a CiliumNetworkPolicy, every pod that watches the API (operators, the
 * Strimzi nodes, CloudNativePG's instance managers, the pipeline workers) is cut off, and the API
 * server cannot call the operators' admission webhooks. The alternative is Cilium's
 * `policy-cidr-match-mode: nodes` (Helm `policyCIDRMatchMode: nodes`), which lets an `ipBlock`
 * select nodes, hence a self-hosted API server; it does not help where the API server runs outside
 * the nodes, so mlstack renders the entity policy instead.
 *
 * Source: cilium/cilium `Documentation/security/policy/language.rst` (commit 012a3bf, read 2026-12; "Entities based" and
 * "Selecting nodes with CIDR / ipBlock"): `toEntities: [kube-apiserver]` is expected to work on every
 * distribution for egress; for ingress the entity "may not work in some Kubernetes distributions,
 * such as Azure AKS and GCP GKE" where control-plane traffic is tunnelled through worker nodes, so
 * webhook ingress also admits `remote-node` and `host` (the nodes, not the pods on them), on the
 * webhook port only.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
  CiliumNetworkPolicy,
  type CiliumNetworkPolicySpec,
  type CiliumNetworkPolicySpecNodeSelector,
} from "../crds/cilium.io/v2";

/** A Cilium endpoint selector: a label selector whose operators are the four Kubernetes defines. */
export type CiliumEndpointSelector = CiliumNetworkPolicySpecNodeSelector;

type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The API server answers on 443 (managed control planes) or 6443 (self-managed, OpenShift). */
export const API_SERVER_PORTS = [443, 6443];

/** The CNIs whose policy semantics mlstack knows: `cilium`, or `other` (an `ipBlock` matches the API server). */
// An `as const` object as well as a type: Pulumi's component analyzer reads it as a schema enum
// (a bare string union in a component's args is refused; see components/platformIdentity.ts).
export const Cni = { cilium: "cilium", other: "other" } as const;
export type Cni = (typeof Cni)[keyof typeof Cni];
export const CNIS = [Cni.cilium, Cni.other] as const;

/**
 * Why this CNI setting cannot be the target's (undefined when it can). GKE's Dataplane V2 runs
 * Cilium but serves no namespaced CiliumNetworkPolicy CRD (only the opt-in cluster-wide one, see
 * cloud.google.com/kubernetes-engine/docs/how-to/configure-cilium-network-policy, read 2026-12), so
 * `cilium` there would render objects the API server refuses.
 */
export function cniProblem(cni: string, target: string): string | undefined {
  if (!(CNIS as readonly string[]).includes(cni)) return `is not one of: ${CNIS.join(", ")}`;
  if (cni === Cni.cilium && target === "gcp")
    return "is not for target gcp: GKE Dataplane V2 serves no CiliumNetworkPolicy CRD; use other (its ipBlock rules apply)";
  return undefined;
}

/** Egress to the API server's CIDRs on its ports. */
export function apiServerEgressRule(cidrs: string[]): EgressRule {
  return {
    to: cidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ports: API_SERVER_PORTS.map((port) => ({ protocol: "TCP", port })),
  };
}

export interface CiliumApiServerPolicyArgs {
  /** Physical name of the policy. */
  name: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  /** The pods it applies to (`{}`: every pod of the namespace). */
  pods: CiliumEndpointSelector;
  /** Let the pods call the API server (443, 6443). */
  egress: boolean;
  /** Webhook ports the API server calls on the pods. Default none. */
  webhookPorts?: number[];
}

/** The `spec` of the CiliumNetworkPolicy (exported for tests and for `mlstack check` fixtures). */
export function ciliumApiServerPolicySpec(args: CiliumApiServerPolicyArgs): CiliumNetworkPolicySpec {
  const ports = (list: number[]) => [
    { ports: list.map((port) => ({ port: String(port), protocol: "TCP" as const })) },
  ];
  const webhookPorts = args.webhookPorts ?? [];
  return {
    endpointSelector: args.pods,
    ...(args.egress
      ? { egress: [{ toEntities: ["kube-apiserver"], toPorts: ports(API_SERVER_PORTS) }] }
      : {}),
    ...(webhookPorts.length > 0
      ? {
          ingress: [
            { fromEntities: ["kube-apiserver", "remote-node", "host"], toPorts: ports(webhookPorts) },
          ],
        }
      : {}),
  };
}

/**
 * On Cilium, the CiliumNetworkPolicy opening the pods' API-server flows; on any other CNI nothing
 * (their `ipBlock` rules already do). Throws when asked for no flow at all (an empty policy would
 * put the pods in default deny for nothing).
 */
export function ciliumApiServerPolicy(
  resourceName: string,
  cni: Cni | undefined,
  args: CiliumApiServerPolicyArgs,
  parent: pulumi.Resource,
): k8s.apiextensions.CustomResource | undefined {
  if (cni !== "cilium") return undefined;
  if (!args.egress && (args.webhookPorts ?? []).length === 0)
    throw new Error(`ciliumApiServerPolicy ${resourceName}: neither egress nor webhookPorts asked for`);
  return new CiliumNetworkPolicy(
    resourceName,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
      spec: ciliumApiServerPolicySpec(args),
    },
    { parent },
  );
}
