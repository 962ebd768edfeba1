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
  /** Model artifacts in a declared bucket of the model's team; unset when the image embeds the model. */
  source?: { bucket: string; path: string };
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
