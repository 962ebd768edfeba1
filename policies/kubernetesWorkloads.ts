/**
 * Kubernetes workload rules: the full list of per-pod rules (Pod Security Standards restricted and
 * the OpenShift restricted-v2 SCC in `kubernetesPodSecurity.ts`, container hygiene in
 * `kubernetesContainers.ts`), applied to every pod-bearing kind and every container list wherever
 * a pod spec sits (found by shape, see `podSpecs.ts`), and the rules about service accounts,
 * spread, replicas and disruption budgets, namespaces and ConfigMaps.
 *
 * Unknown values: a field whose value is unknown during preview is reported as *not checked* (a
 * finding at the rule's level), never passed; the engine validates again at `pulumi up`.
 */
import { byNamespace, isNamespaced, namespaceOf, objectName, selectorMatches } from "./kubernetesObjects";
import { isKubernetesObject } from "./platformLabels";
import { isWorkloadType, kubernetesGvk, mayCarryPods, podSites, PodView } from "./podSpecs";
import { isLiteralSecretValue, isSecretName, secretMaterial } from "./secretValues";
import type { PolicyResource, Reporter, ResourceRule, StackRule, StackView } from "./rule";
import { resourceRule, stackRule } from "./rule";
import { arr, at, isObject, isUnknown, num, obj, str } from "./values";
import {
  allowedRegistries,
  cpuLimit,
  imageDigest,
  imageTagPinned,
  livenessProbe,
  memoryLimit,
  noSecretLiteralsInEnv,
  readinessProbe,
  requestsSet,
} from "./kubernetesContainers";
import {
  appArmorNotUnconfined,
  capabilitiesAddAllowlist,
  dropAllCapabilities,
  highUid,
  noHostNamespaces,
  noHostPath,
  noHostPorts,
  noHostProcess,
  noPrivileged,
  noPrivilegeEscalation,
  openshiftNoFixedUid,
  probeHostUnset,
  procMountDefault,
  readOnlyRootFs,
  restrictedVolumeTypes,
  runAsNonRoot,
  runAsUserNonZero,
  safeSysctls,
  seccompRequired,
  seLinuxRestricted,
} from "./kubernetesPodSecurity";
import { gpuLimitsEqualRequests, memoryVolumeSizeLimit, tolerationsScoped } from "./kubernetesScheduling";
import { workloadRule } from "./workloadRule";

export { parseImage, registryAllowed } from "./kubernetesContainers";
export type { ImageReference } from "./kubernetesContainers";

/** Annotation (on the workload or its pod template) that justifies mounting the API token: its value says why. */
export const API_ACCESS_ANNOTATION = "mlstack.io/needs-api-access";

const isServiceAccount = (type: string) => type === "kubernetes:core/v1:ServiceAccount";

export const noAutomountSaToken: StackRule = stackRule({
  name: "k8s-no-automount-sa-token",
  description: `Pods do not mount a service-account token unless they call the Kubernetes API (annotation ${API_ACCESS_ANNOTATION}: <reason> opts out). A pod that leaves automountServiceAccountToken unset mounts none when its ServiceAccount, in the same input, sets automountServiceAccountToken: false — as Kubernetes decides it.`,
  severity: "medium",
  remediation: `Set \`automountServiceAccountToken: false\` in the pod spec or on its ServiceAccount, or annotate the pod template with ${API_ACCESS_ANNOTATION}: "<why it calls the API>".`,
  defaultLevel: "advisory",
  check(stack, _ctx, report) {
    const accounts = byNamespace(stack.matching(isServiceAccount), stack);
    for (const resource of stack.matching(mayCarryPods)) {
      const sites = podSites(resource);
      for (const where of sites.unknownAt) report.unknown(where, resource);
      for (const pod of sites.pods) checkTokenMount(pod, accounts, stack, report);
    }
  },
});

/**
 * Kubernetes mounts the token unless the pod spec says false, or the pod spec is silent and its
 * ServiceAccount says false (the pod's setting wins over the account's).
 */
