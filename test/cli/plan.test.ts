/**
 * `mlstack plan`: what it writes for a good stack, and that a bad stack or config exits 2 and
 * writes nothing.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { runPlan } from "../../cli/plan";

const ROOT = path.resolve(__dirname, "../..");

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A throwaway project with the real Pulumi.yaml and one stack file. */
function projectWith(stack: string, config: Record<string, unknown>): string {
  const dir = tempDir("mlstack-plan-project-");
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), YAML.stringify({ config }));
  return dir;
}

describe("mlstack plan", () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(() => stderr.mockRestore());

  describe("for the dev stack", () => {
    // One plan of dev for both checks: it is the costly step, and they read different files.
    const out = tempDir("mlstack-plan-out-");
    const lines: string[] = [];
    let code: number;
    beforeAll(async () => {
      const quiet = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
      try {
        code = await runPlan(["dev", "--out", out], ROOT, (line) => lines.push(line));
      } finally {
        quiet.mockRestore();
      }
    }, 60_000);

    it("writes a preview-shaped plan.json, one manifest per Kubernetes object, a diagram and SARIF", () => {
      expect(code).toBe(0);
      const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"));
      expect(plan.steps.length).toBeGreaterThan(50);
      for (const step of plan.steps) {
        expect(step.op).toBe("create");
        expect(step.newState.urn).toBe(step.urn);
        expect(typeof step.newState.type).toBe("string");
        expect(typeof step.newState.custom).toBe("boolean");
      }
      expect(plan.mlstack).toEqual({ stack: "dev", target: "kubernetes", environment: "dev" });
      const deployment = YAML.parse(
        fs.readFileSync(path.join(out, "manifests", "ml-dev-platform", "deployment-mlflow.yaml"), "utf8"),
      );
      expect(deployment).toMatchObject({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "mlflow", namespace: "ml-dev-platform" },
      });
      expect(fs.readFileSync(path.join(out, "diagram.mmd"), "utf8")).toMatch(/^flowchart LR/);
      expect(JSON.parse(fs.readFileSync(path.join(out, "policy.sarif"), "utf8")).version).toBe("2.1.0");
      expect(lines.join("\n")).toContain("mlstack:platform:Platform mlstack");
      expect(lines.join("\n")).toContain("Result: passed (no mandatory violation).");
    });

    it("never writes a secret's value into plan.json or the manifests", () => {
      expect(code).toBe(0);
      const everything = [
        fs.readFileSync(path.join(out, "plan.json"), "utf8"),
        fs.readFileSync(path.join(out, "manifests", "all.yaml"), "utf8"),
      ].join("\n");
      expect(everything).not.toMatch(/mock-[a-z0-9-]*(password|secret|cookie)/);
      expect(everything).not.toContain("PRIVATE KEY-----\n");
      expect(everything).toContain("[secret]");
    });
  });

  it("exits 2 and writes nothing for a stack that does not exist", async () => {
    const out = path.join(tempDir("mlstack-plan-out-"), "nope");
    expect(await runPlan(["nope", "--out", out], ROOT, () => undefined)).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
    expect(stderr.mock.calls.join("")).toContain('unknown stack "nope": no Pulumi.nope.yaml');
  });

  it("exits 2 with every config problem and writes nothing for a bad config", async () => {
    const dir = projectWith("bad", {
      "mlstack:target": "azure",
      "mlstack:teams": [{ name: "Bad", groups: ["g"] }],
    });
    const out = path.join(dir, "out");
    expect(await runPlan(["bad", "--out", out], dir, () => undefined)).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
    const message = stderr.mock.calls.join("");
    expect(message).toContain('mlstack:target: "azure" is not one of: kubernetes, openshift, aws, gcp');
    expect(message).toContain('mlstack:teams[0].name: "Bad" is not a DNS label');
  });

  it("replaces secure: values with placeholders instead of failing", async () => {
    const dir = projectWith("sec", {
      "mlstack:teams": [{ name: "fraud", groups: ["g"] }],
      "mlstack:serving": { models: [] },
      "kubernetes:kubeconfig": { secure: "v1:AAAABBBB" },
    });
    const out = path.join(dir, "out");
    expect(await runPlan(["sec", "--out", out, "--quiet"], dir, () => undefined)).toBe(0);
    const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"));
    expect(plan.config["kubernetes:kubeconfig"]).toBe("[secret]");
  }, 60_000);

  it("refuses an unknown option with exit 2", async () => {
    expect(await runPlan(["dev", "--fast"], ROOT, () => undefined)).toBe(2);
    expect(stderr.mock.calls.join("")).toContain("unknown option --fast");
  });
});
