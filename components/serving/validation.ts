/**
 * The checks `ModelServing` runs on its arguments before it registers anything: what config
 * validation cannot see (the grants, the Kafka wiring, the registry access) and what a library user
 * who skips the stack layer could get wrong. Each refusal names the argument, the value and what is
 * allowed.
 */
import { MODEL_CONTAINER, ModelServingArgs } from "./modelServingArgs";
import { DEFAULT_ALERT_THRESHOLDS } from "./alerts";
import { KSERVE_BUILTIN_RUNTIMES, KSERVE_RUNTIME_PORT } from "./inferenceService";
import { fetchesModel } from "./modelFetch";
import { RESERVED_PORTS } from "./runtime";
import { modelEnvVarProblem } from "./settings";

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIALS?|API_?KEY|ACCESS_KEY|PRIVATE_KEY)(_|$)/i;
const FILE_REFERENCE = /_(LOCATION|FILE|PATH|DIR)$/i;

/** An env name that should only ever carry a reference (a file path naming a key file is fine). */
export function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !FILE_REFERENCE.test(name);
}

function fail(arg: string, value: unknown, allowed: string): never {
  throw new Error(`ModelServing ${arg}: ${JSON.stringify(value)} ${allowed}`);
}

/** Refuses arguments that config validation cannot catch. Throws before anything is registered. */
export function validateModelServingArgs(args: ModelServingArgs): void {
  const { model } = args;
  const m = `model "${model.name}"`;
  if (model.kafka && !args.kafka) {
    fail(
      "kafka",
      undefined,
      `is required: ${m} streams from Kafka (bootstrap servers, topics, group and KEDA scaler authentication)`,
    );
  }
  if (!model.kafka && args.kafka) {
    fail(
      "kafka",
      "set",
      `is only for streaming models; ${m} has no kafka config (mlstack:serving.models[].kafka)`,
    );
  }
  if (model.engine === "kserve" && model.kafka) {
    fail(
      "model.engine",
      model.engine,
      `cannot serve ${m}: KServe serves HTTP; streaming models need engine deployment`,
    );
  }
  if (model.runtime === "vllm" && (model.kafka || model.gpu.count < 1)) {
    fail(
      "model.runtime",
      model.runtime,
      `needs no kafka and gpu.count >= 1 for ${m} (vLLM serves HTTP on NVIDIA GPUs)`,
    );
  }
  if (model.kafka && (model.runtime === "mlserver" || model.runtime === "triton")) {
    fail(
      "model.runtime",
      model.runtime,
      `cannot stream ${m} from Kafka: ${model.runtime === "mlserver" ? "MLServer's Kafka server supports neither TLS nor SASL" : "Triton has no Kafka consumer"}; use runtime mlflow or a custom image`,
    );
  }
  const registry = model.source?.registry;
  if (registry !== undefined) {
    if (!model.source?.alias)
      fail("model.source.alias", model.source?.alias, `is required with source.registry for ${m}`);
    if (!args.registry)
      fail(
        "registry",
        undefined,
        `is required: ${m} follows registered model "${registry}" by alias, which the fetch step resolves through MLflow (tracking URI and the workload's MLflow credentials)`,
      );
    if (args.modelUri !== undefined)
      fail("modelUri", args.modelUri, `must be unset: ${m} comes from the registry, not a bucket path`);
  } else if (model.runtime !== "custom" && args.modelUri === undefined) {
    fail(
      "modelUri",
      undefined,
      `is required for runtime ${model.runtime} (the s3:// or gs:// URL of ${m}'s source)`,
    );
  }
  if (typeof args.modelUri === "string" && !/^(s3|gs):\/\/[^/]+/.test(args.modelUri)) {
    fail("modelUri", args.modelUri, "is not an s3://bucket/path or gs://bucket/path URL");
  }
  if (fetchesModel(model) && !args.modelDownloaderImage) {
    fail(
      "modelDownloaderImage",
      undefined,
      `is required for ${m}: its server reads the model from /mnt/models, which the fetch-model step (MLflow image) fills first`,
    );
  }
  const reserved = RESERVED_PORTS[model.runtime][model.port];
  if (reserved) fail("model.port", model.port, `is ${reserved}; choose another port for ${m}`);
  if (
    model.engine === "kserve" &&
    KSERVE_BUILTIN_RUNTIMES.has(model.runtime) &&
    model.port !== KSERVE_RUNTIME_PORT
  ) {
    fail(
      "model.port",
      model.port,
      `must be ${KSERVE_RUNTIME_PORT} for ${m}: KServe's ${model.runtime} runtime listens there`,
    );
  }
  if (!model.kafka) {
    if (args.ingressFrom.length === 0) {
      fail(
        "ingressFrom",
        [],
        `leaves ${m} unreachable; name at least one peer (ingress namespace, the team namespace)`,
      );
    }
    args.ingressFrom.forEach((peer, i) => {
      const p = peer as Record<string, unknown>;
      const emptyObject = (v: unknown) => typeof v === "object" && v !== null && Object.keys(v).length === 0;
      if (
        Object.keys(p).length === 0 ||
        (emptyObject(p.namespaceSelector) && (p.podSelector === undefined || emptyObject(p.podSelector)))
      ) {
        fail(`ingressFrom[${i}]`, peer, "admits every pod in the cluster; select namespaces or pods");
      }
    });
  }
  (model.env ?? []).forEach((e, i) => {
    const problem = modelEnvVarProblem(e);
    if (problem) fail(`model.env[${i}]`, e, `${problem} (${m})`);
  });
  args.access.env.forEach((e) => {
    // A literal absolute path names a mounted file (GOOGLE_APPLICATION_CREDENTIALS=/var/run/…), not a secret.
    const path = typeof e.value === "string" && e.value.startsWith("/");
    if (typeof e.name === "string" && e.value !== undefined && !path && looksLikeSecretName(e.name)) {
      fail(
        `access.env[${e.name}]`,
        "<literal value>",
        "carries a credential as a literal; deliver it through valueFrom.secretKeyRef",
      );
    }
  });
  const t = { ...DEFAULT_ALERT_THRESHOLDS, ...args.alertThresholds };
  if (!(t.p99LatencySeconds > 0))
    fail("alertThresholds.p99LatencySeconds", t.p99LatencySeconds, "must be a positive number of seconds");
  if (!(t.errorRatio > 0 && t.errorRatio < 1))
    fail("alertThresholds.errorRatio", t.errorRatio, "must be between 0 and 1 (exclusive)");
  if (args.kafka) {
    const k = args.kafka;
    if (
      k.lagTrigger &&
      (k.lagTrigger.type ?? "kafka") === "kafka" &&
      k.lagTrigger.connection.tls !== "enable"
    )
      fail(
        "kafka.lagTrigger.connection.tls",
        k.lagTrigger.connection.tls,
        'is refused: mlstack\'s Kafka listeners are TLS-only ("enable")',
      );
    if (!Number.isInteger(k.inputPartitions) || k.inputPartitions < 1) {
      fail(
        "kafka.inputPartitions",
        k.inputPartitions,
        "must be the input topic's partition count (an integer ≥ 1)",
      );
    }
    if (!/^[A-Za-z0-9._-]+$/.test(k.consumerGroup))
      fail("kafka.consumerGroup", k.consumerGroup, "is not a Kafka consumer group id");
    (k.lagTrigger?.authentication?.env ?? []).forEach((ref, i) => {
      if (ref.containerName !== MODEL_CONTAINER || !args.access.env.some((e) => e.name === ref.name)) {
        fail(
          `kafka.lagTrigger.authentication.env[${i}]`,
          ref,
          `does not name an env var of ${m}'s container "${MODEL_CONTAINER}" (set by access.env)`,
        );
      }
    });
  }
}
