/**
 * CloudNativePG, the Postgres operator.
 *
 * - kubernetes: chart `cloudnative-pg` from https://cloudnative-pg.github.io/charts, pinned to
 *   `operators.cloudnativePg.version`. The chart's `clusterWide: false` would confine the operator
 *   to its own namespace, where no database lives; so its RBAC stays cluster-wide (the CRDs are
 *   cluster-scoped anyway) while the `WATCH_NAMESPACE` environment variable (chart value
 *   `additionalEnv`) narrows what it reconciles to the namespaces that hold Postgres clusters.
 * - openshift: the `cloudnative-pg` package from `certified-operators` (EDB's certified build of
 *   the same operator), with `WATCH_NAMESPACE` set the same way through the Subscription's
 *   `spec.config.env`, which OLM merges over the CSV's deployment env.
 *
 * Why the environment variable and not the operator ConfigMap's `WATCH_NAMESPACE` key: the
 * operator builds its watch scope (the controller-runtime cache's namespaces) from the
 * environment at start-up and reads the ConfigMap only after that, so the ConfigMap key does not
 * narrow anything on 1.2x/1.30: the operator watches every namespace (issue 11). The chart's
 * deployment template renders `additionalEnv` into the manager container's env
 * (cloudnative-pg/charts `charts/cloudnative-pg/templates/deployment.yaml`).
 */
import type * as k8s from "@pulumi/kubernetes";
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

/** The operator's environment: the namespaces it reconciles, as the process reads them at start-up. */
export function cloudnativePgOperatorEnv(watchNamespaces: string[]): k8s.types.input.core.v1.EnvVar[] {
  return [{ name: "WATCH_NAMESPACE", value: watchNamespaces.join(",") }];
}

export function cloudnativePgChartValues(opts: CloudNativePgChartOptions): Record<string, unknown> {
  return {
    // The operator runs with --leader-elect: a second replica takes over within seconds.
    replicaCount: opts.highAvailability ? 2 : 1,
    crds: { create: true },
    config: { clusterWide: true },
    additionalEnv: cloudnativePgOperatorEnv(opts.watchNamespaces),
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
