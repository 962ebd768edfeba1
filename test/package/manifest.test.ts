/**
 * The package's shape, checked from the sources (test/real/package.test.ts checks the packed
 * tarball with real npm): every export has its source and is built, the declared peers admit the
 * SDK versions the tests run against, the Pulumi program is its own entry, and the entries load
 * with no side effect and only the cloud SDK their target needs.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const manifest = JSON.parse(read("package.json")) as {
  private?: boolean;
  version: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  exports: Record<string, string | { types: string; default: string }>;
  typesVersions: { "*": Record<string, string[]> };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  scripts: Record<string, string>;
};
/** The tsconfig.build.json entries (JSON with comments, as tsc reads it). */
const buildFiles = (
  JSON.parse(read("tsconfig.build.json").replace(/^\s*\/\/.*$/gm, "")) as { files: string[] }
).files;

/** `./dist/components/kubernetes.js` → `components/kubernetes.ts`. */
const sourceOf = (built: string) => built.replace(/^\.?\/?dist\//, "").replace(/\.(d\.ts|js)$/, ".ts");
const subpaths = Object.entries(manifest.exports).filter(([s]) => s !== "./package.json") as [
  string,
  { types: string; default: string },
][];

describe("package.json", () => {
  it("is publishable, semver 0.x, with a CHANGELOG entry for its version", () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.version).toMatch(/^0\.\d+\.\d+$/);
    expect(read("CHANGELOG.md")).toContain(`## ${manifest.version}`);
    expect(manifest.scripts.prepack).toBe("npm run build");
    expect(manifest.files).toEqual(
      expect.arrayContaining(["dist/**/*.js", "dist/**/*.d.ts", "CHANGELOG.md"]),
    );
  });

  it.each(subpaths)("builds %s from a source tsconfig.build.json compiles", (subpath, target) => {
    expect(sourceOf(target.types)).toBe(sourceOf(target.default));
    expect(fs.existsSync(path.join(ROOT, sourceOf(target.default)))).toBe(true);
    expect(buildFiles).toContain(sourceOf(target.default));
    // Consumers on `moduleResolution: node` read typesVersions instead of exports.
    if (subpath !== ".")
      expect(manifest.typesVersions["*"][subpath.slice(2)]).toEqual([target.types.slice(2)]);
  });

  it("has main and types on the root export", () => {
    const root = manifest.exports["."] as { types: string; default: string };
    expect(`./${manifest.main}`).toBe(root.default);
    expect(`./${manifest.types}`).toBe(root.types);
  });

  it("takes the Pulumi SDKs as peers whose ranges include the versions the tests pin", () => {
    for (const [name, range] of Object.entries(manifest.peerDependencies)) {
      expect({ name, range }).toEqual({ name, range: `^${manifest.devDependencies[name]}` });
    }
    // The neutral and Kubernetes entries need these; a cloud's SDK only its own entry.
    const required = Object.keys(manifest.peerDependencies).filter(
      (n) => !manifest.peerDependenciesMeta[n]?.optional,
    );
    expect(required.sort()).toEqual([
      "@pulumi/kubernetes",
      "@pulumi/pulumi",
      "@pulumi/random",
      "@pulumi/tls",
    ]);
    // Build and transpile tools are for this repository only: the package runs its build.
    for (const tool of ["typescript", "ts-node", "@swc/core"])
      expect(manifest.dependencies[tool]).toBeUndefined();
  });
});

describe("the Pulumi program", () => {
  it("is stacks/program.ts, named by Pulumi.yaml, so the package entry stays free of side effects", () => {
    const project = parse(read("Pulumi.yaml")) as { main?: string };
    expect(project.main).toBe("stacks/program.ts");
    expect(read("stacks/program.ts")).toMatch(/export = main\(\);/);
    expect(read("index.ts")).not.toMatch(/main\(\)/);
  });
});

describe("loading the entries", () => {
  const run = promisify(execFile);
  /** Loads the entries in a fresh node and lists the Pulumi SDK packages that got loaded. */
  async function sdksLoadedBy(entries: string[]): Promise<string[]> {
    const script = `
      for (const e of ${JSON.stringify(entries)}) require(e);
      const sdks = new Set();
      for (const f of Object.keys(require.cache)) {
        const m = /[\\\\/]node_modules[\\\\/]@pulumi[\\\\/]([a-z]+)[\\\\/]/.exec(f);
        if (m) sdks.add(m[1]);
      }
      console.log(JSON.stringify([...sdks].sort()));`;
    const { stdout } = await run(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: "commonjs" }) },
    });
    return JSON.parse(stdout) as string[];
  }
  const entry = (subpath: string) =>
    `./${sourceOf((manifest.exports[subpath] as { default: string }).default)}`;
  const neutral = subpaths.map(([s]) => s).filter((s) => s !== "./aws" && s !== "./gcp");

  it("registers nothing and loads neither cloud SDK for the neutral and Kubernetes entries", async () => {
    // A resource registered on import would throw here: no Pulumi engine runs this process.
    const sdks = await sdksLoadedBy(neutral.map(entry));
    expect(sdks).toContain("kubernetes");
    expect(sdks).not.toContain("aws");
    expect(sdks).not.toContain("gcp");
  }, 120_000);

  it.each([
    ["./aws", "aws", "gcp"],
    ["./gcp", "gcp", "aws"],
  ])(
    "loads only its own cloud's SDK for %s",
    async (subpath, own, other) => {
      const sdks = await sdksLoadedBy([entry(subpath)]);
      expect(sdks).toContain(own);
      expect(sdks).not.toContain(other);
    },
    120_000,
  );
});
