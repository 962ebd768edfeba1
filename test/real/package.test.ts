/**
 * mlstack as another team installs it, with real npm: `npm pack` (prepack builds dist/), then the
 * examples in a temp folder that holds no other file of this repository, `npm install <tarball>`
 * with their own dependencies from the registry (the npm cache serves them), TypeScript with
 * node16 resolution through the package's `exports`, and the platform example planned under the
 * mock runtime through `mlstack/testing`. A file, a `.d.ts` or an export missing from the tarball
 * fails here: tsc cannot resolve the import, or node cannot load it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { npmInstall, sh } from "../package/npm";

const ROOT = path.resolve(__dirname, "../..");
const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
  exports: Record<string, string | { types: string; default: string }>;
};

let work: string;
let tarball: string;

/** A copy of one example folder in the temp folder, with mlstack installed from the tarball. */
async function installExample(example: string): Promise<string> {
  const dir = path.join(work, example);
  fs.cpSync(path.join(ROOT, "examples", example), dir, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|build)$/.test(src),
  });
  await npmInstall(dir, tarball);
  return dir;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-package-"));
  expect(path.relative(ROOT, work).startsWith("..")).toBe(true);
  // prepack builds dist/ first; its output shares npm's stdout, so the tarball is found by name.
  await sh(ROOT, "npm", ["pack", "--pack-destination", work]);
  tarball = path.join(work, `mlstack-${MANIFEST.version}.tgz`);
  expect(fs.existsSync(tarball)).toBe(true);
}, 600_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  let installed: string;
  let platformDir: string;

  beforeAll(async () => {
    platformDir = await installExample("typescript-platform");
    installed = path.join(platformDir, "node_modules", "mlstack");
  }, 600_000);

  it("ships JavaScript and declarations for every export, and no TypeScript source", () => {
    for (const [subpath, target] of Object.entries(MANIFEST.exports)) {
      const files = typeof target === "string" ? [target] : [target.types, target.default];
      for (const file of files)
        expect({ subpath, file, exists: fs.existsSync(path.join(installed, file)) }).toEqual({
          subpath,
          file,
          exists: true,
        });
    }
    const sources = (fs.readdirSync(installed, { recursive: true }) as string[]).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"),
    );
    expect(sources).toEqual([]);
    expect(fs.existsSync(path.join(installed, "dist/components/serving/streamConsumer.py"))).toBe(true);
  });

  it("loads every entry with no Pulumi engine (no side effect on import) and no cloud SDK for Kubernetes", async () => {
    const entries = Object.keys(MANIFEST.exports)
      .filter((s) => s !== "./package.json" && s !== "./aws" && s !== "./gcp")
      .map((s) => `mlstack${s.slice(1)}`);
    const script = `
      for (const e of ${JSON.stringify(entries)}) require(e);
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({
        from: require.resolve("mlstack"),
        cloud: loaded.filter((f) => /[\\\\/]@pulumi[\\\\/](aws|gcp)[\\\\/]/.test(f)),
        exported: Object.keys(require("mlstack/kubernetes")),
      }));`;
    const out = JSON.parse(await sh(platformDir, "node", ["-e", script])) as {
      from: string;
      cloud: string[];
      exported: string[];
    };
    expect(out.from.startsWith(fs.realpathSync(platformDir))).toBe(true);
    expect(out.cloud).toEqual([]);
    expect(out.exported).toEqual(
      expect.arrayContaining(["ModelServing", "Mlflow", "TeamNamespace", "CnpgPostgres", "StrimziKafka"]),
    );
    // The cloud entries need their SDK, an optional peer this consumer does not install.
    expect(fs.existsSync(path.join(platformDir, "node_modules/@pulumi/aws"))).toBe(false);
  });

  it("type-checks the consumer's imports through the exports map", async () => {
    await sh(platformDir, path.join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"]);
  });

  it("plans the consumer's own platform offline (Postgres, MLflow, one model, no Kafka) and passes the policies", async () => {
    await sh(platformDir, path.join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"]);
    const plan = JSON.parse(await sh(platformDir, "node", ["build/plan.js"])) as {
      resources: { type: string; name: string; namespace?: string }[];
      outputs: Record<string, string>;
      violations: { policy: string; level: string; message: string }[];
    };
    const types = new Set(plan.resources.map((r) => r.type));
    for (const component of [
      "mlstack:namespace:TeamNamespace",
      "mlstack:postgres:CnpgPostgres",
      "mlstack:objectstore:ExternalObjectStore",
      "mlstack:mlflow:Mlflow",
      "mlstack:serving:ModelServing",
    ])
      expect(types).toContain(component);
    expect([...types].filter((t) => /kafka|strimzi|aws:|gcp:/i.test(t))).toEqual([]);
    const deployments = plan.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
    expect(deployments.map((d) => [d.name, d.namespace]).sort()).toEqual([
      ["mlflow-deployment", "search-platform"],
      ["model-ranker-deployment", "search-ml"],
    ]);
    expect(plan.resources.some((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Cluster")).toBe(true);
    // mlstack-security, from mlstack/policies/evaluate, finds nothing mandatory in the composition.
    expect(plan.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(plan.outputs).toMatchObject({
      teamNamespace: "search-ml",
      mlflowTrackingUri: "http://mlflow.search-platform.svc:5000",
    });
  });

  it("runs the mlstack command from the build, without SWC", async () => {
    expect(fs.existsSync(path.join(platformDir, "node_modules/@swc/core"))).toBe(false);
    const out = await sh(platformDir, path.join("node_modules", ".bin", "mlstack"), ["--version"]);
    expect(out.trim()).toBe(`mlstack ${MANIFEST.version}`);
  });
});

describe("examples/application-stack against the installed package", () => {
  it("type-checks its use of the PlatformStackOutputs type", async () => {
    const dir = await installExample("application-stack");
    await sh(dir, path.join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.json", "--noEmit"]);
  }, 600_000);
});
