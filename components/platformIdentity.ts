/**
 * The words every layer shares about the platform itself: where it runs, which environment, and the
 * names the platform reserves for its own workloads and buckets. Components own them; the config
 * layer validates `mlstack:target` / `mlstack:environment` against these lists.
 */

// Each word list is an `as const` object as well as a type: Pulumi's component analyzer turns that
// pattern (not a bare string-literal union) into an enum of the package schema, so components whose
// args name a target or an environment stay usable from Python, Go, .NET and YAML
// (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js, `extractEnumMembers`).

/** Where the platform runs. */
export const Target = { kubernetes: "kubernetes", openshift: "openshift", aws: "aws", gcp: "gcp" } as const;
export type Target = (typeof Target)[keyof typeof Target];
export const TARGETS = [Target.kubernetes, Target.openshift, Target.aws, Target.gcp] as const;

/** Which environment: sets sizes, replicas, retention and protection defaults. */
export const Environment = { dev: "dev", staging: "staging", prod: "prod" } as const;
export type Environment = (typeof Environment)[keyof typeof Environment];
export const ENVIRONMENTS = [Environment.dev, Environment.staging, Environment.prod] as const;

/** The workload name MLflow uses wherever a config entry names an owner or a grantee. */
export const MLFLOW_WORKLOAD = "mlflow";

/** Owner value for buckets used by the platform itself (MLflow artifacts, database backups). */
export const PLATFORM_OWNER = "platform";
