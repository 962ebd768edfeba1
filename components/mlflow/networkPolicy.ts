/**
 * The NetworkPolicy of the MLflow pods. The platform namespace is default-deny; this policy
 * opens exactly what the tracking server needs:
 *
 * - ingress on the serving port (MLflow's, or the oauth-proxy's) from the given peers (the
 *   ingress controller / router, team namespaces) and the monitoring namespace, and nothing
 *   else: with no peer at all, no ingress rule is emitted (an empty `from` would allow everyone);
 * - egress the grants ask for (the database, the object store), cluster DNS, and with
 *   oauth-proxy the API server and the OpenShift OAuth server.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterFlavor } from "../context";

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * Cluster DNS per flavor. OpenShift: the `dns-default` pods in `openshift-dns` listen on 5353
 * (the Service maps 53 to it). Kubernetes, EKS and GKE: CoreDNS / kube-dns pods labelled
 * `k8s-app: kube-dns` in `kube-system` on 53. Policies match the pod port after the Service
 * translation, so both are listed where they differ.
 */
export function dnsEgress(flavor: ClusterFlavor): EgressRule {
  const to: Peer[] =
    flavor === "openshift"
      ? [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
            podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
          },
        ]
      : [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ];
  const ports = flavor === "openshift" ? [53, 5353] : [53];
  return {
    to,
    ports: ports.flatMap((port) => [
      { protocol: "UDP", port },
      { protocol: "TCP", port },
    ]),
  };
}

export interface MlflowNetworkPolicyArgs {
  flavor: ClusterFlavor;
  /** Labels of the MLflow pods. */
  podSelector: Record<string, string>;
  /** The container port clients reach (MLflow's, or the oauth-proxy's). */
  port: number;
  ingressFrom: Peer[];
  monitoringNamespace?: pulumi.Input<string>;
  /** Egress the grants asked for. */
  grantEgress: EgressRule[];
  /** Extra egress (oauth-proxy: API server, OAuth server). */
  extraEgress: EgressRule[];
}

export function mlflowNetworkPolicySpec(args: MlflowNetworkPolicyArgs): NetworkPolicySpec {
  const peers: Peer[] = [...args.ingressFrom];
  if (args.monitoringNamespace !== undefined) {
    peers.push({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace } },
    });
  }
  return {
    podSelector: { matchLabels: args.podSelector },
    policyTypes: ["Ingress", "Egress"],
    ingress: peers.length > 0 ? [{ from: peers, ports: [{ protocol: "TCP", port: args.port }] }] : [],
    egress: [...args.grantEgress, dnsEgress(args.flavor), ...args.extraEgress],
  };
}
