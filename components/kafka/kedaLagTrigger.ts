/**
 * The KEDA triggers Kafka backends build (`KafkaCluster.lagTrigger`). `secretLagTrigger`: KEDA's
 * `kafka` trigger for clusters whose clients hold their credentials in Secrets: TLS with the
 * cluster CA, and SASL/SCRAM or a client certificate (Strimzi; MSK with SCRAM).
 * `cloudMonitoringLagTrigger`: Managed Kafka on GCP, whose lag KEDA reads from Cloud Monitoring.
 * Metadata and parameters: https://keda.sh/docs/2.18/scalers/apache-kafka/ (`tls`, `sasl`,
 * TriggerAuthentication `ca`, `cert`, `key`, `username`, `password`).
 *
 * | cluster | `sasl` | authentication |
 * |---|---|---|
 * | Strimzi, SCRAM-SHA-512 | `scram_sha512` | username (Secret key or the container's env) + password, cluster CA |
 * | Strimzi, mTLS | none | client certificate and key, cluster CA |
 * | MSK, SCRAM | `scram_sha512` | username + password from the synced Secret |
 */
import type { KafkaLagTrigger, KafkaScalerAuth, KafkaScramAuth, TriggerAuthenticationSpec } from "./contract";

/** A scaler description whose SASL (if any) is SCRAM: everything is in Secrets or the container env. */
export type SecretScalerAuth = Omit<KafkaScalerAuth, "sasl"> & { sasl?: KafkaScramAuth };

export function secretLagTrigger(auth: SecretScalerAuth, containerName: string): KafkaLagTrigger {
  const secretTargetRef: NonNullable<TriggerAuthenticationSpec["secretTargetRef"]> = [];
  const env: NonNullable<TriggerAuthenticationSpec["env"]> = [];
  const ref = (
    parameter: string,
    s: { name: KafkaScramAuth["password"]["name"]; key: KafkaScramAuth["password"]["key"] },
  ) => secretTargetRef.push({ parameter, name: s.name, key: s.key });
  if (auth.ca) ref("ca", auth.ca);
  if (auth.clientCertificate) {
    ref("cert", auth.clientCertificate.cert);
    ref("key", auth.clientCertificate.key);
  }
  const connection: KafkaLagTrigger["connection"] = { tls: auth.tls ? "enable" : "disable" };
  if (auth.sasl) {
    connection.sasl = auth.sasl.mechanism === "SCRAM-SHA-512" ? "scram_sha512" : "scram_sha256";
    const username = auth.sasl.username;
    if ("secretKeyRef" in username) ref("username", username.secretKeyRef);
    else env.push({ parameter: "username", name: username.containerEnv, containerName });
    ref("password", auth.sasl.password);
  }
  const authentication =
    secretTargetRef.length || env.length
      ? { ...(secretTargetRef.length ? { secretTargetRef } : {}), ...(env.length ? { env } : {}) }
      : undefined;
  return { connection, ...(authentication ? { authentication } : {}) };
}

/**
 * Managed Service for Apache Kafka's consumer lag in Cloud Monitoring: one time series per
 * partition of a topic that a consumer group reads, with the lag in messages. The metric and
 * resource types are Google's (Cloud Monitoring metrics list, `managedkafka` section); mlstack's
 * filter names the cluster and the group through the resource's labels.
 */
export const MANAGED_KAFKA_LAG_METRIC = {
  metricType: "managedkafka.googleapis.com/offset_lag",
  resourceType: "managedkafka.googleapis.com/TopicPartitionConsumerGroup",
  labels: { cluster: "cluster_id", consumerGroup: "consumer_group_id" },
  source:
    "Google Cloud metrics list (cloud.google.com/monitoring/api/metrics_gcp, managedkafka: offset_lag on " +
    "managedkafka.googleapis.com/TopicPartitionConsumerGroup, labels cluster_id / topic_id / consumer_group_id), " +
    "as used by a Cloud Monitoring dashboard filter confirmed against live data in a public Terraform repository",
} as const;

/**
 * KEDA's `gcp-stackdriver` trigger on a Managed Kafka consumer group's lag, authenticated with the
 * KEDA operator's own Workload Identity (`podIdentity.provider: gcp`), which needs
 * `roles/monitoring.viewer` on `project`. No credential exists anywhere: KEDA's Kafka scaler has no
 * Google token provider, so the lag is read from Cloud Monitoring instead of the brokers.
 *
 * The series of all partitions are aligned to their maximum over a minute and summed: the group's
 * total lag, which the HPA divides by the replicas and compares with `lagThreshold` (the `kafka`
 * scaler's semantics). No `valueIfNull`: a group without series (no committed offset yet) is
 * unknown lag, so KEDA reports an error and keeps the current replicas rather than scaling in.
 * Parameters from KEDA v2.21.0 `pkg/scalers/gcp_stackdriver_scaler.go` (`projectId`, `filter`,
 * `targetValue`, `alignmentPeriodSeconds`, `alignmentAligner`, `alignmentReducer`), where the scaler
 * is marked deprecated (keda.sh/blog/2025-09-15-gcp-deprecations) but still served.
 */
export function cloudMonitoringLagTrigger(args: {
  project: string;
  clusterId: string;
  consumerGroup: string;
}): KafkaLagTrigger {
  const m = MANAGED_KAFKA_LAG_METRIC;
  return {
    type: "gcp-stackdriver",
    connection: {},
    metadata: {
      projectId: args.project,
      // The group's lag on every topic it reads: a streaming model's group reads its input topic only.
      filter: `metric.type="${m.metricType}" AND resource.type="${m.resourceType}" AND resource.label.${m.labels.cluster}="${args.clusterId}" AND resource.label.${m.labels.consumerGroup}="${args.consumerGroup}"`,
      alignmentPeriodSeconds: "60",
      alignmentAligner: "max",
      alignmentReducer: "sum",
    },
    thresholdParameter: "targetValue",
    authentication: { podIdentity: { provider: "gcp" } },
  };
}
