/**
 * The Barman Cloud plugin (CNPG-I) that CloudNativePG clusters use for backups and WAL archiving
 * to object storage, replacing the in-tree `barmanObjectStore` deprecated since CloudNativePG 1.26.
 *
 * - kubernetes: chart `plugin-barman-cloud` from the CloudNativePG chart repository, installed in
 *   the operator's own namespace (the plugin must run beside the operator). Its gRPC endpoint is
 *   secured with certificates from cert-manager, which the cluster must already run.
 * - openshift: the plugin has no OperatorHub package; the cluster team applies its release
 *   manifest next to the CloudNativePG operator (see the README's OpenShift prerequisites).
 */
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";

export const BARMAN_CLOUD_CHART = "plugin-barman-cloud";
export const BARMAN_CLOUD_RELEASE = "plugin-barman-cloud";

/** Pods of the plugin's operator-side deployment. */
export const BARMAN_CLOUD_POD_LABELS = { "app.kubernetes.io/name": "plugin-barman-cloud" };

/** The plugin's gRPC port, which the CloudNativePG operator calls. */
export const BARMAN_CLOUD_GRPC_PORT = 9090;

export function barmanCloudChartValues(): Record<string, unknown> {
  return {
    podSecurityContext: podSecurityContext("kubernetes"),
    containerSecurityContext: containerSecurityContext("kubernetes"),
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  };
}
