/**
 * Arguments config validation cannot catch are refused before anything is registered, with a
 * message naming the argument, the value and what is allowed.
 */
import {
  looksLikeSecretName,
  ModelServing,
  ModelServingArgs,
  validateModelServingArgs,
} from "../../../components/serving/ModelServing";
import { render } from "../../support/render";
import { bucketGrant, configWithModel, scramKafkaArgs, servingArgs, streamingAccess } from "./fixtures";

const STREAMING = { kafka: { inputTopic: "transactions", outputTopic: "fraud-scores" } };

function argsFor(model: Record<string, unknown>, extra: Partial<ModelServingArgs> = {}): ModelServingArgs {
  return servingArgs(configWithModel(model), extra);
}

describe("refusals", () => {
  it("refuses a streaming model without kafka args", () => {
    expect(() => validateModelServingArgs(argsFor(STREAMING, { kafka: undefined }))).toThrow(
      'ModelServing kafka: undefined is required: model "model" streams from Kafka',
    );
  });

  it("refuses kafka args for a model that does not stream", () => {
    expect(() => validateModelServingArgs(argsFor({}, { kafka: scramKafkaArgs() }))).toThrow(
      /kafka: "set" is only for streaming models/,
    );
  });

  it("refuses to serve a streaming model with KServe", () => {
    const config = configWithModel(STREAMING);
    const args = servingArgs(config);
    args.model = { ...args.model, engine: "kserve" };
    expect(() => validateModelServingArgs(args)).toThrow(
      /model.engine: "kserve" cannot serve model "model": KServe serves HTTP/,
    );
  });

  it.each([
    ["mlserver", /MLServer's Kafka server supports neither TLS nor SASL/],
    ["triton", /Triton has no Kafka consumer/],
  ])(
    "refuses to stream with the %s runtime (even when config validation was bypassed)",
    (runtime, reason) => {
      const args = argsFor(STREAMING);
      args.model = { ...args.model, runtime: runtime as "mlserver" | "triton" };
      expect(() => validateModelServingArgs(args)).toThrow(reason);
    },
  );

  it.each([
    ["neither", { name: "SCORER_THREADS" }],
    [
      "both",
      { name: "SCORER_THREADS", value: "8", secretRef: { name: "scorer-credentials", key: "threads" } },
    ],
  ])(
    "refuses a custom model's env var with %s of value and secretRef (a library user past config)",
    (_, envVar) => {
      const args = argsFor({ runtime: "custom", image: "ghcr.io/acme/scorer:1.4.2" });
      args.model = { ...args.model, env: [{ name: "OK", value: "1" }, envVar] };
      expect(() => validateModelServingArgs(args)).toThrow(
        `ModelServing model.env[1]: ${JSON.stringify(envVar)} must set exactly one of value (a literal that is not a secret) and secretRef`,
      );
    },
  );

  it("accepts a custom model's env of literals and Secret references", () => {
    const args = argsFor({ runtime: "custom", image: "ghcr.io/acme/scorer:1.4.2" });
    args.model = {
      ...args.model,
      env: [
        { name: "SCORER_THREADS", value: "8" },
        { name: "SCORER_API_TOKEN", secretRef: { name: "scorer-credentials", key: "token" } },
      ],
    };
    expect(() => validateModelServingArgs(args)).not.toThrow();
  });

  it.each(["mlflow", "mlserver", "triton"])("refuses the %s runtime without a modelUri", (runtime) => {
    expect(() => validateModelServingArgs(argsFor({ runtime }, { modelUri: undefined }))).toThrow(
      `ModelServing modelUri: undefined is required for runtime ${runtime}`,
    );
  });

  it("refuses a modelUri that is not a bucket URL", () => {
    expect(() =>
      validateModelServingArgs(argsFor({}, { modelUri: "https://example.com/model.tar" })),
    ).toThrow('modelUri: "https://example.com/model.tar" is not an s3://bucket/path or gs://bucket/path URL');
  });

  it("refuses an mlserver deployment without the image that downloads its model", () => {
    expect(() =>
      validateModelServingArgs(argsFor({ runtime: "mlserver" }, { modelDownloaderImage: undefined })),
    ).toThrow(
      /modelDownloaderImage: undefined is required for model "model": its server reads the model from \/mnt\/models/,
    );
  });

  it.each([
    ["mlserver", 8082, "MLServer's metrics port"],
    ["mlserver", 8081, "MLServer's gRPC port"],
    ["triton", 8002, "Triton's metrics port"],
  ])("refuses a %s model on port %d, which is %s", (runtime, port, what) => {
    expect(() => validateModelServingArgs(argsFor({ runtime, port }))).toThrow(
      `model.port: ${port} is ${what}`,
    );
  });

  it("refuses a port other than 8080 for KServe's built-in runtimes", () => {
    const args = argsFor({ engine: "kserve", runtime: "triton" });
    args.model = { ...args.model, port: 9000 };
    expect(() => validateModelServingArgs(args)).toThrow(
      /model.port: 9000 must be 8080 for model "model": KServe's triton runtime listens there/,
    );
  });

  it("refuses an HTTP model nobody may call", () => {
    expect(() => validateModelServingArgs(argsFor({}, { ingressFrom: [] }))).toThrow(
      /ingressFrom: \[\] leaves model "model" unreachable/,
    );
  });

  it.each([[{}], [{ namespaceSelector: {} }], [{ namespaceSelector: {}, podSelector: {} }]])(
    "refuses an ingress peer that admits every pod in the cluster: %j",
    (peer) => {
      expect(() => validateModelServingArgs(argsFor({}, { ingressFrom: [peer] }))).toThrow(
        /ingressFrom\[0\]: .* admits every pod in the cluster/,
      );
    },
  );

  it("refuses a grant that carries a credential as a literal env value", () => {
    const access = bucketGrant();
    access.env.push({ name: "AWS_SECRET_ACCESS_KEY", value: "hunter2" });
    expect(() => validateModelServingArgs(argsFor({}, { access }))).toThrow(
      'access.env[AWS_SECRET_ACCESS_KEY]: "<literal value>" carries a credential as a literal',
    );
  });

  it("refuses a plaintext Kafka lag trigger", () => {
    const kafka = scramKafkaArgs({ lagTrigger: { connection: { tls: "disable" } } });
    expect(() => validateModelServingArgs(argsFor(STREAMING, { kafka }))).toThrow(
      `kafka.lagTrigger.connection.tls: "disable" is refused: mlstack's Kafka listeners are TLS-only`,
    );
  });

  it("refuses a trigger reading a SCRAM username from an env var the container does not have", () => {
    const kafka = scramKafkaArgs({
      lagTrigger: {
        connection: { tls: "enable", sasl: "scram_sha512" },
        authentication: { env: [{ parameter: "username", name: "KAFKA_USER", containerName: "model" }] },
      },
    });
    expect(() => validateModelServingArgs(argsFor(STREAMING, { kafka, access: streamingAccess() }))).toThrow(
      /kafka.lagTrigger.authentication.env\[0\]: .*"KAFKA_USER".* does not name an env var of model "model"'s container/,
    );
  });

  it("refuses an input partition count that is not a positive integer", () => {
    expect(() =>
      validateModelServingArgs(argsFor(STREAMING, { kafka: scramKafkaArgs({ inputPartitions: 0 }) })),
    ).toThrow(/kafka.inputPartitions: 0 must be the input topic's partition count/);
  });

  it.each([
    [{ p99LatencySeconds: 0 }, /alertThresholds.p99LatencySeconds: 0 must be a positive number/],
    [{ errorRatio: 1.5 }, /alertThresholds.errorRatio: 1.5 must be between 0 and 1/],
  ])("refuses alert thresholds %j", (alertThresholds, message) => {
    expect(() => validateModelServingArgs(argsFor({}, { alertThresholds }))).toThrow(message);
  });

  it("accepts a literal file path under a credential-like name", () => {
    const access = bucketGrant();
    access.env.push({ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/run/secrets/gcp/key.json" });
    expect(() => validateModelServingArgs(argsFor({}, { access }))).not.toThrow();
  });

  it("fails the program from the constructor, before the component registers", async () => {
    const args = argsFor(STREAMING, { kafka: undefined });
    await expect(
      render(() => {
        new ModelServing("model", args);
      }),
    ).rejects.toThrow(/kafka: undefined is required/);
  });

  it("accepts the arguments the platform builds for every runtime", () => {
    for (const model of [
      {},
      { runtime: "mlserver" },
      { runtime: "triton" },
      { runtime: "custom", image: "ghcr.io/acme/scorer:1.4.2" },
      { engine: "kserve" },
      STREAMING,
    ]) {
      expect(() => validateModelServingArgs(argsFor(model))).not.toThrow();
    }
  });
});

describe("secret-like env names", () => {
  it.each([
    "AWS_SECRET_ACCESS_KEY",
    "KAFKA_SASL_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "API_KEY",
    "GOOGLE_CREDENTIALS",
  ])("treats %s as a secret", (name) => {
    expect(looksLikeSecretName(name)).toBe(true);
  });

  it.each([
    "KAFKA_SSL_KEY_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS_FILE",
    "AWS_REGION",
    "BUCKET_NAME",
    "KAFKA_SASL_USERNAME",
    "MODEL_URI",
  ])("does not treat %s as a secret", (name) => {
    expect(looksLikeSecretName(name)).toBe(false);
  });
});
