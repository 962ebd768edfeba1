/**
 * Hostile input to the CI scripts (.github/scripts), each run as a workflow step runs it: a Node process
 * with the runner's environment files, talking to local stand-ins on 127.0.0.1. Every case asserts the
 * exit code, what was (or was not) written, the message, and that no stack trace was printed.
 *
 * Covers: newline and delimiter injection into $GITHUB_OUTPUT / $GITHUB_ENV / the job summary, tokens
 * and URLs with line breaks, custom deployment branch patterns, path escapes and foreign files under
 * the CI write guard, a fork's comment markdown, and runner variables that would mix previews and
 * deployments.
 */
import * as fs from "fs";
import * as path from "path";
import { runNodeScript } from "../workflows/scriptRunner";
import {
  ROOT,
  SCRIPTS,
  loadScript,
  run,
  tmp,
  runnerFiles,
  expectNoTrace,
  projectWithStack,
} from "./ciRunner";

describe("hostile values in $GITHUB_OUTPUT and $GITHUB_ENV", () => {
  it("keeps a value with a newline and a second `name=value` as one output (step-output.js)", async () => {
    const { files, entries, read } = runnerFiles();
    const r = await run("step-output.js", ["output", "reason", "missing\nready=true", "kube", "none"], files);
    expect(r.code).toBe(0);
    expect(entries("GITHUB_OUTPUT")).toEqual({ reason: "missing\nready=true", kube: "none" });
    // The line `ready=true` is in the file, but inside the block: the runner sets no `ready` output.
    expect(read("GITHUB_OUTPUT")).toMatch(/^ready=true$/m);
    expectNoTrace(r);
  });

  it("keeps a value that forges a delimiter line as one output: the delimiter is random", async () => {
    const { files, entries } = runnerFiles();
    const forged = "x\nghadelimiter_00000000-0000-0000-0000-000000000000\nready=true\nEOF\nready=true";
    const r = await run("step-output.js", ["output", "reason", forged], files);
    expect(r.code).toBe(0);
    expect(entries("GITHUB_OUTPUT")).toEqual({ reason: forged });
    expectNoTrace(r);
  });

  it("refuses a value that contains the delimiter it was given, writing nothing", () => {
    // The delimiter generator is injectable: make it collide to prove the refusal.
    const { encodeEntry, EnvironmentFileError } = loadScript(path.join(SCRIPTS, "environment-files.js"));
    const collide = () => "fixed";
    expect(() => encodeEntry("reason", "a\nghadelimiter_fixed\nready=true", undefined, collide)).toThrow(
      EnvironmentFileError,
    );
    expect(() => encodeEntry("reason", "a\nghadelimiter_fixed\nready=true", undefined, collide)).toThrow(
      "refusing to write reason: its value contains the delimiter ghadelimiter_fixed",
    );
  });

  it.each([
    ["a newline", "reason\nready"],
    ["an equals sign", "ready=true"],
    ["a heredoc marker", "x<<EOF"],
    ["nothing", ""],
  ])("refuses an output name with %s (exit 2, nothing written)", async (_what, name) => {
    const { files, read } = runnerFiles();
    const r = await run("step-output.js", ["output", name, "v"], files);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`step-output: refusing to write the entry name ${JSON.stringify(name)}`);
    expect(read("GITHUB_OUTPUT")).toBe("");
    expectNoTrace(r);
  });

  it.each(["NODE_OPTIONS", "LD_PRELOAD", "BASH_ENV", "PATH", "GITHUB_TOKEN", "RUNNER_TEMP"])(
    "refuses to export %s to later steps (exit 2, nothing written)",
    async (name) => {
      const { files, read } = runnerFiles();
      const r = await run("step-output.js", ["env", name], files, "--require /tmp/evil.js");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`refusing to export ${name}: later steps must not inherit it from a script`);
      expect(read("GITHUB_ENV")).toBe("");
      expectNoTrace(r);
    },
  );

  it("exports a passphrase with a newline and `NODE_OPTIONS=` inside as exactly one variable", async () => {
    const { files, entries } = runnerFiles();
    const value = "s3cret\nNODE_OPTIONS=--require /tmp/evil.js";
    const r = await run("step-output.js", ["env", "PULUMI_CONFIG_PASSPHRASE"], files, value);
    expect(r.code).toBe(0);
    expect(entries("GITHUB_ENV")).toEqual({ PULUMI_CONFIG_PASSPHRASE: value });
    // Read from stdin: the secret never appears on a command line or in the log.
    expect(r.stdout + r.stderr).not.toContain("s3cret");
  });

  it("cuts a summary that would pass the runner's 128 KiB per step, saying so", async () => {
    const { files, read } = runnerFiles();
    fs.writeFileSync(files.GITHUB_STEP_SUMMARY, "x".repeat(100 * 1024));
    const r = await run("step-output.js", ["summary"], files, "é".repeat(40 * 1024));
    expect(r.code).toBe(0);
    const summary = read("GITHUB_STEP_SUMMARY");
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(128 * 1024);
    expect(summary.endsWith("…cut here: the job summary of one step holds at most 128 KiB.\n")).toBe(true);
    // Cut on a character boundary: no replacement character from half an "é".
    expect(summary).not.toContain("\uFFFD");
  });

  it("fences plan output that contains a code fence so it cannot end the summary's block", async () => {
    const { files, read } = runnerFiles();
    const text = "resource ok\n```\n# Injected heading\n[click](https://evil.example)\n````\n";
    const r = await run("step-output.js", ["summary", "--code", "mlstack plan dev (exit 0)"], files, text);
    expect(r.code).toBe(0);
    const summary = read("GITHUB_STEP_SUMMARY");
    // The fence is longer than any backtick run inside, and the text sits inside it unchanged.
    expect(summary).toBe(`### \`mlstack plan dev (exit 0)\`\n\n\`\`\`\`\`\n${text}\`\`\`\`\`\n`);
  });
});

