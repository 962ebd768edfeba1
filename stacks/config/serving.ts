/** `mlstack:serving`: runtime images and one entry per model (engine, runtime, source, scaling, GPUs, streaming). */
import { LABEL_KEY_RULE, LABEL_VALUE_RULE, isLabelKey, isLabelValue } from "../../components/kube/names";
import { parseResources } from "./containerResources";
import { parseCustomArgs, parseCustomEnv } from "./customRuntime";
import { DEFAULT_RUNTIME_IMAGES, defaultResources, ENVIRONMENT_DEFAULTS } from "./defaults";
import { IMAGE, IMAGE_RULE } from "./images";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Reader } from "./reader";
import { MLFLOW_WORKLOAD } from "./types";
import type { Environment, ModelConfig, ServingConfig } from "./types";
import type { GpuNodes, ModelSource, VllmSettings } from "../../components/serving/settings";
import { gpuPlacementProblem, registryAliasProblem } from "../../components/serving/settings";

export function parseServing(
  r: Reader,
  value: unknown,
  environment: Environment,
  teams: string[],
): ServingConfig {
  const env = ENVIRONMENT_DEFAULTS[environment];
  const path = "serving";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["monitoring", "runtimeImages", "models", "gpuNodes"]);
  const gpuNodes = parseGpuNodes(r, obj.gpuNodes, `${path}.gpuNodes`);
  const imagesRaw = r.object(obj.runtimeImages, `${path}.runtimeImages`);
  r.knownKeys(imagesRaw, `${path}.runtimeImages`, ["mlflow", "mlserver", "triton", "vllm"]);
  const runtimeImages = {
    mlflow: r.string(
      imagesRaw,
      "mlflow",
      `${path}.runtimeImages`,
      DEFAULT_RUNTIME_IMAGES.mlflow,
      IMAGE,
      IMAGE_RULE,
    ),
    mlserver: r.string(
      imagesRaw,
      "mlserver",
      `${path}.runtimeImages`,
      DEFAULT_RUNTIME_IMAGES.mlserver,
      IMAGE,
      IMAGE_RULE,
    ),
    triton: r.string(
      imagesRaw,
      "triton",
      `${path}.runtimeImages`,
      DEFAULT_RUNTIME_IMAGES.triton,
      IMAGE,
      IMAGE_RULE,
    ),
    vllm: r.string(
      imagesRaw,
      "vllm",
      `${path}.runtimeImages`,
      DEFAULT_RUNTIME_IMAGES.vllm,
      IMAGE,
      IMAGE_RULE,
    ),
  };
  const models = r.array(obj.models, `${path}.models`).map((item, i): ModelConfig => {
    const mpath = `${path}.models[${i}]`;
    const m = r.object(item, mpath);
    r.knownKeys(m, mpath, [
      "name",
      "team",
      "engine",
      "runtime",
      "image",
      "source",
      "port",
      "minReplicas",
      "maxReplicas",
      "targetCpuUtilization",
      "resources",
      "gpu",
      "exposure",
      "hostname",
      "kafka",
      "vllm",
      "args",
      "env",
    ]);
    if (m.name === undefined) r.fail(`${mpath}.name`, undefined, "is required");
    if (m.team === undefined)
      r.fail(`${mpath}.team`, undefined, `is required (declared teams: ${teams.join(", ") || "none"})`);
    const name = r.string(m, "name", mpath, "", DNS_LABEL, DNS_LABEL_RULE);
    if (name === MLFLOW_WORKLOAD) r.fail(`${mpath}.name`, name, "is reserved for the MLflow tracking server");
    const team = r.string(m, "team", mpath, "");
    if (team && !teams.includes(team))
      r.fail(`${mpath}.team`, team, `is not a declared team (declared: ${teams.join(", ") || "none"})`);
    const runtime = r.oneOf(
      m,
      "runtime",
      mpath,
      ["mlflow", "mlserver", "triton", "vllm", "custom"] as const,
      "mlflow",
    );
    if (runtime === "custom" && m.image === undefined)
      r.fail(`${mpath}.image`, undefined, "is required when runtime is custom");
    const image = r.string(
      m,
      "image",
      mpath,
      runtime === "custom" ? "" : runtimeImages[runtime],
      IMAGE,
      IMAGE_RULE,
    );
    const source = parseSource(r, m.source, mpath, runtime);
    const minReplicas = r.integer(m, "minReplicas", mpath, env.model.minReplicas, 1, 1000);
    const maxReplicas = r.integer(
      m,
      "maxReplicas",
      mpath,
      Math.max(env.model.maxReplicas, minReplicas),
      1,
      1000,
    );
    if (maxReplicas < minReplicas)
      r.fail(`${mpath}.maxReplicas`, maxReplicas, `is below minReplicas ${minReplicas}`);
    const gpuRaw = r.object(m.gpu, `${mpath}.gpu`);
    r.knownKeys(gpuRaw, `${mpath}.gpu`, ["count", "nodeSelector", "tolerations"]);
    const nodeSelector = parseNodeSelector(r, gpuRaw.nodeSelector, `${mpath}.gpu.nodeSelector`);
    const exposure = r.oneOf(m, "exposure", mpath, ["internal", "external"] as const, "internal");
    let kafka: ModelConfig["kafka"];
    if (m.kafka !== undefined) {
      const k = r.object(m.kafka, `${mpath}.kafka`);
      r.knownKeys(k, `${mpath}.kafka`, ["inputTopic", "outputTopic", "consumerGroup", "lagThreshold"]);
      if (k.inputTopic === undefined)
        r.fail(`${mpath}.kafka.inputTopic`, undefined, "is required for a streaming model");
      if (k.outputTopic === undefined)
        r.fail(`${mpath}.kafka.outputTopic`, undefined, "is required for a streaming model");
      kafka = {
        inputTopic: r.string(k, "inputTopic", `${mpath}.kafka`, ""),
        outputTopic: r.string(k, "outputTopic", `${mpath}.kafka`, ""),
        consumerGroup: r.string(
          k,
          "consumerGroup",
          `${mpath}.kafka`,
          `${name}`,
          /^[a-z0-9][-a-z0-9._]*$/,
          "a consumer group id",
        ),
        lagThreshold: r.integer(k, "lagThreshold", `${mpath}.kafka`, 100, 1, 10_000_000),
      };
      if (kafka.inputTopic && kafka.inputTopic === kafka.outputTopic)
        r.fail(
          `${mpath}.kafka.outputTopic`,
          kafka.outputTopic,
          "is the input topic too; a model must not feed its own input",
        );
    }
    const engine = r.oneOf(m, "engine", mpath, ["deployment", "kserve"] as const, "deployment");
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
    const gpuCount = r.integer(gpuRaw, "count", `${mpath}.gpu`, 0, 0, 16);
    const vllm = parseVllm(r, m.vllm, mpath, runtime, gpuCount);
    if (runtime === "vllm" && kafka)
      r.fail(
        `${mpath}.kafka`,
        "set",
        "is not for runtime vllm (it answers HTTP requests, not Kafka records)",
      );
    const port = r.integer(m, "port", mpath, 8080, 1024, 65535);
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
      targetCpuUtilization: r.integer(m, "targetCpuUtilization", mpath, 70, 10, 100),
      resources: parseResources(
        r,
        m.resources,
        `${mpath}.resources`,
        defaultResources("500m", "1Gi", "2", "2Gi"),
      ),
      gpu,
      exposure,
      hostname: r.optionalString(m, "hostname", mpath, HOSTNAME, "a fully qualified hostname"),
      kafka,
      ...(vllm ? { vllm } : {}),
      ...(customArgs ? { args: customArgs } : {}),
      ...(customEnv ? { env: customEnv } : {}),
    };
  });
  r.unique(models, `${path}.models`, "model");
  return {
    monitoring: r.boolean(obj, "monitoring", path, env.monitoring),
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
  value: unknown,
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
  const v = r.object(value, vpath);
  r.knownKeys(v, vpath, ["tensorParallelSize", "shmSizeLimit", "targetRequestsWaiting", "maxModelLen"]);
  const tensorParallelSize = r.integer(v, "tensorParallelSize", vpath, Math.max(gpuCount, 1), 1, 16);
  if (gpuCount >= 1 && tensorParallelSize > gpuCount)
    r.fail(
      `${vpath}.tensorParallelSize`,
      tensorParallelSize,
      `is more than gpu.count ${gpuCount}; each tensor-parallel rank needs its own GPU`,
    );
  const maxModelLen =
    v.maxModelLen === undefined ? undefined : r.integer(v, "maxModelLen", vpath, 0, 16, 10_000_000);
  return {
    tensorParallelSize,
    shmSizeLimit: r.quantity(v, "shmSizeLimit", vpath, "8Gi"),
    targetRequestsWaiting: r.integer(v, "targetRequestsWaiting", vpath, 5, 1, 10_000),
    ...(maxModelLen !== undefined ? { maxModelLen } : {}),
  };
}

