/**
 * The words every layer shares about the platform itself: where it runs, which environment, and the
 * names the platform reserves for its own workloads and buckets. Components own them; the config
 * layer validates `mlstack:target` / `mlstack:environment` against these lists.
 */

export const TARGETS = ["kubernetes", "openshift", "aws", "gcp"] as const;

export type Target = (typeof TARGETS)[number];

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;

export type Environment = (typeof ENVIRONMENTS)[number];

/** The workload name MLflow uses wherever a config entry names an owner or a grantee. */
export const MLFLOW_WORKLOAD = "mlflow";

/** Owner value for buckets used by the platform itself (MLflow artifacts, database backups). */
export const PLATFORM_OWNER = "platform";
