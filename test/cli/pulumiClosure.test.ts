/**
 * `mlstack plan` and the bench's workers run without Pulumi's closure serializer and code-path
 * packager (cli/plan/pulumiClosure.ts): the SDK's runtime loads the TypeScript compiler and npm's
 * Arborist for them, which a plan under mocks never calls.
 */
import * as fs from "fs";
import * as path from "path";
import * as closure from "../../cli/plan/pulumiClosure";
import { runCli, tempDir } from "./cliProcess";

/** Runs the CLI with a preload that reports, at exit, whether those packages were loaded. */
function loadedPackages(args: string[]): { code: number | null; loaded: string; stderr: string } {
  const dir = tempDir("mlstack-closure-");
  const preload = path.join(dir, "report.js");
  fs.writeFileSync(
    preload,
    `process.on("exit", () => process.stderr.write("LOADED=" + ["/node_modules/typescript/", "/node_modules/@npmcli/arborist/"].filter((p) => Object.keys(require.cache).some((f) => f.includes(p))).join(",") + "\\n"));\n`,
  );
  const run = runCli(args, { env: { NODE_OPTIONS: `--require ${preload}` } });
  const loaded = /LOADED=(.*)\n/.exec(run.stderr)?.[1] ?? "(no report)";
  return { code: run.code, loaded, stderr: run.stderr };
}

describe("Pulumi's closure serializer under mlstack plan", () => {
  it("is not loaded by mlstack plan", () => {
    const out = path.join(tempDir("mlstack-closure-out-"), "dev");
    const run = loadedPackages(["plan", "dev", "--quiet", "--out", out]);
    expect(run.code).toBe(0);
    expect(run.loaded).toBe("");
  }, 60_000);

  it("is not loaded by the bench's floor either, so it stays what the plan cannot go below", () => {
    const run = loadedPackages(["bench-worker", "floor", "5"]);
    expect(run.code).toBe(0);
    expect(run.loaded).toBe("");
  });

  it.each(["serializeFunction", "serializeFunctionAsync", "computeCodePaths"] as const)(
    "%s fails naming where it was left out, rather than doing less than the SDK",
    (name) => {
      expect(() => closure[name]()).toThrow(
        `pulumi.runtime.${name} is not loaded by mlstack plan (cli/plan/pulumiClosure.ts)`,
      );
    },
  );
});
