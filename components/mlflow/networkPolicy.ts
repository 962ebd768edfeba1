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
import { dnsEgressRule } from "../kube/clusterDns";

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * Cluster DNS by flavor: OpenShift's DNS operator pods, else the kube-dns pods (see
 * `kube/clusterDns.ts`). The namespace's own `allow-dns-egress` policy (`TeamNamespace`) carries the
 * configured resolver (a node-local cache, GKE's Cloud DNS); this rule keeps the MLflow policy
 * self-contained where the namespace was not made by `TeamNamespace`.
 */
export function dnsEgress(flavor: ClusterFlavor): EgressRule {
  return dnsEgressRule({ resolver: flavor === "openshift" ? "openshift" : "kube-dns" });
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
