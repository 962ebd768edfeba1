/**
 * Streaming models: consumed from Kafka by the stream consumer (mlflow) or the image (custom),
 * scaled by KEDA on consumer lag with credentials only by reference.
 */
import type { ModelKafkaArgs } from "../../../components/serving/kafkaScaler";
import { ModelServing } from "../../../components/serving/ModelServing";
import { streamConsumerSource } from "../../../components/serving/streamConsumer";
import { render } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import {
  configWithModel,
  envOf,
  KAFKA_EGRESS,
  manifests,
  modelContainer,
  OBJECT_STORE_EGRESS,
  podSpec,
  scramKafkaArgs,
  servingArgs,
} from "./fixtures";

const STREAMING = { kafka: { inputTopic: "transactions", outputTopic: "fraud-scores", lagThreshold: 50 } };

async function renderStreaming(
  model: Record<string, unknown> = {},
  extra: Parameters<typeof servingArgs>[1] = {},
  overrides = {},
) {
  const config = configWithModel({ ...STREAMING, ...model }, overrides);
  return render(() => {
    new ModelServing("model", servingArgs(config, extra));
  });
}

describe("the consumer", () => {
  it("runs an mlflow streaming model as the stream consumer program, shipped in a ConfigMap and mounted read-only", async () => {
    const r = await renderStreaming();
    const c = modelContainer(r);
    expect(c.command).toEqual(["python", "/opt/mlstack/stream/stream_consumer.py"]);
    expect(c.args).toBeUndefined();
    const cm = r.inputs(r.one("kubernetes:core/v1:ConfigMap"));
    expect(cm.metadata.name).toBe("model-stream-consumer");
    expect(cm.data["stream_consumer.py"]).toBe(streamConsumerSource());
    expect(podSpec(r).volumes).toContainEqual({
      name: "stream-consumer",
      configMap: { name: "model-stream-consumer", defaultMode: 0o444 },
    });
    expect(c.volumeMounts).toContainEqual({
      name: "stream-consumer",
      mountPath: "/opt/mlstack/stream",
      readOnly: true,
    });
    expect(envOf(c).get("PORT")?.value).toBe("8080");
  });

  it("tells the runtime its topics and consumer group next to the Kafka and bucket access", async () => {
    const r = await renderStreaming(
      { kafka: { ...STREAMING.kafka, consumerGroup: "fraud-scorer" } },
      { kafka: scramKafkaArgs({ consumerGroup: "fraud-scorer" }) },
    );
    const env = envOf(modelContainer(r));
    expect(env.get("KAFKA_INPUT_TOPIC")?.value).toBe("transactions");
    expect(env.get("KAFKA_OUTPUT_TOPIC")?.value).toBe("fraud-scores");
    expect(env.get("KAFKA_CONSUMER_GROUP")?.value).toBe("fraud-scorer");
    expect(env.get("KAFKA_BOOTSTRAP_SERVERS")?.value).toBe("kafka-kafka-bootstrap.ml-test-platform.svc:9093");
    expect(env.get("KAFKA_SASL_PASSWORD")?.valueFrom).toEqual({
      secretKeyRef: { name: "model-kafka", key: "password" },
    });
    expect(env.get("MODEL_URI")).toBeDefined();
    expect(modelContainer(r).volumeMounts).toContainEqual({
      name: "kafka-ca",
      mountPath: "/etc/mlstack/kafka-ca",
      readOnly: true,
    });
  });

  it("gives a custom streaming image the same environment and its own command", async () => {
    const r = await renderStreaming({ runtime: "custom", image: "ghcr.io/acme/stream-scorer:2.0.1" });
    const c = modelContainer(r);
    expect(c.command).toBeUndefined();
    expect(envOf(c).get("KAFKA_INPUT_TOPIC")?.value).toBe("transactions");
    expect(r.ofType("kubernetes:core/v1:ConfigMap")).toHaveLength(0);
  });

  it("lets the consumer finish and commit its batch on shutdown", async () => {
    expect(podSpec(await renderStreaming()).terminationGracePeriodSeconds).toBe(60);
  });
});

