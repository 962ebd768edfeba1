/**
 * mlstack as a Pulumi component package (issue 12 item 3): Pulumi's own component analyzer — the
 * one `pulumi package add` runs (@pulumi/pulumi, provider/experimental/analyzer.js) — goes over
 * every component the package exports. Each is accepted, or listed below with what blocks it; the
 * schema it generates is the checked-in docs/package-schema.json.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import {
  analyzePackage,
  packageEntries,
  renderSchema,
  sourceOfEntry,
  type PackageAnalysis,
} from "../../cli/schema/componentAnalysis";

const ROOT = path.resolve(__dirname, "../..");

/**
 * Components the analyzer still rejects, each with the args that block it (what
 * `npm run schema:components` prints). None now: every exported component is accepted. The list
 * may only shrink: the test fails when a listed component becomes acceptable (remove it here) and
 * when any component not listed is rejected.
 */
const EXPECTED_REJECTIONS: Record<string, string> = {};

/** Components whose args this work made expressible: they must stay in the plugin's schema. */
const SERVED_BY_THE_PLUGIN = [
  "CertificateAuthority",
  "CnpgPostgres",
  "Exposure",
  "ExternalObjectStore",
  "Mlflow",
  "ModelServing",
  "ObcObjectStore",
  "Orchestrator",
  "PlatformOperators",
  "StrimziKafka",
  "TeamNamespace",
];

/**
 * Cloud backing services the analyzer accepts from their target entry (`mlstack/aws`,
 * `mlstack/gcp`): the plugin loads only the main entry, which must not load a cloud SDK, so they
 * are not in the plugin's schema.
 */
const ACCEPTED_FROM_CLOUD_ENTRIES = [
  "CloudSqlPostgres",
  "GcsBucket",
  "GcsObjectStore",
  "ManagedKafka",
  "MskKafka",
  "RdsPostgres",
  "S3Bucket",
  "S3ObjectStore",
];

let analysis: PackageAnalysis;

beforeAll(() => {
  analysis = analyzePackage(ROOT);
}, 600_000);

describe("Pulumi's component analyzer over the package", () => {
  it("finds every component the package entries export", () => {
    const names = analysis.verdicts.map((v) => v.name);
    expect(names.length).toBeGreaterThanOrEqual(SERVED_BY_THE_PLUGIN.length);
    for (const name of SERVED_BY_THE_PLUGIN) expect(names).toContain(name);
  });

  it("accepts every exported component that is not listed as an expected rejection", () => {
    const unexpected = analysis.verdicts
      .filter((v) => !v.accepted && !(v.name in EXPECTED_REJECTIONS))
      .map((v) => `${v.name} (${v.entry}): ${(v.blockers ?? [v.reason]).join("; ")}`);
    expect(unexpected).toEqual([]);
  });

  it("still rejects every listed component: the list only shrinks", () => {
    const nowAccepted = analysis.verdicts
      .filter((v) => v.accepted && v.name in EXPECTED_REJECTIONS)
      .map((v) => `${v.name} is accepted now: remove it from EXPECTED_REJECTIONS`);
    expect(nowAccepted).toEqual([]);
    const exported = new Set(analysis.verdicts.map((v) => v.name));
    const stale = Object.keys(EXPECTED_REJECTIONS).filter((name) => !exported.has(name));
    expect(stale).toEqual([]);
  });

  it("accepts the cloud backing services from their target entries, outside the plugin", () => {
    for (const name of ACCEPTED_FROM_CLOUD_ENTRIES) {
      expect(analysis.verdicts.find((v) => v.name === name)).toMatchObject({
        accepted: true,
        inPlugin: false,
      });
    }
  });

  it("publishes no private field as an output: an accepted component keeps its internals out of fields", () => {
    // The analyzer reads every field, private ones too, as a schema output, and the provider returns
    // their values to the calling program (an auth string, a CA key, the raw args).
    const leaking = analysis.verdicts
      .filter((v) => v.accepted && v.privateFields.length > 0)
      .map((v) => `${v.name}: ${v.privateFields.join(", ")}`);
    expect(leaking).toEqual([]);
  });

  it("serves the workloads and the in-cluster backing services from the plugin's main entry", () => {
    const resources = Object.keys(analysis.schema.resources as Record<string, unknown>);
    for (const name of SERVED_BY_THE_PLUGIN) {
      expect(analysis.verdicts.find((v) => v.name === name)).toMatchObject({
        accepted: true,
        inPlugin: true,
      });
      expect(resources).toContain(`mlstack:index:${name}`);
    }
  });

  it("generates the schema checked in as docs/package-schema.json (npm run schema:components)", () => {
    const committed = fs.readFileSync(path.join(ROOT, "docs", "package-schema.json"), "utf8");
    // On a mismatch: run `npm run schema:components` and review the diff of docs/package-schema.json.
    expect(JSON.parse(committed)).toEqual(JSON.parse(renderSchema(analysis.schema)));
  });

  it("reads Kubernetes' int-or-string port in a grant as Any, and the shared word lists as enums", () => {
    const types = analysis.schema.types as Record<
      string,
      { properties?: Record<string, object>; enum?: object[] }
    >;
    expect(types["mlstack:index:EgressPort"].properties?.port).toMatchObject({ $ref: "pulumi.json#/Any" });
    expect(types["mlstack:index:Environment"].enum).toEqual([
      { name: "dev", value: "dev" },
      { name: "staging", value: "staging" },
      { name: "prod", value: "prod" },
    ]);
    expect(types["mlstack:index:MlflowAuth"].enum).toContainEqual({
      name: "oauthProxy",
      value: "oauth-proxy",
    });
  });
});

describe("the package as the nodejs language host loads it", () => {
  it("declares the nodejs runtime in PulumiPlugin.yaml", () => {
    const plugin = parse(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8"));
    expect(plugin).toEqual({ runtime: "nodejs" });
  });

  it("maps every package.json entry to its TypeScript source, the way the analyzer needs it", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const entries = packageEntries(ROOT, pkg);
    expect(entries.get(".")).toBe("index.ts");
    for (const source of entries.values()) expect(fs.existsSync(path.join(ROOT, source))).toBe(true);
  });

  it("maps a built entry back through tsconfig.build.json's outDir, and refuses what has no source", () => {
    expect(sourceOfEntry(ROOT, "./dist/components/aws.js")).toBe(path.join("components", "aws.ts"));
    expect(sourceOfEntry(ROOT, "./index.js")).toBe("index.ts");
    expect(sourceOfEntry(ROOT, "./dist/nowhere.js")).toBeUndefined();
  });
});
