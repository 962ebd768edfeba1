/** What one served model is asked to be (`mlstack:serving.models[]`). */
import type { ContainerResources } from "../kube/containerResources";

/*
 * The string enums below are `as const` objects as well as types (values and order unchanged):
 * Pulumi's component analyzer reads this pattern, not a bare string union, as a schema enum
 * (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js), so ModelServing is in the plugin.
 */

/** What runs the model: a Deployment mlstack writes, or a KServe InferenceService. */
export const ServingEngine = { deployment: "deployment", kserve: "kserve" } as const;
export type ServingEngine = (typeof ServingEngine)[keyof typeof ServingEngine];

/** The model server. */
export const ServingRuntime = {
  mlflow: "mlflow",
  mlserver: "mlserver",
  triton: "triton",
  vllm: "vllm",
  custom: "custom",
} as const;
export type ServingRuntime = (typeof ServingRuntime)[keyof typeof ServingRuntime];

/** `internal` (Service only) or `external` (Ingress / Route). */
export const ModelExposure = { internal: "internal", external: "external" } as const;
export type ModelExposure = (typeof ModelExposure)[keyof typeof ModelExposure];

/** A model's GPUs (`serving.models[].gpu`). */
export interface ModelGpu {
  /** GPUs per replica; 0 = none. */
  count: number;
  /** Node labels the model's pods select (merged with `serving.gpuNodes`). */
  nodeSelector: Record<string, string>;
  /** Whether the pods tolerate the `nvidia.com/gpu` NoSchedule taint. */
  tolerations: boolean;
}

/** A streaming model's topics and scaling (`serving.models[].kafka`): logical names from config. */
export interface ModelKafkaConfig {
  inputTopic: string;
  outputTopic: string;
  consumerGroup: string;
  /** Per-replica consumer lag KEDA scales on. */
  lagThreshold: number;
}

export interface ModelConfig {
  /** DNS label, unique in the stack; also the workload name. */
  name: string;
  team: string;
  engine: ServingEngine;
  runtime: ServingRuntime;
  /** Server image. Default per runtime from `serving.runtimeImages`; required for `custom`. */
  image: string;
  /** Where the model comes from; unset when a custom image embeds the model. */
  source?: ModelSource;
  /** Container port the server listens on. Default 8080. */
  port: number;
  /** Replicas / HPA bounds: dev 1..2, else 2..6. */
  minReplicas: number;
  maxReplicas: number;
  /** HPA CPU target (%). Default 70. */
  targetCpuUtilization: number;
  resources: ContainerResources;
  /** GPUs per replica (`count`; 0 = none) and where they are. */
  gpu: ModelGpu;
  /** `internal` (Service only) or `external` (Ingress / Route). */
  exposure: ModelExposure;
  /** External hostname (default `<model>.<ingress.domain>`). */
  hostname?: string;
  /** Runtime `custom` only: arguments to the image's entrypoint. Never a secret (refused in config). */
  args?: string[];
  /** Runtime `custom` only: extra environment; secrets only by reference to a Secret in the team namespace. */
  env?: ModelEnvVar[];
  /** Runtime `vllm` only: how vLLM's OpenAI-compatible server runs the model. */
  vllm?: VllmSettings;
  /** Streaming inference: consume `inputTopic`, produce to `outputTopic`. */
  kafka?: ModelKafkaConfig;
}

/**
 * A model's source, one of two forms (optional fields rather than a union, so the type fits
 * Pulumi's package schema; config refuses a mix):
 * - `{ bucket, path }`: the model folder in a declared bucket of the model's team;
 * - `{ registry, alias }`: the version of registered model `registry` that MLflow alias `alias`
 *   points at, resolved by the fetch-model step when the pod starts (modelFetch.ts).
 */
export interface ModelSource {
  bucket?: string;
  path?: string;
  /** Registered model name in the MLflow model registry. */
  registry?: string;
  /** Alias of that registered model (e.g. `champion`). */
  alias?: string;
}