/** `serving.models[].source`: `{bucket, path}` or `{registry, alias}`, never a mix. */
function parseSource(
  r: Reader,
  value: unknown,
  mpath: string,
  runtime: ModelConfig["runtime"],
): ModelSource | undefined {
  const spath = `${mpath}.source`;
  if (value === undefined) {
    if (runtime !== "custom")
      r.fail(
        spath,
        undefined,
        `is required for runtime ${runtime} ({bucket, path} holding the model, or {registry, alias} of an MLflow registered model); only custom images may embed their model`,
      );
    return undefined;
  }
  const raw = r.object(value, spath);
  r.knownKeys(raw, spath, ["bucket", "path", "registry", "alias"]);
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
    const registry = r.string(
      raw,
      "registry",
      spath,
      "",
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/,
      "an MLflow registered model name of letters, digits and _.- (at most 255 characters)",
    );
    const alias = r.string(raw, "alias", spath, "");
    const problem = registryAliasProblem(alias);
    if (problem) r.fail(`${spath}.alias`, alias, problem);
    return { registry, alias };
  }
  const source = {
    bucket: r.string(raw, "bucket", spath, "", DNS_LABEL, DNS_LABEL_RULE),
    path: r.string(
      raw,
      "path",
      spath,
      "",
      /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/,
      "an object key prefix: segments of letters, digits and !_.*'()- separated by single '/', no leading or trailing '/'",
    ),
  };
  if (!raw.bucket)
    r.fail(
      `${spath}.bucket`,
      raw.bucket,
      "is required (a bucket owned by the model's team), or use {registry, alias}",
    );
  return source;
}

