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
import { run, tmp, runnerFiles, expectNoTrace, fakeServer } from "./ciRunner";

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
