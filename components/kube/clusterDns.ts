/**
 * The egress rule a default-deny namespace needs to resolve names: to the cluster DNS pods only,
 * on the DNS ports only.
 *
 * | flavor | DNS pods | ports |
 * |---|---|---|
 * | kubernetes (also EKS, GKE) | namespace `kube-system`, label `k8s-app: kube-dns` (CoreDNS and kube-dns both carry it) | 53 UDP + TCP |
 * | openshift | namespace `openshift-dns`, label `dns.operator.openshift.io/daemonset-dns: default` | 5353 (where CoreDNS listens behind the `dns-default` Service) and 53, UDP + TCP |
 *
 * NetworkPolicies see the pod's port after the Service translated it, which is why OpenShift
 * needs 5353; 53 stays for clusters that run their resolver on the standard port.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterFlavor } from "../context";

type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

export interface ClusterDns {
  namespace: string;
  podLabels: Record<string, string>;
  ports: number[];
}

export function clusterDns(flavor: ClusterFlavor): ClusterDns {
  return flavor === "openshift"
    ? {
        namespace: "openshift-dns",
        podLabels: { "dns.operator.openshift.io/daemonset-dns": "default" },
        ports: [5353, 53],
      }
    : { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, ports: [53] };
}

export function dnsEgressRule(flavor: ClusterFlavor): EgressRule {
  const dns = clusterDns(flavor);
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": dns.namespace } },
        podSelector: { matchLabels: dns.podLabels },
      },
    ],
    ports: dns.ports.flatMap((port) => [
      { protocol: "UDP", port },
      { protocol: "TCP", port },
    ]),
  };
}
