/**
 * `mlstack <command>`: offline plan, policy check and benchmark. Each command loads only what
 * it needs, so `check` on a CI runner never loads the Pulumi program or a cloud SDK.
 */
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");

const USAGE = `usage: mlstack <command>

  plan [stack] [--out DIR] [--quiet]   render a stack under Pulumi's mock runtime (default stack: dev);
                                       writes out/<stack>/ plan.json, manifests/, diagram.mmd, policy.sarif
  check <file|dir> [--target T] [--env E] [--format text|json|sarif] [--config pack-config.json]
                                       run the mlstack-security policies on a preview, plan, stack export or YAML
  bench                                measure plan and check performance against their floors

exit codes: 0 ok, 1 mandatory policy violations, 2 unusable input or config`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "plan":
      return (await import("./plan")).runPlan(rest, PROJECT_DIR);
    case "check":
      return (await import("./check")).runCheck(rest);
    case "bench":
      return (await import("./bench")).runBench(rest, PROJECT_DIR);
    case "bench-worker":
      // One measurement in its own process, spawned by `bench`.
      await (await import("./bench/worker")).runWorker(rest);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`mlstack: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}
