/**
 * The policy pack is a package of its own: `pulumi policy publish` and `--policy-pack policies`
 * install policies/package.json's dependencies and compile the pack with them. Here `policies/` is
 * copied alone to a temp folder (no other file of this repository), installed with real npm (the
 * npm cache serves the packages), compiled with its own tsconfig.json by its own TypeScript, and
 * its rules loaded from the build: an import from outside `policies/`, a missing dependency or a
 * compiler that cannot parse the pack fails here.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { npmInstall, sh } from "../package/npm";
import { ALL_RULES } from "../../policies/catalog";

const ROOT = path.resolve(__dirname, "../..");
const POLICIES = path.join(ROOT, "policies");

let work: string;
let pack: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-policy-pack-"));
  pack = path.join(work, "policies");
  fs.cpSync(POLICIES, pack, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|bin|build)$/.test(src),
  });
  await npmInstall(pack);
}, 600_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("policies/ on its own", () => {
  it("pins the TypeScript the repository compiles with, so Pulumi does not fall back to its vendored 3.8", () => {
    // @pulumi/pulumi loads `typescript` and `ts-node` from the pack's node_modules and otherwise its
    // vendored typescript@3.8.3 / ts-node@7.0.1 (tsutils.js typeScriptRequireStrings, @pulumi/pulumi 3.270.0).
    const version = (dir: string, name: string) =>
      (
        JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    for (const name of ["typescript", "ts-node", "@pulumi/policy", "@pulumi/pulumi"])
      expect({ name, version: version(pack, name) }).toEqual({ name, version: version(ROOT, name) });
  });

  it("compiles with its own tsconfig.json and loads every rule from the build", async () => {
    await sh(pack, path.join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.json", "--outDir", "build"]);
    const script = `
      const { ALL_RULES } = require("./build/catalog.js");
      const { crossGuardPolicies } = require("./build/crossguard.js");
      console.log(JSON.stringify({
        rules: ALL_RULES.map((r) => r.name),
        policies: crossGuardPolicies().map((p) => p.name),
      }));`;
    const loaded = JSON.parse(await sh(pack, "node", ["-e", script])) as {
      rules: string[];
      policies: string[];
    };
    const names = ALL_RULES.map((r) => r.name);
    expect(loaded.rules).toEqual(names);
    expect(new Set(loaded.policies)).toEqual(new Set(names));
  });
});
