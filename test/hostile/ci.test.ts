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
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { createRequire } from "module";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { parseEnvironmentFile } from "../workflows/environmentFile";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPTS = path.join(ROOT, ".github/scripts");
/**
 * Loads a CI script module the way the scripts load each other: they are plain CommonJS outside the
 * TypeScript project, with no type declarations to import.
 */
const loadScript = createRequire(__filename);

/** A stack trace frame (`    at fn (file:1:2)`): no refusal may print one. */
const STACK_FRAME = /\n\s+at .+:\d+:\d+/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string> = {}, stdin?: string, cwd = ROOT) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SCRIPTS, script), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-hostile-ci-"));

/** Fresh, empty runner files ($GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_STEP_SUMMARY) in a temp folder. */
function runnerFiles() {
  const dir = tmp();
  const files = {
    GITHUB_OUTPUT: path.join(dir, "output"),
    GITHUB_ENV: path.join(dir, "env"),
    GITHUB_STEP_SUMMARY: path.join(dir, "summary"),
  };
  for (const f of Object.values(files)) fs.writeFileSync(f, "");
  const read = (name: keyof typeof files) => fs.readFileSync(files[name], "utf8");
  return { files, read, entries: (name: "GITHUB_OUTPUT" | "GITHUB_ENV") => parseEnvironmentFile(read(name)) };
}

function expectNoTrace(r: Run) {
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stdout).not.toMatch(STACK_FRAME);
}

interface Request {
  method: string;
  url: string;
  body: string;
}

