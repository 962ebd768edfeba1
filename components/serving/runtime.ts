/**
 * How each serving runtime runs in a pod: its command, ports, probes, metrics and the
 * runtime-specific environment. `ModelServing` (engine `deployment`) and the KServe predictor
 * builder both read this table, so a runtime's probes and metrics are defined once.
 *
 * | runtime | loads the model | HTTP probes (ready / live) | Prometheus metrics |
 * |---|---|---|---|
 * | mlflow | `mlflow models serve -m <uri>` downloads it itself | `/ping` / `/health` | none (the scoring server exports none) |
 * | mlflow + Kafka | the stream consumer (streamConsumer.py) loads it with `mlflow.pyfunc` | `/ping` / `/health` | `/metrics` on the serving port |
 * | mlserver | `mlserver_mlflow.MLflowRuntime` from `/mnt/models`, filled by the fetch-model step (modelFetch.ts; MLServer reads only local paths) | `/v2/models/<name>/ready` / `/v2/health/live` | `/metrics` on 8082 |
 * | triton | `--model-repository=s3://… / gs://…` (Triton reads buckets itself) | `/v2/health/ready` / `/v2/health/live` | `/metrics` on 8002 |
 * | vllm | `vllm serve /mnt/models`, filled by the same fetch-model step as mlserver (vllm.ts) | `/health` / `/health` (answers once the model has loaded) | `/metrics` on the serving port |
 * | custom | the image, from `MODEL_URI` | `/health` / `/health` | none assumed |
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ModelConfig, ServingRuntime } from "./settings";
import { vllmArgs, vllmEnv } from "./vllm";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Probe = k8s.types.input.core.v1.Probe;

/** Where the MLServer initContainer puts the model and where MLServer reads it from. */
export const LOCAL_MODEL_DIR = "/mnt/models";
/** Writable scratch space (downloads, Python caches): root filesystems are read-only. */
export const TMP_DIR = "/tmp";

/**
 * The MLServer inference runtime that loads MLflow models (`mlserver-mlflow`, shipped in the
 * seldonio/mlserver image). Named explicitly: without a model-settings.json MLServer builds its one
 * "default" model from the `MLSERVER_MODEL_*` variables, and with no implementation among them it
 * loads no model at all and still reports `/v2/health/ready` (a server with zero models is ready).
 */
export const MLSERVER_MLFLOW_IMPLEMENTATION = "mlserver_mlflow.MLflowRuntime";

/** A Prometheus endpoint a runtime serves. `port: "serving"` means the model's own HTTP port. */
export interface RuntimeMetrics {
  port: number | "serving";
  path: string;
}

/** The fixed ports a runtime opens besides the serving port; a model port equal to one is refused. */
/**
 * Runtimes that read only local paths: the fetch-model step (modelFetch.ts) copies the model from
 * the bucket into `/mnt/models` first, with the workload's own identity, whatever the source.
 */
export function downloadsModelFirst(runtime: ServingRuntime): boolean {
  return runtime === "mlserver" || runtime === "vllm";
}

/** Which request metrics (alerts.ts) a runtime exports on engine deployment. */
export function requestMetricsKind(
  runtime: ServingRuntime,
  streaming: boolean,
): "stream" | "triton" | "vllm" | "mlserver" {
  if (streaming) return "stream";
  if (runtime === "triton" || runtime === "vllm") return runtime;
  return "mlserver";
}

export const RESERVED_PORTS: Record<ServingRuntime, Record<number, string>> = {
  mlflow: {},
  mlserver: { 8081: "MLServer's gRPC port", 8082: "MLServer's metrics port" },
  triton: { 8002: "Triton's metrics port" },
  vllm: {},
  custom: {},
};

/**
 * Readiness and liveness paths. Only the runtime chooses them: a model cannot override its probes.
 * MLServer's readiness is the model's own (`/v2/models/<name>/ready`, 200 only once that model has
 * loaded): its server-level `/v2/health/ready` is true while the model is still loading and when no
 * model loaded at all. Triton runs with `--strict-readiness=true`, so its server readiness already
 * waits for every model.
 */
export function probePaths(runtime: ServingRuntime, modelName: string): { ready: string; live: string } {
  switch (runtime) {
    case "mlflow":
      return { ready: "/ping", live: "/health" };
    case "mlserver":
      return { ready: `/v2/models/${modelName}/ready`, live: "/v2/health/live" };
    case "triton":
      return { ready: "/v2/health/ready", live: "/v2/health/live" };
    case "vllm":
      return { ready: "/health", live: "/health" };
    case "custom":
      return { ready: "/health", live: "/health" };
  }
}

