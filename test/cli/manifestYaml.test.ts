/**
 * `toYaml` writes each manifest itself for speed; it must write exactly what the `yaml` package
 * writes (`yamlWithLibrary`), byte for byte, for every manifest of every shipped stack and for
 * scalars chosen to trip a hand-written YAML writer.
 */
import * as YAML from "yaml";
import { toYaml, yamlWithLibrary } from "../../cli/plan/manifestYaml";
import { kubernetesObjects } from "../../cli/plan/render";
import { shippedPlan } from "../support/shippedPlans";

/** Strings a YAML writer must quote, fold, escape or write as block scalars. */
const HOSTILE_STRINGS = [
  "",
  " ",
  "  lead",
  "trail ",
  "\t",
  "on",
  "On",
  "NULL",
  "y",
  "~",
  "0755",
  "0x1F",
  "1e3",
  "1:30",
  "2026-01-01",
  ".inf",
  "-.Inf",
  "+12",
  "-0",
  "<<",
  "- item",
  "-",
  "? key",
  ": value",
  "a: b",
  "a #b",
  "#comment",
  "x#y",
  "'single'",
  '"double"',
  'it\'s "both"',
  "[flow]",
  "{flow}",
  "*alias",
  "&anchor",
  "!tag",
  "%directive",
  "@at",
  "`tick`",
  "|pipe",
  ">fold",
  "--- marker",
  "...",
  "a\nb",
  "a\nb\n",
  "a\n\nb\n\n",
  "\nleading newline",
  "  indented\nfirst line",
  "line\n  indented second",
  "trailing spaces  \nline",
  "tab\tinside\nline",
  "--- x\ny",
  "x\n--- y\n",
  "unicode é ✓ 漢字",
  "\u0007bell",
  "x".repeat(300),
  `${"k".repeat(1100)}`,
  "100Mi",
  "500m",
  "8080",
  "app.kubernetes.io/name",
  "registry.example.com/image:1.2.3@sha256:abc",
  "http://host:9090/path?q=1#frag",
];

const SCALARS: unknown[] = [
  ...HOSTILE_STRINGS,
  0,
  -0,
  1,
  -1,
  0.5,
  1e21,
  1e-7,
  2 ** 53,
  NaN,
  Infinity,
  true,
  false,
  null,
];

describe("toYaml writes what the yaml package writes", () => {
  it.each(SCALARS.map((v) => [JSON.stringify(v) ?? String(v), v]))(
    "%s as a value, key, sequence item and nested value",
    (_, value) => {
      const asKey = typeof value === "string" ? { [value]: value } : {};
      const object = {
        value,
        list: [value, [value], { value, more: [value] }],
        nested: { deeper: { value }, list: [[value, value], []] },
        ...asKey,
        empty: {},
        none: [],
        last: value,
      };
      expect(toYaml(object)).toBe(yamlWithLibrary(object));
    },
  );

  it("writes 0 as 0 after writing -0 (a cache that took them for one value would not)", () => {
    const object = { a: -0, b: 0, c: [0, -0] };
    expect(toYaml(object)).toBe(yamlWithLibrary(object));
  });

  it("drops undefined map values and writes undefined items as null, as the package does", () => {
    const object = { a: undefined, b: [undefined, 1], c: { d: undefined }, e: [{ f: undefined }] };
    expect(toYaml(object)).toBe(yamlWithLibrary(object));
  });

  it("hands what is not JSON data to the package", () => {
    const object = { when: new Date(0), kind: "ConfigMap" };
    expect(toYaml(object)).toBe(yamlWithLibrary(object));
  });

  it.each(["dev", "staging", "prod", "prod-aws", "prod-gcp"])(
    "for every manifest of the %s stack",
    async (stack) => {
      const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
      try {
        const objects = kubernetesObjects((await shippedPlan(stack)).resources);
        expect(objects.length).toBeGreaterThan(20);
        const differing = objects
          .map(({ object }) => object)
          .filter((object) => toYaml(object) !== yamlWithLibrary(object))
          .map((object) => `${String(object.kind)} ${JSON.stringify(object.metadata)}`);
        expect(differing).toEqual([]);
        // And the text reads back as the object.
        for (const { object } of objects.slice(0, 20)) expect(YAML.parse(toYaml(object))).toEqual(object);
      } finally {
        stderr.mockRestore();
      }
    },
    120_000,
  );
});