describe("hostile stack settings (stack-settings.js)", () => {
  const devStack = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");

  it("refuses a secrets provider with a line break that would add `ready=true` (exit 2, no output)", async () => {
    const project = projectWithStack("evil", `secretsprovider: "passphrase\\nready=true"\n${devStack}`);
    const { files, read } = runnerFiles();
    const r = await runNodeScript(path.join(project, ".github/scripts/stack-settings.js"), ["evil"], files, {
      cwd: project,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'stack-settings: setting secrets_provider is "passphrase\\nready=true": control characters (newlines, tabs, escapes) are not allowed',
    );
    expect(read("GITHUB_OUTPUT")).toBe("");
    expect(r.stdout).toBe("");
    expectNoTrace(r);
  }, 60_000);

  it("refuses to write the pack config into the repository root (exit 2, nothing written)", async () => {
    const { files } = runnerFiles();
    const r = await run("stack-settings.js", ["dev", "--pack-config", "pack-config.dev.json"], files);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `stack-settings: refusing to write into ${fs.realpathSync(ROOT)}: it is or contains`,
    );
    expect(fs.existsSync(path.join(ROOT, "pack-config.dev.json"))).toBe(false);
    expect(fs.readFileSync(files.GITHUB_OUTPUT, "utf8")).toBe("");
    expectNoTrace(r);
  }, 60_000);

  it("refuses a pack config into a folder holding files it did not write, leaving them as they were", async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    const r = await run("stack-settings.js", ["dev", "--pack-config", path.join(dir, "pack.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("that no mlstack CI script wrote; use a new or empty folder");
    expect(fs.readdirSync(dir)).toEqual(["notes.txt"]);
    expectNoTrace(r);
  }, 60_000);
});

describe("the CI write guard (output-folder.js, through the scripts that use it)", () => {
  const diffFile = () => {
    const file = path.join(tmp(), "diff.md");
    fs.writeFileSync(file, "### mlstack diff\n\n**1 to add**\n");
    return file;
  };

  it("refuses a stack name that leaves the output folder (`../../x`) before writing anything", async () => {
    const out = path.join(tmp(), "plan-diff");
    const r = await run("plan-diff-report.js", ["../../x", diffFile(), out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("usage: plan-diff-report.js STACK DIFF_MARKDOWN_FILE OUT_DIR");
    expect(fs.existsSync(out)).toBe(false);
    expectNoTrace(r);
  });

  it("refuses an output folder that is a symlink to the repository", async () => {
    const link = path.join(tmp(), "link");
    fs.symlinkSync(ROOT, link);
    const r = await run("plan-diff-report.js", ["dev", diffFile(), link]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing to write into ${fs.realpathSync(ROOT)}: it is or contains`);
    expect(fs.existsSync(path.join(ROOT, "dev.md"))).toBe(false);
    expectNoTrace(r);
  });

  it("refuses to replace a file through a symlink planted in its own folder", async () => {
    const out = path.join(tmp(), "plan-diff");
    expect((await run("plan-diff-report.js", ["dev", diffFile(), out])).code).toBe(0);
    const victim = path.join(tmp(), "victim.txt");
    fs.writeFileSync(victim, "keep");
    fs.rmSync(path.join(out, "dev.md"));
    fs.symlinkSync(victim, path.join(out, "dev.md"));
    const r = await run("plan-diff-report.js", ["dev", diffFile(), out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `refusing to write "dev.md": ${path.join(fs.realpathSync(out), "dev.md")} is a symlink`,
    );
    expect(fs.readFileSync(victim, "utf8")).toBe("keep");
    expectNoTrace(r);
  });

  it("replaces only what it wrote: a second run updates its file, a foreign file blocks the write", async () => {
    const out = path.join(tmp(), "plan-diff");
    expect((await run("plan-diff-report.js", ["dev", diffFile(), out])).code).toBe(0);
    expect((await run("plan-diff-report.js", ["dev", diffFile(), out])).code).toBe(0);
    fs.writeFileSync(path.join(out, "staging.md"), "someone else's");
    const r = await run("plan-diff-report.js", ["staging", diffFile(), out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `refusing to replace ${path.join(fs.realpathSync(out), "staging.md")}: no mlstack CI script wrote it`,
    );
    expect(fs.readFileSync(path.join(out, "staging.md"), "utf8")).toBe("someone else's");
    expectNoTrace(r);
  });

  it("refuses to delete, or write under a name with `..`, anything it did not write", () => {
    const { OutputFolder } = loadScript(path.join(SCRIPTS, "output-folder.js"));
    const dir = path.join(tmp(), "out");
    const folder = new OutputFolder(dir, "test");
    folder.write("a.json", "{}");
    fs.writeFileSync(path.join(dir, "user.txt"), "mine");
    expect(() => folder.remove("user.txt")).toThrow(
      `test: refusing to delete ${path.join(folder.dir, "user.txt")}: no mlstack CI script wrote it`,
    );
    expect(() => folder.write("sub/../../escape.json", "{}")).toThrow(
      'test: refusing the file name "sub/../../escape.json"',
    );
    expect(() => folder.write("/etc/passwd", "x")).toThrow('test: "/etc/passwd" is not a file name inside');
    folder.remove("a.json");
    expect(fs.readdirSync(dir).sort()).toEqual([".mlstack-outputs.json", "user.txt"]);
  });

  it("writes the drift result only into a folder of its own, never the repository root", async () => {
    const preview = path.join(tmp(), "preview.json");
    fs.writeFileSync(preview, JSON.stringify({ steps: [], changeSummary: { same: 3 } }));
    const r = await run("drift-summary.js", ["dev", preview, "0", "drift-result.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("drift-summary: drift-summary: refusing to write into");
    expect(fs.existsSync(path.join(ROOT, "drift-result.json"))).toBe(false);
    expectNoTrace(r);
  });

  it("refuses a diff that is not a regular file (a FIFO would hang the step)", async () => {
    const dir = tmp();
    const r = await run("plan-diff-report.js", ["dev", dir, path.join(dir, "out")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`plan-diff-report: ${dir} is not a regular file`);
    expectNoTrace(r);
  });
});