/**
 * Probes on the named container port `http`. The startup probe gives a model up to ten minutes to
 * download and load before liveness applies, so a large model is not killed while loading, and a
 * wedged server is still restarted quickly once it has started.
 */
export function runtimeProbes(
  runtime: ServingRuntime,
  modelName: string,
  port: number | string = "http",
): { readinessProbe: Probe; livenessProbe: Probe; startupProbe: Probe } {
  const paths = probePaths(runtime, modelName);
  const get = (path: string) => ({ httpGet: { path, port, scheme: "HTTP" } });
  // vLLM listens only after loading tens of GB of weights onto the GPUs and capturing CUDA
  // graphs: it gets thirty minutes before liveness applies.
  const startupChecks = runtime === "vllm" ? 180 : 60;
  return {
    startupProbe: {
      ...get(paths.live),
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: startupChecks,
    },
    readinessProbe: { ...get(paths.ready), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    livenessProbe: { ...get(paths.live), periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
  };
}

/** The metrics endpoint a runtime exposes, or undefined when it exposes none. */
export function runtimeMetrics(runtime: ServingRuntime, streaming: boolean): RuntimeMetrics | undefined {
  switch (runtime) {
    case "mlflow":
      return streaming ? { port: "serving", path: "/metrics" } : undefined;
    case "mlserver":
      return { port: 8082, path: "/metrics" };
    case "triton":
      return { port: 8002, path: "/metrics" };
    case "vllm":
      return { port: "serving", path: "/metrics" };
    case "custom":
      return undefined;
  }
}

export interface RuntimeContainerArgs {
  model: ModelConfig;
  modelUri?: pulumi.Input<string>;
  /** S3-compatible endpoint (in-cluster object stores); undefined on AWS S3 and GCS. */
  modelStoreEndpoint?: pulumi.Input<string>;
  /** Names of the env vars the access grants define (to reference them with `$(NAME)`). */
  accessEnvNames: Set<string>;
  /** Path of the stream consumer program, when the model streams from Kafka on the mlflow runtime. */
  streamConsumerPath?: string;
  /**
   * The fetch-model step put the model into `/mnt/models` (modelFetch.ts `fetchesModel`): the
   * runtime reads that folder instead of `modelUri`.
   */
  localModel: boolean;
}

/** What the server is pointed at: the fetched folder, or the bucket URL it reads itself. */
function modelLocation(a: RuntimeContainerArgs): pulumi.Input<string> | undefined {
  return a.localModel ? LOCAL_MODEL_DIR : a.modelUri;
}

/** The command/args of the serving container; undefined keeps the image's own entrypoint. */
export interface RuntimeCommand {
  command?: pulumi.Input<pulumi.Input<string>[]>;
  args?: pulumi.Input<pulumi.Input<string>[]>;
}

export function runtimeCommand(a: RuntimeContainerArgs): RuntimeCommand {
  const port = String(a.model.port);
  switch (a.model.runtime) {
    case "mlflow":
      if (a.streamConsumerPath) return { command: ["python", a.streamConsumerPath] };
      return {
        command: ["mlflow"],
        args: pulumi
          .output(modelLocation(a) as pulumi.Input<string>)
          .apply((uri) => [
            "models",
            "serve",
            "-m",
            uri,
            "--env-manager",
            "local",
            "-h",
            "0.0.0.0",
            "-p",
            port,
          ]),
      };
    case "mlserver":
      // The folder is MLServer's model repository root: a model-settings.json the model ships
      // there still wins over the MLSERVER_MODEL_* defaults (runtimeEnv).
      return { command: ["mlserver"], args: ["start", LOCAL_MODEL_DIR] };
    case "triton":
      return {
        command: ["tritonserver"],
        args: pulumi
          .all([a.modelUri as pulumi.Input<string>, a.modelStoreEndpoint])
          .apply(([uri, endpoint]) => [
            `--model-repository=${a.localModel ? LOCAL_MODEL_DIR : tritonRepository(uri, endpoint)}`,
            `--http-port=${port}`,
            "--allow-grpc=false",
            "--allow-metrics=true",
            "--metrics-port=8002",
            // Per-model latency quantiles (nv_inference_request_summary_us) for the p99 alert.
            "--metrics-config=summary_latencies=true",
            "--exit-on-error=true",
            "--strict-readiness=true",
          ]),
      };
    case "vllm":
      return {
        command: ["vllm"],
        args: vllmArgs(a.model, LOCAL_MODEL_DIR),
      };
    case "custom":
      return a.model.args ? { args: a.model.args } : {};
  }
}

/**
 * Runtime environment, appended after the access env so `$(NAME)` references to it resolve
 * (Kubernetes expands references only to variables defined earlier in the list).
 */
export function runtimeEnv(a: RuntimeContainerArgs): EnvVar[] {
  const env: EnvVar[] = [];
  const location = modelLocation(a);
  if (location !== undefined) env.push({ name: "MODEL_URI", value: location });
  switch (a.model.runtime) {
    case "mlflow":
      // Python libraries write caches under $HOME; the root filesystem is read-only and OpenShift's
      // arbitrary UID has no home directory.
      env.push({ name: "HOME", value: TMP_DIR });
      if (a.modelStoreEndpoint !== undefined && !a.localModel)
        env.push({ name: "MLFLOW_S3_ENDPOINT_URL", value: a.modelStoreEndpoint });
      if (a.streamConsumerPath) env.push({ name: "PORT", value: String(a.model.port) });
      break;
    case "mlserver":
      env.push(
        { name: "HOME", value: TMP_DIR },
        ...mlserverEnv({
          modelName: a.model.name,
          httpPort: a.model.port,
          localModelUri: LOCAL_MODEL_DIR,
        }),
      );
      break;
    case "triton":
      // Triton's S3 client reads AWS_DEFAULT_REGION, the grants set AWS_REGION.
      if (a.accessEnvNames.has("AWS_REGION") && !a.accessEnvNames.has("AWS_DEFAULT_REGION")) {
        env.push({ name: "AWS_DEFAULT_REGION", value: "$(AWS_REGION)" });
      }
      break;
    case "vllm":
      env.push(...vllmEnv(TMP_DIR));
      break;
    case "custom":
      env.push({ name: "PORT", value: String(a.model.port) }, ...customEnv(a.model));
      break;
  }
  return env;
}

/**
 * MLServer's settings for one MLflow model read from a local folder, shared by engine deployment
 * and KServe's MLServer predictors. MLServer reads server settings from `MLSERVER_*` and, when the
 * repository holds no model-settings.json, its one default model from `MLSERVER_MODEL_*`
 * (https://docs.seldon.ai/mlserver/reference/model-settings; mlserver/settings.py and
 * repository/repository.py in MLServer 1.7.1). KServe's controller sets the same
 * MLSERVER_MODEL_IMPLEMENTATION / _NAME / _URI for its built-in runtime (pkg/constants/mlserver.go).
 */
export function mlserverEnv(a: {
  modelName: string;
  httpPort: number;
  /** The model's local folder, as MLServer sees it. */
  localModelUri: pulumi.Input<string>;
}): EnvVar[] {
  return [
    { name: "MLSERVER_HTTP_PORT", value: String(a.httpPort) },
    { name: "MLSERVER_GRPC_PORT", value: "8081" },
    { name: "MLSERVER_METRICS_PORT", value: "8082" },
    { name: "MLSERVER_MODEL_NAME", value: a.modelName },
    { name: "MLSERVER_MODEL_IMPLEMENTATION", value: MLSERVER_MLFLOW_IMPLEMENTATION },
    { name: "MLSERVER_MODEL_URI", value: a.localModelUri },
    ...mlserverWritableDirsEnv(),
  ];
}

/**
 * MLServer creates two folders at start, by default under its working directory, which is on the
 * read-only root filesystem: the Prometheus multiprocess folder shared by its inference workers
 * (`metrics_dir`, default `./.metrics`, created whenever parallel workers are on, which is the
 * default) and the folder of per-model Python environments (`environments_dir`, default `./.envs`).
 * Both go under the writable /tmp.
 */
export function mlserverWritableDirsEnv(): EnvVar[] {
  return [
    { name: "MLSERVER_METRICS_DIR", value: `${TMP_DIR}/mlserver-metrics` },
    { name: "MLSERVER_ENVIRONMENTS_DIR", value: `${TMP_DIR}/mlserver-envs` },
  ];
}

/**
 * Triton names an S3-compatible store inside the repository path: `s3://https://host:port/bucket/path`
 * (the port is mandatory). AWS S3 and GCS URLs pass through unchanged.
 */
export function tritonRepository(uri: string, endpoint: string | undefined): string {
  if (!endpoint || !uri.startsWith("s3://")) return uri;
  const url = new URL(endpoint);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const scheme = url.protocol === "https:" ? "https://" : "";
  return `s3://${scheme}${url.hostname}:${port}/${uri.slice("s3://".length)}`;
}

/**
 * A custom model's own env (`serving.models[].env`): literals as given, secrets as `secretKeyRef`
 * to a Secret in the team namespace (config refuses secret literals).
 */
export function customEnv(model: ModelConfig): EnvVar[] {
  return (model.env ?? []).map((e) =>
    e.secretRef !== undefined
      ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secretRef.name, key: e.secretRef.key } } }
      : { name: e.name, value: e.value },
  );
}
