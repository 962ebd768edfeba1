/**
 * Rules for the platform's custom resources: Strimzi Kafka (both the `kafka.strimzi.io/v1` API of
 * Strimzi 1.x and the older `v1beta2`), CloudNativePG clusters, and KServe InferenceServices.
 *
 * Unknown values: an unknown field is reported as not checked (a finding at the rule's level);
 * the engine validates again at `pulumi up`.
 */
import { objectName } from "./kubernetesObjects";
import { podRules } from "./kubernetesWorkloads";
import { checkWorkloadPods } from "./workloadRule";
import { INFERENCE_SERVICE_GROUP, isInferenceService, kubernetesGvk } from "./podSpecs";
import type { PolicyResource, Reporter, ResourceRule, RuleContext } from "./rule";
import { resourceRule } from "./rule";
import { eachItem, flagField, flagValue, resourceFieldRule } from "./fieldChecks";
import { arr, at, isObject, isUnknown, num, obj, str } from "./values";

export const STRIMZI_GROUP = "kafka.strimzi.io";
/** Strimzi 1.x serves only `v1`; older operators and some vendor builds serve `v1beta2`. */
export const STRIMZI_VERSIONS = ["v1", "v1beta2"];

const strimzi = (kind: string) => (type: string) => {
  const gvk = kubernetesGvk(type);
  return gvk?.group === STRIMZI_GROUP && STRIMZI_VERSIONS.includes(gvk.version) && gvk.kind === kind;
};
export const isStrimziKafka = strimzi("Kafka");
const isStrimziTopic = strimzi("KafkaTopic");

function eachListener(
  resource: PolicyResource,
  report: Reporter,
  fn: (listener: Record<string, unknown>, label: string) => void,
): void {
  eachItem(resource.props, "spec.kafka.listeners", report, (l, where, i) => {
    if (isObject(l)) fn(l, `Kafka ${objectName(resource)} listener "${str(l.name) ?? i}" (${where})`);
  });
}

export const strimziListenerTls = resourceRule({
  name: "strimzi-listener-tls",
  description: "Every Strimzi Kafka listener encrypts traffic (`tls: true`).",
  severity: "high",
  remediation: "Set `tls: true` on the listener (clients then connect over TLS with the cluster CA).",
  defaultLevel: "mandatory",
  appliesTo: isStrimziKafka,
  check(resource, _ctx, report) {
    eachListener(resource, report, (l, label) => {
      flagValue(
        l.tls,
        report,
        `${label} tls`,
        (v) => v !== true,
        () => `${label} does not use TLS`,
      );
    });
  },
});

/** Listener authentication types that authenticate clients (`custom` is how Strimzi 1.x configures OAuth). */
export const LISTENER_AUTHENTICATION = ["tls", "scram-sha-512", "oauth", "custom"];

export const strimziListenerAuthn = resourceRule({
  name: "strimzi-listener-authn",
  description: `Every Strimzi Kafka listener authenticates clients (${LISTENER_AUTHENTICATION.join(", ")}).`,
  severity: "high",
  remediation:
    "Set `authentication.type: scram-sha-512` (or tls, or OAuth) on the listener and create KafkaUsers.",
  defaultLevel: "mandatory",
  appliesTo: isStrimziKafka,
  check(resource, _ctx, report) {
    eachListener(resource, report, (l, label) => {
      const type = at(l, "authentication.type");
      if (isUnknown(type)) report.unknown(`${label} authentication`);
      else if (type === undefined) report.violation(`${label} does not authenticate clients`);
      else if (!LISTENER_AUTHENTICATION.includes(String(type)))
        report.violation(`${label} uses authentication type ${String(type)}`);
    });
  },
});

export const strimziAuthorization = resourceFieldRule(
  {
    name: "strimzi-authorization",
    description:
      "Strimzi Kafka clusters enable authorization (`spec.kafka.authorization`), so KafkaUser ACLs apply.",
    severity: "high",
    remediation: "Set `spec.kafka.authorization.type: simple` and grant each KafkaUser its ACLs.",
    defaultLevel: "mandatory",
    appliesTo: isStrimziKafka,
  },
  "spec.kafka.authorization",
  (v) => !isObject(v),
  (r) => `Kafka ${objectName(r)} has no authorization: every authenticated client may do anything`,
);

export const MIN_REPLICATION_FACTOR = 3;
export const MIN_INSYNC_REPLICAS = 2;

/** Kafka settings whose broker defaults (1) lose data when a broker fails. */
const REPLICATION_SETTINGS: Array<[string, number]> = [
  ["default.replication.factor", MIN_REPLICATION_FACTOR],
  ["min.insync.replicas", MIN_INSYNC_REPLICAS],
  ["offsets.topic.replication.factor", MIN_REPLICATION_FACTOR],
  ["transaction.state.log.replication.factor", MIN_REPLICATION_FACTOR],
  ["transaction.state.log.min.isr", MIN_INSYNC_REPLICAS],
];

