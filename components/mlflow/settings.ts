/** What the MLflow tracking server is asked to be (`mlstack:mlflow`). */
import type { ContainerResources } from "../kube/containerResources";

/**
 * How MLflow authenticates users. An `as const` object as well as a type: Pulumi's component
 * analyzer reads this pattern (not a bare string union) as a schema enum.
 */
export const MlflowAuth = { basic: "basic", oauthProxy: "oauth-proxy", none: "none" } as const;
export type MlflowAuth = (typeof MlflowAuth)[keyof typeof MlflowAuth];

export interface MlflowConfig {
  /** Tracking server image (see images/mlflow). */
  image: string;
  /** Replicas: dev 1, else 2. */
  replicas: number;
  /** `basic` (MLflow basic-auth), `oauth-proxy` (OpenShift only), `none` (dev only). Default: openshift `oauth-proxy`, else `basic`. */
  auth: MlflowAuth;
  /** oauth-proxy sidecar image (OpenShift). */
  oauthProxyImage: string;
  /** Public hostname; unset = internal only. */
  hostname?: string;
  /** Logical bucket for artifacts. Default `mlflow-artifacts` (declared automatically). */
  artifactBucket: string;
  /** Database owned by `mlflow`. Default `mlflow` (declared automatically). */
  database: string;
  resources: ContainerResources;
}
