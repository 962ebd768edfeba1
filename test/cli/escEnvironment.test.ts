/**
 * Stack files that import Pulumi ESC environments: `mlstack plan` reads their values offline from
 * an inline definition, `Pulumi.<stack>.env.yaml` or MLSTACK_ESC_CONFIG, or names the
 * environments whose values are missing; it refuses what only ESC can evaluate.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { runPlan } from "../../cli/plan";
import { ESC_CONFIG_VARIABLE, readEnvironmentConfig } from "../../cli/plan/escEnvironment";
import { listStacks, loadStackConfig } from "../../cli/plan/stackConfig";
import { projectCopy, tempDir } from "./cliProcess";

const TEAMS = [{ name: "fraud", groups: ["ml-fraud"] }];

/** A project whose stack `esc` imports myorg/ml-dev and sets only the serving config itself. */
function escProject(environment: unknown, override?: unknown): string {
  const project = projectCopy({
    esc: YAML.stringify({ environment, config: { "mlstack:serving": { models: [] } } }),
  });
  if (override !== undefined)
    fs.writeFileSync(path.join(project, "Pulumi.esc.env.yaml"), YAML.stringify(override));
  return project;
}

async function plan(project: string): Promise<{ code: number; stderr: string; out: string }> {
  let stderr = "";
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((c) => {
    stderr += String(c);
    return true;
  });
  const out = path.join(tempDir("mlstack-out-"), "esc");
  try {
    const code = await runPlan(["esc", "--out", out, "--quiet"], project, () => undefined);
    return { code, stderr, out };
  } finally {
    spy.mockRestore();
  }
}

describe("ESC environment imports", () => {
  const saved = process.env[ESC_CONFIG_VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[ESC_CONFIG_VARIABLE];
    else process.env[ESC_CONFIG_VARIABLE] = saved;
  });

  it("names the environments whose values are missing when the config is incomplete without them", async () => {
    delete process.env[ESC_CONFIG_VARIABLE];
    const run = await plan(escProject(["myorg/ml-common", "myorg/ml-dev"]));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mlstack:teams: [] must declare at least one team");
    expect(run.stderr).toContain(
      "Pulumi.esc.yaml imports ESC environments myorg/ml-common, myorg/ml-dev, which mlstack plan cannot open offline; give their pulumiConfig values in Pulumi.esc.env.yaml (values: pulumiConfig: {...}) or as JSON in MLSTACK_ESC_CONFIG",
    );
    expect(fs.existsSync(run.out)).toBe(false);
  });

  it("plans with the values of Pulumi.<stack>.env.yaml, fn::secret values kept secret", async () => {
    delete process.env[ESC_CONFIG_VARIABLE];
    const project = escProject(["myorg/ml-dev"], {
      values: {
        pulumiConfig: {
          "mlstack:teams": TEAMS,
          "kubernetes:kubeconfig": { "fn::secret": "apiVersion: v1\nkind: Config\n" },
        },
      },
    });
    const run = await plan(project);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const planJson = JSON.parse(fs.readFileSync(path.join(run.out, "plan.json"), "utf8"));
    expect(JSON.parse(planJson.config["mlstack:teams"])).toEqual(TEAMS);
    expect(planJson.config["kubernetes:kubeconfig"]).toBe("[secret]");
  }, 60_000);

  it("takes values from MLSTACK_ESC_CONFIG, and the stack file's own config wins", () => {
    const project = escProject(["myorg/ml-dev"]);
    const config = loadStackConfig(project, "esc", {
      [ESC_CONFIG_VARIABLE]: JSON.stringify({
        "mlstack:teams": TEAMS,
        "mlstack:serving": { models: ["ignored"] },
      }),
    });
    expect(JSON.parse(config.config["mlstack:teams"])).toEqual(TEAMS);
    expect(JSON.parse(config.config["mlstack:serving"])).toEqual({ models: [] });
    expect(config.sources["mlstack:teams"]).toBe(ESC_CONFIG_VARIABLE);
    expect(config.unreadEnvironments).toEqual([]);
  });

  it("reads an inline environment definition in the stack file", () => {
    const result = readEnvironmentConfig(
      { imports: ["myorg/base"], values: { pulumiConfig: { "aws:region": "eu-west-1" } } },
      "/p/Pulumi.x.yaml",
      "x",
      {},
    );
    expect(result.values.get("aws:region")).toEqual({
      value: "eu-west-1",
      secret: false,
      source: "Pulumi.x.yaml",
    });
    expect(result.unread).toEqual([]);
  });

  it.each([
    [
      { values: { pulumiConfig: { "aws:region": "${aws.region}" } } },
      /pulumiConfig\.aws:region: "\$\{aws\.region\}" is an ESC interpolation, which only Pulumi ESC can evaluate/,
    ],
    [
      { values: { pulumiConfig: { "aws:region": { "fn::open::aws-login": {} } } } },
      /fn::open::aws-login can only be evaluated by Pulumi ESC/,
    ],
    [{ values: { pulumiConfig: ["a"] } }, /values\.pulumiConfig must be a map of config keys to values/],
    [
      { values: { pulumiConfig: { region: "x" } } },
      /pulumiConfig key "region" is not a namespaced config key/,
    ],
  ])("refuses an override it cannot evaluate: %j", (override, message) => {
    const project = escProject(["myorg/ml-dev"], override);
    expect(() => loadStackConfig(project, "esc", {})).toThrow(message);
  });

  it("refuses an environment entry that is neither a list of names nor a definition", () => {
    const project = escProject("myorg/ml-dev");
    expect(() => loadStackConfig(project, "esc", {})).toThrow(
      "Pulumi.esc.yaml: environment must be a list of ESC environment names (e.g. [myorg/dev]) or an environment definition (imports, values)",
    );
  });

  it("refuses MLSTACK_ESC_CONFIG that is not a JSON object", () => {
    const project = escProject(["myorg/ml-dev"]);
    expect(() => loadStackConfig(project, "esc", { [ESC_CONFIG_VARIABLE]: "aws:region=x" })).toThrow(
      "MLSTACK_ESC_CONFIG: not JSON",
    );
  });

  it("does not count Pulumi.<stack>.env.yaml as a stack", () => {
    const project = escProject(["myorg/ml-dev"], { values: { pulumiConfig: {} } });
    expect(listStacks(project)).toEqual(["dev", "esc"]);
  });
});
