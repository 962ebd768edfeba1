/**
 * Rules for what LLM serving brought into the cluster (the `vllm` runtime, GPU models): GPUs as
 * Kubernetes schedules them, the taints a pod tolerates, and in-memory volumes.
 *
 * - GPUs are extended resources a device plugin advertises: `nvidia.com/gpu` (and the MIG slices
 *   `nvidia.com/mig-<profile>`; NVIDIA's resource name as Kubernetes' own e2e framework uses it,
 *   kubernetes test/e2e/framework/gpu/gpu_util.go at v1.33.3), `amd.com/gpu` (ROCm/k8s-device-plugin)
 *   and `gpu.intel.com/<driver>` (intel/intel-device-plugins-for-kubernetes). Extended resources
 *   cannot be overcommitted: a request without the same limit is refused by the API server or,
 *   in a template, only when a pod is created — long after review.
 * - GPU node pools carry a NoSchedule taint on the same key (EKS and GKE GPU node groups and the
 *   NVIDIA GPU Operator taint `nvidia.com/gpu`), so only pods that asked for a GPU land there.
 * - An `emptyDir` with `medium: Memory` is a tmpfs counted against the pod's memory; without a
 *   `sizeLimit` one process can fill it up to the container's limit and get the pod OOM-killed
 *   instead of failing its own write.
 *
 * Unknown values: a field whose value is unknown during preview is reported as *not checked* (a
 * finding at the rule's level), never passed.
 */
import type { PodView } from "./podSpecs";
import type { Reporter } from "./rule";
import { eachItem } from "./fieldChecks";
import { at, isObject, isUnknown, obj, str } from "./values";
import { eachContainer, eachVolume, notEphemeral, podLabel, workloadRule } from "./workloadRule";

/** Whether a resource name is a GPU a device plugin advertises. */
export function isGpuResource(name: string): boolean {
  return (
    name === "nvidia.com/gpu" ||
    name.startsWith("nvidia.com/mig-") ||
    name === "amd.com/gpu" ||
    name.startsWith("gpu.intel.com/")
  );
}

const gpuNames = (values: unknown) => Object.keys(obj(values)).filter(isGpuResource);

/** A quantity as a number when it is a plain integer (`"1"`, `1`); GPU counts always are. */
function count(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

export const gpuLimitsEqualRequests = workloadRule(
  {
    name: "k8s-gpu-limits-equal-requests",
    description:
      "Containers that ask for a GPU (nvidia.com/gpu, nvidia.com/mig-*, amd.com/gpu, gpu.intel.com/*) set a whole-number limit equal to the request: GPUs are not shared or overcommitted, and a request without the same limit is refused only when the pod is created.",
    severity: "medium",
    remediation:
      "Set `resources.limits.<gpu resource>` to the same whole number as `resources.requests.<gpu resource>` (or set only the limit, which Kubernetes copies to the request).",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachContainer(
      pod,
      report,
      "resources",
      (resources, c) => {
        const requests = at(resources, "requests");
        const limits = at(resources, "limits");
        if (isUnknown(requests)) return report.unknown(`${c.path}.resources.requests`);
        if (isUnknown(limits)) return report.unknown(`${c.path}.resources.limits`);
        for (const gpu of new Set([...gpuNames(requests), ...gpuNames(limits)])) {
          const requested = obj(requests)[gpu];
          const limit = obj(limits)[gpu];
          if (isUnknown(requested) || isUnknown(limit)) {
            report.unknown(`${c.path}.resources ${gpu}`);
            continue;
          }
          if (limit === undefined) {
            report.violation(`${c.label} (${c.path}) requests ${gpu} without a limit`);
          } else if (count(limit) === undefined) {
            report.violation(`${c.label} (${c.path}) limits ${gpu} to ${String(limit)}, not a whole number`);
          } else if (requested !== undefined && count(requested) !== count(limit)) {
            report.violation(
              `${c.label} (${c.path}) requests ${String(requested)} ${gpu} but limits it to ${String(limit)}`,
            );
          }
        }
      },
      notEphemeral,
    ),
);

/** The GPU resources any container of the pod asks for; undefined when a resources field is unknown. */
function podGpus(pod: PodView, report: Reporter): Set<string> | undefined {
  const gpus = new Set<string>();
  let unknown = false;
  for (const c of pod.containers) {
    for (const field of ["requests", "limits"]) {
      const values = at(c.spec, `resources.${field}`);
      if (isUnknown(values) || isUnknown(c.spec.resources)) {
        report.unknown(`${c.path}.resources.${field}`);
        unknown = true;
      } else gpuNames(values).forEach((g) => gpus.add(g));
    }
  }
  return unknown ? undefined : gpus;
}

export const tolerationsScoped = workloadRule(
  {
    name: "k8s-tolerations-scoped",
    description:
      "Pods tolerate only the taints they need: no toleration of every taint (operator Exists without a key), and a GPU taint (nvidia.com/gpu, amd.com/gpu, gpu.intel.com/*) only by a pod that asks for that GPU — so other workloads neither land on GPU nodes nor on nodes tainted for any other reason.",
    severity: "medium",
    remediation:
      "Tolerate taints by key (`key: nvidia.com/gpu, operator: Exists, effect: NoSchedule`), and only the GPU taint of a GPU the pod requests.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    let gpus: Set<string> | undefined | null = null;
    const checkToleration = (t: unknown, where: string) => {
      if (isObject(t) && (isUnknown(t.key) || isUnknown(t.operator))) return report.unknown(where);
      const key = str(at(t, "key")) ?? "";
      if (key === "") {
        if (at(t, "operator") === "Exists")
          report.violation(`${podLabel(pod)} (${where}) tolerates every taint (operator Exists, no key)`);
        return;
      }
      if (!isGpuResource(key)) return;
      if (gpus === null) gpus = podGpus(pod, report);
      if (gpus !== undefined && !gpus.has(key))
        report.violation(`${podLabel(pod)} (${where}) tolerates the ${key} taint but asks for no ${key}`);
    };
    eachItem(pod.spec, "tolerations", report, checkToleration, `${pod.path}.tolerations`);
  },
);

export const memoryVolumeSizeLimit = workloadRule(
  {
    name: "k8s-memory-volume-size-limit",
    description:
      "In-memory emptyDir volumes (medium: Memory, such as vLLM's /dev/shm) set a sizeLimit: the tmpfs counts against the pod's memory, and without a bound a full /dev/shm OOM-kills the pod instead of failing a write.",
    severity: "medium",
    remediation:
      "Set `emptyDir.sizeLimit` on every `medium: Memory` volume (for /dev/shm, what the server's workers exchange, e.g. 8Gi for tensor-parallel vLLM) and keep it within the container's memory limit.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachVolume(
      pod,
      report,
      (v, where, label) => {
        const emptyDir = at(v, "emptyDir");
        if (isUnknown(emptyDir)) return report.unknown(where);
        if (!isObject(emptyDir)) return;
        if (isUnknown(emptyDir.medium) || isUnknown(emptyDir.sizeLimit))
          return report.unknown(`${where}.emptyDir`);
        if (emptyDir.medium !== "Memory") return;
        const limit = emptyDir.sizeLimit;
        if (limit === undefined || limit === null || limit === "" || limit === "0" || limit === 0)
          report.violation(`${label} (${where}) has no sizeLimit`);
      },
      "in-memory volume",
    ),
);
