/**
 * Models by registry alias: `source: {registry, alias}` for every runtime and both engines. The
 * fetch-model step resolves the alias through MLflow as the workload; config refuses a mixed source,
 * an alias MLflow reserves, and a registry MLflow cannot serve to a workload of its own.
 */
import { ModelServing, validateModelServingArgs } from "../../../components/serving/ModelServing";
import { registrySourceProblem } from "../../../components/serving/modelFetch";
import { preflightProblems } from "../../../stacks";
import { parseConfig } from "../../../stacks/config";
import { baseRawConfig } from "../../support/config";
import { componentTree } from "../../../cli/plan/render";
import { render } from "../../support/render";
import {
  configWithModel,
  envOf,
  GPU_NODES,
  modelContainer,
  podSpec,
  servingArgs,
  TRACKING_URI,
} from "./fixtures";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REGISTRY = { registry: "fraud-detector", alias: "champion" };
const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";

function problemsFor(model: Record<string, unknown>, overrides: Record<string, unknown> = {}): string {
  const raw = baseRawConfig();
  const base = { name: "model", team: "fraud", source: REGISTRY };
  try {
    const config = parseConfig(
      { ...raw, ...overrides, serving: { gpuNodes: GPU_NODES, models: [{ ...base, ...model }] } },
      { project: "mlstack", stack: "test" },
    );
    return preflightProblems(config).join("\n");
  } catch (e) {
    return (e as Error).message;
  }
}

function fetchContainer(pod: Inputs): Inputs {
  return pod.initContainers.find((c: Inputs) => c.name === "fetch-model");
}

describe("config", () => {
  it("reads {registry, alias} as a source for every runtime", () => {
    for (const runtime of ["mlflow", "mlserver", "triton", "custom"]) {
      const extra = runtime === "custom" ? { image: "ghcr.io/acme/scorer:1.4.2" } : {};
      expect(problemsFor({ runtime, ...extra }, { mlflow: { auth: "none" } })).toBe("");
    }
    expect(problemsFor({ runtime: "vllm", gpu: { count: 1 } }, { mlflow: { auth: "none" } })).toBe("");
  });

  it("refuses a source that mixes a bucket path with a registry alias, or names only half of either", () => {
    expect(problemsFor({ source: { ...REGISTRY, bucket: "fraud-models", path: "m/1" } })).toContain(
      "mlstack:serving.models[0].source: ",
    );
    expect(problemsFor({ source: { ...REGISTRY, bucket: "fraud-models" } })).toContain(
      "mixes a bucket path with a registry alias",
    );
    expect(problemsFor({ source: { registry: "fraud-detector" } })).toContain(
      "mlstack:serving.models[0].source.alias: undefined is required with source.registry",
    );
    expect(problemsFor({ source: { alias: "champion" } })).toContain(
      "mlstack:serving.models[0].source.registry: undefined is required with source.alias",
    );
  });

  it("refuses aliases MLflow reserves for versions and aliases that cannot be a label", () => {
    expect(problemsFor({ source: { ...REGISTRY, alias: "latest" } })).toContain(
      'mlstack:serving.models[0].source.alias: "latest" names a version, not an alias',
    );
    expect(problemsFor({ source: { ...REGISTRY, alias: "v3" } })).toContain("names a version, not an alias");
    expect(problemsFor({ source: { ...REGISTRY, alias: "prod champion" } })).toContain(
      'mlstack:serving.models[0].source.alias: "prod champion" is not an alias mlstack can follow',
    );
    expect(problemsFor({ source: { registry: "fraud/detector", alias: "champion" } })).toContain(
      "mlstack:serving.models[0].source.registry",
    );
  });

  it("accepts an alias under every MLflow auth mode: each has a per-workload identity (basic: an MLflow user of its own)", () => {
    for (const auth of ["basic", "none"]) expect(problemsFor({}, { mlflow: { auth } })).toBe("");
    expect(registrySourceProblem("basic")).toBeUndefined();
    expect(registrySourceProblem(undefined)).toBe(
      "needs the MLflow tracking server (mlstack:mlflow), whose registry resolves the alias",
    );
  });
});

