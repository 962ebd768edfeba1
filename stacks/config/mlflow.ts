/** `mlstack:mlflow`: the tracking server (image, replicas, authentication, hostname, bucket, database). */
import { parseResources } from "./containerResources";
import {
  DEFAULT_MLFLOW_IMAGE,
  DEFAULT_OAUTH_PROXY_IMAGE,
  defaultResources,
  ENVIRONMENT_DEFAULTS,
} from "./defaults";
import { IMAGE, IMAGE_RULE } from "./images";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Reader } from "./reader";
import type { Environment, MlflowConfig, Target } from "./types";

export function parseMlflow(
  r: Reader,
  value: unknown,
  environment: Environment,
  target: Target,
): MlflowConfig {
  const path = "mlflow";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "image",
    "replicas",
    "auth",
    "oauthProxyImage",
    "hostname",
    "artifactBucket",
    "database",
    "resources",
  ]);
  const auth = r.oneOf(
    obj,
    "auth",
    path,
    ["basic", "oauth-proxy", "none"] as const,
    target === "openshift" ? "oauth-proxy" : "basic",
  );
  if (auth === "oauth-proxy" && target !== "openshift")
    r.fail(`${path}.auth`, auth, `needs the OpenShift OAuth server; on ${target} use "basic"`);
  if (auth === "none" && environment !== "dev")
    r.fail(
      `${path}.auth`,
      auth,
      `is allowed only in dev; ${environment} must authenticate (use "basic"${target === "openshift" ? ' or "oauth-proxy"' : ""})`,
    );
  const replicas = r.integer(obj, "replicas", path, ENVIRONMENT_DEFAULTS[environment].mlflowReplicas, 1, 20);
  if (ENVIRONMENT_DEFAULTS[environment].highAvailability && replicas < 2) {
    r.fail(
      `${path}.replicas`,
      replicas,
      `is below 2, which ${environment} does not allow (one node drain would stop tracking)`,
    );
  }
  return {
    image: r.string(obj, "image", path, DEFAULT_MLFLOW_IMAGE, IMAGE, IMAGE_RULE),
    replicas,
    auth,
    oauthProxyImage: r.string(obj, "oauthProxyImage", path, DEFAULT_OAUTH_PROXY_IMAGE, IMAGE, IMAGE_RULE),
    hostname: r.optionalString(
      obj,
      "hostname",
      path,
      HOSTNAME,
      "a fully qualified hostname such as mlflow.ml.example.com",
    ),
    artifactBucket: r.string(obj, "artifactBucket", path, "mlflow-artifacts", DNS_LABEL, DNS_LABEL_RULE),
    database: r.string(
      obj,
      "database",
      path,
      "mlflow",
      /^[a-z_][a-z0-9_]{0,62}$/,
      "a database name: lowercase letters, digits and '_'",
    ),
    resources: parseResources(
      r,
      obj.resources,
      `${path}.resources`,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("500m", "1Gi", "2", "2Gi"),
    ),
  };
}