async function fakeServer(reply: (request: Request) => { status: number; body?: unknown }) {
  const requests: Request[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", body };
      requests.push(request);
      const out = reply(request);
      res.writeHead(out.status, { "Content-Type": "application/json" });
      res.end(out.body === undefined ? "" : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A throwaway copy of the project whose CI scripts read a hostile stack file: the scripts are copied
 * (Node resolves a linked main module to its real folder), the rest is linked.
 */
function projectWithStack(stack: string, stackFile: string): string {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, ".github"));
  fs.cpSync(SCRIPTS, path.join(dir, ".github/scripts"), { recursive: true });
  for (const entry of [
    "cli",
    "components",
    "stacks",
    "policies",
    "node_modules",
    "Pulumi.yaml",
    "package.json",
  ]) {
    fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
  }
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackFile);
  return dir;
}

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
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [path.join(project, ".github/scripts/stack-settings.js"), "evil"],
        {
          cwd: project,
          env: { PATH: process.env.PATH ?? "", ...files },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
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

describe("hostile markdown in summaries and comments", () => {
  it("keeps a URN with pipes, backticks and a newline inside one table cell of the drift summary", async () => {
    const dir = tmp();
    const preview = path.join(dir, "preview.json");
    const urn = "urn:pulumi:dev::mlstack::x:y:Z::a|b`c\n# Injected";
    fs.writeFileSync(
      preview,
      JSON.stringify({ steps: [{ op: "update", urn, diffReasons: ["p|q"] }], changeSummary: { update: 1 } }),
    );
    const { files, read } = runnerFiles();
    const r = await run(
      "drift-summary.js",
      ["dev", preview, "2", path.join(dir, "drift", "dev.json")],
      files,
    );
    expect(r.code).toBe(0);
    const row = read("GITHUB_STEP_SUMMARY")
      .split("\n")
      .find((l) => l.startsWith("| ``update`` ") || l.startsWith("| `update` "));
    expect(row).toBe("| `update` | ``urn:pulumi:dev::mlstack::x:y:Z::a\\|b`c # Injected`` | `p\\|q` |");
    expect(read("GITHUB_STEP_SUMMARY")).not.toMatch(/^# Injected/m);
    expectNoTrace(r);
  });

  describe("plan-diff-comment.js", () => {
    const MARKER = "<!-- mlstack-plan-diff -->";

    async function comment(
      existing: unknown[],
      files: Record<string, string>,
      env: Record<string, string> = {},
    ) {
      const dir = tmp();
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      const server = await fakeServer((request) =>
        request.method === "GET"
          ? { status: 200, body: existing }
          : { status: request.method === "POST" ? 201 : 200, body: { id: 99 } },
      );
      try {
        const r = await run("plan-diff-comment.js", [dir], {
          GITHUB_TOKEN: "job-token",
          GITHUB_API_URL: server.url,
          GITHUB_REPOSITORY: "acme/mlstack",
          PR_NUMBER: "7",
          ...env,
        });
        return { r, requests: server.requests, dir };
      } finally {
        await server.close();
      }
    }

    it("never edits a comment someone else wrote with the marker: it posts its own", async () => {
      const planted = { id: 5, user: { login: "mallory" }, body: `${MARKER}\nplease approve` };
      const { r, requests } = await comment([planted], { "dev.md": "**1 to add**" });
      expect(r.code).toBe(0);
      expect(requests.map((q) => `${q.method} ${q.url}`)).toEqual([
        "GET /repos/acme/mlstack/issues/7/comments?per_page=100&page=1",
        "POST /repos/acme/mlstack/issues/7/comments",
      ]);
      expectNoTrace(r);
    });

    it("edits its own comment, and strips the marker a fork planted in its diff", async () => {
      const own = { id: 11, user: { login: "github-actions[bot]" }, body: `${MARKER}\nold` };
      const { r, requests } = await comment([own], { "dev.md": `${MARKER}\n**evil**` });
      expect(r.code).toBe(0);
      expect(`${requests[1].method} ${requests[1].url}`).toBe("PATCH /repos/acme/mlstack/issues/comments/11");
      const body = JSON.parse(requests[1].body).body as string;
      expect(body.split(MARKER).length).toBe(2);
      expect(body.startsWith(MARKER)).toBe(true);
    });

    it("reads only regular <stack>.md files: a symlink to a secret and odd names are skipped", async () => {
      const secret = path.join(tmp(), "secret.txt");
      fs.writeFileSync(secret, "AKIAHOSTILESECRET");
      const dir = tmp();
      fs.symlinkSync(secret, path.join(dir, "prod.md"));
      fs.writeFileSync(path.join(dir, "..md"), "dots");
      fs.writeFileSync(path.join(dir, "dev.md"), "**dev diff**");
      const server = await fakeServer((q) =>
        q.method === "GET" ? { status: 200, body: [] } : { status: 201, body: { id: 1 } },
      );
      try {
        const r = await run("plan-diff-comment.js", [dir], {
          GITHUB_TOKEN: "t",
          GITHUB_API_URL: server.url,
          GITHUB_REPOSITORY: "acme/mlstack",
          PR_NUMBER: "7",
        });
        expect(r.code).toBe(0);
        const body = JSON.parse(server.requests[1].body).body as string;
        expect(body).toContain("**dev diff**");
        expect(body).not.toContain("AKIAHOSTILESECRET");
        expect(body).not.toContain("dots");
      } finally {
        await server.close();
      }
    });

    it("keeps the comment under GitHub's 65,536 characters however large the diffs", async () => {
      const big = "x".repeat(60_000);
      const { r, requests } = await comment([], { "dev.md": big, "prod.md": big, "staging.md": big });
      expect(r.code).toBe(0);
      const body = JSON.parse(requests[1].body).body as string;
      expect(body.length).toBeLessThanOrEqual(65_536);
      expect(body).toContain("more stack(s) did not fit in one comment");
    });

    it.each([
      [
        "a pull request number with shell text",
        { PR_NUMBER: "7; rm -rf /" },
        'PR_NUMBER must be the pull request\'s number, got "7; rm -rf /"',
      ],
      [
        "a head SHA that is not one",
        { HEAD_SHA: "main\n::set-output" },
        'HEAD_SHA must be a 40-hex commit SHA, got "main\\n::set-output"',
      ],
    ])("refuses %s (exit 2, no API call)", async (_what, env, message) => {
      const { r, requests } = await comment([], { "dev.md": "x" }, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(requests).toEqual([]);
      expectNoTrace(r);
    });
  });
});

describe("hostile tokens and URLs", () => {
  it("refuses a Pulumi access token with a line break: no mask command, nothing exported", async () => {
    const token = "pul-abcdef12\n::stop-commands::x";
    const idToken = "e30.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln";
    const server = await fakeServer((q) =>
      q.url.startsWith("/oidc?")
        ? { status: 200, body: { value: idToken } }
        : { status: 200, body: { access_token: token } },
    );
    const { files, read } = runnerFiles();
    try {
      const r = await run("pulumi-cloud-login.js", [], {
        ...files,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/oidc?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
        PULUMI_ORGANIZATION: "acme",
        PULUMI_CLOUD_URL: server.url,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Pulumi Cloud answered an access token that is not one printable word");
      expect(r.stdout).not.toContain("::");
      expect(r.stderr).not.toContain("stop-commands");
      expect(read("GITHUB_ENV")).toBe("");
      expectNoTrace(r);
    } finally {
      await server.close();
    }
  });

  it("refuses a team name that is not one before asking for any token", async () => {
    const r = await run("pulumi-cloud-login.js", [], {
      PULUMI_ORGANIZATION: "acme",
      PULUMI_TEAM: "deploy\nscope=admin",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PULUMI_TEAM must name a Pulumi Cloud team, got "deploy\\nscope=admin"');
    expectNoTrace(r);
  });

  it("refuses an API server URL with a line break, which URL parsing would silently drop", async () => {
    const dir = tmp();
    const r = await run("kube-oidc.js", ["kubeconfig", path.join(dir, "kube", "config")], {
      KUBE_API_SERVER: "https://api.example:6443\n",
      KUBE_OIDC_AUDIENCE: "mlstack-dev",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'KUBE_API_SERVER must be the API server\'s https:// URL, got "https://api.example:6443\\n"',
    );
    expect(fs.existsSync(path.join(dir, "kube"))).toBe(false);
    expectNoTrace(r);
  });
});

describe("a hostile API answer (fork-pr.js)", () => {
  it("refuses a pull request number that is not a number, writing no output", async () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const server = await fakeServer(() => ({
      status: 200,
      body: [{ number: "7\nref=refs/heads/main", head: { sha, repo: { full_name: "forker/mlstack" } } }],
    }));
    const { files, read } = runnerFiles();
    try {
      const r = await run("fork-pr.js", [], {
        ...files,
        GITHUB_TOKEN: "t",
        GITHUB_API_URL: server.url,
        GITHUB_REPOSITORY: "acme/mlstack",
        HEAD_REPOSITORY: "forker/mlstack",
        HEAD_BRANCH: "fix",
        HEAD_SHA: sha,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('fork-pr: the API answered a pull request number "7\\nref=refs/heads/main"');
      expect(read("GITHUB_OUTPUT")).toBe("");
      expectNoTrace(r);
    } finally {
      await server.close();
    }
  });
});

describe("custom deployment branch patterns (environment-gate.js)", () => {
  const custom = {
    protection_rules: [
      { type: "required_reviewers", prevent_self_review: true, reviewers: [{ type: "Team" }] },
    ],
    deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
  };

  async function gate(patterns: { name: string; type?: string }[], ref: string) {
    const server = await fakeServer((q) =>
      q.url.includes("/deployment-branch-policies?")
        ? { status: 200, body: { total_count: patterns.length, branch_policies: patterns } }
        : { status: 200, body: custom },
    );
    try {
      return await run("environment-gate.js", ["prod"], {
        GITHUB_TOKEN: "t",
        GITHUB_API_URL: server.url,
        GITHUB_REPOSITORY: "acme/mlstack",
        GITHUB_REF: ref,
      });
    } finally {
      await server.close();
    }
  }

  it.each([
    ["*", "admits every branch without a slash"],
    ["*/*", "admits every branch with one slash (feature/x)"],
    ["**/*", "admits branches at any depth"],
  ])("refuses the branch pattern %j, which %s", async (pattern) => {
    const r = await gate([{ name: "main" }, { name: pattern }], "refs/heads/main");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the branch pattern ${JSON.stringify(pattern)} lets any branch deploy`);
    expectNoTrace(r);
  });

  it("does not let `main*` stand for main alone: main-hotfix matches, so a push to it may deploy", async () => {
    const r = await gate([{ name: "main*" }], "refs/heads/main-hotfix");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('::warning::environment "prod" admits branch "main*"');
  });

  it("refuses a pattern with an unterminated [ set instead of guessing what GitHub makes of it", async () => {
    const r = await gate([{ name: "release/[0-9" }], "refs/heads/release/1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the branch pattern "release/[0-9" cannot be read');
    expectNoTrace(r);
  });

  it("refuses a ref that is neither a branch nor a tag (a pull request's merge ref)", async () => {
    const r = await gate([{ name: "main" }], "refs/pull/7/merge");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("GITHUB_REF is not a branch or tag ref");
    expectNoTrace(r);
  });
});

describe("runner variables (runner-separation.js)", () => {
  const check = (deploy: string, preview: string) =>
    run("runner-separation.js", [], { MLSTACK_DEPLOY_RUNNERS: deploy, MLSTACK_PREVIEW_RUNNERS: preview });

  it("accepts a deploy group and preview runners elsewhere", async () => {
    const r = await check(
      JSON.stringify({ "prod-aws": { group: "mlstack-deploy", labels: ["eks-ml-prod"] } }),
      JSON.stringify({ dev: { group: "mlstack-preview" }, staging: ["self-hosted", "linux"] }),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Runners are separate");
  });

  it.each([
    [
      "a deploy runner given by self-hosted labels alone",
      { "prod-aws": ["self-hosted", "eks-ml-prod"] },
      {},
      'MLSTACK_DEPLOY_RUNNERS["prod-aws"] asks for self-hosted labels ["self-hosted","eks-ml-prod"] without a runner group',
    ],
    [
      "a preview in the deploy group",
      { prod: { group: "mlstack-deploy" } },
      { dev: { group: "mlstack-deploy" } },
      'MLSTACK_PREVIEW_RUNNERS["dev"] uses the deploy runner group "mlstack-deploy"',
    ],
    [
      "a preview asking for a deploy runner's label",
      { prod: { group: "mlstack-deploy", labels: ["eks-ml-prod"] } },
      { dev: ["self-hosted", "eks-ml-prod"] },
      'MLSTACK_PREVIEW_RUNNERS["dev"] asks for the deploy runner label(s) ["eks-ml-prod"]',
    ],
  ])("refuses %s (exit 1)", async (_what, deploy, preview, message) => {
    const r = await check(JSON.stringify(deploy), JSON.stringify(preview));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expectNoTrace(r);
  });

  it("refuses a runner variable that is not JSON, naming it", async () => {
    const r = await check("{prod: self-hosted", "");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('runner-separation: MLSTACK_DEPLOY_RUNNERS is not JSON: "{prod: self-hosted"');
    expectNoTrace(r);
  });

  it("refuses a runner label with a line break", async () => {
    const r = await check("", JSON.stringify({ dev: "self-hosted\nprod" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MLSTACK_PREVIEW_RUNNERS["dev"] is "self-hosted\\nprod"');
    expectNoTrace(r);
  });
});

describe("OIDC identity per job kind (job-identity.js)", () => {
  const REPO = "acme/mlstack";
  const jwt = (claims: Record<string, unknown>) =>
    `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.c2ln`;
  const claimsFor = (environment: string, jobWorkflowRef: string, extra: Record<string, unknown> = {}) => ({
    sub: `repo:${REPO}:environment:${environment}:job_workflow_ref:${jobWorkflowRef}`,
    repository: REPO,
    environment,
    job_workflow_ref: jobWorkflowRef,
    ref: jobWorkflowRef.split("@")[1],
    event_name: "push",
    ...extra,
  });

  async function identity(kind: string, stack: string, claims: Record<string, unknown>) {
    const server = await fakeServer(() => ({ status: 200, body: { value: jwt(claims) } }));
    try {
      const r = await run("job-identity.js", [], {
        MLSTACK_JOB_KIND: kind,
        STACK: stack,
        GITHUB_REPOSITORY: REPO,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/oidc?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
      });
      return { r, requests: server.requests };
    } finally {
      await server.close();
    }
  }

  it.each([
    ["deploy", "prod-aws", "prod-aws", "deploy-stack.yml"],
    ["drift", "prod-aws", "prod-aws-drift", "drift.yml"],
  ])(
    "lets a %s of %s through with its environment %s and %s on main",
    async (kind, stack, environment, file) => {
      const { r } = await identity(
        kind,
        stack,
        claimsFor(environment, `${REPO}/.github/workflows/${file}@refs/heads/main`),
      );
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`OIDC identity: ${kind} of ${stack}`);
    },
  );

  it("refuses a deploy whose workflow ran from a branch, even in the prod environment", async () => {
    const { r } = await identity(
      "deploy",
      "prod",
      claimsFor("prod", `${REPO}/.github/workflows/deploy-stack.yml@refs/heads/feature/x`),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `job_workflow_ref is "${REPO}/.github/workflows/deploy-stack.yml@refs/heads/feature/x", expected ${REPO}/.github/workflows/deploy-stack.yml@refs/heads/main`,
    );
    expectNoTrace(r);
  });

  it("refuses a preview that runs in a deploy environment", async () => {
    const { r } = await identity(
      "preview",
      "dev",
      claimsFor("dev", `${REPO}/.github/workflows/pr.yml@refs/pull/7/merge`, { event_name: "pull_request" }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('environment is "dev", expected "dev-preview"');
    expectNoTrace(r);
  });

  it("refuses a token whose subject lacks the workflow: the subject template is not set", async () => {
    const claims = claimsFor("prod-drift", `${REPO}/.github/workflows/drift.yml@refs/heads/main`);
    const { r } = await identity("drift", "prod", { ...claims, sub: `repo:${REPO}:environment:prod-drift` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "set the repository's OIDC subject template to repo, context, job_workflow_ref",
    );
    expectNoTrace(r);
  });

  it("asks for a token no relying party trusts, and never prints it", async () => {
    const claims = claimsFor("staging-preview", `${REPO}/.github/workflows/pr.yml@refs/pull/12/merge`, {
      event_name: "pull_request",
    });
    const { r, requests } = await identity("preview", "staging", claims);
    expect(r.code).toBe(0);
    expect(requests[0].url).toBe("/oidc?api-version=2.0&audience=mlstack-job-identity");
    expect(r.stdout).toBe(`OIDC identity: preview of staging (${claims.sub})\n`);
    expect(r.stdout).not.toContain(jwt(claims));
  });

  it("refuses an unknown job kind before asking for any token", async () => {
    const { r, requests } = await identity("admin", "prod", {});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MLSTACK_JOB_KIND must be deploy, drift or preview, got "admin"');
    expect(requests).toEqual([]);
    expectNoTrace(r);
  });
});