export const strimziReplication = resourceRule({
  name: "strimzi-replication",
  description: `Outside dev, Kafka clusters and topics keep ${MIN_REPLICATION_FACTOR} replicas and min.insync.replicas ≥ ${MIN_INSYNC_REPLICAS} (broker defaults are 1).`,
  severity: "medium",
  remediation: `Set default.replication.factor, offsets.topic.replication.factor and transaction.state.log.replication.factor to ${MIN_REPLICATION_FACTOR}, min.insync.replicas and transaction.state.log.min.isr to ${MIN_INSYNC_REPLICAS}; KafkaTopics: replicas ${MIN_REPLICATION_FACTOR}.`,
  defaultLevel: "advisory",
  settings: ["environment"],
  appliesTo: (type) => isStrimziKafka(type) || isStrimziTopic(type),
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) === "dev") return;
    const name = objectName(resource);
    if (isStrimziTopic(resource.type)) {
      const below = (min: number) => (v: unknown) => v !== undefined && (num(v) ?? 0) < min;
      flagField(
        resource,
        report,
        "spec.replicas",
        below(MIN_REPLICATION_FACTOR),
        (v) => `KafkaTopic ${name} has ${String(v)} replicas (< ${MIN_REPLICATION_FACTOR})`,
      );
      const topicConfig = at(resource.props, "spec.config");
      flagValue(
        isUnknown(topicConfig) ? topicConfig : obj(topicConfig)["min.insync.replicas"],
        report,
        "spec.config.min.insync.replicas",
        below(MIN_INSYNC_REPLICAS),
        (v) => `KafkaTopic ${name} sets min.insync.replicas ${String(v)} (< ${MIN_INSYNC_REPLICAS})`,
      );
      return;
    }
    const config = at(resource.props, "spec.kafka.config");
    if (isUnknown(config)) return report.unknown("spec.kafka.config");
    for (const [key, min] of REPLICATION_SETTINGS) {
      const value = obj(config)[key];
      if (isUnknown(value)) report.unknown(`spec.kafka.config.${key}`);
      else if (value === undefined)
        report.violation(`Kafka ${name} does not set ${key} (broker default 1, want ≥ ${min})`);
      else if ((num(value) ?? 0) < min)
        report.violation(`Kafka ${name} sets ${key} ${String(value)} (want ≥ ${min})`);
    }
  },
});

const isCnpgCluster = (type: string) => {
  const gvk = kubernetesGvk(type);
  return gvk?.group === "postgresql.cnpg.io" && gvk.kind === "Cluster";
};

export const cnpgNoSuperuserAccess = resourceFieldRule(
  {
    name: "cnpg-no-superuser-access",
    description:
      "CloudNativePG clusters keep superuser access disabled (no `postgres` password Secret, no remote superuser login).",
    severity: "high",
    remediation:
      "Remove `enableSuperuserAccess: true`; manage roles with `spec.managed.roles` and Database resources.",
    defaultLevel: "mandatory",
    appliesTo: isCnpgCluster,
  },
  "spec.enableSuperuserAccess",
  (v) => v === true,
  (r) => `Cluster ${objectName(r)} enables superuser access`,
);

export const cnpgNoTrustHba = resourceRule({
  name: "cnpg-no-trust-hba",
  description: "CloudNativePG pg_hba rules never use the `trust` method (login without a password).",
  severity: "critical",
  remediation: "Use `scram-sha-256` or `cert` instead of `trust` in spec.postgresql.pg_hba.",
  defaultLevel: "mandatory",
  appliesTo: isCnpgCluster,
  check(resource, _ctx, report) {
    eachItem(resource.props, "spec.postgresql.pg_hba", report, (line, _where, i) => {
      if (typeof line !== "string") return;
      const tokens = line.replace(/#.*/, "").trim().split(/\s+/);
      if (tokens.includes("trust"))
        report.violation(
          `Cluster ${objectName(resource)} pg_hba line ${i} "${line.trim()}" trusts without a password`,
        );
    });
  },
});

/** CloudNativePG's Barman Cloud plugin (the backup method from 1.26 on). */
export const BARMAN_CLOUD_PLUGIN = "barman-cloud.cloudnative-pg.io";

export const cnpgHaBackup = resourceRule({
  name: "cnpg-ha-backup",
  description:
    "Outside dev, CloudNativePG clusters run at least 2 instances and back up (object store, volume snapshots or the Barman Cloud plugin).",
  severity: "medium",
  remediation: `Set \`instances: 2\` or more and configure \`spec.backup\` or the ${BARMAN_CLOUD_PLUGIN} plugin with a ScheduledBackup.`,
  defaultLevel: "advisory",
  settings: ["environment"],
  appliesTo: isCnpgCluster,
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) === "dev") return;
    const name = objectName(resource);
    flagField(
      resource,
      report,
      "spec.instances",
      (v) => (num(v) ?? 1) < 2,
      (v) => `Cluster ${name} runs ${String(v ?? 1)} instance (< 2)`,
    );
    const backup = at(resource.props, "spec.backup");
    const plugins = at(resource.props, "spec.plugins");
    if (isUnknown(backup) || isUnknown(plugins)) return report.unknown("spec.backup");
    const viaBackup =
      isObject(backup) && (backup.barmanObjectStore !== undefined || backup.volumeSnapshot !== undefined);
    const viaPlugin = arr(plugins).some((p) => at(p, "name") === BARMAN_CLOUD_PLUGIN);
    if (!viaBackup && !viaPlugin) report.violation(`Cluster ${name} has no backup configuration`);
  },
});

