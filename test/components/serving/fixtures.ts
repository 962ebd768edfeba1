/**
 * Arguments for ModelServing tests: models parsed from a real config (so defaults per environment
 * apply), and grants shaped like the real ones (ObjectBucketClaim bucket with static credentials,
 * S3 through IRSA, Strimzi SCRAM and mTLS users, MSK IAM).
 */
import { secretLagTrigger } from "../../../components/kafka/kedaLagTrigger";
import type * as k8s from "@pulumi/kubernetes";
import { flavorOf, PlatformContext } from "../../../components/context";
import { emptyAccess, mergeAccess, WorkloadAccess } from "../../../components/identity/contract";
import type { ModelKafkaArgs, ModelServingArgs } from "../../../components/serving/ModelServing";
import { registryAccess } from "../../../components/serving/modelFetch";
import type { ModelConfig, PlatformConfig } from "../../../stacks/config";
import { baseConfig, baseRawConfig } from "../../support/config";
import { obcBucketGrant, S3_ENDPOINT } from "../../support/grants";
import type { Rendered } from "../../support/render";

export const NAMESPACE = "ml-test-fraud";
export const MLFLOW_IMAGE = "ghcr.io/mlstack/mlflow:3.17.2-3";
export const MODEL_URI = "s3://fraud-models-0a1b2c3d/fraud-detector/3";
/** MLflow's in-cluster tracking URI, as the platform hands it to models that follow a registry alias. */
export const TRACKING_URI = "http://mlflow.ml-test-platform.svc:5000";
export { S3_ENDPOINT };

export function contextFor(config: PlatformConfig): PlatformContext {
  return {
    environment: config.environment,
    target: config.target,
    flavor: flavorOf(config.target),
    protect: config.protect,
    highAvailability: config.highAvailability,
    project: config.project,
    stack: config.stack,
  };
}

/**
 * A config with one model of team fraud named `model` (plus overrides of the model's keys) and
 * config-level overrides (target, environment).
 */
export function configWithModel(
  model: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): PlatformConfig {
  const raw = baseRawConfig();
  const base = { name: "model", team: "fraud", source: { bucket: "fraud-models", path: "fraud-detector/3" } };
  return baseConfig({
    ...overrides,
    serving: { gpuNodes: GPU_NODES, models: [{ ...base, ...model }, ...raw.serving.models] },
  });
}

/** The GPU nodes the test stacks declare (`serving.gpuNodes`): NVIDIA GPU feature discovery's label. */
export const GPU_NODES = { nodeSelector: { "nvidia.com/gpu.present": "true" }, taint: true };

