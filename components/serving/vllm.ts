/**
 * The `vllm` runtime: vLLM's OpenAI-compatible server (`vllm serve`) on weights an initContainer
 * copied from the team's bucket into `/mnt/models`, with the workload's own identity (the same
 * downloader as the mlserver runtime). What vLLM needs beyond the other runtimes lives here: its
 * arguments, writable caches under a read-only root filesystem, the in-memory `/dev/shm`, the
 * autoscaling metric and the LLM alert queries.
 *
 * Facts about vLLM are from its source at v0.33.0 (the pinned image, stacks/config/defaults.ts):
 * - `GET /health` answers only once the engine is up: the HTTP server starts listening after the
 *   engine (and so the model) has loaded, and the route returns 503 while warm-up runs or when the
 *   engine died (vllm/entrypoints/serve/instrumentator/health.py). Readiness and liveness use it.
 * - Prometheus metrics are served on the API port at `/metrics`
 *   (https://docs.vllm.ai/en/latest/design/metrics.html): `vllm:time_to_first_token_seconds`
 *   (histogram), `vllm:e2e_request_latency_seconds` (histogram), `vllm:generation_tokens_total`
 *   (counter), `vllm:num_requests_waiting` and `vllm:num_requests_running` (gauges).
 * - HTTP request counts come from prometheus-fastapi-instrumentator, which groups status codes
 *   (`http_requests_total{status="5xx"}`).
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ModelConfig, VllmSettings } from "./settings";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type MetricSpec = k8s.types.input.autoscaling.v2.MetricSpec;

/** Where PyTorch and NCCL place shared memory between vLLM's worker processes. */
export const SHM_DIR = "/dev/shm";

/**
 * The custom metric the HPA scales on: vLLM's `vllm:num_requests_waiting` as the Kubernetes custom
 * metrics API names it (Prometheus Adapter's rule in README.md renames `:` to `_`, which metric API
 * names cannot contain).
 */
export const VLLM_QUEUE_METRIC = "vllm_num_requests_waiting";

/** vLLM settings of a model; defaults for a model whose config predates the `vllm` key. */
export function vllmSettings(model: ModelConfig): VllmSettings {
  return (
    model.vllm ?? {
      tensorParallelSize: Math.max(model.gpu.count, 1),
      shmSizeLimit: "8Gi",
      targetRequestsWaiting: 5,
    }
  );
}

/** `vllm serve <local model folder>` arguments. */
export function vllmArgs(model: ModelConfig, localModelPath: pulumi.Input<string>): pulumi.Output<string[]> {
  const s = vllmSettings(model);
  return pulumi.output(localModelPath).apply((path) => [
    "serve",
    path,
    // Clients call the model by its mlstack name (`"model": "<name>"` in OpenAI requests), not
    // by the local folder vLLM loaded it from.
    "--served-model-name",
    model.name,
    "--host",
    "0.0.0.0",
    "--port",
    String(model.port),
    "--tensor-parallel-size",
    String(s.tensorParallelSize),
    ...(s.maxModelLen !== undefined ? ["--max-model-len", String(s.maxModelLen)] : []),
  ]);
}

/**
 * Environment for a read-only root filesystem and an arbitrary UID: every cache (Hugging Face,
 * vLLM's compile cache, Triton kernels, all under $HOME or XDG_CACHE_HOME) goes under the writable
 * `/tmp`. The weights are local, so the Hugging Face Hub is never contacted (HF_HUB_OFFLINE) and
 * vLLM's usage reporting is off (its egress is blocked by the NetworkPolicy anyway).
 */
export function vllmEnv(tmpDir: string): EnvVar[] {
  return [
    { name: "HOME", value: tmpDir },
    { name: "XDG_CACHE_HOME", value: `${tmpDir}/.cache` },
    { name: "HF_HOME", value: `${tmpDir}/hf` },
    { name: "HF_HUB_OFFLINE", value: "1" },
    { name: "VLLM_NO_USAGE_STATS", value: "1" },
    { name: "DO_NOT_TRACK", value: "1" },
  ];
}

/**
 * The in-memory `/dev/shm`: the container runtime's default is 64 MiB, too small for the tensors
 * vLLM's workers exchange (tensor parallelism, CUDA graphs). Counted against the pod's memory.
 */
export function vllmShmVolume(model: ModelConfig): { volume: Volume; mount: VolumeMount } {
  return {
    volume: { name: "shm", emptyDir: { medium: "Memory", sizeLimit: vllmSettings(model).shmSizeLimit } },
    mount: { name: "shm", mountPath: SHM_DIR },
  };
}

/**
 * The HPA scales on the queue: the average number of requests waiting for a slot per replica.
 * CPU says nothing about an LLM server, whose work is on the GPU.
 */
export function vllmAutoscalingMetrics(model: ModelConfig): MetricSpec[] {
  return [
    {
      type: "Pods",
      pods: {
        metric: { name: VLLM_QUEUE_METRIC },
        target: { type: "AverageValue", averageValue: String(vllmSettings(model).targetRequestsWaiting) },
      },
    },
  ];
}

/** PromQL over one model's vLLM series (`sel` selects them: namespace and service). */
export function vllmQueries(sel: pulumi.Output<string>): {
  p99Seconds: pulumi.Output<string>;
  errorRatio: pulumi.Output<string>;
  timeToFirstTokenP99: pulumi.Output<string>;
  queueLength: pulumi.Output<string>;
  tokensPerSecond: pulumi.Output<string>;
  running: pulumi.Output<string>;
} {
  return {
    p99Seconds: pulumi.interpolate`histogram_quantile(0.99, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket{${sel}}[5m])))`,
    errorRatio: pulumi.interpolate`sum(rate(http_requests_total{${sel}, status="5xx"}[5m])) / sum(rate(http_requests_total{${sel}}[5m]))`,
    timeToFirstTokenP99: pulumi.interpolate`histogram_quantile(0.99, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{${sel}}[5m])))`,
    queueLength: pulumi.interpolate`sum(vllm:num_requests_waiting{${sel}})`,
    tokensPerSecond: pulumi.interpolate`sum(rate(vllm:generation_tokens_total{${sel}}[5m]))`,
    running: pulumi.interpolate`sum(vllm:num_requests_running{${sel}})`,
  };
}
