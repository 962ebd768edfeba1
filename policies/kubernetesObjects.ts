/**
 * What stack rules need to relate Kubernetes objects to each other: an object's namespace (also
 * when it is only known through a dependency on a Namespace resource) and label selectors.
 */
import { kubernetesGvk } from "./podSpecs";
import type { PolicyResource, StackView } from "./rule";
import { arr, at, isObject, isUnknown, obj, str, strings } from "./values";

/** Built-in cluster-scoped kinds, plus well-known cluster-scoped custom resources. */
const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PriorityClass",
  "RuntimeClass",
  "IngressClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "APIService",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "CertificateSigningRequest",
  "SecurityContextConstraints",
  "ClusterIssuer",
  "ClusterServingRuntime",
  "ClusterStorageContainer",
  "ClusterImagePolicy",
  "Project",
  "ProjectRequest",
]);

/** Whether objects of this type live in a namespace (custom kinds named `Cluster…` are taken as cluster-scoped). */
export function isNamespaced(type: string): boolean {
  const gvk = kubernetesGvk(type);
  if (!gvk) return false;
  if (CLUSTER_SCOPED_KINDS.has(gvk.kind)) return false;
  if (gvk.kind.endsWith("List")) return false;
  const builtIn = !gvk.group.includes(".") || gvk.group.endsWith(".k8s.io");
  return builtIn || !/^Cluster[A-Z]/.test(gvk.kind);
}

/** `metadata.name` (the resource name when the manifest has none, as Pulumi auto-names it). */
export function objectName(resource: PolicyResource): string {
  return str(at(resource.props, "metadata.name")) ?? resource.name;
}

/**
 * The namespace of a namespaced object: its `metadata.namespace`; when that is unknown (the
 * Namespace is created in the same run), the name of the Namespace resource it depends on;
 * undefined when neither is known.
 */
export function namespaceOf(resource: PolicyResource, stack?: StackView): string | undefined {
  const ns = at(resource.props, "metadata.namespace");
  if (typeof ns === "string" && !isUnknown(ns)) return ns;
  if (!stack) return undefined;
  const deps = resource.propertyDependencies?.metadata ?? resource.dependencies ?? [];
  for (const urn of deps) {
    const dep = stack.byUrn(urn);
    if (dep && kubernetesGvk(dep.type)?.kind === "Namespace") {
      const name = at(dep.props, "metadata.name");
      if (typeof name === "string" && !isUnknown(name)) return name;
    }
  }
  return undefined;
}

/** Whether a namespace value is genuinely unset (as opposed to unknown until apply). */
export function namespaceIsUnknown(resource: PolicyResource): boolean {
  return isUnknown(at(resource.props, "metadata.namespace")) || isUnknown(resource.props.metadata);
}

export type SelectorMatch = boolean | "unknown";

/** Evaluates a Kubernetes LabelSelector (`matchLabels` + `matchExpressions`) against labels. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): SelectorMatch {
  if (isUnknown(selector)) return "unknown";
  if (selector === undefined || selector === null) return true;
  if (!isObject(selector)) return false;
  const matchLabels = selector.matchLabels;
  const expressions = selector.matchExpressions;
  if (isUnknown(matchLabels) || isUnknown(expressions)) return "unknown";
  for (const [k, v] of Object.entries(obj(matchLabels))) {
    if (isUnknown(v)) return "unknown";
    if (labels[k] !== v) return false;
  }
  for (const e of arr(expressions)) {
    const key = str(at(e, "key"));
    const operator = str(at(e, "operator"));
    const values = strings(at(e, "values"));
    if (key === undefined || operator === undefined) return "unknown";
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const ok =
      operator === "In"
        ? has && values.includes(labels[key])
        : operator === "NotIn"
          ? !has || !values.includes(labels[key])
          : operator === "Exists"
            ? has
            : operator === "DoesNotExist"
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** A selector that selects everything: absent, `{}`, or with empty matchLabels and matchExpressions. */
export function isEmptySelector(selector: unknown): boolean {
  if (selector === undefined || selector === null) return true;
  if (!isObject(selector)) return false;
  return Object.keys(obj(selector.matchLabels)).length === 0 && arr(selector.matchExpressions).length === 0;
}

/** Groups namespaced objects of some types by namespace (objects whose namespace is unknown go under `undefined`). */
export function byNamespace(
  resources: PolicyResource[],
  stack: StackView,
): Map<string | undefined, PolicyResource[]> {
  const out = new Map<string | undefined, PolicyResource[]>();
  for (const r of resources) {
    const ns = namespaceOf(r, stack);
    const list = out.get(ns);
    if (list) list.push(r);
    else out.set(ns, [r]);
  }
  return out;
}
