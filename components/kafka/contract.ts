/**
 * Kafka, provider-neutral: Strimzi in-cluster, MSK on AWS, Managed Service for Apache Kafka on
 * GCP. Consumers see bootstrap servers, the client security settings, and a grant that gives
 * one workload exactly its topics.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";

export interface KafkaClientSecurity {
  /** `security.protocol` for clients. Always TLS-based. */
  protocol: "SSL" | "SASL_SSL";
  /** `sasl.mechanism` when SASL is used. */
  saslMechanism?: "SCRAM-SHA-512" | "AWS_MSK_IAM" | "OAUTHBEARER";
}

export interface TopicGrant {
  /** Topics the workload consumes (logical names from config). */
  read: string[];
  /** Topics the workload produces to. */
  write: string[];
  /** Consumer group the workload may use. */
  consumerGroup?: string;
}

export interface KafkaCluster {
  bootstrapServers: pulumi.Output<string>;
  security: KafkaClientSecurity;
  /** Physical topic name for a logical topic from `mlstack:kafka.topics`. */
  topicName(logical: string): pulumi.Output<string>;
  /**
   * Gives one workload read/write on exactly the named topics (and its consumer group).
   * The returned env carries `KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`,
   * `KAFKA_SASL_MECHANISM` and credentials as `secretKeyRef`s or mounted files.
   */
  grantTopicAccess(identity: WorkloadIdentity, grant: TopicGrant, opts: { parent: pulumi.Resource }): WorkloadAccess;
}
