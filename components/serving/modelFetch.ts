/**
 * The fetch-model step: an initContainer that copies the model into the pod's `/mnt/models` before
 * the server starts, run by fetch_model.py (beside this file, shipped in a ConfigMap) in the MLflow
 * image with the workload's own identity. One step for every place a model is read locally:
 *
 * - engine deployment, runtimes mlserver and vllm (they read only local paths);
 * - engine kserve, every runtime with a source. KServe's own storage initializer reads bucket
 *   credentials only from a Secret named by the InferenceService's `serving.kserve.io/storageSecretName`
 *   annotation or listed in the predictor ServiceAccount's `secrets`, and takes the S3 endpoint from
 *   that Secret's `serving.kserve.io/s3-*` annotations (kserve/kserve
 *   pkg/credentials/service_account_credentials.go `CreateSecretVolumeAndEnv`/`mountSecretCredential`
 *   and pkg/credentials/s3/s3_secret.go `BuildSecretEnvs`, read at kserve/kserve's current main;
 *   the pinned v0.16.0 tag was not readable here). In-cluster stores hand out one key pair per
 *   bucket in a Secret the provisioner (ObjectBucketClaim) or the operator (external endpoint)
 *   writes at runtime, without those annotations; a per-model copy would need
 *   the keys read into Pulumi state or a controller. So mlstack does not set `storageUri`: KServe
 *   injects no storage initializer, and the predictor gets this step with the same grant env
 *   (`secretKeyRef`s, IRSA, Workload Identity) the Deployment path uses — no static key anywhere a
 *   workload identity exists;
 * - any runtime whose source is a registry alias (`source: {registry, alias}`): the step resolves the
 *   alias through the MLflow tracking server as the workload and downloads that version.
 *
 * The model's files land directly in `/mnt/models` (its MLmodel at `/mnt/models/MLmodel`), the
 * folder KServe's runtimes (`MLSERVER_MODEL_URI`, Triton's `--model-store`) read.
 */
import { readFileSync } from "fs";
import { join } from "path";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterFlavor } from "../context";
import type { WorkloadAccess } from "../identity/contract";
import { containerSecurityContext } from "../kube/podSecurity";
import { LOCAL_MODEL_DIR, TMP_DIR } from "./runtime";
import type { ModelConfig } from "./settings";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export const FETCH_MODEL_CONTAINER = "fetch-model";
export const FETCH_MODEL_FILE = "fetch_model.py";
export const FETCH_MODEL_DIR = "/opt/mlstack/fetch-model";
/** The emptyDir the step fills and the server reads (read-only there). */
export const MODEL_VOLUME = "model";
const SCRIPT_VOLUME = "fetch-model";

/** The downloader is an HTTP/S3 client: small, but it holds a model file in flight. */
export const FETCH_MODEL_RESOURCES = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "1", memory: "1Gi" },
};

let source: string | undefined;

/** fetch_model.py, read once from the file beside this module. */
export function fetchModelSource(): string {
  source ??= readFileSync(join(__dirname, FETCH_MODEL_FILE), "utf8");
  return source;
}

/** The registry a model follows by alias: where to ask and with which credentials. */
export interface ModelRegistryAccess {
  /** MLflow's in-cluster tracking URI. */
  trackingUri: pulumi.Input<string>;
  /**
   * The workload's own MLflow credentials: `MLFLOW_TRACKING_USERNAME`/`_PASSWORD` by `secretKeyRef`,
   * or `MLSTACK_TRACKING_TOKEN_FILE` naming a projected ServiceAccount token (volumes and mounts
   * here), plus `MLFLOW_TRACKING_SERVER_CERT_PATH` where MLflow speaks TLS; empty without auth.
   */
  access: WorkloadAccess;
}

/** Whether a model is read from `/mnt/models` after the fetch step (see the file comment). */
export function fetchesModel(model: ModelConfig): boolean {
  if (model.source === undefined) return false;
  if (model.source.registry !== undefined) return true;
  if (model.engine === "kserve") return true;
  return model.runtime === "mlserver" || model.runtime === "vllm";
}

export interface FetchStepArgs {
  flavor: ClusterFlavor;
  model: ModelConfig;
  /** MLflow image (`serving.runtimeImages.mlflow`). */
  image: string;
  /** Bucket source: its `s3://` / `gs://` URL; unset for a registry source. */
  modelUri?: pulumi.Input<string>;
  /** S3-compatible endpoint of in-cluster stores (MLflow's `MLFLOW_S3_ENDPOINT_URL`). */
  modelStoreEndpoint?: pulumi.Input<string>;
  /** Bucket grant (bucket source) merged with what else the pod was granted. */
  access: WorkloadAccess;
  /** Registry source only. */
  registry?: ModelRegistryAccess;
  /** The ConfigMap holding fetch_model.py (`fetchModelConfigMapData`). */
  configMapName: pulumi.Input<string>;
}

/** The ConfigMap's data: the step's program. */
export function fetchModelConfigMapData(): Record<string, string> {
  return { [FETCH_MODEL_FILE]: fetchModelSource() };
}

/** What the pod gains: the initContainer, its volumes, and the server's read-only mount. */
export interface FetchStep {
  initContainer: Container;
  volumes: Volume[];
  /** Mount of the filled folder for the serving container. */
  modelMount: VolumeMount;
}

