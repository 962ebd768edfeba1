/** `mlstack:serving`: runtime images and one entry per model (engine, runtime, source, scaling, GPUs, streaming). */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { ResourcesSchema, parseResources } from "./containerResources";
import { CustomArgsSchema, CustomEnvSchema, parseCustomArgs, parseCustomEnv } from "./customRuntime";
import { DEFAULT_RUNTIME_IMAGES, defaultResources, ENVIRONMENT_DEFAULTS } from "./defaults";
import { IMAGE, IMAGE_RULE } from "./images";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Reader } from "./reader";
import { Bool, FORMATS, Int, List, OneOf, Opt, Quantity, Str, Strict, Text } from "./schemaKinds";
import { MLFLOW_WORKLOAD } from "./types";
import type { Environment, ModelConfig, ServingConfig } from "./types";
import type { GpuNodes, ModelSource, VllmSettings } from "../../components/serving/settings";
import { gpuPlacementProblem, registryAliasProblem } from "../../components/serving/settings";

/** Label selector of GPU nodes: label keys to label values. */
const NodeSelector = Type.Record(
  Type.String(),
  // An empty label value is valid ("key exists with value ''"), so no minLength here.
  Type.String({ format: "label-value", patternErrorMessage: FORMATS["label-value"].rule }),
  {
    propertyNames: { format: "label-key", patternErrorMessage: FORMATS["label-key"].rule },
  },
);

const RuntimeImage = (runtime: keyof typeof DEFAULT_RUNTIME_IMAGES) =>
  Opt(Str(IMAGE, IMAGE_RULE, { default: DEFAULT_RUNTIME_IMAGES[runtime] }));

export const ModelSchema = Strict({
  name: Str(DNS_LABEL, DNS_LABEL_RULE),
  team: Text("the team that owns the model: one of mlstack:teams[].name"),
  engine: Opt(OneOf(["deployment", "kserve"] as const, { default: "deployment" })),
  runtime: Opt(OneOf(["mlflow", "mlserver", "triton", "vllm", "custom"] as const, { default: "mlflow" })),
  image: Opt(
    Str(IMAGE, IMAGE_RULE, { description: "required with runtime custom; default the runtime's image" }),
  ),
  source: Opt(
    Strict(
      {
        bucket: Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { description: "a bucket of the model's team" })),
        path: Opt(
          Str(
            /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/,
            "an object key prefix: segments of letters, digits and !_.*'()- separated by single '/', no leading or trailing '/'",
          ),
        ),
        registry: Opt(
          Str(
            /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/,
            "an MLflow registered model name of letters, digits and _.- (at most 255 characters)",
          ),
        ),
        alias: Opt(Text("the registered model's alias, e.g. champion")),
      },
      { description: "{bucket, path} holding the model, or {registry, alias} of an MLflow registered model" },
    ),
  ),
  port: Opt(Int(1024, 65535, { default: 8080 })),
  minReplicas: Opt(Int(1, 1000, { description: "default per environment" })),
  maxReplicas: Opt(Int(1, 1000, { description: "default per environment" })),
  targetCpuUtilization: Opt(Int(10, 100, { default: 70 })),
  resources: Opt(ResourcesSchema),
  gpu: Opt(
    Strict({
      count: Opt(Int(0, 16, { default: 0 })),
      nodeSelector: Opt(NodeSelector),
      tolerations: Opt(
        Bool({ description: "tolerate the GPU nodes' taint (default serving.gpuNodes.taint)" }),
      ),
    }),
  ),
  exposure: Opt(OneOf(["internal", "external"] as const, { default: "internal" })),
  hostname: Opt(Str(HOSTNAME, "a fully qualified hostname")),
  kafka: Opt(
    Strict({
      inputTopic: Opt(Text("a declared topic the team may read")),
      outputTopic: Opt(Text("a declared topic the team may write")),
      consumerGroup: Opt(
        Str(/^[a-z0-9][-a-z0-9._]*$/, "a consumer group id", { description: "default the model's name" }),
      ),
      lagThreshold: Opt(Int(1, 10_000_000, { default: 100 })),
    }),
  ),
  vllm: Opt(
    Strict({
      tensorParallelSize: Opt(Int(1, 16, { description: "default gpu.count" })),
      shmSizeLimit: Opt(Quantity({ default: "8Gi" })),
      targetRequestsWaiting: Opt(Int(1, 10_000, { default: 5 })),
      maxModelLen: Opt(Int(16, 10_000_000)),
    }),
  ),
  args: Opt(CustomArgsSchema),
  env: Opt(CustomEnvSchema),
});
type ModelValues = Static<typeof ModelSchema>;

