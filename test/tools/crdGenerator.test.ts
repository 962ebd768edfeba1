/**
 * The CRD → TypeScript generator (tools/crds): what each OpenAPI construct becomes, and that the
 * files under components/crds/ were generated for the operator versions the platform pins now.
 * (Byte-for-byte currency against the fetched CRDs is test/real/generatedCrds.test.ts: it needs
 * the Go module proxy and Maven Central, or their cache.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Crd, type JsonSchema, generateFiles, recordedOrigin } from "../../tools/crds/schemaToTs";
import { GENERATED_ROOT, GENERATED_SOURCES } from "../../tools/crds/sources";
import { existingGeneratedFiles } from "../../tools/crds/generate";

const ORIGIN = { operator: "example", version: "v1.2.3", sha256: "ab".repeat(32) };

function crd(kind: string, spec: JsonSchema, versions = [{ name: "v1", served: true }]): Crd {
  return {
    kind: "CustomResourceDefinition",
    metadata: { name: `${kind.toLowerCase()}s.example.com` },
    spec: {
      group: "example.com",
      names: { kind },
      scope: "Namespaced",
      versions: versions.map((v) => ({
        ...v,
        schema: { openAPIV3Schema: { type: "object", properties: { spec, status: { type: "object" } } } },
      })),
    },
  };
}

function only(crds: Crd[]): string {
  const files = generateFiles(crds, ORIGIN);
  expect(files).toHaveLength(1);
  return files[0].text;
}

describe("the generator", () => {
  it("writes one class per kind with apiVersion and kind fixed, and the CRD file's hash in the header", () => {
    const text = only([crd("Widget", { type: "object", properties: { size: { type: "integer" } } })]);
    expect(text).toContain("export class Widget extends k8s.apiextensions.CustomResource {");
    expect(text).toContain('static readonly apiVersion = "example.com/v1";');
    expect(text).toContain('static readonly kind = "Widget";');
    expect(text).toContain(
      "super(name, { apiVersion: Widget.apiVersion, kind: Widget.kind, ...args }, opts);",
    );
    expect(recordedOrigin(text)).toEqual(ORIGIN);
  });

  it("makes a field required only when the schema requires it and gives it no default (optional ones take undefined, as the SDK's do)", () => {
    const text = only([
      crd("Widget", {
        type: "object",
        required: ["name", "mode"],
        properties: {
          name: { type: "string" },
          mode: { type: "string", default: "fast" },
          note: { type: "string" },
        },
      }),
    ]);
    expect(text).toMatch(/^ {2}name: Input<string>;$/m);
    expect(text).toMatch(/^ {2}mode\?: Input<string \| undefined>;$/m);
    expect(text).toMatch(/^ {2}note\?: Input<string \| undefined>;$/m);
  });

  it("turns enums into literal unions, int-or-string into number | string, nullable into | null", () => {
    const text = only([
      crd("Widget", {
        type: "object",
        properties: {
          mode: { type: "string", enum: ["fast", "safe"] },
          port: {
            "x-kubernetes-int-or-string": true,
            anyOf: [{ type: "integer" }, { type: "string" }],
          } as JsonSchema,
          owner: { type: "string", nullable: true },
        },
      }),
    ]);
    expect(text).toContain('mode?: Input<"fast" | "safe" | undefined>;');
    expect(text).toContain("port?: Input<number | string | undefined>;");
    expect(text).toContain("owner?: Input<string | null | undefined>;");
  });

  it("types additionalProperties as a map, preserve-unknown-fields as open, and wraps array items in Input", () => {
    const text = only([
      crd("Widget", {
        type: "object",
        properties: {
          labels: { type: "object", additionalProperties: { type: "string" } },
          config: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          tuned: {
            type: "object",
            "x-kubernetes-preserve-unknown-fields": true,
            properties: { level: { type: "integer" } },
          },
          anything: {},
          ports: { type: "array", items: { type: "integer" } },
        },
      }),
    ]);
    expect(text).toContain("labels?: Input<{ [key: string]: Input<string> } | undefined>;");
    expect(text).toContain("config?: Input<{ [key: string]: unknown } | undefined>;");
    expect(text).toMatch(
      /export interface WidgetSpecTuned \{\n {2}level\?: Input<number \| undefined>;\n {2}\[key: string\]: unknown;\n\}/,
    );
    expect(text).toContain("anything?: Input<unknown | undefined>;");
    expect(text).toContain("ports?: Input<Input<number>[] | undefined>;");
  });

  it("emits an object type that appears twice only once, under the shortest name its uses ask for", () => {
    const ref = { type: "object", properties: { name: { type: "string" }, key: { type: "string" } } };
    const text = only([
      crd("Widget", { type: "object", properties: { userRef: ref, passwordRef: ref } } as JsonSchema),
    ]);
    expect(text.match(/^export interface/gm)).toHaveLength(3); // WidgetArgs, the spec, one ref
    expect(text).toContain("passwordRef?: Input<WidgetSpecUserRef | undefined>;");
    expect(text).toContain("userRef?: Input<WidgetSpecUserRef | undefined>;");
    expect(text).not.toContain("WidgetSpecPasswordRef");
  });

  it("skips versions the CRD no longer serves and writes one file per served group/version", () => {
    const files = generateFiles(
      [
        crd("Widget", { type: "object" }, [
          { name: "v1", served: true },
          { name: "v1beta1", served: false },
          { name: "v2", served: true },
        ]),
      ],
      ORIGIN,
    );
    expect(files.map((f) => f.path)).toEqual(["example.com/v1.ts", "example.com/v2.ts"]);
  });

  it("generates only the kinds asked for", () => {
    const both = [crd("Widget", { type: "object" }), crd("Gadget", { type: "object" })];
    const text = generateFiles(both, ORIGIN, (kind) => kind === "Gadget")[0].text;
    expect(text).toContain("export class Gadget ");
    expect(text).not.toContain("Widget");
  });
});

describe("components/crds", () => {
  const files = existingGeneratedFiles();
  const origins = files.map((f) => ({
    file: f,
    origin: recordedOrigin(fs.readFileSync(path.join(GENERATED_ROOT, f), "utf8")),
  }));

  it("holds generated files for every source", () => {
    for (const { source } of GENERATED_SOURCES)
      expect(origins.filter((o) => o.origin?.operator === source.operator).length).toBeGreaterThan(0);
  });

  it("was generated from the CRDs of the operator versions the platform pins (else run npm run generate:crds)", () => {
    const pinned = Object.fromEntries(
      GENERATED_SOURCES.map(({ source }) => [source.operator, source.version]),
    );
    const recorded = Object.fromEntries(origins.map((o) => [o.origin?.operator, o.origin?.version]));
    expect(recorded).toEqual(pinned);
  });
});
