/** What an MSK cluster is asked to be (`mlstack:aws.kafka`, sizes from `mlstack:kafka`). */

/*
 * The string enums here are `as const` objects as well as types (values unchanged), and nested
 * objects named interfaces: Pulumi's component analyzer refuses bare string unions and inline object
 * types (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js).
 */

/** How workloads authenticate to MSK: SASL/IAM, or SASL/SCRAM with Kafka ACLs. */
export const MskAuthentication = { iam: "iam", scram: "scram" } as const;
export type MskAuthentication = (typeof MskAuthentication)[keyof typeof MskAuthentication];

/** MSK's CloudWatch metrics level (`enhancedMonitoring`). */
export const MskEnhancedMonitoring = {
  default: "DEFAULT",
  perBroker: "PER_BROKER",
  perTopicPerBroker: "PER_TOPIC_PER_BROKER",
  perTopicPerPartition: "PER_TOPIC_PER_PARTITION",
} as const;
export type MskEnhancedMonitoring = (typeof MskEnhancedMonitoring)[keyof typeof MskEnhancedMonitoring];

/** IAM path and permissions boundary of the roles MskKafka creates (the lag readers). */
export interface MskIamSettings {
  rolePath: string;
  permissionsBoundaryArn?: string;
}

export interface AwsKafkaConfig {
  /** MSK Kafka version. Default `4.1.x.kraft`; at least 3.6 (the MSK topic API needs it). */
  version: string;
  /** Broker instance type. Default `kafka.m7g.large`. */
  instanceType: string;
  /** Broker EBS volume, from `mlstack:kafka.storageSize`. */
  volumeSizeGiB: number;
  /**
   * `iam` (default): SASL/IAM, each workload's IAM role names its topics and group.
   * `scram`: SASL/SCRAM for workloads, users in Secrets Manager, Kafka ACLs per workload applied
   * by a Job that authenticates with IAM (IAM stays enabled for the platform itself).
   */
  authentication: MskAuthentication;
  /** Broker log retention in CloudWatch. Default dev 30, staging 90, prod 365 days. */
  logRetentionDays: number;
  /** CloudWatch metrics level. Default dev `DEFAULT`, else `PER_BROKER`. */
  enhancedMonitoring: MskEnhancedMonitoring;
  /**
   * SCRAM only: image of the Job that applies Kafka ACLs: Kafka CLI tools (`kafka-acls.sh`) with
   * aws-msk-iam-auth on the classpath. Required with `scram`, pinned, from `mlstack:registries`.
   */
  aclJobImage?: string;
}