export const ServingSchema = Strict({
  monitoring: Opt(Bool({ description: "PrometheusRule alerts per model (default: on outside dev)" })),
  runtimeImages: Opt(
    Strict({
      mlflow: RuntimeImage("mlflow"),
      mlserver: RuntimeImage("mlserver"),
      triton: RuntimeImage("triton"),
      vllm: RuntimeImage("vllm"),
    }),
  ),
  models: Opt(List(ModelSchema)),
  gpuNodes: Opt(
    Strict(
      {
        nodeSelector: Opt(NodeSelector),
        taint: Opt(Bool({ default: true })),
      },
      { description: "the cluster's GPU nodes; GPU models are refused without them" },
    ),
  ),
});

export function parseServing(
  r: Reader,
  value: Static<typeof ServingSchema> | undefined,
  environment: Environment,
  teams: string[],
): ServingConfig {
  const env = ENVIRONMENT_DEFAULTS[environment];
  const path = "serving";
  const obj = value ?? {};
  const gpuNodes = parseGpuNodes(r, obj.gpuNodes, `${path}.gpuNodes`);
  const runtimeImages = { ...DEFAULT_RUNTIME_IMAGES, ...obj.runtimeImages };
  const models = (obj.models ?? []).map((m, i): ModelConfig => {
    const mpath = `${path}.models[${i}]`;
    const name = m.name ?? "";
    if (name === MLFLOW_WORKLOAD) r.fail(`${mpath}.name`, name, "is reserved for the MLflow tracking server");
    const team = m.team ?? "";
    if (team && !teams.includes(team))
      r.fail(`${mpath}.team`, team, `is not a declared team (declared: ${teams.join(", ") || "none"})`);
    const runtime = m.runtime ?? "mlflow";
    if (runtime === "custom" && m.image === undefined)
      r.fail(`${mpath}.image`, undefined, "is required when runtime is custom");
    const image = m.image ?? (runtime === "custom" ? "" : runtimeImages[runtime]);
    const source = parseSource(r, m.source, mpath, runtime);
    const minReplicas = m.minReplicas ?? env.model.minReplicas;
    const maxReplicas = m.maxReplicas ?? Math.max(env.model.maxReplicas, minReplicas);
    if (maxReplicas < minReplicas)
      r.fail(`${mpath}.maxReplicas`, maxReplicas, `is below minReplicas ${minReplicas}`);
    const gpuRaw = m.gpu ?? {};
    const nodeSelector = gpuRaw.nodeSelector ?? {};
    const exposure = m.exposure ?? "internal";
    let kafka: ModelConfig["kafka"];
    if (m.kafka !== undefined) {
      const k = m.kafka;
      if (k.inputTopic === undefined)
        r.fail(`${mpath}.kafka.inputTopic`, undefined, "is required for a streaming model");
      if (k.outputTopic === undefined)
        r.fail(`${mpath}.kafka.outputTopic`, undefined, "is required for a streaming model");
      kafka = {
        inputTopic: k.inputTopic ?? "",
        outputTopic: k.outputTopic ?? "",
        consumerGroup: k.consumerGroup ?? name,
        lagThreshold: k.lagThreshold ?? 100,
      };
      if (kafka.inputTopic && kafka.inputTopic === kafka.outputTopic)
        r.fail(
          `${mpath}.kafka.outputTopic`,
          kafka.outputTopic,
          "is the input topic too; a model must not feed its own input",
        );
    }
    const engine = m.engine ?? "deployment";
    if (engine === "kserve" && kafka)
      r.fail(`${mpath}.engine`, engine, "cannot serve a streaming (kafka) model; use engine deployment");
    // MLServer's Kafka server has no TLS or SASL and Triton has no Kafka consumer: streaming runs
    // on the mlflow runtime (mlstack's stream consumer) or a custom image that consumes itself.
    if (kafka && (runtime === "mlserver" || runtime === "triton")) {
      r.fail(
        `${mpath}.runtime`,
        runtime,
        "cannot consume Kafka securely; streaming models use runtime mlflow or custom",
      );
    }
    if (kafka && exposure === "external")
      r.fail(
        `${mpath}.exposure`,
        exposure,
        "is not for a streaming model (it answers on Kafka, not HTTP); use internal",
      );
    const customArgs = parseCustomArgs(r, m.args, mpath, runtime);
    const customEnv = parseCustomEnv(r, m.env, mpath, runtime);
    const gpuCount = gpuRaw.count ?? 0;
    const vllm = parseVllm(r, m.vllm, mpath, runtime, gpuCount);
    if (runtime === "vllm" && kafka)
      r.fail(
        `${mpath}.kafka`,
        "set",
        "is not for runtime vllm (it answers HTTP requests, not Kafka records)",
      );
    const port = m.port ?? 8080;
    if (engine === "kserve" && (runtime === "mlflow" || runtime === "triton") && port !== 8080) {
      r.fail(
        `${mpath}.port`,
        port,
        "must be 8080 with engine kserve and a built-in runtime (KServe's serving runtimes listen there)",
      );
    }
    const gpu = parseModelGpu(r, gpuRaw, `${mpath}.gpu`, gpuCount, nodeSelector, gpuNodes);
    return {
      name,
      team,
      engine,
      runtime,
      image,
      source,
      port,
      minReplicas,
      maxReplicas,
      targetCpuUtilization: m.targetCpuUtilization ?? 70,
      resources: parseResources(m.resources, defaultResources("500m", "1Gi", "2", "2Gi")),
      gpu,
      exposure,
      hostname: m.hostname,
      kafka,
      ...(vllm ? { vllm } : {}),
      ...(customArgs ? { args: customArgs } : {}),
      ...(customEnv ? { env: customEnv } : {}),
    };
  });
  r.unique(models, `${path}.models`, "model");
  return {
    monitoring: obj.monitoring ?? env.monitoring,
    runtimeImages,
    models,
    ...(gpuNodes ? { gpuNodes } : {}),
  };
}

