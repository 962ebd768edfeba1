/** What the MLflow tracking server is asked to be (`mlstack:mlflow`). */
import type { ContainerResources } from "../kube/containerResources";

export type MlflowAuth = "basic" | "oauth-proxy" | "none";

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
