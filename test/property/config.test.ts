/**
 * Property-based tests of the config layer and the pre-flight step, with generated stack configs
 * (bounded runs, a fixed seed so a failure replays):
 * - whatever the `mlstack:*` values, validation returns a config or throws one `ConfigError` whose
 *   every line names an `mlstack:` key; it never crashes with another error or prints a trace;
 * - a config that passes validation passes it again identically (validation is pure);
 * - running the program itself (`main`, under the mock runtime) registers nothing when the config is
 *   refused, and registers the platform when it is accepted: nothing registers before validation ends.
 */
import * as fc from "fast-check";
import { ConfigError, platformKeys } from "../../stacks/config";
import { validateStackConfig } from "../../stacks/preflight";
import { Json, baseRawConfig } from "../support/config";
import { engineConfig, runMain } from "../stacks/registrations";

const IDENTITY = { project: "mlstack", stack: "property" };
const SEED = 20261202;
const STACK_FRAME = /\n\s+at /;

/** Strings a user (or an attacker) might put in a stack file. */
const hostileText = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "a\nb",
    "x; rm -rf /",
    "$(reboot)",
    "system:authenticated",
    "kube-system",
    "http://s3.example.com",
    "0 0 2 * * *",
    "@hourly",
    "1Gi",
    "-1",
    "1e3",
    "10.0.0.0/8",
    "fd00::/8",
    "a".repeat(70),
    "bad key!",
    "null",
    "true",
    "\u0000",
  ),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,70}$/),
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileText },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 100_000 }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Paths into the base config whose values the generator replaces (leaves and whole sections). */
const PATHS: string[][] = [
  ["target"],
  ["environment"],
  ["namespacePrefix"],
  ["protect"],
  ["registries"],
  ["teams", "0", "name"],
  ["teams", "0", "groups", "0"],
  ["teams", "0", "members"],
  ["teams", "0", "quota", "cpu"],
  ["teams", "0", "quota", "gpu"],
  ["teams", "1"],
  ["kafka", "brokers"],
  ["kafka", "controllers"],
  ["kafka", "name"],
  ["kafka", "storageClass"],
  ["kafka", "topics", "0", "name"],
  ["kafka", "topics", "0", "replicas"],
  ["postgres"],
  ["postgres", "instances"],
  ["postgres", "storageClass"],
  ["postgres", "backup"],
  ["objectStore", "endpoint"],
  ["objectStore", "provider"],
  ["objectStore", "storageClassName"],
  ["objectStore", "buckets", "0", "name"],
  ["mlflow", "auth"],
  ["mlflow", "hostname"],
  ["serving", "models", "0", "name"],
  ["serving", "models", "1", "name"],
  ["serving", "models", "1", "engine"],
  ["serving", "models", "0", "gpu"],
  ["serving", "models", "1", "port"],
  ["operators", "namespace"],
  ["operators", "install"],
  ["network", "apiServerCidrs"],
  ["ingress", "domain"],
  ["unknownKey"],
];

function setPath(obj: Json, path: string[], value: unknown): void {
  let node: Json = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key];
  }
  node[path[path.length - 1]] = value;
}

/** The base config with 1–4 values replaced, or (sometimes) a config that is nothing but noise. */
const generatedConfig: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom(...PATHS), anyValue), { minLength: 1, maxLength: 4 })
      .map((changes) => {
        const raw = baseRawConfig();
        for (const [path, value] of changes) setPath(raw, path, value);
        return raw;
      }),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), anyValue, { maxKeys: 5 }) },
);

type Outcome = { ok: true; config: unknown } | { ok: false; message: string };

function validate(raw: Json): Outcome {
  try {
    return { ok: true, config: validateStackConfig(raw, IDENTITY) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, message: err.message };
  }
}

describe("config validation on generated configs", () => {
  it("returns a config or one ConfigError naming mlstack: keys, never another error or a trace", () => {
    fc.assert(
      fc.property(generatedConfig, (raw) => {
        const outcome = validate(raw);
        if (!outcome.ok) {
          expect(outcome.message).not.toMatch(STACK_FRAME);
          const problems = outcome.message.includes("\n  - ")
            ? outcome.message.split("\n  - ").slice(1)
            : [outcome.message.replace(/^invalid mlstack config: /, "")];
          for (const problem of problems) expect(problem).toMatch(/^mlstack:\S.*?: \S/);
        }
      }),
      { numRuns: 400, seed: SEED },
    );
  });

  it("is pure: the same input gives the same outcome", () => {
    fc.assert(
      fc.property(generatedConfig, (raw) => {
        expect(validate(structuredClone(raw))).toEqual(validate(structuredClone(raw)));
      }),
      { numRuns: 100, seed: SEED + 1 },
    );
  });
});

describe("the program on generated configs", () => {
  it("registers nothing when the config is refused, and the platform when it is accepted", async () => {
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(generatedConfig, async (raw) => {
        // What the program sees: the engine hands every value over as text (JSON for structures).
        const expected = validate(platformKeys(engineConfig(raw)));
        const run = await runMain(raw);
        seen[expected.ok ? "accepted" : "refused"] += 1;
        if (expected.ok) {
          expect(run.error).toBeUndefined();
          expect(run.registered.length).toBeGreaterThan(0);
        } else {
          expect(run.error).toBeInstanceOf(ConfigError);
          expect((run.error as Error).message).toBe(expected.message);
          expect(run.registered).toEqual([]);
        }
      }),
      { numRuns: 40, seed: SEED + 2 },
    );
    // Both paths were exercised, so the property says something about each.
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 120_000);
});
