/**
 * The KServe `InferenceService` spec of a model (engine `kserve`), in RawDeployment mode so no
 * Knative is needed: KServe creates a Deployment `<name>-predictor`, a ClusterIP Service of the
 * same name on port 80, and an HPA on CPU from `minReplicas` / `maxReplicas` / `scaleTarget`.
 *
 * | runtime | predictor |
 * |---|---|
 * | mlflow | `model.modelFormat: mlflow`, protocol v2: KServe's MLServer runtime serves MLflow models |
 * | triton | `model.modelFormat: triton`, runtime `kserve-tritonserver`, image from config |
 * | mlserver | a `kserve-container` running MLServer (`mlserver_mlflow.MLflowRuntime`) from config on the model KServe downloads into `/mnt/models` (`STORAGE_URI`) |
 * | custom | a `kserve-container` running the image from config; `MODEL_URI` (and `STORAGE_URI` → `/mnt/models`) |
 *
 * KServe's storage initializer downloads `storageUri` into `/mnt/models` with the predictor's
 * service account: IRSA / Workload Identity work as-is; in-cluster object stores need the
 * credentials Secret attached to that service account the KServe way (see the README).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { WorkloadAccess } from "../identity/contract";
import type { ModelConfig } from "./settings";
import { modelResources, podPlacement } from "./placement";
import {
  customEnv,
  LOCAL_MODEL_DIR,
  mlserverEnv,
  mlserverWritableDirsEnv,
  runtimeProbes,
  TMP_DIR,
} from "./runtime";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** KServe's raw-mode Service listens on 80 and forwards to the runtime's port. */
export const KSERVE_SERVICE_PORT = 80;
/** The port KServe's built-in MLServer and Triton runtimes listen on. */
export const KSERVE_RUNTIME_PORT = 8080;
/** Runtimes served by a KServe built-in ServingRuntime (their container is KServe's, merged with ours). */
export const KSERVE_BUILTIN_RUNTIMES = new Set(["mlflow", "triton"]);

/** Predictor pods' metrics ports: MLServer's (also behind KServe's mlflow format) and Triton's. */
export function kserveMetricsPort(model: ModelConfig): number | undefined {
  if (model.runtime === "mlflow" || model.runtime === "mlserver") return 8082;
  if (model.runtime === "triton") return 8002;
  return undefined;
}

export function kservePredictorName(model: Pick<ModelConfig, "name">): string {
  return `${model.name}-predictor`;
}

export interface InferenceServiceArgs {
  ctx: PlatformContext;
  model: ModelConfig;
  serviceAccountName: string;
  modelUri?: pulumi.Input<string>;
  access: WorkloadAccess;
  /** Labels for the predictor pods (they carry the selector the NetworkPolicy and PDB use). */
  podLabels: Record<string, string>;
  selector: Record<string, string>;
}

export function inferenceServiceSpec(a: InferenceServiceArgs): Record<string, unknown> {
  const { ctx, model } = a;
  const builtin = KSERVE_BUILTIN_RUNTIMES.has(model.runtime);
  const port = builtin ? KSERVE_RUNTIME_PORT : model.port;
  const metricsPort = kserveMetricsPort(model);
  const ports = [
    { name: "http", containerPort: port, protocol: "TCP" },
    ...(metricsPort ? [{ name: "metrics", containerPort: metricsPort, protocol: "TCP" }] : []),
  ];
  const env: EnvVar[] = [...a.access.env, { name: "HOME", value: TMP_DIR }];
  const container: Container = {
    name: "kserve-container",
    ports,
    env,
    resources: modelResources(model),
    securityContext: containerSecurityContext(ctx.flavor),
    volumeMounts: [{ name: "tmp", mountPath: TMP_DIR }, ...a.access.volumeMounts],
    // mlflow models run in KServe's MLServer runtime, which names the model after the
    // InferenceService (MLSERVER_MODEL_NAME, set by KServe's controller): they get MLServer's
    // model-level readiness. Triton answers the v2 protocol on 8080 with strict readiness.
    ...runtimeProbes(model.runtime === "mlflow" ? "mlserver" : model.runtime, model.name, "http"),
  };

  const predictor: Record<string, unknown> = {
    minReplicas: model.minReplicas,
    maxReplicas: model.maxReplicas,
    scaleMetric: "cpu",
    scaleTarget: model.targetCpuUtilization,
    labels: a.podLabels,
    serviceAccountName: a.serviceAccountName,
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(ctx.flavor),
    volumes: [{ name: "tmp", emptyDir: {} }, ...a.access.volumes],
    ...podPlacement(ctx, model, a.selector),
  };

  switch (model.runtime) {
    case "mlflow":
      predictor.model = {
        ...container,
        // KServe merges this env into its runtime's container; MLServer's own folders must leave
        // the read-only root filesystem there too.
        env: [...env, ...mlserverWritableDirsEnv()],
        modelFormat: { name: "mlflow" },
        protocolVersion: "v2",
        storageUri: a.modelUri,
      };
      break;
    case "triton":
      predictor.model = {
        ...container,
        modelFormat: { name: "triton" },
        runtime: "kserve-tritonserver",
        protocolVersion: "v2",
        storageUri: a.modelUri,
        image: model.image,
        // The runtime's own arguments plus per-model latency quantiles for the p99 alert.
        args: [
          "tritonserver",
          `--model-store=${LOCAL_MODEL_DIR}`,
          `--http-port=${KSERVE_RUNTIME_PORT}`,
          "--allow-grpc=false",
          "--allow-metrics=true",
          "--metrics-port=8002",
          "--metrics-config=summary_latencies=true",
        ],
      };
      break;
    case "mlserver":
      predictor.containers = [
        {
          ...container,
          image: model.image,
          command: ["mlserver"],
          args: ["start", LOCAL_MODEL_DIR],
          env: [
            ...env,
            // KServe's storage initializer downloads the folder's contents into /mnt/models itself
            // (the prefix is stripped from every key: `_download_s3` / `_download_gcs` in
            // kserve-storage 0.16.0, the pinned KServe's), so the model is /mnt/models, not a subfolder.
            { name: "STORAGE_URI", value: a.modelUri },
            ...mlserverEnv({ modelName: model.name, httpPort: port, localModelUri: LOCAL_MODEL_DIR }),
          ],
        },
      ];
      break;
    case "custom":
      predictor.containers = [
        {
          ...container,
          image: model.image,
          ...(model.args ? { args: model.args } : {}),
          env: [
            ...env,
            { name: "PORT", value: String(port) },
            ...customEnv(model),
            ...(a.modelUri !== undefined
              ? [
                  { name: "MODEL_URI", value: a.modelUri },
                  { name: "STORAGE_URI", value: a.modelUri },
                ]
              : []),
          ],
        },
      ];
      break;
  }
  return { predictor };
}
