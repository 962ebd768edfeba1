/**
 * Runtime `custom` with `args` and `env`: they reach the container (Deployment and KServe), secrets
 * only as `secretKeyRef`, and config refuses every way a secret literal could slip in, names that
 * would shadow mlstack's own variables, and args/env on runtimes whose command mlstack sets.
 */
import { ModelServing } from "../../../components/serving/ModelServing";
import { parseConfig } from "../../../stacks/config";
import { baseRawConfig } from "../../support/config";
import { render } from "../../support/render";
import { configWithModel, envOf, GPU_NODES, modelContainer, servingArgs } from "./fixtures";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const IMAGE = "ghcr.io/acme/scorer:1.4.2";
const CUSTOM = {
  runtime: "custom",
  image: IMAGE,
  args: ["--workers", "4", "--log-level", "info"],
  env: [
    { name: "SCORER_THREADS", value: "8" },
    { name: "SCORER_API_TOKEN", secretRef: { name: "scorer-credentials", key: "token" } },
  ],
};

function problemsFor(model: Record<string, unknown>): string {
  const raw = baseRawConfig();
  const base = { name: "model", team: "fraud", runtime: "custom", image: IMAGE };
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

describe("runtime custom: args and env", () => {
  it("hands the args to the image's entrypoint and the env after mlstack's, secrets as secretKeyRef", async () => {
    const config = configWithModel(CUSTOM);
    const r = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const c = modelContainer(r);
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(["--workers", "4", "--log-level", "info"]);
    const env = envOf(c);
    expect(env.get("SCORER_THREADS")?.value).toBe("8");
    expect(env.get("SCORER_API_TOKEN")).toEqual({
      name: "SCORER_API_TOKEN",
      valueFrom: { secretKeyRef: { name: "scorer-credentials", key: "token" } },
    });
    expect(env.get("PORT")?.value).toBe("8080");
  });

  it("does the same on KServe", async () => {
    const config = configWithModel({ ...CUSTOM, engine: "kserve" });
    const r = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const isvc = r.inputs(r.one("kubernetes:serving.kserve.io/v1beta1:InferenceService"));
    const c = isvc.spec.predictor.containers[0] as Inputs;
    expect(c.args).toEqual(["--workers", "4", "--log-level", "info"]);
    expect(envOf(c).get("SCORER_API_TOKEN")?.valueFrom).toEqual({
      secretKeyRef: { name: "scorer-credentials", key: "token" },
    });
  });

  it("accepts plain args and env", () => {
    expect(problemsFor({ args: CUSTOM.args, env: CUSTOM.env })).toBe("");
  });

  it("refuses a secret-named env var with a literal value, without echoing it", () => {
    const msg = problemsFor({ env: [{ name: "DB_PASSWORD", value: "hunter2-but-longer" }] });
    expect(msg).toContain("mlstack:serving.models[0].env[0].value");
    expect(msg).toContain("reference a Secret instead: secretRef: { name, key }");
    expect(msg).not.toContain("hunter2");
  });

  it("refuses secret material under any name (an AWS access key id)", () => {
    const msg = problemsFor({ env: [{ name: "SETTINGS", value: "AKIAIOSFODNN7EXAMPLE" }] });
    expect(msg).toContain("mlstack:serving.models[0].env[0].value");
    expect(msg).not.toContain("AKIAIOSFODNN7EXAMPLE");
  });

  it("refuses a credential passed as a command-line flag or as secret material in args", () => {
    expect(problemsFor({ args: ["--api-token", "s3cr3t-value-123"] })).toContain(
      'mlstack:serving.models[0].args[0]: "--api-token" passes a credential on the command line',
    );
    const msg = problemsFor({ args: ["--db", "postgresql://app:p4ssw0rd@db:5432/app"] });
    expect(msg).toContain("mlstack:serving.models[0].args[1]");
    expect(msg).not.toContain("p4ssw0rd");
  });

  it("refuses an entry with both or neither of value and secretRef, and a bad Secret reference", () => {
    expect(problemsFor({ env: [{ name: "A" }] })).toContain(
      'mlstack:serving.models[0].env[0]: "{…}" needs exactly one of value or secretRef',
    );
    expect(problemsFor({ env: [{ name: "A", value: "1", secretRef: { name: "s", key: "k" } }] })).toContain(
      "needs exactly one of value or secretRef",
    );
    expect(problemsFor({ env: [{ name: "A", secretRef: { name: "Bad_Name", key: "k" } }] })).toContain(
      "mlstack:serving.models[0].env[0].secretRef.name",
    );
    expect(problemsFor({ env: [{ name: "A", secretRef: { name: "s", key: "a/b" } }] })).toContain(
      "mlstack:serving.models[0].env[0].secretRef.key",
    );
  });

  it("refuses names mlstack sets, invalid names and duplicates", () => {
    expect(problemsFor({ env: [{ name: "PORT", value: "9000" }] })).toContain(
      'mlstack:serving.models[0].env[0].name: "PORT" is set by mlstack',
    );
    expect(problemsFor({ env: [{ name: "AWS_ENDPOINT_URL", value: "http://x" }] })).toContain(
      'mlstack:serving.models[0].env[0].name: "AWS_ENDPOINT_URL" is set by mlstack',
    );
    expect(problemsFor({ env: [{ name: "1X", value: "a" }] })).toContain(
      "mlstack:serving.models[0].env[0].name",
    );
    expect(
      problemsFor({
        env: [
          { name: "A", value: "1" },
          { name: "A", value: "2" },
        ],
      }),
    ).toContain('mlstack:serving.models[0].env[1].name: "A" is set twice');
  });

  it("refuses args and env on runtimes whose command and env mlstack sets", () => {
    const source = { bucket: "fraud-models", path: "fraud-detector/3" };
    expect(problemsFor({ runtime: "mlflow", image: undefined, source, args: ["x"] })).toContain(
      'mlstack:serving.models[0].args: ["x"] is only for runtime custom (this model\'s runtime is mlflow',
    );
    expect(
      problemsFor({ runtime: "triton", image: undefined, source, env: [{ name: "A", value: "1" }] }),
    ).toContain("mlstack:serving.models[0].env");
  });
});
