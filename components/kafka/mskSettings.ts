/** What an MSK cluster is asked to be (`mlstack:aws.kafka`, sizes from `mlstack:kafka`). */

export type MskAuthentication = "iam" | "scram";

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
  enhancedMonitoring: "DEFAULT" | "PER_BROKER" | "PER_TOPIC_PER_BROKER" | "PER_TOPIC_PER_PARTITION";
  /**
   * SCRAM only: image of the Job that applies Kafka ACLs: Kafka CLI tools (`kafka-acls.sh`) with
   * aws-msk-iam-auth on the classpath. Required with `scram`, pinned, from `mlstack:registries`.
   */
  aclJobImage?: string;
}