function checkTokenMount(
  pod: PodView,
  accounts: Map<string | undefined, PolicyResource[]>,
  stack: StackView,
  report: Reporter,
): void {
  const resource = pod.resource;
  if (pod.fragment) return;
  const v = pod.spec.automountServiceAccountToken;
  if (isUnknown(v)) return report.unknown(`${pod.path}.automountServiceAccountToken`, resource);
  if (v === false) return;
  const reason =
    pod.annotations[API_ACCESS_ANNOTATION] ??
    str(obj(at(resource.props, "metadata.annotations"))[API_ACCESS_ANNOTATION]);
  if (reason && reason.trim() !== "") return;
  if (v === undefined) {
    const accountName = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? "default";
    if (isUnknown(accountName)) return report.unknown(`${pod.path}.serviceAccountName`, resource);
    const account = (accounts.get(namespaceOf(resource, stack)) ?? []).find(
      (a) => objectName(a) === accountName,
    );
    const accountSetting = account?.props.automountServiceAccountToken;
    if (isUnknown(accountSetting))
      return report.unknown(`ServiceAccount ${String(accountName)} automountServiceAccountToken`, resource);
    if (accountSetting === false) return;
  }
  report.violation(
    `${pod.component}pod spec (${pod.path}) mounts a service-account token (automountServiceAccountToken is ${v === true ? "true" : "unset, and its ServiceAccount does not set it false"})`,
    resource,
  );
}

export const noDefaultServiceAccount = workloadRule(
  {
    name: "k8s-no-default-service-account",
    description:
      "Pods run under their own service account, not the namespace's `default` (a KServe ServingRuntime, whose containers run under the InferenceService's account, is judged through the InferenceService).",
    severity: "medium",
    remediation: "Create a ServiceAccount for the workload and set `serviceAccountName` to it.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    if (pod.fragment) return;
    const v = pod.spec.serviceAccountName ?? pod.spec.serviceAccount;
    if (isUnknown(v)) return report.unknown(`${pod.path}.serviceAccountName`);
    if (v === undefined || v === "" || v === "default") {
      report.violation(`${pod.component}pod spec (${pod.path}) runs as the default service account`);
    }
  },
);
function replicasOf(resource: PolicyResource): unknown {
  return at(resource.props, "spec.replicas");
}

export const noBarePods = resourceRule({
  name: "k8s-no-bare-pods",
  description:
    "Pods are created by a controller (Deployment, StatefulSet, Job…), which recreates them when a node fails.",
  severity: "low",
  remediation: "Wrap the pod in a Deployment (long-running) or a Job (run to completion).",
  defaultLevel: "advisory",
  appliesTo: (type) => kubernetesGvk(type)?.kind === "Pod" && kubernetesGvk(type)?.group === "core",
  check(resource, _ctx, report) {
    const owners = at(resource.props, "metadata.ownerReferences");
    if (isUnknown(owners)) return report.unknown("metadata.ownerReferences");
    if (!arr(owners).some((o) => at(o, "controller") === true))
      report.violation(`Pod ${objectName(resource)} has no controlling owner`);
  },
});

const SPREAD_KINDS = [
  "Deployment",
  "StatefulSet",
  "ReplicaSet",
  "ReplicationController",
  "DeploymentConfig",
  "Rollout",
  "InferenceService",
];

export const spread = workloadRule(
  {
    name: "k8s-spread",
    description:
      "In prod, replicated workloads spread across nodes or zones (topologySpreadConstraints or pod anti-affinity).",
    severity: "low",
    remediation:
      "Add `topologySpreadConstraints` over `topology.kubernetes.io/zone` and `kubernetes.io/hostname` (or a podAntiAffinity).",
    defaultLevel: "advisory",
    settings: ["environment"],
  },
  (pod, ctx, report) => {
    if (!SPREAD_KINDS.includes(pod.kind) || ctx.environmentOf(pod.resource) !== "prod") return;
    if (pod.kind === "InferenceService" && pod.component !== "predictor ") return;
    const spreadConstraints = pod.spec.topologySpreadConstraints;
    const antiAffinity = at(pod.spec, "affinity.podAntiAffinity");
    if (isUnknown(spreadConstraints) || isUnknown(antiAffinity))
      return report.unknown(`${pod.path}.topologySpreadConstraints`);
    if (arr(spreadConstraints).length === 0 && !isObject(antiAffinity)) {
      report.violation(
        `${pod.component}pod spec (${pod.path}) has neither topologySpreadConstraints nor podAntiAffinity`,
      );
    }
  },
);

