/**
 * `mlstack <command>`: offline plan, policy check, plan diff and benchmark. Each command loads
 * only what it needs, so `check` on a CI runner never loads the Pulumi program or a cloud SDK.
 * Every command parses its arguments with ./commandLine/parseCommand.ts and answers `--help`.
 */
import * as fs from "fs";
import * as path from "path";
import { didYouMean } from "./commandLine/didYouMean";

/**
 * The folder mlstack runs from (the checkout, or node_modules/mlstack when installed): what `bench`
 * measures. `plan` renders the user's project instead, found from the current folder.
 */
const MLSTACK_DIR = path.resolve(
  __dirname,
  fs.existsSync(path.join(__dirname, "..", "bin")) ? ".." : "../..",
);

/** The commands a user types, with their one-line summaries (`bench-worker` is internal). */
const COMMANDS: ReadonlyArray<[string, string, string]> = [
  [
    "plan",
    "[stack] [--out DIR] [--quiet]",
    "render a stack under Pulumi's mock runtime; writes out/<stack>/",
  ],
  [
    "check",
    "<file|dir> [--target T] [--env E] [--format F] [--config C]",
    "run the mlstack-security policies on a preview, plan, stack export or YAML",
  ],
  [
    "diff",
    "<base plan.json> <head plan.json> [--format text|markdown|json]",
    "what changes between two plans: resources, properties, replacements, findings",
  ],
  ["bench", "[--runs N]", "measure plan and check performance against their floors"],
];

export const USAGE = `usage: mlstack <command> [options]     (mlstack <command> --help for its options)

${COMMANDS.map(([name, args, summary]) => `  ${name.padEnd(6)} ${args}\n         ${summary}`).join("\n")}

  --version   print the mlstack version
  --help, -h  show this help

exit codes: 0 ok, 1 mandatory policy violations, 2 unusable input, config or arguments`;

function version(): string {
  // A checkout keeps package.json beside cli/; the installed package runs dist/cli/, one level deeper.
  const file = ["../package.json", "../../package.json"].find((f) => fs.existsSync(path.join(__dirname, f)));
  return (require(file ?? "../package.json") as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "plan":
      (await import("./plan/pulumiClosure")).skipPulumiClosureModules();
      return (await import("./plan")).runPlan(rest, undefined);
    case "check":
      return (await import("./check")).runCheck(rest);
    case "diff":
      return (await import("./diff")).runDiff(rest);
    case "bench":
      return (await import("./bench")).runBench(rest, MLSTACK_DIR);
    case "bench-worker":
      // One measurement in its own process, spawned by `bench`: the plan's and the floors' alike
      // without Pulumi's closure serializer, as `plan` runs.
      (await import("./plan/pulumiClosure")).skipPulumiClosureModules();
      await (await import("./bench/worker")).runWorker(rest);
      return 0;
    case "--version":
    case "-v":
    case "version":
      process.stdout.write(`mlstack ${version()}\n`);
      return 0;
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case undefined:
      process.stderr.write(`mlstack: no command given\n${USAGE}\n`);
      return 2;
    default: {
      const known = [...COMMANDS.map(([name]) => name), "help"];
      const suggestion = didYouMean(command, command.startsWith("-") ? ["--help", "--version"] : known);
      process.stderr.write(
        `mlstack: unknown ${command.startsWith("-") ? "option" : "command"} ${JSON.stringify(command)}${suggestion ? ` (did you mean ${suggestion}?)` : ""}; commands: ${COMMANDS.map(([name]) => name).join(", ")}\n`,
      );
      return 2;
    }
  }
}
