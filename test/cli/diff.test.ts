/**
 * `mlstack diff`: two real plans from `mlstack plan` (dev, and dev with one model added and one
 * changed), and small hand-made plan documents for secrets, replacements and refusals.
 */
import * as fs from "fs";
import * as path from "path";
import { runDiff } from "../../cli/diff";
import { runPlan } from "../../cli/plan";
import { ROOT, projectCopy, tempDir } from "./cliProcess";

async function diff(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runDiff(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const STACK = "urn:pulumi:dev::mlstack::pulumi:pulumi:Stack::mlstack-dev";
const COMPONENT = "urn:pulumi:dev::mlstack::mlstack:serving:ModelServing::model-a";
const urnOf = (type: string, name: string) =>
  `urn:pulumi:dev::mlstack::mlstack:serving:ModelServing$${type}::${name}`;

interface Step {
  urn: string;
  type: string;
  inputs: Record<string, unknown>;
  custom?: boolean;
  parent?: string;
  op?: string;
  replaceReasons?: string[];
}

/** A hand-made plan document with the shape mlstack plan writes. */
function planFile(dir: string, name: string, steps: Step[]): string {
  const file = path.join(dir, `${name}.json`);
  const all: Step[] = [
    { urn: STACK, type: "pulumi:pulumi:Stack", inputs: {}, custom: false },
    { urn: COMPONENT, type: "mlstack:serving:ModelServing", inputs: {}, custom: false, parent: STACK },
    ...steps,
  ];
  fs.writeFileSync(
    file,
    JSON.stringify({
      mlstack: { stack: "dev", target: "kubernetes", environment: "dev" },
      steps: all.map((s) => ({
        op: s.op ?? "create",
        urn: s.urn,
        ...(s.replaceReasons ? { replaceReasons: s.replaceReasons } : {}),
        newState: {
          urn: s.urn,
          type: s.type,
          custom: s.custom ?? true,
          parent: s.parent ?? COMPONENT,
          inputs: s.inputs,
        },
      })),
    }),
  );
  return file;
}

const DEPLOYMENT = urnOf("kubernetes:apps/v1:Deployment", "model-a-deployment");
const SECRET = urnOf("kubernetes:core/v1:Secret", "model-a-secret");
const deployment = (replicas: number, name = "model-a", image = "ghcr.io/x/model:1") => ({
  urn: DEPLOYMENT,
  type: "kubernetes:apps/v1:Deployment",
  inputs: {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "team-a" },
    spec: { replicas, template: { spec: { containers: [{ name: "model", image }] } } },
  },
});

describe("mlstack diff on hand-made plans", () => {
  const dir = tempDir("mlstack-diff-");

  it("reports property changes per component and exits 0", async () => {
    const base = planFile(dir, "base", [deployment(1)]);
    const head = planFile(dir, "head", [deployment(3, "model-a", "ghcr.io/x/model:2")]);
    const run = await diff(base, head);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("0 to add, 0 to remove, 1 to change");
    expect(run.stdout).toContain(
      "mlstack:serving:ModelServing model-a\n  ~ kubernetes:apps/v1:Deployment model-a-deployment",
    );
    expect(run.stdout).toContain("spec.replicas: 1 → 3");
    expect(run.stdout).toContain(
      'spec.template.spec.containers[0].image: "ghcr.io/x/model:1" → "ghcr.io/x/model:2"',
    );
  });

  it("calls out a replacement when metadata.name changes", async () => {
    const base = planFile(dir, "base-name", [deployment(1)]);
    const head = planFile(dir, "head-name", [deployment(1, "model-b")]);
    const json = JSON.parse((await diff(base, head, "--format", "json")).stdout);
    expect(json.changed).toEqual([DEPLOYMENT]);
    expect(json.replaced).toEqual([DEPLOYMENT]);
    const text = (await diff(base, head)).stdout;
    expect(text).toContain("± kubernetes:apps/v1:Deployment model-a-deployment  (replaced)");
    expect(text).toContain('metadata.name: "model-a" → "model-b"  (forces replacement)');
    const markdown = (await diff(base, head, "--format", "markdown")).stdout;
    expect(markdown).toContain("> [!WARNING]");
    expect(markdown).toContain(":::replaced");
  });

  it("calls out a replacement the plan itself marks (op replace, replaceReasons)", async () => {
    const bucket = (name: string) => ({
      urn: urnOf("aws:s3/bucketV2:BucketV2", "models"),
      type: "aws:s3/bucketV2:BucketV2",
      inputs: { bucket: name },
    });
    const base = planFile(dir, "base-replace", [bucket("a")]);
    const head = planFile(dir, "head-replace", [
      { ...bucket("b"), op: "replace", replaceReasons: ["bucket"] },
    ]);
    const run = await diff(base, head);
    expect(run.stdout).toContain('bucket: "a" → "b"  (forces replacement)');
  });

  it("never shows a secret: plan markers, Pulumi secret values and credential-named keys", async () => {
    const sig = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "s3cr3t-value-one",
    };
    const secret = (data: unknown, password: string) => ({
      urn: SECRET,
      type: "kubernetes:core/v1:Secret",
      inputs: { metadata: { name: "s" }, stringData: { token: data, password }, data: "[secret]" },
    });
    const base = planFile(dir, "base-secret", [secret("[secret]", "old-plain-pw")]);
    const head = planFile(dir, "head-secret", [secret(sig, "new-plain-pw")]);
    for (const format of ["text", "markdown", "json"]) {
      const run = await diff(base, head, "--format", format);
      expect(run.stdout).not.toMatch(/s3cr3t-value-one|old-plain-pw|new-plain-pw/);
    }
    const text = (await diff(base, head)).stdout;
    expect(text).toContain("stringData.password: [secret] → [secret]");
    expect(text).not.toContain("stringData.token"); // both hidden: nothing to tell
  });

  it("reports policy findings new and fixed from the policy.sarif beside each plan", async () => {
    const sarif = (results: Array<[string, string]>) => ({
      version: "2.1.0",
      runs: [
        {
          results: results.map(([rule, message]) => ({
            ruleId: rule,
            level: "warning",
            message: { text: message },
            locations: [{ logicalLocations: [{ fullyQualifiedName: DEPLOYMENT }] }],
          })),
        },
      ],
    });
    for (const side of ["base", "head"]) fs.mkdirSync(path.join(dir, side), { recursive: true });
    const base = planFile(path.join(dir, "base"), "plan", [deployment(1)]);
    const head = planFile(path.join(dir, "head"), "plan", [deployment(1)]);
    fs.writeFileSync(
      path.join(dir, "base", "policy.sarif"),
      JSON.stringify(
        sarif([
          ["k8s-image-digest", "no digest"],
          ["k8s-replicas", "one replica"],
        ]),
      ),
    );
    fs.writeFileSync(
      path.join(dir, "head", "policy.sarif"),
      JSON.stringify(
        sarif([
          ["k8s-image-digest", "no digest"],
          ["k8s-probes", "no probe"],
        ]),
      ),
    );
    const text = (await diff(base, head)).stdout;
    expect(text).toContain("Policy findings: 1 new, 1 fixed.");
    expect(text).toContain("  new   advisory  k8s-probes: no probe");
    expect(text).toContain("  fixed advisory  k8s-replicas: one replica");
    const json = JSON.parse((await diff(base, head, "--format", "json")).stdout);
    expect(json.findings.new.map((f: { rule: string }) => f.rule)).toEqual(["k8s-probes"]);
  });

  it("says findings were not compared when a plan has no policy.sarif", async () => {
    const base = planFile(dir, "base-nosarif", [deployment(1)]);
    const run = await diff(base, base);
    expect(run.stdout).toContain("0 to add, 0 to remove, 0 to change");
    expect(run.stdout).toContain("Policy findings: not compared");
  });
});