/**
 * `serving.models[].vllm`: only with runtime vllm, which needs at least one GPU (the official
 * vllm/vllm-openai image is built for CUDA and does not start without one).
 */
function parseVllm(
  r: Reader,
  value: ModelValues["vllm"],
  mpath: string,
  runtime: ModelConfig["runtime"],
  gpuCount: number,
): VllmSettings | undefined {
  const vpath = `${mpath}.vllm`;
  if (runtime !== "vllm") {
    if (value !== undefined)
      r.fail(vpath, value, `is only for runtime vllm (this model's runtime is ${runtime})`);
    return undefined;
  }
  if (gpuCount < 1)
    r.fail(
      `${mpath}.gpu.count`,
      gpuCount,
      "must be at least 1 for runtime vllm (the vllm/vllm-openai image serves on NVIDIA GPUs)",
    );
  const v = value ?? {};
  const tensorParallelSize = v.tensorParallelSize ?? Math.max(gpuCount, 1);
  if (gpuCount >= 1 && tensorParallelSize > gpuCount)
    r.fail(
      `${vpath}.tensorParallelSize`,
      tensorParallelSize,
      `is more than gpu.count ${gpuCount}; each tensor-parallel rank needs its own GPU`,
    );
  return {
    tensorParallelSize,
    shmSizeLimit: v.shmSizeLimit ?? "8Gi",
    targetRequestsWaiting: v.targetRequestsWaiting ?? 5,
    ...(v.maxModelLen !== undefined ? { maxModelLen: v.maxModelLen } : {}),
  };
}

