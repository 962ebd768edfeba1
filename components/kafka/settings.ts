/** What a Kafka cluster is asked to be (`mlstack:kafka`): shared by every Kafka backend. */
import type { ContainerResources } from "../kube/containerResources";

/*
 * The string enums below are `as const` objects as well as types (values unchanged): Pulumi's
 * component analyzer reads this pattern, not a bare string union, as a schema enum (@pulumi/pulumi
 * 3.270.0, provider/experimental/analyzer.js), so the Kafka components fit a package schema.
 */

/** Client authentication on the TLS listener: SCRAM-SHA-512 or mutual TLS. */
export const KafkaAuthentication = { scramSha512: "scram-sha-512", tls: "tls" } as const;
export type KafkaAuthentication = (typeof KafkaAuthentication)[keyof typeof KafkaAuthentication];

/** The Strimzi CRD API version written: `v1` (Strimzi 0.49+, 1.x) or `v1beta2` (older operators). */
export const StrimziApiVersion = { v1: "kafka.strimzi.io/v1", v1beta2: "kafka.strimzi.io/v1beta2" } as const;
export type StrimziApiVersion = (typeof StrimziApiVersion)[keyof typeof StrimziApiVersion];

export interface KafkaTopicConfig {
  name: string;
  /** Default 3 (dev 1). */
  partitions: number;
  /** Default: the cluster's replication factor. */
  replicas: number;
  /** Retention in hours. Default 168 (7 days). */
  retentionHours: number;
  /** Owning team: may read and write. */
  owner: string;
  /** Other teams that may consume. */
  readers: string[];
  /** Other teams that may produce. */
  writers: string[];
}

export interface KafkaConfig {
  /** Cluster name (Kubernetes) / name stem (cloud). Default `kafka`. */
  name: string;
  /** Kafka version the operator runs (Strimzi). Default 4.1.0. */
  version: string;
  /** Strimzi CRD API version to emit. Default `kafka.strimzi.io/v1` (Strimzi 1.x); `v1beta2` for older operators. */
  apiVersion: StrimziApiVersion;
  /** Broker count. Default dev 1, else 3. */
  brokers: number;
  /** KRaft controller count. Default dev 1, else 3. */
  controllers: number;
  /** Broker volume size. Default dev 10Gi, staging 100Gi, prod 500Gi. */
  storageSize: string;
  storageClass?: string;
  /** Client authentication on the TLS listener. Default `scram-sha-512`. */
  authentication: KafkaAuthentication;
  /** Default replication factor: dev 1, else 3 (must not exceed brokers). */
  replicationFactor: number;
  /** min.insync.replicas: dev 1, else 2. */
  minInsyncReplicas: number;
  resources: ContainerResources;
  topics: KafkaTopicConfig[];
}
