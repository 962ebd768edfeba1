/**
 * What a data-science team may do in its own namespace: run and inspect its workloads, nothing
 * that widens its own access or the namespace's security boundary.
 *
 * | area | access | why |
 * |---|---|---|
 * | Deployments, StatefulSets, Jobs, CronJobs, HPAs, PDBs | manage | train, batch-score and serve models |
 * | InferenceServices, ServingRuntimes, InferenceGraphs, TrainedModels (KServe) | manage | model serving where KServe runs |
 * | Services, ConfigMaps, PersistentVolumeClaims | manage | wire workloads together, keep datasets and checkpoints |
 * | Pods | read, delete | see and restart; pods are created through controllers (bare pods are flagged by policy) |
 * | pods/log, events, ReplicaSets, ServiceAccounts, quotas, limits, pod metrics | read | debug, see the budget |
 * | Ingresses, NetworkPolicies (and Routes on OpenShift) | read | exposure and network boundaries are the platform's, declared in config |
 *
 * Deliberately absent: Secrets (not even read; credentials reach pods through `secretKeyRef`
 * set by the platform, so people never handle them), `pods/exec`, `pods/attach` and
 * `pods/portforward` (a shell or a tunnel into a running model bypasses every audit trail and
 * the namespace's NetworkPolicies), `serviceaccounts/token`, Roles and RoleBindings, and the
 * verbs `escalate`, `bind`, `impersonate`, `deletecollection`. No wildcard anywhere.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterFlavor } from "../context";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** Observe only. */
export const READ_VERBS = ["get", "list", "watch"];
/** Full lifecycle of an object, one at a time. */
export const MANAGE_VERBS = [...READ_VERBS, "create", "update", "patch", "delete"];

export function teamRoleRules(flavor: ClusterFlavor): PolicyRule[] {
  const rules: PolicyRule[] = [
    { apiGroups: [""], resources: ["services", "configmaps", "persistentvolumeclaims"], verbs: MANAGE_VERBS },
    { apiGroups: [""], resources: ["pods"], verbs: [...READ_VERBS, "delete"] },
    {
      apiGroups: [""],
      resources: ["pods/log", "events", "serviceaccounts", "resourcequotas", "limitranges"],
      verbs: READ_VERBS,
    },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ_VERBS },
    { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: MANAGE_VERBS },
    {
      apiGroups: ["apps"],
      resources: ["deployments/scale", "statefulsets/scale"],
      verbs: ["get", "update", "patch"],
    },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ_VERBS },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: MANAGE_VERBS },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: MANAGE_VERBS },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: MANAGE_VERBS },
    {
      apiGroups: ["serving.kserve.io"],
      resources: ["inferenceservices", "servingruntimes", "inferencegraphs", "trainedmodels"],
      verbs: MANAGE_VERBS,
    },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"], verbs: READ_VERBS },
    { apiGroups: ["metrics.k8s.io"], resources: ["pods"], verbs: ["get", "list"] },
  ];
  if (flavor === "openshift") {
    rules.push({ apiGroups: ["route.openshift.io"], resources: ["routes"], verbs: READ_VERBS });
  }
  return rules;
}
