/**
 * cert-manager, which issues the certificates of the Barman Cloud plugin's gRPC endpoint and of
 * KServe's webhooks (kubernetes; on OpenShift the cert-manager Operator for Red Hat OpenShift from
 * OperatorHub provides it). Installed by PlatformOperators into the operators namespace when one of
 * those is installed and `mlstack:operators.certManager.install` is true (default on kubernetes),
 * from chart `cert-manager` at https://charts.jetstack.io, pinned by the version table, with its
 * CRDs (`crds.enabled`).
 *
 * Its webhook is called by the API server (10250, the chart's `webhook.securePort`); the
 * controller and CA injector only talk to the API server, which the operators namespace admits.
 * Value keys as in cert-manager/cert-manager `deploy/charts/cert-manager/values.yaml` at
 * 001eb00d7f276ebcb4f84ffa8ba9255d9292b8c8 (`crds.enabled`, `securityContext`,
 * `containerSecurityContext`, `global.leaderElection.namespace`, per component the same).
 *
 * No ACME issuer is configured: issuing from the internet would need an egress rule the namespace
 * does not have. Every pod runs restricted.
 */
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";

export const CERT_MANAGER_CHART = "cert-manager";
export const CERT_MANAGER_REPO = "https://charts.jetstack.io";
export const CERT_MANAGER_RELEASE = "cert-manager";

/** The webhook's pods (the chart labels each component with `app.kubernetes.io/component`). */
export const CERT_MANAGER_WEBHOOK_PODS = {
  "app.kubernetes.io/instance": CERT_MANAGER_RELEASE,
  "app.kubernetes.io/component": "webhook",
};
export const CERT_MANAGER_WEBHOOK_PORT = 10250;

const RESOURCES = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
};

export function certManagerChartValues(opts: {
  highAvailability: boolean;
  namespace: string;
}): Record<string, unknown> {
  const pod = podSecurityContext("kubernetes");
  const container = containerSecurityContext("kubernetes");
  const replicas = opts.highAvailability ? 2 : 1;
  const component = { securityContext: pod, containerSecurityContext: container, resources: RESOURCES };
  return {
    // The chart's default puts the controller's and CA injector's leader-election Leases (and a
    // Role to write them) in kube-system; the platform keeps them in its own namespace.
    global: { leaderElection: { namespace: opts.namespace } },
    crds: { enabled: true },
    replicaCount: replicas,
    ...component,
    webhook: { ...component, replicaCount: replicas, securePort: CERT_MANAGER_WEBHOOK_PORT },
    cainjector: { ...component, replicaCount: replicas },
    startupapicheck: component,
  };
}
