/**
 * Runtime `vllm`: the rendered vLLM server (command, weights copied by the initContainer with the
 * model's own identity, GPU placement, in-memory /dev/shm, writable caches under a read-only root,
 * readiness on the loaded model, queue-based HPA, LLM alerts) and every way its config is refused.
 * vLLM needs a GPU, so these are contract tests on the rendered objects; README.md has the script
 * that starts the rendered container on a GPU machine.
 */
import { ModelServing, validateModelServingArgs } from "../../../components/serving/ModelServing";
import { NON_ROOT_UID } from "../../../components/kube/podSecurity";
import { parseConfig } from "../../../stacks/config";
import { baseRawConfig } from "../../support/config";
import { render, Rendered } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import {
  configWithModel,
  GPU_NODES,
  envOf,
  manifests,
  MLFLOW_IMAGE,
  MODEL_URI,
  modelContainer,
  podSpec,
  servingArgs,
} from "./fixtures";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const LLM = { runtime: "vllm", gpu: { count: 2 } };

async function renderVllm(
  model: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
): Promise<Rendered> {
  const config = configWithModel({ ...LLM, ...model }, overrides);
  return render(() => {
    new ModelServing("model", servingArgs(config, { monitoring: true }));
  });
}

/** The config problems for one model (empty when it parses). */
function problemsFor(model: Record<string, unknown>): string {
  const raw = baseRawConfig();
  const base = { name: "model", team: "fraud", source: { bucket: "fraud-models", path: "llm/tiny" } };
  try {
    parseConfig(
      { ...raw, serving: { gpuNodes: GPU_NODES, models: [{ ...base, ...model }, ...raw.serving.models] } },
      { project: "mlstack", stack: "test" },
    );
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("runtime vllm: the rendered server", () => {
  it("runs `vllm serve` on the weights the initContainer copied, under the model's name, sharded over its GPUs", async () => {
    const r = await renderVllm({ vllm: { maxModelLen: 4096 } });
    const c = modelContainer(r);
    expect(c.image).toBe("docker.io/vllm/vllm-openai:v0.33.0");
    expect(c.command).toEqual(["vllm"]);
    expect(c.args).toEqual([
      "serve",
      "/mnt/models",
      "--served-model-name",
      "model",
      "--host",
      "0.0.0.0",
      "--port",
      "8080",
      "--tensor-parallel-size",
      "2",
      "--max-model-len",
      "4096",
    ]);
    const init = podSpec(r).initContainers;
    expect(init).toHaveLength(1);
    expect(init[0].image).toBe(MLFLOW_IMAGE);
    expect(init[0].name).toBe("fetch-model");
    expect(envOf(init[0]).get("MODEL_URI")?.value).toBe(MODEL_URI);
    expect(envOf(init[0]).get("MODEL_DIR")?.value).toBe("/mnt/models");
    // The download runs with the model's own bucket grant, and the server reads the copy read-only.
    expect(envOf(init[0]).get("AWS_SECRET_ACCESS_KEY")?.valueFrom).toBeDefined();
    expect(c.volumeMounts).toContainEqual({ name: "model", mountPath: "/mnt/models", readOnly: true });
  });

  it("reserves the GPUs, tolerates the GPU taint, selects the GPU nodes and replaces pods without a surge", async () => {
    const r = await renderVllm({
      gpu: { count: 2, nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-L4" } },
    });
    const c = modelContainer(r);
    expect(c.resources.requests["nvidia.com/gpu"]).toBe("2");
    expect(c.resources.limits["nvidia.com/gpu"]).toBe("2");
    const pod = podSpec(r);
    expect(pod.nodeSelector).toEqual({ "nvidia.com/gpu.product": "NVIDIA-L4" });
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    const deployment = r.inputs(r.one("kubernetes:apps/v1:Deployment"));
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it("mounts an in-memory /dev/shm of the configured size and keeps every cache under the writable /tmp", async () => {
    const r = await renderVllm({ vllm: { shmSizeLimit: "4Gi" } });
    const pod = podSpec(r);
    expect(pod.volumes).toContainEqual({ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "4Gi" } });
    const c = modelContainer(r);
    expect(c.volumeMounts).toContainEqual({ name: "shm", mountPath: "/dev/shm" });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const env = envOf(c);
    expect(env.get("HOME")?.value).toBe("/tmp");
    expect(env.get("HF_HOME")?.value).toBe("/tmp/hf");
    expect(env.get("XDG_CACHE_HOME")?.value).toBe("/tmp/.cache");
    expect(env.get("HF_HUB_OFFLINE")?.value).toBe("1");
    expect(env.get("VLLM_NO_USAGE_STATS")?.value).toBe("1");
  });

  it("holds restricted pod security and renders schema-valid objects", async () => {
    const r = await renderVllm();
    const pod = podSpec(r);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
      });
    }
    expect(pod.securityContext.runAsUser ?? NON_ROOT_UID).toBe(NON_ROOT_UID);
    const validation = await validateObjects(manifests(r));
    expect(validation.errors).toEqual([]);
    expect(validation.checked).toBeGreaterThan(0);
  });

  it("is ready only once the model is loaded (vLLM's /health) and gets thirty minutes to load", async () => {
    const c = modelContainer(await renderVllm());
    expect(c.readinessProbe.httpGet.path).toBe("/health");
    expect(c.livenessProbe.httpGet.path).toBe("/health");
    expect(c.startupProbe.httpGet.path).toBe("/health");
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(1800);
  });

  it("scales on requests waiting per replica, not CPU, and keeps a PDB and a NetworkPolicy", async () => {
    const r = await renderVllm({
      gpu: { count: 1 },
      vllm: { targetRequestsWaiting: 3 },
      minReplicas: 2,
      maxReplicas: 4,
    });
    const hpa = r.inputs(r.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"));
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
    expect(hpa.spec.metrics).toEqual([
      {
        type: "Pods",
        pods: {
          metric: { name: "vllm_num_requests_waiting" },
          target: { type: "AverageValue", averageValue: "3" },
        },
      },
    ]);
    expect(r.inputs(r.one("kubernetes:policy/v1:PodDisruptionBudget")).spec.minAvailable).toBe(1);
    const np = r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy"));
    expect(np.spec.ingress[0].ports).toContainEqual({ port: 8080, protocol: "TCP" });
  });

  it("is scraped on its serving port and alerts on time to first token, queue length, stalled generation and errors", async () => {
    const r = await renderVllm();
    const sm = r.inputs(r.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor"));
    expect(sm.spec.endpoints).toEqual([{ port: "http", path: "/metrics", interval: "30s", scheme: "http" }]);
    const rules = r.inputs(r.one(RULE)).spec.groups[0].rules as Inputs[];
    const expr = (alert: string) => rules.find((x) => x.alert === alert)?.expr as string;
    expect(rules.map((x) => x.alert)).toEqual([
      "ModelUnavailable",
      "ModelSlowFirstToken",
      "ModelRequestQueueHigh",
      "ModelGenerationStalled",
      "ModelHighErrorRate",
    ]);
    const sel = 'namespace="ml-test-fraud", service="model"';
    expect(expr("ModelSlowFirstToken")).toBe(
      `histogram_quantile(0.99, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{${sel}}[5m]))) > 2`,
    );
    expect(expr("ModelRequestQueueHigh")).toBe(`sum(vllm:num_requests_waiting{${sel}}) > 50`);
    expect(expr("ModelGenerationStalled")).toBe(
      `sum(vllm:num_requests_running{${sel}}) > 0 and sum(rate(vllm:generation_tokens_total{${sel}}[5m])) == 0`,
    );
  });
});

describe("runtime vllm: component arguments", () => {
  it("refuses a vllm deployment without the image that downloads its weights", () => {
    const args = servingArgs(configWithModel(LLM), { modelDownloaderImage: undefined });
    expect(() => validateModelServingArgs(args)).toThrow(
      /modelDownloaderImage: undefined is required for model "model": its server reads the model from \/mnt\/models/,
    );
  });

  it("refuses a vllm model without GPUs when built without the config parser", () => {
    const model = configWithModel(LLM).serving.models[0];
    const config = configWithModel(LLM);
    expect(() =>
      validateModelServingArgs({
        ...servingArgs(config),
        model: { ...model, gpu: { ...model.gpu, count: 0 } },
      }),
    ).toThrow(/model.runtime: "vllm" needs no kafka and gpu.count >= 1/);
  });
});

describe("runtime vllm: config", () => {
  it("defaults tensor parallelism to the GPU count, /dev/shm to 8Gi and the queue target to 5", () => {
    const model = configWithModel(LLM).serving.models[0];
    expect(model.vllm).toEqual({ tensorParallelSize: 2, shmSizeLimit: "8Gi", targetRequestsWaiting: 5 });
    expect(model.image).toBe("docker.io/vllm/vllm-openai:v0.33.0");
  });

  it("accepts the shipped shape: one GPU, a context length and a size for /dev/shm", () => {
    expect(
      problemsFor({ runtime: "vllm", gpu: { count: 1 }, vllm: { maxModelLen: 8192, shmSizeLimit: "2Gi" } }),
    ).toBe("");
  });

  it("refuses a vllm model without a GPU, naming gpu.count", () => {
    expect(problemsFor({ runtime: "vllm" })).toContain(
      "mlstack:serving.models[0].gpu.count: 0 must be at least 1 for runtime vllm",
    );
  });

  it("refuses more tensor-parallel ranks than GPUs", () => {
    expect(problemsFor({ runtime: "vllm", gpu: { count: 1 }, vllm: { tensorParallelSize: 2 } })).toContain(
      "mlstack:serving.models[0].vllm.tensorParallelSize: 2 is more than gpu.count 1",
    );
  });

  it("refuses more GPUs at minReplicas than the team's quota", () => {
    expect(problemsFor({ runtime: "vllm", gpu: { count: 2 }, minReplicas: 2 })).toContain(
      "mlstack:serving.models[0].gpu.count: 2 needs 4 GPU(s) at minReplicas but team fraud's quota.gpu is 2",
    );
  });

  it("refuses vllm settings on another runtime, unknown vllm keys and a bad /dev/shm size", () => {
    expect(problemsFor({ runtime: "mlflow", vllm: {} })).toContain(
      "mlstack:serving.models[0].vllm: {} is only for runtime vllm (this model's runtime is mlflow)",
    );
    expect(problemsFor({ ...LLM, vllm: { dtype: "half" } })).toContain("mlstack:serving.models[0].vllm");
    expect(problemsFor({ ...LLM, vllm: { shmSizeLimit: "lots" } })).toContain(
      "mlstack:serving.models[0].vllm.shmSizeLimit",
    );
  });

  it("accepts engine kserve (a namespaced vLLM ServingRuntime) and refuses Kafka streaming and a model without a source", () => {
    expect(problemsFor({ ...LLM, engine: "kserve" })).toBe("");
    expect(
      problemsFor({ ...LLM, kafka: { inputTopic: "transactions", outputTopic: "fraud-scores" } }),
    ).toContain("mlstack:serving.models[0].kafka");
    expect(problemsFor({ ...LLM, source: undefined })).toContain(
      "mlstack:serving.models[0].source: undefined is required for runtime vllm",
    );
  });
});

describe("runtime vllm on engine kserve", () => {
  const SR = "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime";
  const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";

  it("runs vLLM through a namespaced ServingRuntime started exactly as on engine deployment", async () => {
    const r = await renderVllm({ engine: "kserve", vllm: { maxModelLen: 4096 } });
    const deployment = await renderVllm({ vllm: { maxModelLen: 4096 } });
    const runtime = r.inputs(r.one(SR));
    expect(runtime.metadata.name).toBe("model-vllm");
    const c = runtime.spec.containers[0];
    // Same image, command and arguments (vllm.ts), same caches under /tmp, same probes.
    const served = modelContainer(deployment);
    expect(c.image).toBe(served.image);
    expect([...c.command, ...c.args]).toEqual([...served.command, ...served.args]);
    expect(c.env).toContainEqual({ name: "HF_HUB_OFFLINE", value: "1" });
    expect(envOf(served).get("HF_HUB_OFFLINE")?.value).toBe("1");
    const isvc = r.inputs(r.one(ISVC));
    const predictor = isvc.spec.predictor;
    expect(predictor.model.runtime).toBe("model-vllm");
    expect(predictor.model.modelFormat).toEqual({ name: "vllm" });
    expect(predictor.model.readinessProbe.httpGet.path).toBe("/health");
    expect(predictor.model.startupProbe.failureThreshold).toBe(served.startupProbe.failureThreshold);
  });

  it("keeps GPU placement, /dev/shm and tensor parallelism, and scales on the queue with its own HPA", async () => {
    const r = await renderVllm({
      engine: "kserve",
      gpu: { count: 2, nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-L4" } },
    });
    const isvc = r.inputs(r.one(ISVC));
    const predictor = isvc.spec.predictor;
    expect(predictor.model.resources.limits["nvidia.com/gpu"]).toBe("2");
    expect(predictor.nodeSelector).toEqual({ "nvidia.com/gpu.product": "NVIDIA-L4" });
    expect(predictor.tolerations).toEqual([
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(predictor.volumes).toContainEqual({
      name: "shm",
      emptyDir: { medium: "Memory", sizeLimit: "8Gi" },
    });
    expect(predictor.model.volumeMounts).toContainEqual({ name: "shm", mountPath: "/dev/shm" });
    const args = r.inputs(r.one(SR)).spec.containers[0].args;
    expect(args[args.indexOf("--tensor-parallel-size") + 1]).toBe("2");
    // KServe makes no HPA ("external"); mlstack's scales the predictor Deployment on the queue.
    expect(isvc.metadata.annotations["serving.kserve.io/autoscalerClass"]).toBe("external");
    expect(predictor.scaleMetric).toBeUndefined();
    const hpa = r.inputs(r.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"));
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "model-predictor",
    });
    expect(hpa.spec.metrics[0].pods.metric.name).toBe("vllm_num_requests_waiting");
    // The weights come through the fetch step, with the model's own bucket grant.
    expect(predictor.initContainers[0].name).toBe("fetch-model");
  });
});
