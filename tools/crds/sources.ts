/**
 * The operators whose CRDs become typed resources under `components/crds/`: the pinned sources of
 * the real API-server test (`test/real/support/operatorCrds.ts`, fetched and cached there), plus
 * OLM, which the platform renders Subscriptions and OperatorGroups for but no shipped stack applies
 * to that test's server.
 */
import * as path from "node:path";
import { CRD_SOURCES, type CrdSource } from "../../test/real/support/operatorCrds";

/** Where the generated files go (one per group/version). */
export const GENERATED_ROOT = path.resolve(__dirname, "..", "..", "components", "crds");

/**
 * OLM's CRDs, from operator-framework/api (the module OLM builds its CRDs from). The proxy's
 * version list names only v0.9.1 (2021); v0.39.0 (2026-02-03) is the newest tag it served when
 * asked by name on 2026-12-02. OpenShift's OLM serves operators.coreos.com v1alpha1 Subscription and
 * v1 OperatorGroup from the same files.
 */
export const OLM_SOURCE: CrdSource = {
  operator: "olm",
  version: "v0.39.0",
  from: {
    kind: "go-module",
    module: "github.com/operator-framework/api",
    version: "v0.39.0",
    paths: ["crds/operators.coreos.com_subscriptions.yaml", "crds/operators.coreos.com_operatorgroups.yaml"],
  },
  why: "OpenShift's OLM (the cluster's): operator-framework/api v0.39.0 on proxy.golang.org",
};

/**
 * The sources to generate from, each with the kinds mlstack can use. Only what the platform renders
 * or may render is generated: the Prometheus Operator's Prometheus/Alertmanager/ThanosRuler (whole
 * pod specs) would add megabytes of types that nothing here creates.
 */
export interface GeneratedSource {
  source: CrdSource;
  /** Kinds to generate; all of the source's kinds when absent. */
  kinds?: string[];
}

const PINNED = new Map(CRD_SOURCES.map((s) => [s.operator, s]));

function pinned(operator: string): CrdSource {
  const source = PINNED.get(operator);
  if (!source) throw new Error(`test/real/support/operatorCrds.ts has no CRD source "${operator}"`);
  return source;
}

export const GENERATED_SOURCES: GeneratedSource[] = [
  { source: pinned("strimzi"), kinds: ["Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"] },
  {
    source: pinned("cloudnative-pg"),
    kinds: ["Cluster", "Database", "ScheduledBackup", "Backup", "Pooler", "ImageCatalog"],
  },
  { source: pinned("plugin-barman-cloud") },
  { source: pinned("kserve"), kinds: ["InferenceService", "ServingRuntime", "ClusterServingRuntime"] },
  { source: pinned("keda"), kinds: ["ScaledObject", "TriggerAuthentication"] },
  { source: pinned("prometheus-operator"), kinds: ["PodMonitor", "ServiceMonitor", "PrometheusRule"] },
  { source: pinned("cilium"), kinds: ["CiliumNetworkPolicy"] },
  { source: pinned("openshift-route") },
  { source: pinned("rook-object-bucket"), kinds: ["ObjectBucketClaim"] },
  { source: OLM_SOURCE },
];