export function fetchStep(a: FetchStepArgs): FetchStep {
  const registry = a.model.source?.registry;
  const sourceEnv: EnvVar[] = registry
    ? [
        { name: "MLFLOW_TRACKING_URI", value: a.registry?.trackingUri },
        { name: "MODEL_REGISTRY_NAME", value: registry },
        { name: "MODEL_REGISTRY_ALIAS", value: a.model.source?.alias },
      ]
    : [
        { name: "MODEL_URI", value: a.modelUri },
        ...(a.modelStoreEndpoint !== undefined
          ? [{ name: "MLFLOW_S3_ENDPOINT_URL", value: a.modelStoreEndpoint }]
          : []),
      ];
  const registryAccess = registry ? a.registry?.access : undefined;
  return {
    initContainer: {
      name: FETCH_MODEL_CONTAINER,
      image: a.image,
      command: ["python", `${FETCH_MODEL_DIR}/${FETCH_MODEL_FILE}`],
      env: [
        ...a.access.env,
        ...(registryAccess?.env ?? []),
        { name: "HOME", value: TMP_DIR },
        { name: "MODEL_DIR", value: LOCAL_MODEL_DIR },
        ...sourceEnv,
      ],
      resources: FETCH_MODEL_RESOURCES,
      securityContext: containerSecurityContext(a.flavor),
      volumeMounts: [
        { name: "tmp", mountPath: TMP_DIR },
        { name: MODEL_VOLUME, mountPath: LOCAL_MODEL_DIR },
        { name: SCRIPT_VOLUME, mountPath: FETCH_MODEL_DIR, readOnly: true },
        ...a.access.volumeMounts,
        ...(registryAccess?.volumeMounts ?? []),
      ],
    },
    volumes: [
      { name: MODEL_VOLUME, emptyDir: {} },
      { name: SCRIPT_VOLUME, configMap: { name: a.configMapName, defaultMode: 0o444 } },
      ...(registryAccess?.volumes ?? []),
    ],
    modelMount: { name: MODEL_VOLUME, mountPath: LOCAL_MODEL_DIR, readOnly: true },
  };
}

/** Where the fetch step finds the projected token and the CA of an OAuth-proxied MLflow. */
export const REGISTRY_CREDENTIALS_DIR = "/var/run/secrets/mlstack/mlflow";
/** A projected token lives an hour; the kubelet rotates it, and the step reads it once when it runs. */
const TOKEN_EXPIRATION_SECONDS = 3600;

/**
 * How a model's fetch step authenticates to MLflow, by `mlstack:mlflow.auth`:
 * - `none` (dev only): nothing;
 * - `oauth-proxy` (OpenShift): the pod's own ServiceAccount token, projected into the fetch step
 *   only (the serving container never sees it; the pod keeps `automountServiceAccountToken: false`)
 *   and sent as a bearer token, which the proxy checks with a TokenReview and a SubjectAccessReview
 *   (`get` on the MLflow Service, granted to every model's ServiceAccount by the stack); the proxy's
 *   certificate is signed by the OpenShift service CA, which OpenShift publishes in the
 *   `openshift-service-ca.crt` ConfigMap of every namespace;
 * - `basic`: not built here: the workload's own MLflow user (`MlflowWorkloadUsers` in the mlflow
 *   component, composed by the stack) hands `MLFLOW_TRACKING_USERNAME`/`_PASSWORD` by `secretKeyRef`
 *   from a Secret in the workload's namespace, and the fetch step waits for the Job that creates
 *   the user and its READ grants.
 */
export function registryAccess(
  auth: "none" | "oauth-proxy",
  trackingUri: pulumi.Input<string>,
): ModelRegistryAccess {
  if (auth === "none") {
    return { trackingUri, access: { env: [], volumes: [], volumeMounts: [], egress: [], dependsOn: [] } };
  }
  const volume = "mlflow-credentials";
  return {
    trackingUri,
    access: {
      env: [
        { name: "MLSTACK_TRACKING_TOKEN_FILE", value: `${REGISTRY_CREDENTIALS_DIR}/token` },
        { name: "MLFLOW_TRACKING_SERVER_CERT_PATH", value: `${REGISTRY_CREDENTIALS_DIR}/service-ca.crt` },
      ],
      volumes: [
        {
          name: volume,
          projected: {
            defaultMode: 0o444,
            sources: [
              { serviceAccountToken: { path: "token", expirationSeconds: TOKEN_EXPIRATION_SECONDS } },
              {
                configMap: {
                  name: "openshift-service-ca.crt",
                  items: [{ key: "service-ca.crt", path: "service-ca.crt" }],
                },
              },
            ],
          },
        },
      ],
      volumeMounts: [{ name: volume, mountPath: REGISTRY_CREDENTIALS_DIR, readOnly: true }],
      egress: [],
      dependsOn: [],
    },
  };
}

/**
 * Why models cannot follow a registry alias with this MLflow, or undefined: only without MLflow.
 * Every auth mode has a per-workload identity: none (dev), the ServiceAccount token (oauth-proxy),
 * or an MLflow user of the workload's own (basic, `MlflowWorkloadUsers`).
 */
export function registrySourceProblem(mlflowAuth: string | undefined): string | undefined {
  if (mlflowAuth === undefined)
    return "needs the MLflow tracking server (mlstack:mlflow), whose registry resolves the alias";
  return undefined;
}
