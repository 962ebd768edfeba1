/**
 * Prometheus metrics for a Strimzi cluster, when the platform has a monitoring namespace:
 *
 * - the brokers and controllers export JMX through the Prometheus JMX exporter Strimzi ships
 *   (`metricsConfig.type: jmxPrometheusExporter`, port `tcp-prometheus` 9404), with the rules
 *   below in a ConfigMap. The exporter works with every Strimzi release and both API versions
 *   (the newer Strimzi Metrics Reporter needs 0.48 or later);
 * - the Entity Operator always serves `/metrics` on its `healthcheck` ports;
 * - one PodMonitor (Prometheus Operator) scrapes both;
 * - one NetworkPolicy admits the monitoring namespace to those ports. Strimzi's own policies open
 *   9404 to every namespace, but not every operator release writes a policy for the Entity
 *   Operator, whose pods the namespace's default-deny would otherwise close.
 *
 * The rules keep Kafka's own names, lower-cased, and turn MBean keys into labels: rates become
 * `_total` counters, `Value` gauges stay gauges, histogram percentiles become `quantile` labels,
 * and the KRaft raft metrics are exported as they are. Per-request-type `RequestMetrics` are
 * dropped: they multiply series by every API key and are rarely looked at.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { monitorObjectLabels } from "../kube/monitorLabels";
import { PodMonitor } from "../crds/monitoring.coreos.com/v1";

/** Key of the exporter configuration in the ConfigMap. */
export const METRICS_CONFIG_KEY = "kafka-metrics-config.yml";
/** Port names Strimzi gives the Kafka exporter and the Entity Operator health endpoints. */
export const KAFKA_METRICS_PORT_NAME = "tcp-prometheus";
export const ENTITY_OPERATOR_METRICS_PORT_NAME = "healthcheck";
/** The ports behind those names: the exporter, the Topic Operator's and the User Operator's health servers. */
export const METRICS_PORTS = [9404, 8080, 8081];

const RULES = `lowercaseOutputName: true
rules:
  # Rates (…PerSec meters) as counters, with up to two MBean keys as labels
  - pattern: kafka.(\\w+)<type=(?!RequestMetrics)(.+), name=(.+)PerSec\\w*, (.+)=(.+), (.+)=(.+)><>Count
    name: kafka_$1_$2_$3_total
    type: COUNTER
    labels: { "$4": "$5", "$6": "$7" }
  - pattern: kafka.(\\w+)<type=(?!RequestMetrics)(.+), name=(.+)PerSec\\w*, (.+)=(.+)><>Count
    name: kafka_$1_$2_$3_total
    type: COUNTER
    labels: { "$4": "$5" }
  - pattern: kafka.(\\w+)<type=(?!RequestMetrics)(.+), name=(.+)PerSec\\w*><>Count
    name: kafka_$1_$2_$3_total
    type: COUNTER
  # Percentages (idle ratios) as gauges
  - pattern: kafka.(\\w+)<type=(.+), name=(.+)Percent\\w*><>(MeanRate|Value)
    name: kafka_$1_$2_$3_percent
    type: GAUGE
  # Gauges, with up to two MBean keys as labels
  - pattern: kafka.(\\w+)<type=(.+), name=(.+), (.+)=(.+), (.+)=(.+)><>Value
    name: kafka_$1_$2_$3
    type: GAUGE
    labels: { "$4": "$5", "$6": "$7" }
  - pattern: kafka.(\\w+)<type=(.+), name=(.+), (.+)=(.+)><>Value
    name: kafka_$1_$2_$3
    type: GAUGE
    labels: { "$4": "$5" }
  - pattern: kafka.(\\w+)<type=(.+), name=(.+)><>Value
    name: kafka_$1_$2_$3
    type: GAUGE
  # Histograms: count and percentiles
  - pattern: kafka.(\\w+)<type=(?!RequestMetrics)(.+), name=(.+)><>Count
    name: kafka_$1_$2_$3_count
    type: COUNTER
  - pattern: kafka.(\\w+)<type=(?!RequestMetrics)(.+), name=(.+)><>(\\d+)thPercentile
    name: kafka_$1_$2_$3
    type: GAUGE
    labels: { quantile: "0.$4" }
  # KRaft quorum state
  - pattern: "kafka.server<type=raft-metrics><>(current-state): (.+)"
    name: kafka_server_raftmetrics_$1
    value: 1
    type: UNTYPED
    labels: { "$1": "$2" }
  - pattern: "kafka.server<type=raft-metrics><>(.+-total):"
    name: kafka_server_raftmetrics_$1
    type: COUNTER
  - pattern: "kafka.server<type=raft-metrics><>(.+):"
    name: kafka_server_raftmetrics_$1
    type: GAUGE
  - pattern: "kafka.server<type=broker-metadata-metrics><>(.+):"
    name: kafka_server_brokermetadatametrics_$1
    type: GAUGE
`;