/** The vLLM server's settings (`serving.models[].vllm`). */
export interface VllmSettings {
  /** `--tensor-parallel-size`: GPUs one replica shards the model across. Default and maximum `gpu.count`. */
  tensorParallelSize: number;
  /** Size limit of the in-memory `/dev/shm` (PyTorch / NCCL shared memory between workers). Default 8Gi. */
  shmSizeLimit: string;
  /** HPA target: average requests waiting for a slot per replica (`vllm:num_requests_waiting`). Default 5. */
  targetRequestsWaiting: number;
  /** `--max-model-len`; unset = the model's own context length. */
  maxModelLen?: number;
}

/** A key of a Secret in the model's team namespace. */
export interface ModelSecretKeyRef {
  name: string;
  key: string;
}

/**
 * One extra env var of a custom model: exactly one of `value` (a literal that is not a secret) and
 * `secretRef` (a reference to a Secret key). Optional fields rather than a union, so the type fits
 * Pulumi's package schema; `modelEnvVarProblem` refuses neither and both.
 */
export interface ModelEnvVar {
  name: string;
  value?: string;
  secretRef?: ModelSecretKeyRef;
}

/** Why an env var of a custom model is not exactly one of a literal and a Secret reference, or undefined. */
export function modelEnvVarProblem(e: ModelEnvVar): string | undefined {
  const hasValue = e.value !== undefined;
  const hasRef = e.secretRef !== undefined;
  if (hasValue === hasRef)
    return "must set exactly one of value (a literal that is not a secret) and secretRef ({name, key} of a Secret in the team namespace)";
  return undefined;
}

/**
 * The cluster's GPU nodes (`mlstack:serving.gpuNodes`): the labels every GPU node carries and
 * whether the pool is tainted `nvidia.com/gpu:NoSchedule` (EKS and GKE GPU node groups and the NVIDIA
 * GPU Operator's convention). GPU models select these nodes and tolerate the taint.
 */
export interface GpuNodes {
  nodeSelector: Record<string, string>;
  /** The nodes carry the `nvidia.com/gpu` NoSchedule taint. Default true. */
  taint: boolean;
}

/**
 * Why a model's GPU request cannot be placed, or undefined: GPUs without declared GPU nodes, or a
 * node selector that contradicts the declared GPU nodes' labels (the pod would select no node).
 */
export function gpuPlacementProblem(
  count: number,
  nodeSelector: Record<string, string>,
  gpuNodes: GpuNodes | undefined,
): { key: "count" | "nodeSelector"; value: unknown; allowed: string } | undefined {
  if (count < 1) return undefined;
  if (!gpuNodes)
    return {
      key: "count",
      value: count,
      allowed:
        "asks for GPUs but this stack declares no GPU nodes: set mlstack:serving.gpuNodes ({nodeSelector: <labels of the GPU nodes>, taint: true|false}) or use gpu.count 0",
    };
  for (const [key, value] of Object.entries(nodeSelector)) {
    const declared = gpuNodes.nodeSelector[key];
    if (declared !== undefined && declared !== value)
      return {
        key: "nodeSelector",
        value: { [key]: value },
        allowed: `contradicts mlstack:serving.gpuNodes.nodeSelector ${key}=${declared}: no declared GPU node would match`,
      };
  }
  return undefined;
}

/**
 * Why `alias` cannot be a registry alias mlstack follows, or undefined. MLflow refuses `latest` and
 * `v<digits>` as aliases (they name versions; mlflow/utils/validation.py `_validate_model_alias_name`,
 * MLflow 3.x); mlstack also puts the alias in a label, so it must be a label value.
 */
export function registryAliasProblem(alias: string): string | undefined {
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(alias))
    return "is not an alias mlstack can follow: 1 to 63 letters, digits and _.-, starting and ending with a letter or digit";
  if (alias.toLowerCase() === "latest" || /^v\d+$/i.test(alias))
    return "names a version, not an alias (MLflow reserves latest and v<number>); use an alias such as champion";
  return undefined;
}
