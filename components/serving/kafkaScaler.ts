/**
 * A streaming model's Kafka wiring and the KEDA `kafka` trigger built from it. How KEDA connects
 * (TLS, SASL, token provider) and authenticates is the Kafka backend's business: each backend
 * describes it in a `KafkaLagTrigger` (`KafkaCluster.lagTrigger`), and serving only adds where to
 * read the lag and the threshold. Credentials reach KEDA only as references, never as literals.
 */
import type * as pulumi from "@pulumi/pulumi";

import type { KafkaLagTrigger } from "../kafka/contract";

export type { KafkaLagTrigger, TriggerAuthenticationSpec } from "../kafka/contract";

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
   * How KEDA connects to read the consumer lag (`KafkaCluster.lagTrigger`). Unset when KEDA
   * cannot read the lag: the model then scales on CPU.
   */
  lagTrigger?: KafkaLagTrigger;
}

/** The `kafka` trigger's metadata: where to read lag, and the backend's connection settings. */
export function kafkaTriggerMetadata(
  kafka: ModelKafkaArgs & { lagTrigger: KafkaLagTrigger },
  lagThreshold: number,
): Record<string, pulumi.Input<string>> {
  return {
    bootstrapServers: kafka.bootstrapServers,
    consumerGroup: kafka.consumerGroup,
    topic: kafka.inputTopic,
    lagThreshold: String(lagThreshold),
    // The stream consumer starts a new group at the end of the topic; KEDA must assume the same.
    offsetResetPolicy: "latest",
    ...kafka.lagTrigger.connection,
  };
}

/**
 * The ScaledObject trigger (type and metadata) for a streaming model: the backend's own metadata
 * with the threshold added when its scaler reads the lag somewhere other than the brokers
 * (`KafkaLagTrigger.metadata`), else the `kafka` scaler's.
 */
export function lagScalerTrigger(
  kafka: ModelKafkaArgs & { lagTrigger: KafkaLagTrigger },
  lagThreshold: number,
): { type: string; metadata: Record<string, pulumi.Input<string>> } {
  const trigger = kafka.lagTrigger;
  if (trigger.metadata) {
    return {
      type: trigger.type ?? "kafka",
      metadata: { ...trigger.metadata, [trigger.thresholdParameter ?? "lagThreshold"]: String(lagThreshold) },
    };
  }
  return { type: "kafka", metadata: kafkaTriggerMetadata(kafka, lagThreshold) };
}
