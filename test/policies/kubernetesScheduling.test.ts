/**
 * GPUs, tolerations and in-memory volumes (policies/kubernetesScheduling.ts): the secure path as the
 * `vllm` runtime renders it, and each way each rule refuses — offline and, through `check()`, under
 * the CrossGuard handler.
 */
import { check, container, kube, messages, podSpec, UNKNOWN, workload, WORKLOAD_KINDS } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const GPU_TAINT = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };

/** A vLLM-like pod: one GPU requested and limited, the GPU taint tolerated, a bounded /dev/shm. */
function gpuPod(overrides: Json = {}, resources?: Json): Json {
  const server = container("vllm", {
    resources: resources ?? {
      requests: { cpu: "4", memory: "24Gi", "nvidia.com/gpu": "1" },
      limits: { cpu: "8", memory: "32Gi", "nvidia.com/gpu": "1" },
    },
    volumeMounts: [
      { name: "tmp", mountPath: "/tmp" },
      { name: "shm", mountPath: "/dev/shm" },
    ],
  });
  return podSpec({
    containers: [server],
    tolerations: [GPU_TAINT],
    nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" },
    volumes: [
      { name: "tmp", emptyDir: {} },
      { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "8Gi" } },
    ],
    ...overrides,
  });
}

describe("the secure path", () => {
  it.each(WORKLOAD_KINDS)("a GPU %s as vLLM renders it passes all three rules", (kind) => {
    const w = workload(kind, gpuPod());
    for (const rule of [
      "k8s-gpu-limits-equal-requests",
      "k8s-tolerations-scoped",
      "k8s-memory-volume-size-limit",
    ])
      expect({ rule, found: check([w], rule) }).toEqual({ rule, found: { violations: [], deferred: [] } });
  });
  it("a pod without GPUs, tolerations or memory volumes is not concerned", () => {
    const w = workload("Deployment");
    for (const rule of [
      "k8s-gpu-limits-equal-requests",
      "k8s-tolerations-scoped",
      "k8s-memory-volume-size-limit",
    ])
      expect(messages([w], rule)).toEqual([]);
  });
  it("accepts a GPU limit alone (Kubernetes copies it to the request), a numeric count and other GPU vendors", () => {
    const limitOnly = gpuPod(
      {},
      { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi", "nvidia.com/gpu": 2 } },
    );
    expect(messages([workload("Deployment", limitOnly)], "k8s-gpu-limits-equal-requests")).toEqual([]);
    const amd = gpuPod(
      { tolerations: [{ key: "amd.com/gpu", operator: "Exists", effect: "NoSchedule" }] },
      {
        requests: { cpu: "1", memory: "1Gi", "amd.com/gpu": "1" },
        limits: { cpu: "1", memory: "1Gi", "amd.com/gpu": "1" },
      },
    );
    expect(messages([workload("Deployment", amd)], "k8s-gpu-limits-equal-requests")).toEqual([]);
    expect(messages([workload("Deployment", amd)], "k8s-tolerations-scoped")).toEqual([]);
  });
  it("lets a pod tolerate a non-GPU taint by key", () => {
    const w = workload(
      "Deployment",
      podSpec({ tolerations: [{ key: "dedicated", operator: "Equal", value: "ml", effect: "NoSchedule" }] }),
    );
    expect(messages([w], "k8s-tolerations-scoped")).toEqual([]);
  });
  it("judges a KServe ServingRuntime's containers and tolerations too", () => {
    const runtime = kube("serving.kserve.io/v1alpha1", "ServingRuntime", "vllm", {
      spec: { supportedModelFormats: [{ name: "huggingface" }], ...gpuPod() },
    });
    expect(messages([runtime], "k8s-gpu-limits-equal-requests")).toEqual([]);
    (runtime.inputs as Json).spec.containers[0].resources.limits["nvidia.com/gpu"] = "2";
    expect(messages([runtime], "k8s-gpu-limits-equal-requests")).toEqual([
      'container "vllm" (spec.containers[0]) requests 1 nvidia.com/gpu but limits it to 2',
    ]);
  });
});

describe("k8s-gpu-limits-equal-requests refuses", () => {
  const rule = "k8s-gpu-limits-equal-requests";
  const withResources = (resources: Json) => workload("Deployment", gpuPod({}, resources));
  it("a GPU request without a limit", () => {
    const w = withResources({
      requests: { cpu: "1", memory: "1Gi", "nvidia.com/gpu": "1" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    expect(messages([w], rule)).toEqual([
      'container "vllm" (spec.template.spec.containers[0]) requests nvidia.com/gpu without a limit',
    ]);
  });
  it("a limit that differs from the request", () => {
    const w = withResources({
      requests: { cpu: "1", memory: "1Gi", "nvidia.com/mig-1g.10gb": "1" },
      limits: { cpu: "1", memory: "1Gi", "nvidia.com/mig-1g.10gb": "2" },
    });
    expect(messages([w], rule)).toEqual([
      'container "vllm" (spec.template.spec.containers[0]) requests 1 nvidia.com/mig-1g.10gb but limits it to 2',
    ]);
  });
  it("a fractional GPU", () => {
    const w = withResources({
      requests: { cpu: "1", memory: "1Gi" },
      limits: { cpu: "1", memory: "1Gi", "gpu.intel.com/i915": "500m" },
    });
    expect(messages([w], rule)).toEqual([
      'container "vllm" (spec.template.spec.containers[0]) limits gpu.intel.com/i915 to 500m, not a whole number',
    ]);
  });
  it("in an InferenceService predictor and an init container", () => {
    const spec = gpuPod();
    spec.initContainers = [
      container("fetch", {
        resources: {
          requests: { cpu: "1", memory: "1Gi", "nvidia.com/gpu": "1" },
          limits: { cpu: "1", memory: "1Gi" },
        },
      }),
    ];
    expect(messages([workload("InferenceService", spec)], rule)).toEqual([
      'predictor init container "fetch" (spec.predictor.initContainers[0]) requests nvidia.com/gpu without a limit',
    ]);
  });
  it("reports unknown resources as not checked", () => {
    const w = withResources({
      requests: UNKNOWN,
      limits: { cpu: "1", memory: "1Gi", "nvidia.com/gpu": "1" },
    });
    expect(check([w], rule).violations).toEqual([expect.objectContaining({ notChecked: true })]);
  });
});

describe("k8s-tolerations-scoped refuses", () => {
  const rule = "k8s-tolerations-scoped";
  it("a toleration of every taint", () => {
    const w = workload("Deployment", gpuPod({ tolerations: [GPU_TAINT, { operator: "Exists" }] }));
    expect(messages([w], rule)).toEqual([
      "pod spec (spec.template.spec.tolerations[1]) tolerates every taint (operator Exists, no key)",
    ]);
  });
  it("the GPU taint on a pod that asks for no GPU", () => {
    const w = workload("Deployment", podSpec({ tolerations: [GPU_TAINT] }));
    expect(messages([w], rule)).toEqual([
      "pod spec (spec.template.spec.tolerations[0]) tolerates the nvidia.com/gpu taint but asks for no nvidia.com/gpu",
    ]);
  });
  it("another vendor's GPU taint than the GPU it asks for", () => {
    const w = workload(
      "Job",
      gpuPod({ tolerations: [GPU_TAINT, { key: "amd.com/gpu", operator: "Exists" }] }),
    );
    expect(messages([w], rule)).toEqual([
      "pod spec (spec.template.spec.tolerations[1]) tolerates the amd.com/gpu taint but asks for no amd.com/gpu",
    ]);
  });
  it("reports unknown tolerations, and unknown resources behind a GPU toleration, as not checked", () => {
    expect(check([workload("Deployment", podSpec({ tolerations: UNKNOWN }))], rule).violations).toEqual([
      expect.objectContaining({ notChecked: true }),
    ]);
    const unknownResources = podSpec({
      tolerations: [GPU_TAINT],
      containers: [container("s", { resources: UNKNOWN })],
    });
    const found = check([workload("Deployment", unknownResources)], rule);
    expect(found.violations.every((v) => v.notChecked)).toBe(true);
    expect(found.violations.length).toBeGreaterThan(0);
  });
});

describe("k8s-memory-volume-size-limit refuses", () => {
  const rule = "k8s-memory-volume-size-limit";
  it("an in-memory emptyDir without a sizeLimit", () => {
    const w = workload(
      "Deployment",
      gpuPod({
        volumes: [
          { name: "tmp", emptyDir: {} },
          { name: "shm", emptyDir: { medium: "Memory" } },
        ],
      }),
    );
    expect(messages([w], rule)).toEqual([
      'in-memory volume "shm" (spec.template.spec.volumes[1]) has no sizeLimit',
    ]);
  });
  it("in a CronJob and an InferenceService", () => {
    const spec = gpuPod({ volumes: [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "" } }] });
    expect(messages([workload("CronJob", spec)], rule)).toEqual([
      'in-memory volume "shm" (spec.jobTemplate.spec.template.spec.volumes[0]) has no sizeLimit',
    ]);
    expect(messages([workload("InferenceService", spec)], rule)).toEqual([
      'predictor in-memory volume "shm" (spec.predictor.volumes[0]) has no sizeLimit',
    ]);
  });
  it("reports an unknown medium or size as not checked", () => {
    const w = workload(
      "Deployment",
      gpuPod({ volumes: [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: UNKNOWN } }] }),
    );
    expect(check([w], rule).violations).toEqual([expect.objectContaining({ notChecked: true })]);
  });
});
