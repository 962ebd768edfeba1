/** Facts about the cluster's network that default-deny NetworkPolicies must let through (`mlstack:network`). */
import type { Cni } from "./apiServer";
import type { ClusterDnsConfig } from "./clusterDns";

export type { Cni, ClusterDnsConfig };

/**
 * What the default-deny NetworkPolicies must let through, beyond the platform's own services.
 */
export interface NetworkConfig {
  /**
   * CIDRs of the Kubernetes API server, for pods that call it (CloudNativePG instance managers,
   * the OpenShift oauth-proxy). Default `0.0.0.0/0` limited to ports 443 and 6443: narrow it to
   * the control plane's addresses when they are known.
   */
  apiServerCidrs: string[];
  /**
   * The resolver pods use (see `clusterDns.ts`). Default per target: kubernetes and aws the
   * CoreDNS / kube-dns pods, gcp GKE's Cloud DNS (Autopilot's default), openshift `openshift-dns`.
   */
  dns: ClusterDnsConfig;
  /**
   * The CNI enforcing the policies. `cilium`: an `ipBlock` never matches the API server (Cilium
   * gives it the `kube-apiserver` identity), so every API-server flow is also opened by a
   * CiliumNetworkPolicy (see `apiServer.ts`). Default `other` (Calico, OVN-Kubernetes, the AWS VPC
   * CNI: an `ipBlock` matches the API server's addresses).
   */
  cni: Cni;
  /** Namespace of the ingress controller / router. Default kubernetes `ingress-nginx`, openshift `openshift-ingress`. */
  ingressNamespace: string;
  /**
   * Namespace of the Prometheus that scrapes the platform's and the teams' namespaces. Default
   * kubernetes `monitoring`, openshift `openshift-user-workload-monitoring` (user namespaces are
   * scraped by the user-workload monitoring stack, not by the platform's `openshift-monitoring`).
   */
  monitoringNamespace: string;
  /**
   * Extra labels on every ServiceMonitor, PodMonitor and PrometheusRule, for a Prometheus that
   * selects its monitors by label (a stock kube-prometheus-stack selects `release: <its release>`).
   * Default none.
   */
  monitorLabels: Record<string, string>;
  /** Namespace of the in-cluster object store (OBC provider). Default openshift `openshift-storage`, kubernetes `rook-ceph`. */
  objectStoreNamespace: string;
  /** CIDRs of an external S3 endpoint (external provider). Default `0.0.0.0/0` on the endpoint's port only. */
  objectStoreCidrs: string[];
  /**
   * Namespace of the KEDA operator, which reads streaming models' consumer lag from Kafka.
   * Default kubernetes `keda`, openshift `openshift-keda` (Custom Metrics Autoscaler).
   */
  kedaNamespace: string;
}

/**
 * The cluster facts that shape a component's policies and monitors, as components take them
 * (`NetworkConfig` satisfies it). Each field defaults as documented on `NetworkConfig`: the
 * target's usual resolver, `other` CNI, no extra monitor labels.
 */
export interface ClusterNetworkFacts {
  dns?: ClusterDnsConfig;
  cni?: Cni;
  monitorLabels?: Record<string, string>;
}
