/**
 * Finds pod specs by their shape, in every Kubernetes object: an object holding a `containers`
 * list of container-like objects (`name` / `image`) is a pod spec wherever it sits — `spec` of a
 * Pod, `spec.template.spec` of a Deployment, ReplicationController, OpenShift DeploymentConfig or
 * Argo Rollout, `spec.jobTemplate.spec.template.spec` of a CronJob, the `spec` of a KServe
 * ServingRuntime, or anywhere inside a custom resource the pack has never heard of. A kind the
 * pack does not know is therefore checked, not skipped.
 *
 * KServe InferenceService components (predictor, transformer, explainer) are pods even without a
 * `containers` list: their model server sits in single-container fields such as `predictor.model`.
 *
 * The search is bounded (`MAX_POD_SPEC_DEPTH`); a value that is unknown where a pod spec could be
 * (`template`, `containers`, a whole `spec`) is recorded, so every pod rule reports it as not
 * checked instead of passing it.
 */
import { isKubernetesObject } from "./platformLabels";
import type { PolicyResource } from "./rule";
import { arr, isObject, isUnknown, memoized, obj, Props, str } from "./values";

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** Parses `kubernetes:<group>/<version>:<Kind>` (core group spelled `core`); kept per type token, as a stack has few distinct types and many resources. */
export const kubernetesGvk = memoized(parseGvk);

function parseGvk(type: string): Gvk | undefined {
  if (!type.startsWith("kubernetes:")) return undefined;
  const rest = type.slice("kubernetes:".length);
  const colon = rest.lastIndexOf(":");
  if (colon < 0) return undefined;
  const apiVersion = rest.slice(0, colon);
  const slash = apiVersion.lastIndexOf("/");
  if (slash < 0) return undefined;
  return {
    group: apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
    kind: rest.slice(colon + 1),
  };
}

/**
 * Controllers whose pods the stack rules relate to PodDisruptionBudgets and NetworkPolicies (the
 * resource rules find pods in every kind by shape, these included).
 */
const CONTROLLER_GROUPS: Record<string, string[]> = {
  core: ["Pod", "ReplicationController"],
  apps: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
  extensions: ["Deployment", "DaemonSet", "ReplicaSet"],
  batch: ["Job", "CronJob"],
  "apps.openshift.io": ["DeploymentConfig"],
  "argoproj.io": ["Rollout"],
};
export const INFERENCE_SERVICE_GROUP = "serving.kserve.io";

/** Pods, the workload controllers (incl. DeploymentConfig and Argo Rollout) and KServe InferenceService. */
export function isWorkloadType(type: string): boolean {
  const gvk = kubernetesGvk(type);
  if (!gvk) return false;
  if (gvk.group === INFERENCE_SERVICE_GROUP) return gvk.kind === "InferenceService";
  return CONTROLLER_GROUPS[gvk.group]?.includes(gvk.kind) ?? false;
}

export function isInferenceService(type: string): boolean {
  const gvk = kubernetesGvk(type);
  return gvk?.group === INFERENCE_SERVICE_GROUP && gvk.kind === "InferenceService";
}

/**
 * Kinds whose pod spec is a fragment merged into another object's pods: a KServe ServingRuntime's
 * containers run in the pods of the InferenceServices that use it, under *their* service account
 * (ServingRuntimePodSpec has no serviceAccountName), so rules about the pod's identity judge the
 * InferenceService, not the runtime.
 */
const POD_FRAGMENT_KINDS = new Set(["ServingRuntime", "ClusterServingRuntime"]);

/** Kinds whose data is text, never a pod spec (their values are checked by the secret rules). */
const NO_POD_KINDS = new Set(["ConfigMap", "Secret", "CustomResourceDefinition"]);

/**
 * Every Kubernetes object may carry a pod spec; Helm releases and YAML / Kustomize groups are
 * not objects (their values are chart inputs, and what they render is registered as objects).
 */
export function mayCarryPods(type: string): boolean {
  if (!isKubernetesObject(type)) return false;
  const gvk = kubernetesGvk(type);
  return gvk !== undefined && !NO_POD_KINDS.has(gvk.kind);
}

/** KServe fields that hold one container each (the model server), by component. */
const KSERVE_SINGLE_CONTAINERS: Record<string, string[]> = {
  predictor: [
    "model",
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "pmml",
    "lightgbm",
    "paddle",
    "huggingface",
  ],
  transformer: [],
  explainer: ["art"],
};

/**
 * How deep the search for pod specs goes (objects and lists both count). The deepest standard
 * place is a CronJob's `spec.jobTemplate.spec.template.spec` (5); 16 leaves room for custom
 * resources that wrap a pod template a few times. Anything deeper is reported as not checked.
 */
