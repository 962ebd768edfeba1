/** What one served model is asked to be (`mlstack:serving.models[]`). */
import type { ContainerResources } from "../kube/containerResources";

export type ServingEngine = "deployment" | "kserve";

export type ServingRuntime = "mlflow" | "mlserver" | "triton" | "custom";

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
  /** Streaming inference: consume `inputTopic`, produce to `outputTopic`. */
  kafka?: { inputTopic: string; outputTopic: string; consumerGroup: string; lagThreshold: number };
}