/** The JMX exporter rules (YAML), as stored in the ConfigMap. */
export function kafkaMetricsRules(): string {
  return RULES;
}

export interface StrimziMetricsArgs {
  cluster: string;
  namespace: string;
  labels: Record<string, string>;
  /** Namespace of the Prometheus that scrapes. */
  monitoringNamespace: string;
  /** Extra labels on the PodMonitor, for a Prometheus that selects monitors by label (`release: …`). Default none. */
  monitorLabels?: Record<string, string>;
}

export interface StrimziMetrics {
  configMap: k8s.core.v1.ConfigMap;
  podMonitor: k8s.apiextensions.CustomResource;
  networkPolicy: k8s.networking.v1.NetworkPolicy;
  /** `spec.kafka.metricsConfig` of the Kafka resource. */
  metricsConfig: {
    type: "jmxPrometheusExporter";
    valueFrom: { configMapKeyRef: { name: string; key: string } };
  };
}

export function strimziMetrics(
  name: string,
  args: StrimziMetricsArgs,
  parent: pulumi.Resource,
): StrimziMetrics {
  const configMapName = `${args.cluster}-kafka-metrics`;
  const configMap = new k8s.core.v1.ConfigMap(
    `${name}-metrics-config`,
    {
      metadata: { name: configMapName, namespace: args.namespace, labels: args.labels },
      data: { [METRICS_CONFIG_KEY]: RULES },
    },
    { parent },
  );
  const scraped = {
    matchLabels: { "strimzi.io/cluster": args.cluster, "strimzi.io/kind": "Kafka" },
    matchExpressions: [
      {
        key: "strimzi.io/name",
        operator: "In",
        values: [`${args.cluster}-kafka`, `${args.cluster}-entity-operator`],
      },
    ],
  };
  const podMonitor = new PodMonitor(
    `${name}-pod-monitor`,
    {
      metadata: {
        name: `${args.cluster}-kafka`,
        namespace: args.namespace,
        labels: monitorObjectLabels(args.labels, args.monitorLabels),
      },
      spec: {
        selector: scraped,
        namespaceSelector: { matchNames: [args.namespace] },
        podMetricsEndpoints: [
          { port: KAFKA_METRICS_PORT_NAME, path: "/metrics" },
          { port: ENTITY_OPERATOR_METRICS_PORT_NAME, path: "/metrics" },
        ],
      },
    },
    { parent },
  );
  const networkPolicy = new k8s.networking.v1.NetworkPolicy(
    `${name}-metrics-ingress`,
    {
      metadata: { name: `${args.cluster}-metrics-ingress`, namespace: args.namespace, labels: args.labels },
      spec: {
        podSelector: scraped,
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace },
                },
              },
            ],
            ports: METRICS_PORTS.map((port) => ({ protocol: "TCP", port })),
          },
        ],
      },
    },
    { parent },
  );
  return {
    configMap,
    podMonitor,
    networkPolicy,
    metricsConfig: {
      type: "jmxPrometheusExporter",
      valueFrom: { configMapKeyRef: { name: configMapName, key: METRICS_CONFIG_KEY } },
    },
  };
}