export function modelOf(config: PlatformConfig, name = "model"): ModelConfig {
  const model = config.serving.models.find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name}`);
  return model;
}

export { OBJECT_STORE_EGRESS } from "../../support/grants";

export const KAFKA_EGRESS: k8s.types.input.networking.v1.NetworkPolicyEgressRule = {
  to: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-test-platform" } },
      podSelector: { matchLabels: { "strimzi.io/cluster": "kafka" } },
    },
  ],
  ports: [{ protocol: "TCP", port: 9093 }],
};

/** What an ObjectBucketClaim grant hands over: endpoint, region, static credentials by reference. */
export function bucketGrant(): WorkloadAccess {
  return obcBucketGrant("fraud-models", "fraud-models-0a1b2c3d");
}

/** A Strimzi SCRAM-SHA-512 grant: bootstrap, protocol, username, password by reference, cluster CA mounted. */
export function scramKafkaGrant(): WorkloadAccess {
  return {
    env: [
      { name: "KAFKA_BOOTSTRAP_SERVERS", value: "kafka-kafka-bootstrap.ml-test-platform.svc:9093" },
      { name: "KAFKA_SECURITY_PROTOCOL", value: "SASL_SSL" },
      { name: "KAFKA_SASL_MECHANISM", value: "SCRAM-SHA-512" },
      { name: "KAFKA_SASL_USERNAME", value: "model" },
      { name: "KAFKA_SASL_PASSWORD", valueFrom: { secretKeyRef: { name: "model-kafka", key: "password" } } },
      { name: "KAFKA_SSL_CA_LOCATION", value: "/etc/mlstack/kafka-ca/ca.crt" },
    ],
    volumes: [
      {
        name: "kafka-ca",
        secret: { secretName: "kafka-cluster-ca-cert", items: [{ key: "ca.crt", path: "ca.crt" }] },
      },
    ],
    volumeMounts: [{ name: "kafka-ca", mountPath: "/etc/mlstack/kafka-ca", readOnly: true }],
    egress: [KAFKA_EGRESS],
    dependsOn: [],
  };
}

export function streamingAccess(): WorkloadAccess {
  return mergeAccess(bucketGrant(), scramKafkaGrant());
}

export function scramKafkaArgs(overrides: Partial<ModelKafkaArgs> = {}): ModelKafkaArgs {
  return {
    bootstrapServers: "kafka-kafka-bootstrap.ml-test-platform.svc:9093",
    inputTopic: "transactions",
    outputTopic: "fraud-scores",
    consumerGroup: "model",
    inputPartitions: 3,
    // As a SCRAM backend describes it (StrimziKafka / MskKafka with SCRAM build it the same way).
    lagTrigger: secretLagTrigger(
      {
        tls: true,
        ca: { name: "kafka-cluster-ca-cert", key: "ca.crt" },
        sasl: {
          mechanism: "SCRAM-SHA-512",
          username: { containerEnv: "KAFKA_SASL_USERNAME" },
          password: { name: "model-kafka", key: "password" },
        },
      },
      "model",
    ),
    ...overrides,
  };
}

export function teamPeer(namespace: string): k8s.types.input.networking.v1.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
}

export const INGRESS_PEER: k8s.types.input.networking.v1.NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
};

/** Args as the platform composition builds them for `model` in `config`. */
export function servingArgs(
  config: PlatformConfig,
  extra: Partial<ModelServingArgs> = {},
  name = "model",
): ModelServingArgs {
  const model = modelOf(config, name);
  const streaming = model.kafka !== undefined;
  return {
    ctx: contextFor(config),
    model,
    namespace: NAMESPACE,
    serviceAccountName: model.name,
    modelUri: model.source?.bucket !== undefined ? MODEL_URI : undefined,
    modelStoreEndpoint: config.target === "aws" || config.target === "gcp" ? undefined : S3_ENDPOINT,
    modelDownloaderImage: MLFLOW_IMAGE,
    access: streaming
      ? streamingAccess()
      : model.source?.bucket !== undefined
        ? bucketGrant()
        : emptyAccess(),
    registry:
      model.source?.registry !== undefined
        ? registryAccess(config.mlflow.auth === "oauth-proxy" ? "oauth-proxy" : "none", TRACKING_URI)
        : undefined,
    kafka: streaming
      ? scramKafkaArgs({ consumerGroup: model.kafka?.consumerGroup ?? model.name })
      : undefined,
    monitoring: config.serving.monitoring,
    ingressFrom: [teamPeer(NAMESPACE), INGRESS_PEER],
    monitoringNamespace: config.network.monitoringNamespace,
    ...extra,
  };
}

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The pod spec of the model's Deployment. */
export function podSpec(r: Rendered): Inputs {
  return r.inputs(r.one("kubernetes:apps/v1:Deployment")).spec.template.spec;
}

/** The serving container of the model's Deployment. */
export function modelContainer(r: Rendered): Inputs {
  return podSpec(r).containers.find((c: Inputs) => c.name === "model");
}

/** env as name → value (literal) or name → valueFrom. */
export function envOf(container: Inputs): Map<string, Inputs> {
  return new Map((container.env ?? []).map((e: Inputs) => [e.name, e]));
}

/** Every Kubernetes object the test rendered, shaped as a manifest (for schema validation). */
export function manifests(r: Rendered): Array<Record<string, unknown>> {
  return r.resources
    .filter((res) => res.custom && res.type.startsWith("kubernetes:"))
    .map((res) => {
      const inputs = r.inputs(res);
      const [, group, kind] = res.type.split(":");
      const [apiGroup, version] = group.split("/");
      const apiVersion = inputs.apiVersion ?? (apiGroup === "core" ? version : `${apiGroup}/${version}`);
      return { ...inputs, apiVersion, kind: inputs.kind ?? kind };
    });
}
