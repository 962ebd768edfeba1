/**
 * What an operators namespace lets through on top of its default-deny and DNS policies
 * (see `TeamNamespace`). Operators talk to the API server, the API server calls their admission
 * webhooks, and some operators call the pods they manage; nothing else.
 *
 * | policy | pods | flow |
 * |---|---|---|
 * | `allow-apiserver-egress` | all | to `apiServerCidrs` on 443 and 6443 (watches, status updates, leader election) |
 * | `allow-<operator>-webhook-ingress` | that operator's | from `apiServerCidrs` on its webhook port |
 * | `allow-<operator>-operand-egress` | that operator's | to its operands' pods in the watched namespaces, on the ports it administers them through |
 *
 * On Cilium (`cni: cilium`) an `ipBlock` never matches the API server: the first two flows are also
 * opened by CiliumNetworkPolicies (`allow-apiserver-egress-cilium`: `toEntities: [kube-apiserver]`
 * for every pod; `allow-<operator>-webhook-ingress-cilium`: `fromEntities` on that operator's
 * webhook port; see `kube/apiServer.ts`).
 *
 * The watched namespaces are default-deny too: the components running the operands admit the
 * operator there (Strimzi generates those policies itself; see `PlatformOperators.operatorPods`).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
  API_SERVER_PORTS,
  type CiliumEndpointSelector,
  Cni,
  apiServerEgressRule,
  ciliumApiServerPolicy,
} from "../kube/apiServer";

type LabelSelector = k8s.types.input.meta.v1.LabelSelector;

export { API_SERVER_PORTS };

export interface WebhookIngress {
  /** Short operator name, used in the policy name. */
  operator: string;
  /** The pods serving the webhook (`{}` = every pod of the namespace); also their CiliumNetworkPolicy's selector. */
  pods: CiliumEndpointSelector;
  port: number;
}

export interface OperandEgress {
  operator: string;
  pods: LabelSelector;
  /** Namespaces of the operands. */
  namespaces: string[];
  /** The operand pods. */
  operands: LabelSelector;
  ports: number[];
}

export interface OperatorNetworkArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  apiServerCidrs: string[];
  /** The CNI enforcing the policies (`cilium` adds the CiliumNetworkPolicy). Default `other`. */
  cni?: Cni;
  webhooks: WebhookIngress[];
  operands: OperandEgress[];
}

export function operatorNetworkPolicies(
  name: string,
  args: OperatorNetworkArgs,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  const metadata = (policyName: string) => ({
    name: policyName,
    namespace: args.namespace,
    labels: args.labels,
  });
  const apiServer = args.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } }));
  const tcp = (ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

  const policies: pulumi.Resource[] = [
    new k8s.networking.v1.NetworkPolicy(
      `${name}-apiserver-egress`,
      {
        metadata: metadata("allow-apiserver-egress"),
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [apiServerEgressRule(args.apiServerCidrs)],
        },
      },
      { parent },
    ),
  ];
  for (const webhook of args.webhooks) {
    policies.push(
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${webhook.operator}-webhook-ingress`,
        {
          metadata: metadata(`allow-${webhook.operator}-webhook-ingress`),
          spec: {
            podSelector: webhook.pods,
            policyTypes: ["Ingress"],
            ingress: [{ from: apiServer, ports: tcp([webhook.port]) }],
          },
        },
        { parent },
      ),
    );
  }
  for (const operand of args.operands) {
    policies.push(
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${operand.operator}-operand-egress`,
        {
          metadata: metadata(`allow-${operand.operator}-operand-egress`),
          spec: {
            podSelector: operand.pods,
            policyTypes: ["Egress"],
            egress: [
              {
                to: [
                  {
                    namespaceSelector: {
                      matchExpressions: [
                        { key: "kubernetes.io/metadata.name", operator: "In", values: operand.namespaces },
                      ],
                    },
                    podSelector: operand.operands,
                  },
                ],
                ports: tcp(operand.ports),
              },
            ],
          },
        },
        { parent },
      ),
    );
  }
  const cilium = [
    ciliumApiServerPolicy(
      `${name}-apiserver-cilium`,
      args.cni,
      {
        name: "allow-apiserver-egress-cilium",
        namespace: args.namespace,
        labels: args.labels,
        pods: {},
        egress: true,
      },
      parent,
    ),
    ...args.webhooks.map((webhook) =>
      ciliumApiServerPolicy(
        `${name}-${webhook.operator}-webhook-cilium`,
        args.cni,
        {
          name: `allow-${webhook.operator}-webhook-ingress-cilium`,
          namespace: args.namespace,
          labels: args.labels,
          pods: webhook.pods,
          egress: false,
          webhookPorts: [webhook.port],
        },
        parent,
      ),
    ),
  ];
  for (const policy of cilium) if (policy) policies.push(policy);
  return policies;
}