describe("the fetch step", () => {
  it("resolves the alias through the tracking server before the server starts, and the runtime reads the copy", async () => {
    const config = configWithModel({ runtime: "mlflow", source: REGISTRY }, { mlflow: { auth: "none" } });
    const r = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const pod = podSpec(r);
    const init = envOf(fetchContainer(pod));
    expect(init.get("MLFLOW_TRACKING_URI")?.value).toBe(TRACKING_URI);
    expect(init.get("MODEL_REGISTRY_NAME")?.value).toBe("fraud-detector");
    expect(init.get("MODEL_REGISTRY_ALIAS")?.value).toBe("champion");
    expect(init.has("MODEL_URI")).toBe(false);
    // No bucket grant: MLflow serves the version's artifacts (--serve-artifacts).
    expect(init.has("AWS_SECRET_ACCESS_KEY")).toBe(false);
    const c = modelContainer(r);
    expect(c.args).toContain("/mnt/models");
    expect(envOf(c).get("MODEL_URI")?.value).toBe("/mnt/models");
  });

  it("says which alias the model follows: a label, and an annotation on the workload and its pods", async () => {
    const config = configWithModel({ runtime: "mlserver", source: REGISTRY }, { mlflow: { auth: "none" } });
    const r = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const deployment = r.inputs(r.one("kubernetes:apps/v1:Deployment"));
    expect(deployment.metadata.labels["mlstack.io/model-alias"]).toBe("champion");
    expect(deployment.metadata.annotations["mlstack.io/model-source"]).toBe(
      "registry:fraud-detector@champion",
    );
    expect(deployment.spec.template.metadata.annotations["mlstack.io/model-source"]).toBe(
      "registry:fraud-detector@champion",
    );
    expect(deployment.spec.template.metadata.labels["mlstack.io/model-alias"]).toBe("champion");
  });

  it("authenticates on OpenShift with the pod's own projected token, only in the fetch step", async () => {
    const config = configWithModel({ runtime: "mlserver", source: REGISTRY }, { target: "openshift" });
    const r = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const pod = podSpec(r);
    expect(pod.automountServiceAccountToken).toBe(false);
    const init = fetchContainer(pod);
    expect(envOf(init).get("MLSTACK_TRACKING_TOKEN_FILE")?.value).toBe(
      "/var/run/secrets/mlstack/mlflow/token",
    );
    expect(envOf(init).get("MLFLOW_TRACKING_SERVER_CERT_PATH")?.value).toBe(
      "/var/run/secrets/mlstack/mlflow/service-ca.crt",
    );
    const volume = pod.volumes.find((v: Inputs) => v.name === "mlflow-credentials");
    expect(volume.projected.sources[0].serviceAccountToken.path).toBe("token");
    expect(modelContainer(r).volumeMounts.map((m: Inputs) => m.name)).not.toContain("mlflow-credentials");
  });

  it("fetches a KServe predictor's model from the registry the same way", async () => {
    const config = configWithModel(
      { engine: "kserve", runtime: "triton", source: REGISTRY },
      { mlflow: { auth: "none" } },
    );
    const r = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const isvc = r.inputs(r.one(ISVC));
    expect(isvc.metadata.annotations["mlstack.io/model-source"]).toBe("registry:fraud-detector@champion");
    const init = envOf(isvc.spec.predictor.initContainers[0]);
    expect(init.get("MODEL_REGISTRY_ALIAS")?.value).toBe("champion");
    expect(isvc.spec.predictor.model.args).toContain("--model-store=/mnt/models");
  });

  it("refuses a registry model built without the registry's address and credentials", () => {
    const config = configWithModel({ runtime: "mlflow", source: REGISTRY }, { mlflow: { auth: "none" } });
    expect(() => validateModelServingArgs(servingArgs(config, { registry: undefined }))).toThrow(
      /ModelServing registry: undefined is required: model "model" follows registered model "fraud-detector" by alias/,
    );
    expect(() =>
      validateModelServingArgs(servingArgs(config, { modelUri: "s3://fraud-models-0a1b2c3d/m/1" })),
    ).toThrow(/modelUri: "s3:\/\/fraud-models-0a1b2c3d\/m\/1" must be unset/);
  });
});

describe("mlstack plan", () => {
  it("shows in the component tree which alias each model follows", async () => {
    const config = configWithModel({ runtime: "mlserver", source: REGISTRY }, { mlflow: { auth: "none" } });
    const r = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const tree = componentTree(r.resources);
    expect(tree).toMatch(/mlstack:serving:ModelServing model {2}\[.*\] {2}follows fraud-detector@champion/);
    const bucket = await render(() => {
      new ModelServing("model", servingArgs(configWithModel({ runtime: "mlserver" })));
    });
    expect(componentTree(bucket.resources)).not.toContain("follows");
  });
});