describe("mlstack diff on two real plans", () => {
  const base = path.join(tempDir("mlstack-diff-base-"), "dev");
  const head = path.join(tempDir("mlstack-diff-head-"), "dev");

  beforeAll(async () => {
    const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const changed = dev
      .trimEnd()
      .replace(
        "      - name: fx-quote\n        team: fx-pricing\n",
        "      - name: fx-quote\n        team: fx-pricing\n        maxReplicas: 5\n",
      );
    const added = `${changed}\n      - name: churn\n        team: fx-pricing\n        runtime: mlserver\n        source: { bucket: fx-pricing-models, path: churn/1 }\n`;
    expect(added).toContain("maxReplicas: 5");
    const project = projectCopy({ head: added });
    fs.renameSync(path.join(project, "Pulumi.head.yaml"), path.join(project, "Pulumi.dev.yaml.head"));
    expect(await runPlan(["dev", "--out", base, "--quiet"], project, () => undefined)).toBe(0);
    fs.renameSync(path.join(project, "Pulumi.dev.yaml.head"), path.join(project, "Pulumi.dev.yaml"));
    expect(await runPlan(["dev", "--out", head, "--quiet"], project, () => undefined)).toBe(0);
  }, 120_000);

  it("lists the added model's resources as added, the changed autoscaler as changed, nothing removed", async () => {
    const run = await diff(path.join(base, "plan.json"), path.join(head, "plan.json"), "--format", "json");
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.removed).toEqual([]);
    expect(json.added).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/mlstack:serving:ModelServing::model-churn$/),
        expect.stringMatching(/kubernetes:apps\/v1:Deployment::model-churn-deployment$/),
      ]),
    );
    expect(json.changed).toEqual([expect.stringMatching(/HorizontalPodAutoscaler::model-fx-quote-hpa$/)]);
    const hpa = json.resources.find((r: { urn: string }) => r.urn === json.changed[0]);
    expect(hpa.properties).toEqual([
      { path: "spec.maxReplicas", kind: "changed", before: "2", after: "5", replaces: false },
    ]);
    expect(json.findings.new.length).toBeGreaterThan(0); // the new model's image has no digest
  });

  it("turned around, the same change is a removal", async () => {
    const json = JSON.parse(
      (await diff(path.join(head, "plan.json"), path.join(base, "plan.json"), "--format", "json")).stdout,
    );
    expect(json.added).toEqual([]);
    expect(json.removed).toEqual(
      expect.arrayContaining([expect.stringMatching(/::model-churn-deployment$/)]),
    );
    expect(json.findings.fixed.length).toBeGreaterThan(0);
  });

  it("renders markdown with a Mermaid diagram of what changed", async () => {
    const run = await diff(
      path.join(base, "plan.json"),
      path.join(head, "plan.json"),
      "--format",
      "markdown",
    );
    expect(run.stdout).toContain("```mermaid\nflowchart LR\n");
    expect(run.stdout).toMatch(/subgraph c\d+\["mlstack:serving:ModelServing model-churn"\]/);
    expect(run.stdout).toContain('+ Deployment model-churn-deployment"]:::added');
    expect(run.stdout).toContain("`spec.maxReplicas: 2 → 5`");
  });
});
