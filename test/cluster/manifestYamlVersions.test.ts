/**
 * Manifests any reader takes the same way (issue 11, item 7). `mlstack plan` writes YAML with the
 * `yaml` package, a YAML 1.2 writer; kubectl (sigs.k8s.io/yaml on go-yaml) and PyYAML read YAML 1.1,
 * where `on`, `no`, `y`, `0755`, `1:30` and `2026-01-01` are booleans, numbers and dates. Every
 * manifest of every shipped stack must read the same under both schemas, and equal the inputs
 * `plan.json` records for that object.
 */
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as YAML from "yaml";
import { renderPlan } from "../../cli/plan/planStack";
import { PreviewDocument, toYaml } from "../../cli/plan/render";
import { shippedPlan } from "../support/shippedPlans";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SHIPPED_STACKS = ["dev", "staging", "prod", "prod-aws", "prod-gcp"];

const read11 = (text: string) => YAML.parse(text, { version: "1.1" });
const read12 = (text: string) => YAML.parse(text, { version: "1.2" });

/** Where two parsed values first differ, as a path, for a readable failure. */
function firstDifference(a: unknown, b: unknown, at = ""): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const found = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${at}.${key}`,
      );
      if (found) return found;
    }
  }
  return `${at || "(root)"}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

describe("toYaml writes strings that YAML 1.1 would read as another type quoted", () => {
  // Each is a string in YAML 1.2's core schema but not in YAML 1.1 (yaml.org/type/*.html):
  // bool (y|n|yes|no|on|off in any of their cases), int (octal 0755, binary, sexagesimal,
  // underscores), float (sexagesimal, underscores), null (~, empty), timestamp, and 1.2-only forms
  // 1.1 takes as strings (0o17) but 1.2 does not.
  const ambiguous = [
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "y",
    "Y",
    "n",
    "N",
    "true",
    "False",
    "null",
    "~",
    "",
    "0755",
    "0b1010",
    "0x1F",
    "0o17",
    "1_000",
    "190:20:30",
    "1:30",
    "1_000.5",
    "20:30.15",
    ".inf",
    "-.Inf",
    ".NaN",
    "2026-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "1e3",
    "+12",
    "-0",
    "<<",
  ];
  it.each(ambiguous)("%j reads back as the same string under YAML 1.1 and 1.2", (value) => {
    const text = toYaml({ data: { [value || "empty"]: value }, list: [value] });
    expect(read11(text)).toEqual({ data: { [value || "empty"]: value }, list: [value] });
    expect(read12(text)).toEqual({ data: { [value || "empty"]: value }, list: [value] });
  });

  it("quotes keys that YAML 1.1 would read as booleans", () => {
    const text = toYaml({ on: "x", y: "z" });
    expect(read11(text)).toEqual({ on: "x", y: "z" });
  });

  it("leaves real booleans, numbers and null as they are, and plain words plain", () => {
    const text = toYaml({
      enabled: true,
      replicas: 3,
      ratio: 0.5,
      none: null,
      name: "postgres",
      image: "x:1.2",
    });
    expect(text).toContain("enabled: true\n");
    expect(text).toContain("replicas: 3\n");
    expect(text).toContain("ratio: 0.5\n");
    expect(text).toContain("name: postgres\n");
    expect(read11(text)).toEqual(read12(text));
  });

  it("keeps multi-line strings as block scalars that both versions read the same", () => {
    const value = "line one: on\nno\n0755\n";
    const text = toYaml({ script: value });
    expect(read11(text)).toEqual({ script: value });
    expect(read12(text)).toEqual({ script: value });
  });
});

describe.each(SHIPPED_STACKS)("every manifest of the %s stack", (stack) => {
  let files: Map<string, string>;
  let planInputs: Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    const result = await shippedPlan(stack);
    files = renderPlan(result, stack, REPO_ROOT).files;
    const document = JSON.parse(files.get("plan.json") as string) as PreviewDocument;
    planInputs = new Map();
    for (const step of document.steps) {
      const inputs = step.newState.inputs as {
        kind?: string;
        metadata?: { name?: string; namespace?: string };
      };
      if (!step.newState.type.startsWith("kubernetes:") || !inputs.kind) continue;
      planInputs.set(`${inputs.kind}/${inputs.metadata?.namespace ?? ""}/${inputs.metadata?.name}`, inputs);
    }
  }, 120_000);

  it("reads the same under YAML 1.1 and YAML 1.2, and equals plan.json's inputs for the object", () => {
    const manifests = [...files.keys()].filter(
      (f) => f.startsWith("manifests/") && f !== "manifests/all.yaml",
    );
    expect(manifests.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const file of manifests) {
      const text = files.get(file) as string;
      const as11 = read11(text) as { kind: string; metadata: { name: string; namespace?: string } };
      const as12 = read12(text);
      const versions = firstDifference(as11, as12);
      if (versions) problems.push(`${file}: YAML 1.1 vs 1.2 at ${versions}`);
      const key = `${as11.kind}/${as11.metadata.namespace ?? ""}/${as11.metadata.name}`;
      const inputs = planInputs.get(key);
      if (!inputs) problems.push(`${file}: plan.json has no ${key}`);
      else {
        const vsPlan = firstDifference(as11, inputs);
        if (vsPlan) problems.push(`${file}: YAML 1.1 vs plan.json at ${vsPlan}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("all.yaml holds the same objects, read the same under both versions", () => {
    const all = files.get("manifests/all.yaml") as string;
    const docs11 = YAML.parseAllDocuments(all, { version: "1.1" }).map((d) => d.toJS());
    const docs12 = YAML.parseAllDocuments(all, { version: "1.2" }).map((d) => d.toJS());
    const manifests = [...files.keys()].filter(
      (f) => f.startsWith("manifests/") && f !== "manifests/all.yaml",
    );
    expect(docs11.length).toBe(manifests.length);
    expect(docs11).toEqual(docs12);
  });
});
