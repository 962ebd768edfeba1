/**
 * What KEDA's Kafka scaler needs to read a streaming model's consumer lag, and the
 * TriggerAuthentication / trigger built from it. Credentials reach KEDA only as references
 * (Secret keys, the model container's env, or the pod identity), never as literals.
 *
 * | Kafka | `sasl` | authentication |
 * |---|---|---|
 * | Strimzi, SCRAM-SHA-512 | `scram_sha512` | username + password from the KafkaUser Secret, cluster CA |
 * | Strimzi, mTLS | none | `clientCertificate` (user.crt / user.key), cluster CA |
 * | MSK, IAM | `oauthbearer` + `saslTokenProvider: aws_msk_iam` | the workload's IRSA role (pod identity `aws`) |
 * | MSK, SCRAM | `scram_sha512` | username + password (Secrets Manager synced to a Secret) |
 */
import type * as pulumi from "@pulumi/pulumi";

import type { KafkaScalerAuth, SecretKeySelector } from "../kafka/contract";

export type {
  KafkaMskIamAuth,
  KafkaScalerAuth,
  KafkaScramAuth,
  KedaValueSource,
  SecretKeySelector,
} from "../kafka/contract";

/** The streaming wiring of one model, supplied by the stack from the Kafka contract. */
export interface ModelKafkaArgs {
  /** `KafkaCluster.bootstrapServers`. */
  bootstrapServers: pulumi.Input<string>;
  /** Physical input topic (`KafkaCluster.topicName(model.kafka.inputTopic)`). */
  inputTopic: pulumi.Input<string>;
  /** Physical output topic. */
  outputTopic: pulumi.Input<string>;
  /** Consumer group id the model consumes with (and was granted). */
  consumerGroup: string;
  /**
   * Partitions of the input topic (`mlstack:kafka.topics[].partitions`). KEDA never reports more
   * lag than `partitions × lagThreshold`, so the lag alert fires at
   * `min(partitions, maxReplicas) × lagThreshold`: consumers saturated, lag not absorbed.
   */
  inputPartitions: number;
  /**
   * How KEDA reads the consumer lag (`KafkaCluster.scalerAuth`). Unset when KEDA cannot
   * authenticate to the cluster (Managed Kafka on GCP): the model then scales on CPU.
   */
  scaler?: KafkaScalerAuth;
}

interface SecretTargetRef {
  parameter: string;
  name: pulumi.Input<string>;
  key: pulumi.Input<string>;
}

export interface TriggerAuthenticationSpec {
  secretTargetRef?: SecretTargetRef[];
  env?: { parameter: string; name: string; containerName: string }[];
  podIdentity?: { provider: "aws"; roleArn?: pulumi.Input<string>; identityOwner?: "workload" };
}

/** The TriggerAuthentication spec, or undefined when the scaler needs no credentials at all. */
export function triggerAuthenticationSpec(
  auth: KafkaScalerAuth,
  containerName: string,
): TriggerAuthenticationSpec | undefined {
  const secretTargetRef: SecretTargetRef[] = [];
  const env: { parameter: string; name: string; containerName: string }[] = [];
  const ref = (parameter: string, s: SecretKeySelector) =>
    secretTargetRef.push({ parameter, name: s.name, key: s.key });
  if (auth.ca) ref("ca", auth.ca);
  if (auth.clientCertificate) {
    ref("cert", auth.clientCertificate.cert);
    ref("key", auth.clientCertificate.key);
  }
  let podIdentity: TriggerAuthenticationSpec["podIdentity"];
  if (auth.sasl?.mechanism === "AWS_MSK_IAM") {
    podIdentity =
      auth.sasl.roleArn !== undefined
        ? { provider: "aws", roleArn: auth.sasl.roleArn }
        : { provider: "aws", identityOwner: "workload" };
  } else if (auth.sasl) {
    const username = auth.sasl.username;
    if ("secretKeyRef" in username) ref("username", username.secretKeyRef);
    else env.push({ parameter: "username", name: username.containerEnv, containerName });
    ref("password", auth.sasl.password);
  }
  if (secretTargetRef.length === 0 && env.length === 0 && !podIdentity) return undefined;
  return {
    ...(secretTargetRef.length ? { secretTargetRef } : {}),
    ...(env.length ? { env } : {}),
    ...(podIdentity ? { podIdentity } : {}),
  };
}

/** The `kafka` trigger's metadata: where to read lag and how to connect (no credentials). */
export function kafkaTriggerMetadata(
  kafka: ModelKafkaArgs & { scaler: KafkaScalerAuth },
  lagThreshold: number,
): Record<string, pulumi.Input<string>> {
  const metadata: Record<string, pulumi.Input<string>> = {
    bootstrapServers: kafka.bootstrapServers,
    consumerGroup: kafka.consumerGroup,
    topic: kafka.inputTopic,
    lagThreshold: String(lagThreshold),
    // The stream consumer starts a new group at the end of the topic; KEDA must assume the same.
    offsetResetPolicy: "latest",
    tls: kafka.scaler.tls ? "enable" : "disable",
  };
  const sasl = kafka.scaler.sasl;
  if (sasl?.mechanism === "AWS_MSK_IAM") {
    metadata.sasl = "oauthbearer";
    metadata.saslTokenProvider = "aws_msk_iam";
    metadata.awsRegion = sasl.awsRegion;
  } else if (sasl) {
    metadata.sasl = sasl.mechanism === "SCRAM-SHA-512" ? "scram_sha512" : "scram_sha256";
  }
  return metadata;
}
