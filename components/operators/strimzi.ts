/**
 * Strimzi, the Kafka operator: how it is installed on each flavor and how it is kept to the
 * namespaces and the security level the platform expects.
 *
 * - kubernetes: the upstream Helm chart from `oci://quay.io/strimzi-helm/strimzi-kafka-operator`,
 *   pinned to `operators.strimzi.version`, watching exactly the namespaces that hold Kafka clusters
 *   (RoleBindings there, no cluster-wide watch), its own pod restricted-compliant.
 * - openshift: the `strimzi-kafka-operator` package from `community-operators` (same builds as
 *   upstream), `startingCSV` pinned by the version table. Red Hat's supported build, AMQ Streams
 *   (`amq-streams` from `redhat-operators`), drops in through the package override with its own
 *   `startingCSV`; the Kafka versions pre-flight accepts are those of `operators.strimzi.version`.
 *
 * Strimzi 1.0 removed the `v1beta2` API from its CRDs: the pinned 1.x releases serve only
 * `kafka.strimzi.io/v1` (components/versions/pins.ts).
 *
 * On both, `STRIMZI_POD_SECURITY_PROVIDER_CLASS=restricted` makes every pod Strimzi creates
 * (brokers, controllers, entity operator, Cruise Control) meet Pod Security `restricted`, which
 * the namespaces enforce; the default provider only meets `baseline`. And the NetworkPolicies
 * Strimzi generates for each cluster admit its operator from the operator's namespace only,
 * instead of from every namespace.
 */
import type * as k8s from "@pulumi/kubernetes";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { OlmPackage } from "./olm";
import { OPENSHIFT_MARKETPLACE } from "./olm";

export const STRIMZI_CHART = "oci://quay.io/strimzi-helm/strimzi-kafka-operator";
export const STRIMZI_RELEASE = "strimzi";

export const STRIMZI_OLM_PACKAGE: OlmPackage = {
  name: "strimzi-kafka-operator",
  source: "community-operators",
  sourceNamespace: OPENSHIFT_MARKETPLACE,
};

/** Labels of the cluster operator's pods (chart and OLM bundle alike). */
export const STRIMZI_OPERATOR_POD_LABELS = { "strimzi.io/kind": "cluster-operator" };

/** Labels Strimzi puts on every pod of a Kafka cluster (brokers, controllers, Cruise Control). */
export const STRIMZI_KAFKA_POD_LABELS = { "strimzi.io/kind": "Kafka" };

/**
 * Ports the cluster operator opens on a Kafka cluster's pods: 9090 (KRaft controllers and Cruise
 * Control REST), 9091 (the internal replication listener it administers brokers through), 8443
 * (the Kafka agent reporting broker state during rolls).
 */
export const STRIMZI_OPERAND_PORTS = [9090, 9091, 8443];

/** Requests = limits for memory: the operator is a JVM sized by its heap. */
export const STRIMZI_OPERATOR_RESOURCES = {
  requests: { cpu: "200m", memory: "384Mi" },
  limits: { cpu: "1", memory: "384Mi" },
};

/** Pods Strimzi creates meet Pod Security `restricted`. */
export const STRIMZI_RESTRICTED_ENV = { name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" };

/** Selector (`key=value`) of the operator's namespace, written into the NetworkPolicies Strimzi generates. */
export function strimziOperatorNamespaceLabels(operatorNamespace: string): string {
  return `kubernetes.io/metadata.name=${operatorNamespace}`;
}

/** Operator environment for OLM (`Subscription.spec.config.env`). */
export function strimziOperatorEnv(operatorNamespace: string): k8s.types.input.core.v1.EnvVar[] {
  return [
    STRIMZI_RESTRICTED_ENV,
    { name: "STRIMZI_OPERATOR_NAMESPACE_LABELS", value: strimziOperatorNamespaceLabels(operatorNamespace) },
  ];
}

export interface StrimziChartOptions {
  operatorNamespace: string;
  /** Namespaces holding Kafka clusters; never the operator's own (the chart binds that one itself). */
  watchNamespaces: string[];
  highAvailability: boolean;
}

export function strimziChartValues(opts: StrimziChartOptions): Record<string, unknown> {
  return {
    watchNamespaces: opts.watchNamespaces,
    watchAnyNamespace: false,
    createGlobalResources: true,
    // Two replicas behind leader election in HA environments: a node drain never stalls reconciliation.
    replicas: opts.highAvailability ? 2 : 1,
    leaderElection: { enable: true },
    podSecurityContext: podSecurityContext("kubernetes"),
    securityContext: containerSecurityContext("kubernetes"),
    resources: STRIMZI_OPERATOR_RESOURCES,
    // The chart sets STRIMZI_OPERATOR_NAMESPACE_LABELS from `image.operatorNamespaceLabels`.
    image: { operatorNamespaceLabels: strimziOperatorNamespaceLabels(opts.operatorNamespace) },
    extraEnvs: [STRIMZI_RESTRICTED_ENV],
    generateNetworkPolicy: true,
  };
}
