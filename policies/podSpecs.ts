/**
 * Finds the pods inside every pod-bearing kind — Pod, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job, CronJob and the predictor / transformer / explainer of a KServe
 * InferenceService — and every container in them (`containers`, `initContainers`,
 * `ephemeralContainers`, and KServe's single-container fields such as `predictor.model`).
 */
import type { PolicyResource } from "./rule";
import { arr, at, isObject, isUnknown, obj, Props, str } from "./values";

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** Parsed type tokens, kept: a stack has few distinct types and many resources. */
const GVKS = new Map<string, Gvk | undefined>();

/** Parses `kubernetes:<group>/<version>:<Kind>` (core group spelled `core`). */
export function kubernetesGvk(type: string): Gvk | undefined {
  if (GVKS.has(type)) return GVKS.get(type);
  const gvk = parseGvk(type);
  GVKS.set(type, gvk);
  return gvk;
}

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

const CONTROLLER_GROUPS: Record<string, string[]> = {
  core: ["Pod"],
  apps: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
  extensions: ["Deployment", "DaemonSet", "ReplicaSet"],
  batch: ["Job", "CronJob"],
};
export const INFERENCE_SERVICE_GROUP = "serving.kserve.io";

/** Pod, the workload controllers and KServe InferenceService, in any served API version. */
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
  /** Kind of the owning object (`Deployment`, `InferenceService`). */
  kind: string;
  spec: Props;
  /** JSON path of the pod spec in the resource (`spec.template.spec`, `spec.predictor`). */
  path: string;
  /** Labels and annotations the pods get. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Whether the pods run until stopped (not a Job / CronJob / run-to-completion Pod). */
  longRunning: boolean;
  containers: ContainerView[];
  /** Prefix for messages: `` (plain workloads) or `predictor ` (KServe components). */
  component: string;
}

/** The pods of a workload; `unknownAt` names the path when the pod spec itself is unknown. */
export interface PodSites {
  pods: PodView[];
  unknownAt?: string;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) if (typeof v === "string") out[k] = v;
  return out;
}

function containersOf(
  spec: Props,
  path: string,
  podLongRunning: boolean,
  component: string,
): ContainerView[] {
  const out: ContainerView[] = [];
  const lists: Array<[ContainerList, string]> = [
    ["containers", "container"],
    ["initContainers", "init container"],
    ["ephemeralContainers", "ephemeral container"],
  ];
  for (const [list, noun] of lists) {
    arr(spec[list]).forEach((c, i) => {
      if (!isObject(c)) return;
      const name = str(c.name) ?? `#${i}`;
      const nativeSidecar = list === "initContainers" && c.restartPolicy === "Always";
      out.push({
        spec: c,
        list,
        path: `${path}.${list}[${i}]`,
        label: `${component}${noun} "${name}"`,
        longRunning: podLongRunning && (list === "containers" || nativeSidecar),
        ephemeral: list === "ephemeralContainers",
      });
    });
  }
  return out;
}

function podView(
  resource: PolicyResource,
  kind: string,
  spec: Props,
  path: string,
  meta: Props,
  longRunning: boolean,
): PodView {
  return {
    resource,
    kind,
    spec,
    path,
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
    longRunning,
    containers: containersOf(spec, path, longRunning, ""),
    component: "",
  };
}

function inferenceServicePods(resource: PolicyResource): PodSites {
  const spec = resource.props.spec;
  if (isUnknown(spec)) return { pods: [], unknownAt: "spec" };
  const metadata = obj(resource.props.metadata);
  const pods: PodView[] = [];
  for (const component of ["predictor", "transformer", "explainer"]) {
    const c = at(spec, component);
    if (isUnknown(c)) return { pods, unknownAt: `spec.${component}` };
    if (!isObject(c)) continue;
    const path = `spec.${component}`;
    const prefix = `${component} `;
    const containers = containersOf(c, path, true, prefix);
    for (const key of KSERVE_SINGLE_CONTAINERS[component]) {
      const single = c[key];
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
    });
  }
  return { pods };
}

/** Pod views per resource, so the thirty-odd pod rules read a workload once. */
const SITES = new WeakMap<PolicyResource, PodSites>();

/** Every pod the resource runs (none for non-workloads). */
export function podSites(resource: PolicyResource): PodSites {
  let sites = SITES.get(resource);
  if (!sites) {
    sites = findPodSites(resource);
    SITES.set(resource, sites);
  }
  return sites;
}

function findPodSites(resource: PolicyResource): PodSites {
  const gvk = kubernetesGvk(resource.type);
  if (!gvk || !isWorkloadType(resource.type)) return { pods: [] };
  if (gvk.kind === "InferenceService") return inferenceServicePods(resource);
  const props = resource.props;
  let specPath: string;
  let metaPath: string;
  let longRunning = true;
  switch (gvk.kind) {
    case "Pod":
      specPath = "spec";
      metaPath = "metadata";
      break;
    case "CronJob":
      specPath = "spec.jobTemplate.spec.template.spec";
      metaPath = "spec.jobTemplate.spec.template.metadata";
      longRunning = false;
      break;
    default:
      specPath = "spec.template.spec";
      metaPath = "spec.template.metadata";
      longRunning = gvk.kind !== "Job";
  }
  const spec = at(props, specPath);
  if (isUnknown(spec)) return { pods: [], unknownAt: specPath };
  if (!isObject(spec)) return { pods: [] };
  if (gvk.kind === "Pod") {
    const restart = spec.restartPolicy;
    longRunning = restart !== "Never" && restart !== "OnFailure";
  }
  return { pods: [podView(resource, gvk.kind, spec, specPath, obj(at(props, metaPath)), longRunning)] };
}

/** A pod-level security context field, overridden by the container's own (as the kubelet does). */
export function effectiveSecurityField(pod: PodView, container: ContainerView, field: string): unknown {
  const own = at(container.spec, `securityContext.${field}`);
  return own !== undefined ? own : at(pod.spec, `securityContext.${field}`);
}