describe("lag autoscaling", () => {
  it("scales on consumer lag with a KEDA kafka trigger instead of an HPA", async () => {
    const r = await renderStreaming({ minReplicas: 1, maxReplicas: 4 });
    expect(r.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toHaveLength(0);
    const so = r.inputs(r.one("kubernetes:keda.sh/v1alpha1:ScaledObject"));
    expect(so.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "model" });
    expect(so.spec.minReplicaCount).toBe(1);
    expect(so.spec.maxReplicaCount).toBe(4);
    const [trigger] = so.spec.triggers;
    expect(trigger.type).toBe("kafka");
    expect(trigger.metadata).toEqual({
      bootstrapServers: "kafka-kafka-bootstrap.ml-test-platform.svc:9093",
      consumerGroup: "model",
      topic: "transactions",
      lagThreshold: "50",
      offsetResetPolicy: "latest",
      tls: "enable",
      sasl: "scram_sha512",
    });
    expect(trigger.authenticationRef).toEqual({ name: "model-kafka-lag" });
  });

  it("authenticates KEDA with SCRAM through Secret and container-env references, never literals", async () => {
    const r = await renderStreaming();
    const auth = r.inputs(r.one("kubernetes:keda.sh/v1alpha1:TriggerAuthentication"));
    expect(auth.metadata.name).toBe("model-kafka-lag");
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: "ca", name: "kafka-cluster-ca-cert", key: "ca.crt" },
      { parameter: "password", name: "model-kafka", key: "password" },
    ]);
    expect(auth.spec.env).toEqual([
      { parameter: "username", name: "KAFKA_SASL_USERNAME", containerName: "model" },
    ]);
    expect(JSON.stringify(auth.spec)).not.toMatch(/"value"/);
  });

  it("connects the way the Kafka backend describes, without knowing which backend it is (MSK IAM here)", async () => {
    const roleArn = "arn:aws:iam::123456789012:role/keda-model";
    const kafka = scramKafkaArgs({
      lagTrigger: {
        connection: {
          tls: "enable",
          sasl: "oauthbearer",
          saslTokenProvider: "aws_msk_iam",
          awsRegion: "eu-west-1",
        },
        authentication: { podIdentity: { provider: "aws", roleArn } },
      },
    });
    const r = await renderStreaming({}, { kafka });
    const trigger = r.inputs(r.one("kubernetes:keda.sh/v1alpha1:ScaledObject")).spec.triggers[0];
    expect(trigger.metadata).toEqual({
      bootstrapServers: "kafka-kafka-bootstrap.ml-test-platform.svc:9093",
      consumerGroup: "model",
      topic: "transactions",
      lagThreshold: "50",
      offsetResetPolicy: "latest",
      tls: "enable",
      sasl: "oauthbearer",
      saslTokenProvider: "aws_msk_iam",
      awsRegion: "eu-west-1",
    });
    expect(r.inputs(r.one("kubernetes:keda.sh/v1alpha1:TriggerAuthentication")).spec).toEqual({
      podIdentity: { provider: "aws", roleArn },
    });
  });

  it("creates no TriggerAuthentication when the trigger needs no credentials", async () => {
    const r = await renderStreaming(
      {},
      { kafka: scramKafkaArgs({ lagTrigger: { connection: { tls: "enable" } } }) },
    );
    expect(r.ofType("kubernetes:keda.sh/v1alpha1:TriggerAuthentication")).toHaveLength(0);
    expect(
      r.inputs(r.one("kubernetes:keda.sh/v1alpha1:ScaledObject")).spec.triggers[0].authenticationRef,
    ).toBeUndefined();
  });
});

describe("network", () => {
  it("admits no callers to a streaming model, only Prometheus on the metrics endpoint, and egress to Kafka and the bucket", async () => {
    const r = await renderStreaming({}, { monitoring: true, monitoringNamespace: "monitoring" });
    const np = r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")).spec;
    expect(np.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
        ports: [{ protocol: "TCP", port: 8080 }],
      },
    ]);
    expect(np.egress).toEqual([OBJECT_STORE_EGRESS, KAFKA_EGRESS]);
  });

  it("denies all ingress to a streaming model when monitoring is off", async () => {
    const r = await renderStreaming({}, { monitoring: false });
    expect(r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")).spec.ingress).toEqual([]);
  });

  it("renders a valid ScaledObject and TriggerAuthentication", async () => {
    const r = await renderStreaming({}, { monitoring: true }, { environment: "prod" });
    const result = validateObjects(manifests(r));
    expect(result.errors).toEqual([]);
    expect(result.unchecked).toEqual([]);
  });
});

describe("a streaming model whose Kafka KEDA cannot authenticate to", () => {
  it("scales on CPU with an HPA instead of a lag ScaledObject, and raises no lag alert", async () => {
    const config = configWithModel(
      { kafka: { inputTopic: "transactions", outputTopic: "fraud-scores" } },
      { environment: "staging" },
    );
    const args = servingArgs(config, { monitoring: true });
    const r = await render(() => {
      new ModelServing("model", {
        ...args,
        kafka: { ...(args.kafka as ModelKafkaArgs), lagTrigger: undefined },
      });
    });
    expect(r.ofType("kubernetes:keda.sh/v1alpha1:ScaledObject")).toEqual([]);
    expect(r.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toHaveLength(1);
    const rules = JSON.stringify(r.inputs(r.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule")));
    expect(rules).not.toContain("keda_scaler_metrics_value");
  });
});
