/**
 * stacks/config/validate.ts: ajv errors against the TypeBox schemas become mlstack's own problems
 * (key path, value shown as JSON, what is allowed), values arrive as the engine and YAML hand them
 * over, and a refused value falls back to its default so the semantic checks still run.
 */
import Ajv from "ajv";
import { ConfigError, parseConfig } from "../../stacks/config";
import { Reader } from "../../stacks/config/reader";
import { MlstackSchema } from "../../stacks/config/schema";
import { TeamsSchema } from "../../stacks/config/teams";
import { validateSection } from "../../stacks/config/validate";
import { Json, baseRawConfig } from "../support/config";

const identity = { project: "mlstack", stack: "test" };

function problemsOf(raw: Json): string[] {
  try {
    parseConfig(raw, identity);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe("the mlstack:* schema", () => {
  it("is valid JSON Schema (the program skips this meta-schema check on every run; it is made here)", () => {
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema(MlstackSchema)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
  });
});

describe("values as the engine and YAML hand them over", () => {
  it('reads "3" as 3 and "true" as true (the engine passes scalar config as strings)', () => {
    const raw = baseRawConfig();
    raw.protect = "true";
    raw.teams[0].quota = { gpu: "2", pods: "80" };
    const c = parseConfig(raw, identity);
    expect(c.protect).toBe(true);
    expect(c.teams[0].quota).toMatchObject({ gpu: 2, pods: 80 });
  });

  it("reads a quantity given as a YAML number as its text", () => {
    const raw = baseRawConfig();
    raw.teams[0].quota = { cpu: 8, gpu: 2 };
    expect(parseConfig(raw, identity).teams[0].quota.cpu).toBe("8");
  });

  it("reads a key set to null as absent (its default applies)", () => {
    const raw = baseRawConfig();
    raw.kafka.name = null;
    expect(parseConfig(raw, identity).kafka.name).toBe("kafka");
  });

  it("leaves the caller's raw values untouched", () => {
    const raw = baseRawConfig();
    raw.teams[0].quota = { gpu: "2" };
    parseConfig(raw, identity);
    expect(raw.teams[0].quota).toEqual({ gpu: "2" });
  });
});

describe("problems in mlstack's words", () => {
  it("names an unknown key with its value and every known key of that map", () => {
    const raw = baseRawConfig();
    raw.teams[0].quotas = { cpu: "4" };
    expect(problemsOf(raw)).toEqual([
      'mlstack:teams[0].quotas: {"cpu":"4"} is not a known key (known: name, groups, members, quota)',
    ]);
  });

  it("lists every top-level key as known, the sections this stack does not set included", () => {
    const raw: Json = { environment: "dev", tems: [] };
    expect(problemsOf(raw)).toContain(
      "mlstack:tems: [] is not a known key (known: target, environment, namespacePrefix, protect, registries, " +
        "teams, kafka, postgres, objectStore, mlflow, orchestrator, serving, operators, ingress, network, aws, gcp)",
    );
  });

  it("checks a section that an earlier config in the same process did not set", () => {
    // Validators are compiled for the sections a config sets; a later config setting another
    // section must still have that section checked.
    expect(problemsOf(baseRawConfig())).toEqual([]);
    const raw = baseRawConfig();
    raw.orchestrator = { enabeld: true };
    expect(problemsOf(raw)).toContainEqual(
      expect.stringMatching(/^mlstack:orchestrator\.enabeld: true is not a known key/),
    );
  });

  it("names the wrong type of a map, a list, a number and a switch", () => {
    const raw = baseRawConfig();
    raw.mlflow = "basic";
    raw.teams[1].groups = "ml-pricing";
    raw.kafka.brokers = "three";
    raw.serving.monitoring = "yes";
    expect(problemsOf(raw)).toEqual(
      expect.arrayContaining([
        'mlstack:mlflow: "basic" is not an object (expected a map of keys)',
        'mlstack:teams[1].groups: "ml-pricing" is not a list',
        'mlstack:kafka.brokers: "three" is not a whole number from 1 to 100',
        'mlstack:serving.monitoring: "yes" is not true or false',
      ]),
    );
  });

  it("names every type a value may have when it has none of them", () => {
    const raw = baseRawConfig();
    Object.assign(raw.serving.models[1], { runtime: "custom", image: "ghcr.io/acme/scorer:1.0" });
    raw.serving.models[1].env = [{ name: "MODE", value: { fast: true } }];
    expect(problemsOf(raw)).toContain(
      'mlstack:serving.models[1].env[0].value: {"fast":true} is not a string or a number or true or false',
    );
  });

  it("names a missing required key with what it must hold", () => {
    const raw = baseRawConfig();
    delete raw.serving.models[1].team;
    expect(problemsOf(raw)).toContain(
      "mlstack:serving.models[1].team: undefined is required (the team that owns the model: one of mlstack:teams[].name)",
    );
  });

  it("reports schema and semantic problems of different sections in one run", () => {
    const raw = baseRawConfig();
    raw.environment = "qa";
    raw.teams[0].name = "Fraud";
    raw.kafka.topics[0].owner = "risk";
    raw.postgres = { instances: 0 };
    const problems = problemsOf(raw);
    expect(problems).toEqual(
      expect.arrayContaining([
        'mlstack:environment: "qa" is not one of: dev, staging, prod',
        expect.stringMatching(/^mlstack:teams\[0\]\.name: "Fraud" is not a DNS label/),
        'mlstack:kafka.topics[0].owner: "risk" is not a declared team (declared: pricing)',
        "mlstack:postgres.instances: 0 is not a whole number from 1 to 9",
      ]),
    );
  });

  it("falls back to the default for a refused value, so checks that depend on it do not pile up", () => {
    const raw = baseRawConfig();
    raw.kafka.brokers = 0;
    // Refused by the schema (1..100); the dev default of 1 broker is used, so no replication-factor
    // problem follows from a broker count nobody asked for.
    expect(problemsOf(raw)).toEqual(["mlstack:kafka.brokers: 0 is not a whole number from 1 to 100"]);
  });

  it("keeps the index of a list's later items when an earlier item is not a map", () => {
    const r = new Reader();
    const teams = validateSection<unknown[]>(
      TeamsSchema,
      ["fraud", { name: "pricing", groups: ["g"] }],
      r,
      "teams",
    );
    expect(r.problems).toEqual(['mlstack:teams[0]: "fraud" is not an object (expected a map of keys)']);
    expect(teams).toEqual([{}, { name: "pricing", groups: ["g"] }]);
  });
});
