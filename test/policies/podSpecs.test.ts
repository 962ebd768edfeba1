import { MAX_POD_SPEC_DEPTH, podSites } from "../../policies/podSpecs";
import { toPolicyResource } from "../../policies/evaluate";
import { check, container, kube, messages, podSpec, UNKNOWN, workload } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A compliant pod spec whose only container runs privileged. */
function privilegedPod(): Json {
  const spec = podSpec();
  spec.containers[0].securityContext.privileged = true;
  return spec;
}

const template = (spec: Json) => ({ metadata: { labels: { app: "x" } }, spec });

describe("pod specs found by shape", () => {
  it.each([
    [
      "v1",
      "ReplicationController",
      { spec: { replicas: 2, template: template(privilegedPod()) } },
      "spec.template.spec",
    ],
    [
      "apps.openshift.io/v1",
      "DeploymentConfig",
      { spec: { replicas: 2, template: template(privilegedPod()) } },
      "spec.template.spec",
    ],
    [
      "argoproj.io/v1alpha1",
      "Rollout",
      { spec: { replicas: 2, strategy: { canary: {} }, template: template(privilegedPod()) } },
      "spec.template.spec",
    ],
    [
      "serving.kserve.io/v1alpha1",
      "ServingRuntime",
      { spec: { supportedModelFormats: [{ name: "sklearn" }], ...privilegedPod() } },
      "spec",
    ],
    [
      "acme.example.com/v1",
      "Trainer",
      { spec: { workers: { replicas: 4, podTemplate: template(privilegedPod()) } } },
      "spec.workers.podTemplate.spec",
    ],
    [
      "batch.volcano.sh/v1alpha1",
      "Job",
      { spec: { tasks: [{ name: "t", template: template(privilegedPod()) }] } },
      "spec.tasks[0].template.spec",
    ],
  ])("checks a privileged container in %s %s", (apiVersion, kind, body, path) => {
    const r = kube(apiVersion, kind, "w", body);
    expect(messages([r], "k8s-no-privileged")).toEqual([
      `container "server" (${path}.containers[0]) runs privileged`,
    ]);
  });

  it("passes the same objects when they are compliant", () => {
    const r = kube("argoproj.io/v1alpha1", "Rollout", "w", { spec: { template: template(podSpec()) } });
    expect(messages([r], "k8s-no-privileged")).toEqual([]);
    expect(messages([r], "k8s-requests-set")).toEqual([]);
  });

  it("finds a KServe multi-node worker spec beside the predictor", () => {
    const isvc = workload("InferenceService");
    (isvc.inputs as Json).spec.predictor.workerSpec = privilegedPod();
    expect(messages([isvc], "k8s-no-privileged")).toEqual([
      'container "server" (spec.predictor.workerSpec.containers[0]) runs privileged',
    ]);
  });

  it("takes the pod labels from the template beside the spec, and run-to-completion from restartPolicy", () => {
    const r = kube("acme.example.com/v1", "Batch", "b", {
      spec: {
        template: { metadata: { labels: { role: "batch" } }, spec: { ...podSpec(), restartPolicy: "Never" } },
      },
    });
    const [pod] = podSites(toPolicyResource(r)).pods;
    expect(pod.labels).toEqual({ role: "batch" });
    expect(pod.longRunning).toBe(false);
  });

  it("does not search ConfigMaps, Secrets, CRDs or Helm releases", () => {
    const cm = kube("v1", "ConfigMap", "c", { data: { "pod.json": JSON.stringify(privilegedPod()) } });
    const crd = kube("apiextensions.k8s.io/v1", "CustomResourceDefinition", "d", {
      spec: { x: privilegedPod() },
    });
    expect(messages([cm, crd], "k8s-no-privileged")).toEqual([]);
  });

  it("reports a pod spec nested deeper than the bound as not checked", () => {
    let body: Json = privilegedPod();
    for (let i = 0; i < MAX_POD_SPEC_DEPTH + 2; i++) body = { wrap: body };
    const r = kube("acme.example.com/v1", "Deep", "d", { spec: body });
    expect(check([r], "k8s-no-privileged").violations).toEqual([
      expect.objectContaining({
        notChecked: true,
        message: expect.stringContaining(`nested deeper than ${MAX_POD_SPEC_DEPTH}`),
      }),
    ]);
  });

  it("reports an unknown template or container list of any kind as not checked", () => {
    const crd = kube("acme.example.com/v1", "Trainer", "t", { spec: { podTemplate: UNKNOWN } });
    expect(check([crd], "k8s-no-privileged").violations).toEqual([
      expect.objectContaining({ notChecked: true, message: expect.stringContaining("spec.podTemplate") }),
    ]);
    const d = workload("Deployment", podSpec({ containers: [UNKNOWN] }));
    expect(check([d], "k8s-no-privileged").violations).toEqual([
      expect.objectContaining({
        notChecked: true,
        message: expect.stringContaining("spec.template.spec.containers[0]"),
      }),
    ]);
  });

  it("reports an image that is the engine's unknown placeholder as not checked by every image rule", () => {
    const d = workload("Deployment", podSpec({ containers: [container("server", { image: UNKNOWN })] }));
    for (const rule of ["k8s-image-tag-pinned", "k8s-allowed-registries", "k8s-image-digest"]) {
      expect(check([d], rule).violations).toEqual([
        expect.objectContaining({
          notChecked: true,
          message: expect.stringContaining("containers[0].image"),
        }),
      ]);
    }
  });
});

describe("pod spec fragments", () => {
  it("judges a ServingRuntime's containers, but not the pod identity it cannot set", () => {
    const runtime = kube("serving.kserve.io/v1alpha1", "ServingRuntime", "triton", {
      spec: { supportedModelFormats: [{ name: "onnx" }], containers: [container("kserve-container")] },
    });
    expect(messages([runtime], "k8s-no-default-service-account")).toEqual([]);
    expect(messages([runtime], "k8s-no-automount-sa-token")).toEqual([]);
    expect(messages([runtime], "k8s-run-as-non-root")).toEqual([]);
    const root = kube("serving.kserve.io/v1alpha1", "ServingRuntime", "root", {
      spec: { containers: [container("kserve-container", { securityContext: { runAsUser: 0 } })] },
    });
    expect(messages([root], "k8s-run-as-user-nonzero")).toEqual([
      'container "kserve-container" (spec.containers[0]) sets runAsUser: 0',
    ]);
  });
});