/**
 * `serving.gpuNodes`: the cluster's GPU nodes, declared per stack. A GPU model is refused without
 * it, so a model never sits Pending on a cluster that has no GPU node to schedule it on.
 */
function parseGpuNodes(r: Reader, value: unknown, path: string): GpuNodes | undefined {
  if (value === undefined) return undefined;
  const raw = r.object(value, path);
  r.knownKeys(raw, path, ["nodeSelector", "taint"]);
  const nodeSelector = parseNodeSelector(r, raw.nodeSelector, `${path}.nodeSelector`);
  if (Object.keys(nodeSelector).length === 0)
    r.fail(
      `${path}.nodeSelector`,
      raw.nodeSelector,
      'must name at least one label every GPU node carries (e.g. nvidia.com/gpu.present: "true")',
    );
  return { nodeSelector, taint: r.boolean(raw, "taint", path, true) };
}

function parseNodeSelector(r: Reader, value: unknown, path: string): Record<string, string> {
  const raw = r.object(value, path);
  for (const [k, v] of Object.entries(raw)) {
    if (!isLabelKey(k)) r.fail(path, k, `has a key that is not ${LABEL_KEY_RULE}`);
    else if (typeof v !== "string" || !isLabelValue(v))
      r.fail(`${path}.${k}`, v, `is not ${LABEL_VALUE_RULE}`);
  }
  return raw as Record<string, string>;
}

/** A model's GPU placement: its own selector over the declared GPU nodes' labels. */
function parseModelGpu(
  r: Reader,
  raw: Record<string, unknown>,
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
    tolerations: r.boolean(raw, "tolerations", path, gpuNodes?.taint ?? true),
  };
}
