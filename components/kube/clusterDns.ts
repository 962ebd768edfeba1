/**
 * The egress rule a default-deny namespace needs to resolve names: to the cluster's resolver only,
 * on the DNS ports only. Which resolver that is depends on how the cluster was built
 * (`mlstack:network.dns.resolver`):
 *
 * | resolver | where pods' queries go | peers allowed |
 * |---|---|---|
 * | `kube-dns` (kubernetes, EKS; GKE Standard with kube-dns) | the CoreDNS / kube-dns pods behind the `kube-dns` Service | namespace `kube-system`, label `k8s-app: kube-dns` (CoreDNS and kube-dns both carry it), 53 UDP + TCP |
 * | `node-local` (NodeLocal DNSCache) | the node's cache on a link-local address, default 169.254.20.10 | that address /32, and the `kube-system` pods labelled `k8s-app` `kube-dns` or `node-local-dns` (where the CNI redirects to the cache pod, and the fallback when the cache is down), 53 UDP + TCP |
 * | `gke-cloud-dns` (GKE Autopilot's default) | the node's metadata server 169.254.169.254, which answers for Cloud DNS; with GKE's NodeLocal DNSCache (on by default in Autopilot) first the node's cache | 169.254.169.254/32, the cache's 169.254.20.10/32 and the same `kube-system` pods, 53 UDP + TCP |
 * | `openshift` | the `dns-default` pods of the DNS operator | namespace `openshift-dns`, label `dns.operator.openshift.io/daemonset-dns: default`, 53 and 5353 (where CoreDNS listens behind the Service) UDP + TCP |
 *
 * Node-local caches and the metadata server run on the host network: no pod selector can match
 * them, only an `ipBlock`. NetworkPolicies see the pod's port after the Service translated it,
 * which is why OpenShift needs 5353.
 *
 * Not covered: a cache that intercepts the kube-dns Service IP itself on a CNI that evaluates policy
 * before the Service translation; point `address` at the address the pods' resolv.conf names.
 *
 * Sources: NodeLocal DNSCache's default listen address ("a link local ip (169.254.20.10/32 by
 * default)") and pod label (`k8s-app: node-local-dns`): kubernetes/kubernetes
 * `cluster/addons/dns/nodelocaldns/README.md` and `nodelocaldns.yaml` (the same from the addon's
 * v1.15 beta to master; read on master, 2026-12, no release tag checked); Cloud DNS for GKE, "About Cloud DNS for GKE" (cloud.google.com/kubernetes-engine/docs/
 * concepts/about-cloud-dns, read 2026-12: Cloud DNS is Autopilot's default provider), "Set up
 * NodeLocal DNSCache" (cloud.google.com/kubernetes-engine/docs/how-to/nodelocal-dns-cache: on by
 * default in Autopilot, forwards to the node's metadata server) and Cloud DNS
 * "Name resolution order" (cloud.google.com/dns/docs/vpc-name-res-order: clients use the metadata
 * server 169.254.169.254 as their name server).
 */
import type * as k8s from "@pulumi/kubernetes";
import { isIPv4 } from "net";
import type { Target } from "../platformIdentity";

type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

// An `as const` object as well as a type: Pulumi's component analyzer reads it as a schema enum
// (a bare string union in a component's args is refused; see components/platformIdentity.ts).
export const DnsResolver = {
  kubeDns: "kube-dns",
  nodeLocal: "node-local",
  gkeCloudDns: "gke-cloud-dns",
  openshift: "openshift",
} as const;
export type DnsResolver = (typeof DnsResolver)[keyof typeof DnsResolver];
export const DNS_RESOLVERS = [
  DnsResolver.kubeDns,
  DnsResolver.nodeLocal,
  DnsResolver.gkeCloudDns,
  DnsResolver.openshift,
] as const;

/** NodeLocal DNSCache's default listen address (upstream addon default, see above). */
export const NODE_LOCAL_DNS_ADDRESS = "169.254.20.10";
/** The GCE/GKE metadata server, the name server of every GKE node and (with Cloud DNS) pod. */
export const GKE_METADATA_SERVER_ADDRESS = "169.254.169.254";

