/** `mlstack:mlflow`: the tracking server (image, replicas, authentication, hostname, bucket, database). */
import type { Static } from "@sinclair/typebox";
import { ResourcesSchema, parseResources } from "./containerResources";
import {
  DEFAULT_MLFLOW_IMAGE,
  DEFAULT_OAUTH_PROXY_IMAGE,
  defaultResources,
  ENVIRONMENT_DEFAULTS,
} from "./defaults";
import { IMAGE, IMAGE_RULE } from "./images";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Reader } from "./reader";
import { Int, OneOf, Opt, Str, Strict } from "./schemaKinds";
import type { Environment, MlflowConfig, Target } from "./types";

/** PostgreSQL database names mlstack creates (unquoted identifiers, at most 63 bytes). */
export const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
export const DATABASE_RULE = "a database name: lowercase letters, digits and '_'";

export const MlflowSchema = Strict({
  image: Opt(Str(IMAGE, IMAGE_RULE, { default: DEFAULT_MLFLOW_IMAGE })),
  replicas: Opt(Int(1, 20, { description: "default per environment; at least 2 outside dev" })),
  auth: Opt(
    OneOf(["basic", "oauth-proxy", "none"] as const, {
      description: "default oauth-proxy on OpenShift, basic elsewhere; none only in dev",
    }),
  ),
  oauthProxyImage: Opt(Str(IMAGE, IMAGE_RULE, { default: DEFAULT_OAUTH_PROXY_IMAGE })),
  hostname: Opt(Str(HOSTNAME, "a fully qualified hostname such as mlflow.ml.example.com")),
  artifactBucket: Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { default: "mlflow-artifacts" })),
  database: Opt(Str(DATABASE_NAME, DATABASE_RULE, { default: "mlflow" })),
  resources: Opt(ResourcesSchema),
});

export function parseMlflow(
  r: Reader,
  value: Static<typeof MlflowSchema> | undefined,
  environment: Environment,
  target: Target,
): MlflowConfig {
  const path = "mlflow";
  const obj = value ?? {};
  const auth = obj.auth ?? (target === "openshift" ? "oauth-proxy" : "basic");
  if (auth === "oauth-proxy" && target !== "openshift")
    r.fail(`${path}.auth`, auth, `needs the OpenShift OAuth server; on ${target} use "basic"`);
  if (auth === "none" && environment !== "dev")
    r.fail(
      `${path}.auth`,
      auth,
      `is allowed only in dev; ${environment} must authenticate (use "basic"${target === "openshift" ? ' or "oauth-proxy"' : ""})`,
    );
  const replicas = obj.replicas ?? ENVIRONMENT_DEFAULTS[environment].mlflowReplicas;
  if (ENVIRONMENT_DEFAULTS[environment].highAvailability && replicas < 2) {
    r.fail(
      `${path}.replicas`,
      replicas,
      `is below 2, which ${environment} does not allow (one node drain would stop tracking)`,
    );
  }
  return {
    image: obj.image ?? DEFAULT_MLFLOW_IMAGE,
    replicas,
    auth,
    oauthProxyImage: obj.oauthProxyImage ?? DEFAULT_OAUTH_PROXY_IMAGE,
    hostname: obj.hostname,
    artifactBucket: obj.artifactBucket ?? "mlflow-artifacts",
    database: obj.database ?? "mlflow",
    resources: parseResources(
      obj.resources,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("500m", "1Gi", "2", "2Gi"),
    ),
  };
}