/** `serving.models[].source`: `{bucket, path}` or `{registry, alias}`, never a mix. */
function parseSource(
  r: Reader,
  raw: ModelValues["source"],
  mpath: string,
  runtime: ModelConfig["runtime"],
): ModelSource | undefined {
  const spath = `${mpath}.source`;
  if (raw === undefined) {
    if (runtime !== "custom")
      r.fail(
        spath,
        undefined,
        `is required for runtime ${runtime} ({bucket, path} holding the model, or {registry, alias} of an MLflow registered model); only custom images may embed their model`,
      );
    return undefined;
  }
  const byRegistry = raw.registry !== undefined || raw.alias !== undefined;
  if (byRegistry) {
    if (raw.bucket !== undefined || raw.path !== undefined)
      r.fail(
        spath,
        raw,
        "mixes a bucket path with a registry alias; use either {bucket, path} or {registry, alias}",
      );
    if (raw.registry === undefined)
      r.fail(
        `${spath}.registry`,
        undefined,
        "is required with source.alias (the MLflow registered model's name)",
      );
    if (raw.alias === undefined)
      r.fail(`${spath}.alias`, undefined, "is required with source.registry (e.g. champion)");
    const alias = raw.alias ?? "";
    const problem = registryAliasProblem(alias);
    if (problem) r.fail(`${spath}.alias`, alias, problem);
    return { registry: raw.registry ?? "", alias };
  }
  if (!raw.bucket)
    r.fail(
      `${spath}.bucket`,
      raw.bucket,
      "is required (a bucket owned by the model's team), or use {registry, alias}",
    );
  return { bucket: raw.bucket ?? "", path: raw.path ?? "" };
}

/**
 * `serving.gpuNodes`: the cluster's GPU nodes, declared per stack. A GPU model is refused without
 * it, so a model never sits Pending on a cluster that has no GPU node to schedule it on.
 */
function parseGpuNodes(
  r: Reader,
  value: Static<typeof ServingSchema>["gpuNodes"],
  path: string,
): GpuNodes | undefined {
  if (value === undefined) return undefined;
  const nodeSelector = value.nodeSelector ?? {};
  if (Object.keys(nodeSelector).length === 0)
    r.fail(
      `${path}.nodeSelector`,
      value.nodeSelector,
      'must name at least one label every GPU node carries (e.g. nvidia.com/gpu.present: "true")',
    );
  return { nodeSelector, taint: value.taint ?? true };
}

/** A model's GPU placement: its own selector over the declared GPU nodes' labels. */
function parseModelGpu(
  r: Reader,
  raw: NonNullable<ModelValues["gpu"]>,
  path: string,
  count: number,
  nodeSelector: Record<string, string>,
  gpuNodes: GpuNodes | undefined,
): ModelConfig["gpu"] {
  const problem = gpuPlacementProblem(count, nodeSelector, gpuNodes);
  if (problem)
    r.fail(
      problem.key === "count" ? `${path}.count` : `${path}.nodeSelector`,
      problem.value,
      problem.allowed,
    );
  return {
    count,
    // A model's own selector narrows the GPU nodes (a product, a memory size); without one it
    // selects every declared GPU node.
    nodeSelector:
      count > 0 && gpuNodes && Object.keys(nodeSelector).length === 0
        ? { ...gpuNodes.nodeSelector }
        : nodeSelector,
    tolerations: raw.tolerations ?? gpuNodes?.taint ?? true,
  };
}
