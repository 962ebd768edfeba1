/**
 * GPU refusal: a GPU model is refused before anything registers unless the stack declares its GPU
 * nodes (`mlstack:serving.gpuNodes`), and its own node selector must not contradict them.
 */
import { ModelServing } from "../../../components/serving/ModelServing";
import { gpuPlacementProblem } from "../../../components/serving/settings";
import { parseConfig } from "../../../stacks/config";
import { baseRawConfig } from "../../support/config";
import { render } from "../../support/render";
import { configWithModel, GPU_NODES, podSpec, servingArgs } from "./fixtures";

const BASE = {
  name: "model",
  team: "fraud",
  runtime: "mlflow",
  source: { bucket: "fraud-models", path: "m/1" },
};

function problemsFor(serving: Record<string, unknown>): string {
  const raw = baseRawConfig();
  try {
    parseConfig({ ...raw, serving: { ...serving } }, { project: "mlstack", stack: "test" });
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

it("refuses a GPU model on a stack that declares no GPU nodes, naming the key, the value and the fix", () => {
  expect(problemsFor({ models: [{ ...BASE, gpu: { count: 1 } }] })).toContain(
    "mlstack:serving.models[0].gpu.count: 1 asks for GPUs but this stack declares no GPU nodes: set mlstack:serving.gpuNodes",
  );
  expect(problemsFor({ models: [{ ...BASE, runtime: "vllm", gpu: { count: 2 } }] })).toContain(
    "mlstack:serving.models[0].gpu.count: 2 asks for GPUs",
  );
  // CPU models need no GPU nodes.
  expect(problemsFor({ models: [{ ...BASE }] })).toBe("");
});

it("refuses a model node selector that contradicts the declared GPU nodes, and an empty GPU node declaration", () => {
  expect(
    problemsFor({
      gpuNodes: GPU_NODES,
      models: [{ ...BASE, gpu: { count: 1, nodeSelector: { "nvidia.com/gpu.present": "false" } } }],
    }),
  ).toContain(
    'mlstack:serving.models[0].gpu.nodeSelector: {"nvidia.com/gpu.present":"false"} contradicts mlstack:serving.gpuNodes.nodeSelector nvidia.com/gpu.present=true',
  );
  expect(problemsFor({ gpuNodes: { nodeSelector: {} }, models: [] })).toContain(
    "mlstack:serving.gpuNodes.nodeSelector: {} must name at least one label every GPU node carries",
  );
  expect(problemsFor({ gpuNodes: { nodeSelector: { "bad key!": "x" } }, models: [] })).toContain(
    "mlstack:serving.gpuNodes.nodeSelector",
  );
  expect(problemsFor({ gpuNodes: { ...GPU_NODES, pools: 2 }, models: [] })).toContain(
    "mlstack:serving.gpuNodes",
  );
});

it("places a GPU model on the declared GPU nodes and tolerates their taint unless the pool is untainted", async () => {
  const selected = configWithModel({ gpu: { count: 1 } });
  const r = await render(() => {
    new ModelServing("model", servingArgs(selected));
  });
  const pod = podSpec(r);
  expect(pod.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
  expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);

  // A model's own selector narrows the pool; an untainted pool needs no toleration.
  const raw = baseRawConfig();
  const config = parseConfig(
    {
      ...raw,
      serving: {
        gpuNodes: { nodeSelector: GPU_NODES.nodeSelector, taint: false },
        models: [{ ...BASE, gpu: { count: 1, nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-L4" } } }],
      },
    },
    { project: "mlstack", stack: "test" },
  );
  expect(config.serving.models[0].gpu).toEqual({
    count: 1,
    nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-L4" },
    tolerations: false,
  });
});

it("checks placement as a pure function the component layer can call", () => {
  expect(gpuPlacementProblem(0, {}, undefined)).toBeUndefined();
  expect(gpuPlacementProblem(1, {}, undefined)?.key).toBe("count");
  expect(gpuPlacementProblem(1, { a: "1" }, { nodeSelector: { a: "2" }, taint: true })?.key).toBe(
    "nodeSelector",
  );
  expect(gpuPlacementProblem(1, { b: "1" }, { nodeSelector: { a: "2" }, taint: true })).toBeUndefined();
});