/** Every rule checked per pod (kserve-pod-hardening applies these to InferenceService components). */
export const podRules = [
  noPrivileged,
  noHostNamespaces,
  noHostPath,
  noHostPorts,
  noHostProcess,
  dropAllCapabilities,
  capabilitiesAddAllowlist,
  noPrivilegeEscalation,
  runAsNonRoot,
  runAsUserNonZero,
  highUid,
  openshiftNoFixedUid,
  seccompRequired,
  restrictedVolumeTypes,
  procMountDefault,
  safeSysctls,
  appArmorNotUnconfined,
  seLinuxRestricted,
  probeHostUnset,
  readOnlyRootFs,
  noDefaultServiceAccount,
  imageTagPinned,
  imageDigest,
  allowedRegistries,
  requestsSet,
  memoryLimit,
  cpuLimit,
  readinessProbe,
  livenessProbe,
  noSecretLiteralsInEnv,
  gpuLimitsEqualRequests,
  tolerationsScoped,
  memoryVolumeSizeLimit,
  spread,
];

const HA_KINDS = ["Deployment", "StatefulSet", "DeploymentConfig", "Rollout"];
const PDB_KIND = "PodDisruptionBudget";

/** Minimum replicas an autoscaler keeps for a workload (HPA `minReplicas`, KEDA `minReplicaCount`), if one targets it. */
function autoscalerMinimum(workload: PolicyResource, kind: string, autoscalers: PolicyResource[]): unknown {
  const name = objectName(workload);
  for (const a of autoscalers) {
    const target = at(a.props, "spec.scaleTargetRef");
    const targetName = at(target, "name");
    const targetKind = at(target, "kind") ?? "Deployment";
    if (targetName !== name || targetKind !== kind) continue;
    const isKeda = kubernetesGvk(a.type)?.group === "keda.sh";
    const min = at(a.props, isKeda ? "spec.minReplicaCount" : "spec.minReplicas");
    return min === undefined ? (isKeda ? 0 : 1) : min;
  }
  return undefined;
}

/** Whether a PodDisruptionBudget lets no pod be evicted (maxUnavailable 0, or minAvailable covering every replica). */
function pdbBlocksDisruption(pdb: PolicyResource, replicas: number): boolean | "unknown" {
  const maxUnavailable = at(pdb.props, "spec.maxUnavailable");
  const minAvailable = at(pdb.props, "spec.minAvailable");
  if (isUnknown(maxUnavailable) || isUnknown(minAvailable)) return "unknown";
  if (maxUnavailable !== undefined)
    return maxUnavailable === 0 || maxUnavailable === "0" || maxUnavailable === "0%";
  if (minAvailable === undefined) return false;
  if (typeof minAvailable === "string" && minAvailable.endsWith("%"))
    return Number(minAvailable.slice(0, -1)) >= 100;
  const n = num(minAvailable);
  return n !== undefined && n >= replicas;
}

export const haReplicasPdb: StackRule = stackRule({
  name: "k8s-ha-replicas-pdb",
  description:
    "In prod, Deployments, StatefulSets, OpenShift DeploymentConfigs and Argo Rollouts run at least 2 replicas (or an autoscaler keeps 2) and a PodDisruptionBudget that allows disruption covers them.",
  severity: "medium",
  remediation:
    "Set `replicas: 2` or more (or an HPA with minReplicas ≥ 2) and add a PodDisruptionBudget with maxUnavailable: 1.",
  defaultLevel: "advisory",
  settings: ["environment"],
  onUnknown:
    "Replica counts, selectors and namespaces that are unknown are reported as not checked (a finding at the rule's level).",
  check(stack, ctx, report) {
    const workloads = stack.matching(
      (t) => isWorkloadType(t) && HA_KINDS.includes(kubernetesGvk(t)?.kind ?? ""),
    );
    if (workloads.length === 0) return;
    const pdbs = byNamespace(
      stack.matching((t) => kubernetesGvk(t)?.kind === PDB_KIND),
      stack,
    );
    const autoscalers = stack.matching((t) => {
      const kind = kubernetesGvk(t)?.kind;
      return kind === "HorizontalPodAutoscaler" || kind === "ScaledObject";
    });
    const scalersByNs = byNamespace(autoscalers, stack);
    for (const w of workloads) {
      if (ctx.environmentOf(w) !== "prod") continue;
      const kind = kubernetesGvk(w.type)?.kind ?? "";
      const ns = namespaceOf(w, stack);
      const scaled = autoscalerMinimum(w, kind, scalersByNs.get(ns) ?? []);
      const declared = replicasOf(w);
      const replicasValue = scaled !== undefined ? scaled : (declared ?? 1);
      if (isUnknown(replicasValue)) {
        report.unknown("spec.replicas", w);
        continue;
      }
      const replicas = num(replicasValue) ?? 1;
      if (replicas < 2) {
        report.violation(
          `${kind} ${objectName(w)} runs ${replicas} replica${replicas === 1 ? "" : "s"}${scaled !== undefined ? " (autoscaler minimum)" : ""}`,
          w,
        );
      }
      const labels = podSites(w).pods[0]?.labels;
      if (!labels) continue;
      if (ns === undefined) {
        report.unknown("metadata.namespace", w);
        continue;
      }
      let covering: PolicyResource | undefined;
      let unknown = false;
      for (const pdb of pdbs.get(ns) ?? []) {
        const match = selectorMatches(at(pdb.props, "spec.selector"), labels);
        if (match === "unknown") unknown = true;
        else if (match) covering = covering ?? pdb;
      }
      if (!covering) {
        if (unknown) report.unknown("PodDisruptionBudget selector", w);
        else report.violation(`${kind} ${objectName(w)} has no PodDisruptionBudget selecting its pods`, w);
        continue;
      }
      const blocks = pdbBlocksDisruption(covering, Math.max(replicas, 1));
      if (blocks === "unknown") report.unknown("PodDisruptionBudget limits", covering);
      else if (blocks) {
        report.violation(
          `PodDisruptionBudget ${objectName(covering)} allows no voluntary disruption of ${kind} ${objectName(w)} (node drains will hang)`,
          w,
        );
      }
    }
  },
});