/**
 * The workload rules an InferenceService must meet: those mandatory by default, except the image
 * registry allowlist, which `k8s-allowed-registries` applies to InferenceServices itself (so the
 * allowlist is configured once, on that rule). A fixed set, not the levels of the run's pack
 * config: under CrossGuard a policy sees only its own config entry, so reading other rules' levels
 * would make the engine and `mlstack check` disagree.
 */
export const KSERVE_HARDENING_RULES = podRules.filter(
  (rule) => rule.defaultLevel === "mandatory" && rule.name !== "k8s-allowed-registries",
);

/** Runs a fixed set of workload rules (by default the KServe hardening set) on a resource's pods; the names of the rules it breaks. */
export function brokenHardeningRules(
  resource: PolicyResource,
  ctx: RuleContext,
  report: Reporter,
  rules: readonly (typeof podRules)[number][] = KSERVE_HARDENING_RULES,
): string[] {
  const broken = new Set<string>();
  for (const rule of rules) {
    const collector: Reporter = {
      violation: () => broken.add(rule.name),
      // One not-checked finding per unknown value, however many workload rules needed it.
      unknown: (what) => report.unknown(what),
    };
    checkWorkloadPods(resource, ctx, collector, rule.checkPod);
  }
  return [...broken];
}

/** A rule holding a KServe object's pods to KSERVE_HARDENING_RULES, naming the rules it breaks. */
function hardeningRule(
  meta: Pick<ResourceRule, "name" | "description" | "remediation" | "appliesTo">,
): ResourceRule {
  return resourceRule({
    ...meta,
    severity: "high",
    defaultLevel: "mandatory",
    settings: ["target"],
    onUnknown:
      "Components or fields that are unknown are reported as not checked (a finding at this rule's level, naming the workload rule that could not run).",
    check(resource, ctx, report) {
      const broken = brokenHardeningRules(resource, ctx, report);
      if (broken.length > 0) {
        report.violation(
          `${kubernetesGvk(resource.type)?.kind} ${objectName(resource)} breaks the mandatory workload rules ${broken.join(", ")}`,
        );
      }
    },
  });
}

export const kservePodHardening = hardeningRule({
  name: "kserve-pod-hardening",
  description: `A KServe InferenceService's predictor, transformer and explainer (and any other pod spec inside it) meet the workload rules that are mandatory by default — ${KSERVE_HARDENING_RULES.map((r) => r.name).join(", ")} — whatever the pack config sets for those rules: a model server is not admitted with less than a Deployment. Image registries are checked by k8s-allowed-registries, which applies to InferenceServices too.`,
  remediation:
    "Fix the workload findings listed for the InferenceService (security contexts, resources, probes, images, service account).",
  appliesTo: isInferenceService,
});

/** KServe's runtime kinds: their containers are merged into the pods of every InferenceService that uses them. */
const isServingRuntime = (type: string) => {
  const gvk = kubernetesGvk(type);
  return (
    gvk?.group === INFERENCE_SERVICE_GROUP &&
    (gvk.kind === "ServingRuntime" || gvk.kind === "ClusterServingRuntime")
  );
};

export const kserveRuntimeHardening = hardeningRule({
  name: "kserve-runtime-hardening",
  description: `A KServe ServingRuntime or ClusterServingRuntime carries a restricted pod fragment: its containers (and multi-node workerSpec) meet the same workload rules as kserve-pod-hardening — ${KSERVE_HARDENING_RULES.map((r) => r.name).join(", ")}, identity rules excepted (the pods run under the InferenceService's service account) — whatever the pack config sets for those rules. KServe merges the runtime's containers into every InferenceService that selects it (a ClusterServingRuntime into any namespace's), and ServingRuntimePodSpec has no pod-level securityContext, so each container must be restricted on its own.`,
  remediation:
    "Give every runtime container a restricted securityContext (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccompProfile RuntimeDefault), resources, probes and a pinned image, and no host namespaces or hostPath volumes.",
  appliesTo: isServingRuntime,
});

export const platformResourceRules: ResourceRule[] = [
  strimziListenerTls,
  strimziListenerAuthn,
  strimziAuthorization,
  strimziReplication,
  cnpgNoSuperuserAccess,
  cnpgNoTrustHba,
  cnpgHaBackup,
  kservePodHardening,
  kserveRuntimeHardening,
];
