/** What one served model is asked to be (`mlstack:serving.models[]`). */
import type { ContainerResources } from "../kube/containerResources";

export type ServingEngine = "deployment" | "kserve";

export type ServingRuntime = "mlflow" | "mlserver" | "triton" | "vllm" | "custom";

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
  /** GPUs per replica; 0 = none. */
  gpu: { count: number; nodeSelector: Record<string, string>; tolerations: boolean };
  /** `internal` (Service only) or `external` (Ingress / Route). */
  exposure: "internal" | "external";
  /** External hostname (default `<model>.<ingress.domain>`). */
  hostname?: string;
  /** Runtime `custom` only: arguments to the image's entrypoint. Never a secret (refused in config). */
  args?: string[];
  /** Runtime `custom` only: extra environment; secrets only by reference to a Secret in the team namespace. */
  env?: ModelEnvVar[];
  /** Runtime `vllm` only: how vLLM's OpenAI-compatible server runs the model. */
  vllm?: VllmSettings;
  /** Streaming inference: consume `inputTopic`, produce to `outputTopic`. */
  kafka?: { inputTopic: string; outputTopic: string; consumerGroup: string; lagThreshold: number };
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

/** One extra env var of a custom model: a literal that is not a secret, or a reference to a Secret key. */
export type ModelEnvVar =
  { name: string; value: string } | { name: string; secretRef: { name: string; key: string } };

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
