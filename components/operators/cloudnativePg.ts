/**
 * CloudNativePG, the Postgres operator.
 *
 * - kubernetes: chart `cloudnative-pg` from https://cloudnative-pg.github.io/charts, pinned to
 *   `operators.cloudnativePg.version`. The chart's `clusterWide: false` would confine the operator
 *   to its own namespace, where no database lives; so its RBAC stays cluster-wide (the CRDs are
 *   cluster-scoped anyway) while `WATCH_NAMESPACE` in its config narrows what it reconciles to the
 *   namespaces that hold Postgres clusters.
 * - openshift: the `cloudnative-pg` package from `certified-operators` (EDB's certified build of
 *   the same operator), watching the namespaces the global OperatorGroup selects.
 */
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { OlmPackage } from "./olm";
import { OPENSHIFT_MARKETPLACE } from "./olm";

export const CLOUDNATIVE_PG_CHART = "cloudnative-pg";
export const CLOUDNATIVE_PG_REPO = "https://cloudnative-pg.github.io/charts";
/** Release name equal to the chart name: the chart then names its objects `cloudnative-pg`. */
export const CLOUDNATIVE_PG_RELEASE = "cloudnative-pg";

export const CLOUDNATIVE_PG_OLM_PACKAGE: OlmPackage = {
  name: "cloudnative-pg",
  source: "certified-operators",
  sourceNamespace: OPENSHIFT_MARKETPLACE,
};

/** Labels of the operator's pods. */
export const CLOUDNATIVE_PG_OPERATOR_POD_LABELS = { "app.kubernetes.io/name": "cloudnative-pg" };

/** Every instance pod of a Postgres cluster carries `cnpg.io/cluster: <name>`. */
export const CLOUDNATIVE_PG_INSTANCE_LABEL = "cnpg.io/cluster";

/** The instance manager's status endpoint, which the operator polls on every instance. */
export const CLOUDNATIVE_PG_STATUS_PORT = 8000;

/** Admission webhooks (defaulting, validation) the API server calls on every Cluster change. */
export const CLOUDNATIVE_PG_WEBHOOK_PORT = 9443;

export const CLOUDNATIVE_PG_OPERATOR_RESOURCES = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "1", memory: "512Mi" },
};

export interface CloudNativePgChartOptions {
  watchNamespaces: string[];
  highAvailability: boolean;
}

export function cloudnativePgChartValues(opts: CloudNativePgChartOptions): Record<string, unknown> {
  return {
    // The operator runs with --leader-elect: a second replica takes over within seconds.
    replicaCount: opts.highAvailability ? 2 : 1,
    crds: { create: true },
    config: {
      clusterWide: true,
      data: { WATCH_NAMESPACE: opts.watchNamespaces.join(",") },
    },
    podSecurityContext: podSecurityContext("kubernetes"),
    containerSecurityContext: containerSecurityContext("kubernetes"),
    resources: CLOUDNATIVE_PG_OPERATOR_RESOURCES,
    webhook: {
      port: CLOUDNATIVE_PG_WEBHOOK_PORT,
      mutating: { create: true, failurePolicy: "Fail" },
      validating: { create: true, failurePolicy: "Fail" },
    },
  };
}