export const MAX_POD_SPEC_DEPTH = 16;

/** Keys under which an unknown value may hide a pod spec or its containers. */
const POD_BEARING_KEYS = new Set([
  "template",
  "podTemplate",
  "jobTemplate",
  "containers",
  "initContainers",
  "ephemeralContainers",
  "predictor",
  "transformer",
  "explainer",
  "workerSpec",
]);
const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;

export type ContainerList = "containers" | "initContainers" | "ephemeralContainers" | "model";

export interface ContainerView {
  spec: Props;
  list: ContainerList;
  /** JSON path of the container inside the resource, e.g. `spec.template.spec.initContainers[0]`. */
  path: string;
  /** How messages name it: `init container "setup"`. */
  label: string;
  /** Serves for the pod's lifetime (needs probes): regular containers, KServe model servers, native sidecars. */
  longRunning: boolean;
  /** Kubernetes forbids resources, ports and probes on ephemeral containers. */
  ephemeral: boolean;
}

export interface PodView {
  resource: PolicyResource;
  /** Kind of the owning object (`Deployment`, `InferenceService`, `ServingRuntime`). */
  kind: string;
  spec: Props;
  /** JSON path of the pod spec in the resource (`spec.template.spec`, `spec.predictor`). */
  path: string;
  /** Labels and annotations the pods get. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Whether the pods run until stopped (not a Job / CronJob / run-to-completion pod). */
  longRunning: boolean;
  containers: ContainerView[];
  /** Prefix for messages: `` (plain workloads) or `predictor ` (KServe components). */
  component: string;
  /** A fragment merged into other objects' pods (ServingRuntime): it cannot set the pod's identity. */
  fragment: boolean;
}

/** The pods of a resource; `unknownAt` names every place where an unknown value may hide a pod spec or container. */
export interface PodSites {
  pods: PodView[];
  unknownAt: string[];
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) if (typeof v === "string") out[k] = v;
  return out;
}

/** A container as Kubernetes requires one: an object with a name or an image. */
function isContainerLike(value: unknown): boolean {
  return isObject(value) && (typeof value.name === "string" || typeof value.image === "string");
}

/**
 * An object shaped like a pod spec: a `containers` list holding a container-like object (or an
 * entry that is unknown at preview, which may be one).
 */
export function isPodSpecShaped(value: unknown): value is Props {
  if (!isObject(value)) return false;
  const list = value.containers;
  return Array.isArray(list) && list.some((c) => isContainerLike(c) || isUnknown(c));
}

function containersOf(
  spec: Props,
  path: string,
  podLongRunning: boolean,
  component: string,
  unknownAt: string[],
): ContainerView[] {
  const out: ContainerView[] = [];
  const nouns: Record<(typeof CONTAINER_LISTS)[number], string> = {
    containers: "container",
    initContainers: "init container",
    ephemeralContainers: "ephemeral container",
  };
  for (const list of CONTAINER_LISTS) {
    const value = spec[list];
    if (isUnknown(value)) {
      unknownAt.push(`${path}.${list}`);
      continue;
    }
    arr(value).forEach((c, i) => {
      if (isUnknown(c)) {
        unknownAt.push(`${path}.${list}[${i}]`);
        return;
      }
      if (!isObject(c)) return;
      const name = str(c.name) ?? `#${i}`;
      const nativeSidecar = list === "initContainers" && c.restartPolicy === "Always";
      out.push({
        spec: c,
        list,
        path: `${path}.${list}[${i}]`,
        label: `${component}${nouns[list]} "${name}"`,
        longRunning: podLongRunning && (list === "containers" || nativeSidecar),
        ephemeral: list === "ephemeralContainers",
      });
    });
  }
  return out;
}

const RUN_TO_COMPLETION_KINDS = ["Job", "CronJob"];

/** A pod runs until stopped unless its owner is a Job / CronJob or its restartPolicy ends it. */
function runsUntilStopped(kind: string, spec: Props): boolean {
  if (RUN_TO_COMPLETION_KINDS.includes(kind)) return false;
  return spec.restartPolicy !== "Never" && spec.restartPolicy !== "OnFailure";
}

/** A pod spec found by shape; `holder` is the object it sits in (its `metadata` are the pod's). */
interface Found {
  spec: Props;
  path: string;
  holder: Props;
}

