/**
 * The generated parts of the documentation stay current: docs/components.md is exactly what the
 * generator (cli/docs/componentReference.ts) writes from the components' source, and the README's
 * diagram is the one `mlstack plan dev` draws.
 */
import * as fs from "fs";
import * as path from "path";
import {
  collectComponents,
  renderComponentReference,
  statedDefault,
} from "../../cli/docs/componentReference";
import { mermaidDiagram } from "../../cli/plan/diagram";
import { loadStackConfig } from "../../cli/plan/stackConfig";
import { parseConfig, platformKeys } from "../../stacks/config";

const ROOT = path.resolve(__dirname, "../..");

describe("docs/components.md", () => {
  it("is up to date with the components' source (regenerate with npm run docs:components)", () => {
    const committed = fs.readFileSync(path.join(ROOT, "docs/components.md"), "utf8");
    expect(committed === renderComponentReference(ROOT)).toBe(true);
  });

  it("documents every component under components/ with its inputs and a real construction", () => {
    const tokens = fs
      .readdirSync(path.join(ROOT, "components"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => [
        ...fs.readFileSync(path.join(ROOT, "components", f), "utf8").matchAll(/super\("(mlstack:[\w:]+)"/g),
      ])
      .map((m) => m[1])
      .sort();
    const components = collectComponents(ROOT);
    expect(components.map((c) => c.typeToken).sort()).toEqual(tokens);
    for (const c of components) {
      expect([c.className, c.inputs.length > 0]).toEqual([c.className, true]);
      expect([c.className, c.example?.code]).toEqual([
        c.className,
        expect.stringMatching(new RegExp(`^new ${c.className}\\(`)),
      ]);
    }
  });

  it("reads the mlflow component's inputs with their types, requiredness and stated defaults", () => {
    const mlflow = collectComponents(ROOT).find((c) => c.className === "Mlflow");
    expect(mlflow?.argsType).toBe("MlflowArgs");
    expect(mlflow?.inputs.find((i) => i.name === "namespace")).toMatchObject({
      type: "pulumi.Input<string>",
      required: true,
    });
    expect(mlflow?.inputs.find((i) => i.name === "scratchSize")).toMatchObject({
      required: false,
      default: "`10Gi`",
    });
    expect(mlflow?.outputs.map((o) => o.name)).toContain("trackingUri");
  });
});

describe("statedDefault", () => {
  it.each([
    ["Size limit. Default `10Gi`; exceeding it evicts the pod.", "`10Gi`"],
    [
      "Workers. Default: one per 512Mi of the memory limit, 1 to 4 (see workers.ts).",
      "one per 512Mi of the memory limit, 1 to 4 (see workers.ts)",
    ],
    [
      "Who may use it. Default: none (only admins, e.g. the owners). More text.",
      "none (only admins, e.g. the owners)",
    ],
    ["Image tag. Default `1.7.1`.", "`1.7.1`"],
    ["Defaults to 3 brokers", "to 3 brokers"],
  ])("reads %j as %j", (description, expected) => {
    expect(statedDefault(description)).toBe(expected);
  });

  it("finds no default where none is stated", () => {
    expect(statedDefault("Namespace of the Service.")).toBeUndefined();
  });
});

describe("README.md", () => {
  it("embeds the Mermaid diagram mlstack plan draws for the dev stack", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const embedded = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
    const stackConfig = loadStackConfig(ROOT, "dev");
    const config = parseConfig(platformKeys(stackConfig.config), {
      project: stackConfig.project,
      stack: "dev",
    });
    expect(embedded?.trim()).toBe(mermaidDiagram(config).trim());
  });
});