export interface ClusterDnsConfig {
  resolver: DnsResolver;
  /** `node-local` only: the cache's IPv4 listen address. Default `169.254.20.10`. */
  address?: string;
}

/** The resolver a cluster of this target has unless it was built otherwise. */
export function defaultClusterDns(target: Target): ClusterDnsConfig {
  switch (target) {
    case "openshift":
      return { resolver: "openshift" };
    case "gcp":
      return { resolver: "gke-cloud-dns" };
    default:
      return { resolver: "kube-dns" };
  }
}

/**
 * Why this resolver cannot be the given target's (undefined when it can): OpenShift always
 * resolves through its DNS operator, and only OpenShift has one; Cloud DNS for GKE exists on GKE
 * only (target gcp, or a plain kubernetes target on GKE).
 */
export function clusterDnsProblem(
  dns: ClusterDnsConfig,
  target: Target,
): { key: "resolver" | "address"; value: unknown; allowed: string } | undefined {
  if (!(DNS_RESOLVERS as readonly string[]).includes(dns.resolver))
    return { key: "resolver", value: dns.resolver, allowed: `is not one of: ${DNS_RESOLVERS.join(", ")}` };
  if (target === "openshift" && dns.resolver !== "openshift")
    return {
      key: "resolver",
      value: dns.resolver,
      allowed: "is not openshift: OpenShift pods always resolve through the openshift-dns operator",
    };
  if (target !== "openshift" && dns.resolver === "openshift")
    return {
      key: "resolver",
      value: dns.resolver,
      allowed: `is only for target openshift (target is ${target}); use kube-dns, node-local or gke-cloud-dns`,
    };
  if (dns.resolver === "gke-cloud-dns" && target === "aws")
    return {
      key: "resolver",
      value: dns.resolver,
      allowed: "is Cloud DNS for GKE, which an EKS cluster does not have; use kube-dns or node-local",
    };
  if (dns.address !== undefined) {
    if (dns.resolver !== "node-local")
      return {
        key: "address",
        value: dns.address,
        allowed: `is only for resolver node-local (resolver is ${dns.resolver}, whose address is fixed)`,
      };
    if (typeof dns.address !== "string" || !isIPv4(dns.address))
      return { key: "address", value: dns.address, allowed: "is not an IPv4 address such as 169.254.20.10" };
  }
  return undefined;
}

const KUBE_SYSTEM = { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } };

const KUBE_DNS_PODS: Peer = {
  namespaceSelector: KUBE_SYSTEM,
  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};

/** The kube-dns pods and the node-local cache's pods (`k8s-app: node-local-dns` upstream and on GKE). */
const CACHE_OR_KUBE_DNS_PODS: Peer = {
  namespaceSelector: KUBE_SYSTEM,
  podSelector: {
    matchExpressions: [{ key: "k8s-app", operator: "In", values: ["kube-dns", "node-local-dns"] }],
  },
};

const OPENSHIFT_DNS_PODS: Peer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
  podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
};

const host = (address: string): Peer => ({ ipBlock: { cidr: `${address}/32` } });

/** The peers and ports pods resolve names through. */
export function clusterDnsPeers(dns: ClusterDnsConfig): { to: Peer[]; ports: number[] } {
  switch (dns.resolver) {
    case "openshift":
      return { to: [OPENSHIFT_DNS_PODS], ports: [53, 5353] };
    case "node-local":
      return { to: [host(dns.address ?? NODE_LOCAL_DNS_ADDRESS), CACHE_OR_KUBE_DNS_PODS], ports: [53] };
    case "gke-cloud-dns":
      return {
        to: [host(GKE_METADATA_SERVER_ADDRESS), host(NODE_LOCAL_DNS_ADDRESS), CACHE_OR_KUBE_DNS_PODS],
        ports: [53],
      };
    default:
      return { to: [KUBE_DNS_PODS], ports: [53] };
  }
}

export function dnsEgressRule(dns: ClusterDnsConfig): EgressRule {
  const { to, ports } = clusterDnsPeers(dns);
  return {
    to,
    ports: ports.flatMap((port) => [
      { protocol: "UDP", port },
      { protocol: "TCP", port },
    ]),
  };
}