export const noDefaultNamespace = resourceRule({
  name: "k8s-no-default-namespace",
  description: "Namespaced objects name their namespace, and it is not `default`.",
  severity: "medium",
  remediation: "Set `metadata.namespace` to the team or platform namespace (Helm releases: `namespace`).",
  defaultLevel: "mandatory",
  appliesTo: (type) => (isKubernetesObject(type) && isNamespaced(type)) || isHelmRelease(type),
  check(resource, _ctx, report) {
    const helm = isHelmRelease(resource.type);
    const path = helm ? "namespace" : "metadata.namespace";
    const ns = at(resource.props, path);
    const label = helm
      ? `Helm release ${resource.name}`
      : `${kubernetesGvk(resource.type)?.kind} ${objectName(resource)}`;
    if (isUnknown(ns) || (!helm && isUnknown(resource.props.metadata))) report.unknown(path);
    else if (ns === undefined || ns === "")
      report.violation(`${label} has no namespace (it lands in whatever namespace is current)`);
    else if (ns === "default") report.violation(`${label} is in the default namespace`);
  },
});

function isHelmRelease(type: string): boolean {
  return type.startsWith("kubernetes:helm.sh/") && (type.endsWith(":Release") || type.endsWith(":Chart"));
}

const isConfigMap = (type: string) => type === "kubernetes:core/v1:ConfigMap";

export const configMapNoSecrets = resourceRule({
  name: "k8s-configmap-no-secrets",
  description:
    "ConfigMaps hold no credentials: no key named like a password, token, secret, auth or key with a value, and under any key no value holding secret material (private keys, AWS / GCP keys, JWTs, GitHub / Slack tokens, passwords in URLs or connection strings, `password = …` lines). Findings name the key, never the value.",
  severity: "high",
  remediation: "Move the value to a Secret and reference it with secretKeyRef or a secret volume.",
  defaultLevel: "mandatory",
  appliesTo: isConfigMap,
  check(resource, _ctx, report) {
    for (const field of ["data", "binaryData"]) {
      const data = resource.props[field];
      if (isUnknown(data)) {
        report.unknown(field);
        continue;
      }
      for (const [key, value] of Object.entries(obj(data))) {
        if (isUnknown(value)) {
          report.unknown(`${field}.${key}`);
          continue;
        }
        const material = typeof value === "string" && field === "data" ? secretMaterial(value) : undefined;
        if (material) report.violation(`ConfigMap ${objectName(resource)} ${field}.${key} holds ${material}`);
        else if (isSecretName(key) && isLiteralSecretValue(value)) {
          report.violation(
            `ConfigMap ${objectName(resource)} ${field}.${key} is named like a credential and holds a value`,
          );
        }
      }
    }
  },
});

/** Workload rules evaluated per resource. */
export const kubernetesWorkloadRules: ResourceRule[] = [
  ...podRules,
  noBarePods,
  noDefaultNamespace,
  configMapNoSecrets,
];
/** Workload rules that relate several resources. */
export const kubernetesWorkloadStackRules: StackRule[] = [noAutomountSaToken, haReplicasPdb];
