/**
 * The `mlstack` command line: one parser for every command, `--help` on each (exit 0, nothing
 * started), `--version`, "did you mean" for typos, refusals that name the option, output that
 * survives a closed pipe, and nothing left in the temp folder.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { didYouMean, editDistance } from "../../cli/commandLine/didYouMean";
import { CommandSpec, UsageError, parseCommand } from "../../cli/commandLine/parseCommand";
import { ROOT, STACK_FRAME, runCli, tempDir } from "./cliProcess";

const SPEC: CommandSpec = {
  name: "demo",
  summary: "a demo",
  positionals: [{ name: "input", required: true, description: "input", missing: "no input given" }],
  options: {
    out: { type: "string", valueName: "DIR", description: "folder" },
    format: { type: "string", allowed: ["text", "json"], description: "format" },
    quiet: { type: "boolean", short: "q", description: "quiet" },
  },
};

const refusal = (argv: string[]) => {
  try {
    parseCommand(SPEC, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(" ")} was accepted`);
};

describe("parseCommand", () => {
  it("parses positionals, string and boolean options, = and separate values", () => {
    expect(parseCommand(SPEC, ["in", "--out=o", "-q", "--format", "json"])).toEqual({
      help: false,
      positionals: ["in"],
      values: { out: "o", quiet: true, format: "json" },
    });
  });

  it("answers --help and -h before any other problem", () => {
    expect(parseCommand(SPEC, ["--bogus", "--help"])).toEqual({ help: true });
    expect(parseCommand(SPEC, ["-h"])).toEqual({ help: true });
  });

  it.each([
    [
      ["in", "--qiuet"],
      "unknown option --qiuet (did you mean --quiet?); demo takes --out, --format, --quiet, -q, --help, -h",
    ],
    [["in", "--deploy"], "unknown option --deploy; demo takes --out, --format, --quiet, -q, --help, -h"],
    [["in", "-x"], "unknown option -x; demo takes --out, --format, --quiet, -q, --help, -h"],
    [["in", "--out"], "--out needs a value"],
    [["in", "--out="], "--out needs a value"],
    [["in", "--out", "--quiet"], "--out needs a value"],
    [["in", "--quiet=yes"], "--quiet takes no value"],
    [["in", "--format", "josn"], "--format josn: use one of text, json (did you mean json?)"],
    [[], "no input given"],
    [["a", "b"], 'demo takes input, got extra "b"'],
  ])("refuses %j: %s", (argv, message) => {
    expect(refusal(argv as string[])).toBe(message);
  });
});

describe("didYouMean", () => {
  it.each([
    ["plna", "plan"],
    ["chek", "check"],
    ["dif", "diff"],
    ["--quite", "--quiet"],
    ["--form", "--format"],
  ])("suggests %s → %s", (typed, expected) => {
    expect(didYouMean(typed, ["plan", "check", "diff", "bench", "--quiet", "--format", "--out"])).toBe(
      expected,
    );
  });

  it("suggests nothing for a different word", () => {
    expect(didYouMean("deploy", ["plan", "check", "diff", "bench"])).toBeUndefined();
  });

  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("plna", "plan")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("mlstack (real process)", () => {
  const tmp = tempDir("mlstack-tmpdir-");
  const env = { TMPDIR: tmp };

  it("prints the package version for --version", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const run = runCli(["--version"], { env });
    expect(run).toEqual({ code: 0, stdout: `mlstack ${version}\n`, stderr: "" });
  });

  it("prints the command list for --help and lists diff", () => {
    const run = runCli(["--help"], { env });
    expect(run.code).toBe(0);
    for (const command of ["plan", "check", "diff", "bench", "--version"])
      expect(run.stdout).toContain(command);
  });

  it.each(["plan", "check", "diff", "bench"])(
    "answers %s --help and -h with its usage, exit 0, nothing started",
    (command) => {
      for (const flag of ["--help", "-h"]) {
        const started = Date.now();
        const run = runCli([command, flag], { env });
        expect(run.code).toBe(0);
        expect(run.stderr).toBe("");
        expect(run.stdout).toContain(`usage: mlstack ${command}`);
        expect(run.stdout).toContain("-h, --help");
        if (command === "bench") expect(Date.now() - started).toBeLessThan(15_000); // the benchmark takes minutes
      }
    },
  );

  it("suggests the command for a typo, exit 2, no stack trace", () => {
    const run = runCli(["plna"], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'mlstack: unknown command "plna" (did you mean plan?); commands: plan, check, diff, bench\n',
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it("refuses no command with exit 2 and the usage", () => {
    const run = runCli([], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mlstack: no command given\nusage: mlstack <command>");
  });

  it("exits quietly when its reader goes away (check … | head -1)", () => {
    const errFile = path.join(tempDir("mlstack-epipe-"), "stderr.txt");
    const fixture = path.join(ROOT, "test", "fixtures", "check", "manifests");
    // SARIF with every rule's help is far larger than a pipe buffer, so the writer meets EPIPE.
    const status = execFileSync(
      "bash",
      [
        "-c",
        `node "$0" check "$1" --format sarif 2>"$2" | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`,
        path.join(ROOT, "bin", "mlstack.js"),
        fixture,
        errFile,
      ],
      { encoding: "utf8", env: { ...process.env, ...env } },
    ).trim();
    expect(["0", "1"]).toContain(status);
    expect(fs.readFileSync(errFile, "utf8")).toBe("");
  });

  it("leaves nothing in the temp folder, whatever the command", () => {
    const out = path.join(tempDir("mlstack-out-"), "dev");
    expect(runCli(["plan", "dev", "--out", out, "--quiet"], { env }).code).toBe(0);
    const plan = path.join(out, "plan.json");
    expect(runCli(["diff", plan, plan], { env }).code).toBe(0);
    expect(runCli(["check", plan, "--format", "json"], { env }).code).not.toBe(2);
    expect(runCli(["bench", "--help"], { env }).code).toBe(0);
    expect(runCli(["bench", "--runs", "0"], { env }).code).toBe(2);
    expect(fs.readdirSync(tmp)).toEqual([]);
  }, 60_000);
});
