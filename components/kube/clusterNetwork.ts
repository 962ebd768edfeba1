/** Facts about the cluster's network that default-deny NetworkPolicies must let through (`mlstack:network`). */

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
  /** Namespace of the ingress controller / router. Default kubernetes `ingress-nginx`, openshift `openshift-ingress`. */
  ingressNamespace: string;
  /** Namespace of the Prometheus that scrapes metrics. Default kubernetes `monitoring`, openshift `openshift-monitoring`. */
  monitoringNamespace: string;
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
