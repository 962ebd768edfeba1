/**
 * The KServe `InferenceService` spec of a model (engine `kserve`), in RawDeployment mode so no
 * Knative is needed: KServe creates a Deployment `<name>-predictor`, a ClusterIP Service of the
 * same name on port 80, and an HPA on CPU from `minReplicas` / `maxReplicas` / `scaleTarget`
 * (vLLM: mlstack's own HPA on the request queue, kserveWorkload.ts).
 *
 * | runtime | predictor |
 * |---|---|
 * | mlflow | `model.modelFormat: mlflow`, protocol v2: KServe's MLServer runtime serves MLflow models |
 * | triton | `model.modelFormat: triton`, runtime `kserve-tritonserver`, image from config |
 * | vllm | `model.modelFormat: vllm`, mlstack's namespaced `<model>-vllm` ServingRuntime (kserveWorkload.ts) |
 * | mlserver | a `kserve-container` running MLServer (`mlserver_mlflow.MLflowRuntime`) from config on `/mnt/models` |
 * | custom | a `kserve-container` running the image from config; `MODEL_URI` = `/mnt/models` when it has a source |
 *
 * The model reaches `/mnt/models` through mlstack's fetch-model initContainer (modelFetch.ts), not
 * KServe's storage initializer: no `storageUri`, so the predictor pod reads the bucket (or the
 * registry) with the same workload identity as every other mlstack pod.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { InferenceServiceSpec } from "../crds/serving.kserve.io/v1beta1";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { WorkloadAccess } from "../identity/contract";
import type { FetchStep } from "./modelFetch";
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
import { vllmShmVolume } from "./vllm";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** KServe's raw-mode Service listens on 80 and forwards to the runtime's port. */
export const KSERVE_SERVICE_PORT = 80;
/** The port KServe's built-in MLServer and Triton runtimes listen on. */
export const KSERVE_RUNTIME_PORT = 8080;
/** Runtimes served by a KServe built-in ServingRuntime (their container is KServe's, merged with ours). */
export const KSERVE_BUILTIN_RUNTIMES = new Set(["mlflow", "triton"]);
/** KServe's cluster-wide runtime for Triton (its ClusterServingRuntime `kserve-tritonserver`, config/runtimes/). */
export const KSERVE_TRITON_RUNTIME = "kserve-tritonserver";

/** Predictor pods' metrics ports: MLServer's (also behind KServe's mlflow format), Triton's and vLLM's. */
export function kserveMetricsPort(model: ModelConfig): number | undefined {
  if (model.runtime === "mlflow" || model.runtime === "mlserver") return 8082;
  if (model.runtime === "triton") return 8002;
  if (model.runtime === "vllm") return model.port;
  return undefined;
}

export function kservePredictorName(model: Pick<ModelConfig, "name">): string {
  return `${model.name}-predictor`;
}

export interface InferenceServiceArgs {
  ctx: PlatformContext;
  model: ModelConfig;
  serviceAccountName: string;
  access: WorkloadAccess;
  /** Labels for the predictor pods (they carry the selector the NetworkPolicy and PDB use). */
  podLabels: Record<string, string>;
  /** Annotations for the predictor pods (where the model comes from). */
  podAnnotations: Record<string, string>;
  selector: Record<string, string>;
  /** The fetch-model step, for every model with a source. */
  fetch?: FetchStep;
  /** The namespaced ServingRuntime the predictor names (`<model>-<runtime>`); unset = KServe's cluster runtime. */
  runtimeName?: pulumi.Input<string>;
}

export function inferenceServiceSpec(a: InferenceServiceArgs): InferenceServiceSpec {
  const { ctx, model } = a;
  const builtin = KSERVE_BUILTIN_RUNTIMES.has(model.runtime);
  const port = builtin ? KSERVE_RUNTIME_PORT : model.port;
  const metricsPort = kserveMetricsPort(model);
  const ports = [
    { name: "http", containerPort: port, protocol: "TCP" },
    ...(metricsPort && metricsPort !== port
      ? [{ name: "metrics", containerPort: metricsPort, protocol: "TCP" }]
      : []),
  ];
  const env: EnvVar[] = [...a.access.env, { name: "HOME", value: TMP_DIR }];
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: "tmp", emptyDir: {} },
    ...a.access.volumes,
    ...(a.fetch?.volumes ?? []),
  ];
  const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [
    { name: "tmp", mountPath: TMP_DIR },
    ...a.access.volumeMounts,
    ...(a.fetch ? [a.fetch.modelMount] : []),
  ];
  if (model.runtime === "vllm") {
    const shm = vllmShmVolume(model);
    volumes.push(shm.volume);
    volumeMounts.push(shm.mount);
  }
  const container: Container = {
    name: "kserve-container",
    ports,
    env,
    resources: modelResources(model),
    securityContext: containerSecurityContext(ctx.flavor),
    volumeMounts,
    // mlflow models run in KServe's MLServer runtime, which names the model after the
    // InferenceService (MLSERVER_MODEL_NAME, set by KServe's controller): they get MLServer's
    // model-level readiness. Triton answers the v2 protocol on 8080 with strict readiness; vLLM's
    // /health answers once the weights are loaded.
    ...runtimeProbes(model.runtime === "mlflow" ? "mlserver" : model.runtime, model.name, "http"),
  };

  const predictor: Record<string, unknown> = {
    minReplicas: model.minReplicas,
    maxReplicas: model.maxReplicas,
    ...(model.runtime === "vllm" ? {} : { scaleMetric: "cpu", scaleTarget: model.targetCpuUtilization }),
    labels: a.podLabels,
    annotations: a.podAnnotations,
    serviceAccountName: a.serviceAccountName,
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(ctx.flavor),
    ...(a.fetch ? { initContainers: [a.fetch.initContainer] } : {}),
    volumes,
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
        ...(a.runtimeName ? { runtime: a.runtimeName } : {}),
      };
      break;
    case "triton":
      predictor.model = {
        ...container,
        modelFormat: { name: "triton" },
        runtime: a.runtimeName ?? KSERVE_TRITON_RUNTIME,
        protocolVersion: "v2",
        image: model.image,
        args: tritonArgs(),
      };
      break;
    case "vllm":
      predictor.model = {
        ...container,
        modelFormat: { name: "vllm" },
        runtime: a.runtimeName,
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
            ...(a.fetch ? [{ name: "MODEL_URI", value: LOCAL_MODEL_DIR }] : []),
          ],
        },
      ];
      break;
  }
  return { predictor };
}

/** Triton's arguments on KServe: the fetched repository, v2 HTTP on 8080, per-model latency quantiles for the p99 alert. */
export function tritonArgs(): string[] {
  return [
    "tritonserver",
    `--model-store=${LOCAL_MODEL_DIR}`,
    `--http-port=${KSERVE_RUNTIME_PORT}`,
    "--allow-grpc=false",
    "--allow-metrics=true",
    "--metrics-port=8002",
    "--metrics-config=summary_latencies=true",
    "--strict-readiness=true",
  ];
}