function search(
  node: unknown,
  path: string,
  depth: number,
  holder: Props,
  skip: ReadonlySet<unknown>,
  found: Found[],
  unknownAt: string[],
): void {
  if (Array.isArray(node)) {
    if (depth >= MAX_POD_SPEC_DEPTH)
      return void unknownAt.push(`${path} (nested deeper than ${MAX_POD_SPEC_DEPTH})`);
    node.forEach((v, i) => search(v, `${path}[${i}]`, depth + 1, holder, skip, found, unknownAt));
    return;
  }
  if (!isObject(node)) return;
  if (depth >= MAX_POD_SPEC_DEPTH)
    return void unknownAt.push(`${path} (nested deeper than ${MAX_POD_SPEC_DEPTH})`);
  const podSpec = isPodSpecShaped(node);
  if (podSpec && !skip.has(node)) found.push({ spec: node, path, holder });
  for (const [key, value] of Object.entries(node)) {
    if (key === "metadata" || key === "status") continue;
    // A pod spec's containers are read by containersOf, not searched again.
    if (podSpec && (CONTAINER_LISTS as readonly string[]).includes(key)) continue;
    const childPath = path ? `${path}.${key}` : key;
    if (isUnknown(value)) {
      if (POD_BEARING_KEYS.has(key) || (key === "spec" && (path === "" || path.endsWith("template"))))
        unknownAt.push(childPath);
      continue;
    }
    search(value, childPath, depth + 1, node, skip, found, unknownAt);
  }
}

function inferenceServiceComponents(resource: PolicyResource, unknownAt: string[]): PodView[] {
  const spec = resource.props.spec;
  if (!isObject(spec)) return [];
  const metadata = obj(resource.props.metadata);
  const pods: PodView[] = [];
  for (const component of ["predictor", "transformer", "explainer"]) {
    const c = spec[component];
    if (!isObject(c)) continue;
    const path = `spec.${component}`;
    const prefix = `${component} `;
    const containers = containersOf(c, path, true, prefix, unknownAt);
    for (const key of KSERVE_SINGLE_CONTAINERS[component]) {
      const single = c[key];
      if (isUnknown(single)) unknownAt.push(`${path}.${key}`);
      if (!isObject(single)) continue;
      containers.push({
        spec: single,
        list: "model",
        path: `${path}.${key}`,
        label: `${prefix}model server "${str(single.name) ?? key}"`,
        longRunning: true,
        ephemeral: false,
      });
    }
    const name = str(metadata.name) ?? resource.name;
    pods.push({
      resource,
      kind: "InferenceService",
      spec: c,
      path,
      labels: {
        ...stringMap(metadata.labels),
        ...stringMap(c.labels),
        "serving.kserve.io/inferenceservice": name,
        component,
      },
      annotations: { ...stringMap(metadata.annotations), ...stringMap(c.annotations) },
      longRunning: true,
      containers,
      component: prefix,
      fragment: false,
    });
  }
  return pods;
}

/** Every pod the resource runs or templates (none for objects without a pod spec); kept per resource, so the thirty-odd pod rules read a resource once. */
export const podSites = memoized(findPodSites, new WeakMap<PolicyResource, PodSites>());

function findPodSites(resource: PolicyResource): PodSites {
  const gvk = kubernetesGvk(resource.type);
  if (!gvk || !mayCarryPods(resource.type)) return { pods: [], unknownAt: [] };
  const unknownAt: string[] = [];
  const pods = isInferenceService(resource.type) ? inferenceServiceComponents(resource, unknownAt) : [];
  const found: Found[] = [];
  search(resource.props, "", 0, resource.props, new Set(pods.map((p) => p.spec)), found, unknownAt);
  for (const f of found) {
    const longRunning = runsUntilStopped(gvk.kind, f.spec);
    // The pod's own metadata sit beside its spec (`template.metadata`, a Pod's `metadata`).
    const meta =
      f.path === "spec" || f.path.endsWith(".spec") ? obj(f.holder.metadata) : obj(f.spec.metadata);
    pods.push({
      resource,
      kind: gvk.kind,
      spec: f.spec,
      path: f.path,
      labels: stringMap(meta.labels),
      annotations: stringMap(meta.annotations),
      longRunning,
      containers: containersOf(f.spec, f.path, longRunning, "", unknownAt),
      component: "",
      fragment: POD_FRAGMENT_KINDS.has(gvk.kind),
    });
  }
  return { pods, unknownAt };
}

/** A pod-level security context field, overridden by the container's own (as the kubelet does). */
export function effectiveSecurityField(pod: PodView, container: ContainerView, field: string): unknown {
  const own = container.spec.securityContext;
  if (isUnknown(own)) return own;
  const value = obj(own)[field];
  if (value !== undefined) return value;
  const podContext = pod.spec.securityContext;
  return isUnknown(podContext) ? podContext : obj(podContext)[field];
}
