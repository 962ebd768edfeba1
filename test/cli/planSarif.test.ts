/**
 * SARIF from `mlstack plan` points at the stack file in the repository — the line of the config
 * value the finding comes from, else line 1 — never at the generated out/<stack>/plan.json.
 */
import * as fs from "fs";
import * as path from "path";
import type { Log } from "sarif";
import { runPlan } from "../../cli/plan";
import { stackFileLocator } from "../../cli/plan/stackFileLocations";
import { ROOT, projectCopy, tempDir } from "./cliProcess";

const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("stackFileLocator", () => {
  const text = [
    "# comment",
    "config:",
    "  mlstack:target: kubernetes",
    "  mlstack:serving:",
    "    models:",
    "      - name: fraud-detector",
    "        team: payments-risk",
  ].join("\n");
  const locator = stackFileLocator(text);

  it("finds the name a resource or one of its parents is named after, innermost first", () => {
    expect(locator.lineFor(["model-fraud-detector-deployment", "mlstack"], "")).toBe(6);
    expect(locator.lineFor(["ns-payments-risk", "fraud-detector"], "")).toBe(6);
    expect(locator.lineFor(["ns-other", "mlstack"], "")).toBe(1);
    expect(locator.lineFor(["mlflow", "model-fraud-detector"], "")).toBe(6);
  });

  it("falls back to a config key the message names, then to line 1", () => {
    expect(locator.lineFor(["nothing"], "mlstack:target is kubernetes")).toBe(3);
    expect(locator.lineFor(["nothing"], "no key named")).toBe(1);
    expect(locator.lineOfKey("mlstack:serving")).toBe(4);
  });

  it("answers line 1 for a stack file it cannot read", () => {
    expect(stackFileLocator("config: [unclosed").lineFor(["x"], "")).toBe(1);
  });
});

describe("mlstack plan policy.sarif", () => {
  it("locates every result in Pulumi.dev.yaml, model findings on the model's line", async () => {
    const project = projectCopy();
    const out = path.join(tempDir("mlstack-out-"), "dev");
    expect(await runPlan(["dev", "--out", out, "--quiet"], project, () => undefined)).toBe(0);
    const sarif = JSON.parse(fs.readFileSync(path.join(out, "policy.sarif"), "utf8")) as Log;
    const run = sarif.runs[0];
    expect(run.originalUriBaseIds?.["%SRCROOT%"].uri).toBe(`file://${project}/`);
    expect(run.results!.length).toBeGreaterThan(0);
    for (const result of run.results!) {
      const physical = result.locations![0].physicalLocation!;
      expect(physical.artifactLocation).toEqual({ uri: "Pulumi.dev.yaml", uriBaseId: "%SRCROOT%" });
      expect(physical.region!.startLine).toBeGreaterThanOrEqual(1);
    }
    const stackText = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const fxQuote = run.results!.find((r) =>
      r.locations![0].logicalLocations![0].fullyQualifiedName!.endsWith("::model-fx-quote-deployment"),
    );
    expect(fxQuote).toBeDefined();
    expect(fxQuote!.locations![0].physicalLocation!.region!.startLine).toBe(
      lineOf(stackText, "- name: fx-quote"),
    );
    expect(JSON.stringify(sarif)).not.toContain("plan.json");
  }, 60_000);
});
