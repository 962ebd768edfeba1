/**
 * KEDA, which scales streaming models on consumer lag (kubernetes; on OpenShift the Custom Metrics
 * Autoscaler from OperatorHub is Red Hat's build of it). Installed by PlatformOperators only when a
 * streaming model scales on lag and `mlstack:operators.keda.install` is true (default on
 * kubernetes), from chart `keda` at https://kedacore.github.io/charts, pinned by the version table.
 *
 * It goes into `mlstack:network.kedaNamespace` (default `keda`), the namespace the Kafka
 * component already admits KEDA's operator from. That namespace is restricted and default-deny
 * like the operators namespace; what KEDA needs is opened one flow at a time:
 * - the API server reaches the metrics API server (`v1beta1.external.metrics.k8s.io`, 6443) and
 *   the admission webhooks (9443);
 * - the metrics API server reaches the operator's gRPC metrics service (9666) inside the namespace;
 * - the operator reaches the Kafka brokers' listener (to read consumer lag with each model's
 *   credentials) and the API server.
 * KEDA generates and rotates its own certificates for these (no cert-manager needed), and every
 * pod runs restricted.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubeLabels } from "../kube/labels";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import { TeamNamespace } from "../namespace/TeamNamespace";
import { operatorNetworkPolicies } from "./operatorNetwork";
import { PLATFORM_TEAM, operatorsNamespaceArgs } from "./operatorsNamespace";
import type { PlatformOperatorsArgs } from "./PlatformOperators";
import { STRIMZI_KAFKA_POD_LABELS } from "./strimzi";

export const KEDA_CHART = "keda";
export const KEDA_REPO = "https://kedacore.github.io/charts";
export const KEDA_RELEASE = "keda";

/**
 * Pod labels the chart gives each deployment (`app: <name>`), the value keys below
 * (`podSecurityContext.<part>`, `securityContext.<part>`, `resources.<part>`, `webhooks.port`) and
 * the operator's gRPC port are read from kedacore/charts `keda/templates/metrics-server/deployment.yaml`
 * and `keda/templates/webhooks/deployment.yaml` at 008b720420797ff8fd8fcc43dbbb64e020efc5ab.
 */
export const KEDA_OPERATOR_PODS = { app: "keda-operator" };
export const KEDA_METRICS_API_SERVER_PODS = { app: "keda-operator-metrics-apiserver" };
export const KEDA_WEBHOOK_PODS = { app: "keda-admission-webhooks" };

/** The metrics API server's secure port (the chart's `service.portHttpsTarget`). */
export const KEDA_METRICS_API_SERVER_PORT = 6443;
/** The admission webhooks' port (the chart's `webhooks.port`). */
export const KEDA_WEBHOOK_PORT = 9443;
/** The operator's gRPC metrics service the metrics API server queries. */
export const KEDA_OPERATOR_GRPC_PORT = 9666;

const RESOURCES = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "500m", memory: "512Mi" },
};

export function kedaChartValues(opts: { highAvailability: boolean }): Record<string, unknown> {
  const pod = podSecurityContext("kubernetes");
  const container = containerSecurityContext("kubernetes");
  const replicas = opts.highAvailability ? 2 : 1;
  return {
    crds: { install: true },
    operator: { replicaCount: replicas },
    metricsServer: { replicaCount: replicas },
    webhooks: { enabled: true, replicaCount: replicas, port: KEDA_WEBHOOK_PORT },
    podSecurityContext: { operator: pod, metricServer: pod, webhooks: pod },
    securityContext: { operator: container, metricServer: container, webhooks: container },
    resources: { operator: RESOURCES, metricServer: RESOURCES, webhooks: RESOURCES },
  };
}

/**
 * KEDA's namespace (restricted, default-deny), the flows it needs, and the chart. Returns the chart
 * (ScaledObjects must wait for its CRDs).
 */
export function installKeda(
  parent: pulumi.ComponentResource,
  name: string,
  args: PlatformOperatorsArgs,
  version: string,
): k8s.helm.v4.Chart {
  const keda = args.keda;
  if (!keda) throw new Error(`PlatformOperators ${name}: installKeda called without keda arguments`);
  const ns = new TeamNamespace(`${name}-keda-ns`, operatorsNamespaceArgs(args, keda.namespace), { parent });
  const namespace = ns.namespaceName;
  const labels = kubeLabels({
    name: keda.namespace,
    component: "operators",
    environment: args.ctx.environment,
    team: PLATFORM_TEAM,
  });
  const policies = operatorNetworkPolicies(
    `${name}-keda`,
    {
      namespace,
      labels,
      apiServerCidrs: args.apiServerCidrs,
      cni: args.network?.cni,
      webhooks: [
        {
          operator: "keda-metrics",
          pods: { matchLabels: KEDA_METRICS_API_SERVER_PODS },
          port: KEDA_METRICS_API_SERVER_PORT,
        },
        { operator: "keda-webhooks", pods: { matchLabels: KEDA_WEBHOOK_PODS }, port: KEDA_WEBHOOK_PORT },
      ],
      // The lag scaler connects to the brokers' listener with each model's credentials.
      operands: [
        {
          operator: "keda",
          pods: { matchLabels: KEDA_OPERATOR_PODS },
          namespaces: args.watchNamespaces,
          operands: { matchLabels: STRIMZI_KAFKA_POD_LABELS },
          ports: keda.kafkaPorts,
        },
      ],
    },
    parent,
  );
  const grpc = [{ protocol: "TCP", port: KEDA_OPERATOR_GRPC_PORT }];
  const metricsToOperator = [
    new k8s.networking.v1.NetworkPolicy(
      `${name}-keda-operator-grpc-ingress`,
      {
        metadata: { name: "allow-keda-metrics-to-operator", namespace, labels },
        spec: {
          podSelector: { matchLabels: KEDA_OPERATOR_PODS },
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ podSelector: { matchLabels: KEDA_METRICS_API_SERVER_PODS } }], ports: grpc }],
        },
      },
      { parent },
    ),
    new k8s.networking.v1.NetworkPolicy(
      `${name}-keda-metrics-grpc-egress`,
      {
        metadata: { name: "allow-keda-metrics-egress-to-operator", namespace, labels },
        spec: {
          podSelector: { matchLabels: KEDA_METRICS_API_SERVER_PODS },
          policyTypes: ["Egress"],
          egress: [{ to: [{ podSelector: { matchLabels: KEDA_OPERATOR_PODS } }], ports: grpc }],
        },
      },
      { parent },
    ),
  ];
  return new k8s.helm.v4.Chart(
    `${name}-keda`,
    {
      name: KEDA_RELEASE,
      chart: KEDA_CHART,
      repositoryOpts: { repo: KEDA_REPO },
      version,
      namespace,
      values: kedaChartValues({ highAvailability: args.ctx.highAvailability }),
    },
    { parent, dependsOn: [...ns.ready, ...policies, ...metricsToOperator] },
  );
}
