/**
 * The scripts the workflows run (.github/scripts), each run as the workflow runs it: a Node process
 * with the runner's environment variables, talking HTTP to a local stand-in for GitHub, Pulumi Cloud
 * or the Actions OIDC endpoint. No network.
 */
import * as fs from "fs";
import * as path from "path";
import { runScript, fakeServer, tmp, readOutputs } from "./scriptRunner";

describe("drift-summary.js", () => {
  async function summarize(preview: unknown, exitCode: number) {
    const dir = tmp();
    const previewFile = path.join(dir, "preview.json");
    fs.writeFileSync(previewFile, typeof preview === "string" ? preview : JSON.stringify(preview));
    // A folder of its own: the write guard refuses the temp folder that already holds the preview.
    const out = path.join(dir, "drift", "result.json");
    const summary = path.join(dir, "summary.md");
    const run = await runScript("drift-summary.js", ["prod-aws", previewFile, String(exitCode), out], {
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_SERVER_URL: "https://github.example",
      GITHUB_REPOSITORY: "acme/mlstack",
      GITHUB_RUN_ID: "99",
    });
    const result = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : undefined;
    return { run, result, raw: fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "" };
  }

  const drifted = {
    steps: [
      { op: "same", urn: "urn:pulumi:prod-aws::mlstack::aws:s3/bucket:Bucket::models" },
      {
        op: "update",
        urn: "urn:pulumi:prod-aws::mlstack::aws:rds/instance:Instance::postgres",
        diffReasons: ["instanceClass"],
        detailedDiff: { instanceClass: { kind: "update" }, "tags.owner": { kind: "delete" } },
        oldState: { inputs: { password: "hunter2" } },
      },
    ],
    changeSummary: { same: 1, update: 1 },
  };

  it("reports drift with each changed resource and the names, never the values, of what differs", async () => {
    const { run, result, raw } = await summarize(drifted, 255);
    expect(run.code).toBe(0);
    expect(result).toMatchObject({
      stack: "prod-aws",
      status: "drift",
      changeCount: 1,
      summary: { update: 1 },
      runUrl: "https://github.example/acme/mlstack/actions/runs/99",
      changes: [
        {
          op: "update",
          urn: "urn:pulumi:prod-aws::mlstack::aws:rds/instance:Instance::postgres",
          properties: ["instanceClass", "tags.owner"],
        },
      ],
    });
    expect(raw).not.toContain("hunter2");
    expect(result.markdown).toContain(
      "| `update` | `urn:pulumi:prod-aws::mlstack::aws:rds/instance:Instance::postgres` |",
    );
  });

  it("reports a stack whose live state matches as clean", async () => {
    const { run, result } = await summarize({ steps: [drifted.steps[0]], changeSummary: { same: 1 } }, 0);
    expect(run.code).toBe(0);
    expect(result).toMatchObject({ status: "clean", changes: [] });
  });

  it("fails, with the engine's error, when the preview itself failed", async () => {
    const failed = {
      steps: [],
      changeSummary: {},
      diagnostics: [{ severity: "error", message: "AccessDenied: sts" }],
    };
    const { run, result } = await summarize(failed, 255);
    expect(run.code).toBe(1);
    expect(result).toMatchObject({ status: "error", reason: "AccessDenied: sts" });
  });

  it("fails when the preview left no result at all", async () => {
    const { run, result } = await summarize("", 255);
    expect(run.code).toBe(1);
    expect(result).toMatchObject({
      status: "error",
      reason: "pulumi preview exited 255 without a JSON result",
    });
  });
});

describe("drift-issues.js", () => {
  interface Issue {
    number: number;
    title: string;
    state: string;
    body?: string;
    pull_request?: unknown;
  }

  async function report(results: unknown[], issues: Issue[], labelExists = false) {
    const dir = tmp();
    results.forEach((r, i) => fs.writeFileSync(path.join(dir, `drift-${i}.json`), JSON.stringify(r)));
    let next = 100;
    const server = await fakeServer((request) => {
      const route = request.url;
      if (request.method === "GET" && route.startsWith("/repos/acme/mlstack/issues?")) {
        return { status: 200, body: issues.filter((i) => i.state === "open") };
      }
      if (request.method === "GET" && route === "/repos/acme/mlstack/labels/drift") {
        return labelExists
          ? { status: 200, body: { name: "drift" } }
          : { status: 404, body: { message: "Not Found" } };
      }
      if (request.method === "POST" && route === "/repos/acme/mlstack/labels")
        return { status: 201, body: {} };
      if (request.method === "POST" && route === "/repos/acme/mlstack/issues")
        return { status: 201, body: { number: next++ } };
      if (/^\/repos\/acme\/mlstack\/issues\/\d+(\/comments)?$/.test(route)) return { status: 200, body: {} };
      return { status: 404, body: { message: "Not Found" } };
    });
    try {
      const run = await runScript("drift-issues.js", [dir], {
        GITHUB_TOKEN: "job-token",
        GITHUB_API_URL: server.url,
        GITHUB_REPOSITORY: "acme/mlstack",
      });
      const calls = server.requests.map((r) => ({
        call: `${r.method} ${r.url}`,
        body: r.body ? JSON.parse(r.body) : undefined,
      }));
      return { run, calls };
    } finally {
      await server.close();
    }
  }

  const drift = (stack: string) => ({
    stack,
    status: "drift",
    changes: [],
    changeCount: 1,
    markdown: `**${stack}**: 1 resource(s) differ.\n`,
    runUrl: "https://github.example/acme/mlstack/actions/runs/7",
  });
  const clean = (stack: string) => ({ stack, status: "clean", changes: [], markdown: "" });

  it("opens an issue for a newly drifting stack, creating the drift label first", async () => {
    const { run, calls } = await report([drift("dev")], []);
    expect(run.code).toBe(0);
    expect(calls.map((c) => c.call)).toEqual([
      "GET /repos/acme/mlstack/issues?state=open&labels=drift&per_page=100",
      "GET /repos/acme/mlstack/labels/drift",
      "POST /repos/acme/mlstack/labels",
      "POST /repos/acme/mlstack/issues",
    ]);
    expect(calls[3].body).toMatchObject({ title: "Drift detected on stack dev", labels: ["drift"] });
    expect(calls[3].body.body).toContain("**dev**: 1 resource(s) differ.");
    expect(calls[3].body.body).toContain("[this run](https://github.example/acme/mlstack/actions/runs/7)");
  });

  it("updates the open issue of a stack that still drifts, and closes the issue of one that is clean again", async () => {
    const issues = [
      { number: 7, title: "Drift detected on stack staging", state: "open" },
      { number: 9, title: "Drift detected on stack prod", state: "open" },
      // A pull request with the same title is not the issue.
      { number: 8, title: "Drift detected on stack prod-aws", state: "open", pull_request: {} },
    ];
    const { run, calls } = await report([drift("staging"), clean("prod"), clean("prod-aws")], issues, true);
    expect(run.code).toBe(0);
    expect(calls.map((c) => c.call)).toEqual([
      "GET /repos/acme/mlstack/issues?state=open&labels=drift&per_page=100",
      "GET /repos/acme/mlstack/labels/drift",
      "PATCH /repos/acme/mlstack/issues/7",
      "POST /repos/acme/mlstack/issues/7/comments",
      "POST /repos/acme/mlstack/issues/9/comments",
      "PATCH /repos/acme/mlstack/issues/9",
    ]);
    expect(calls[5].body).toEqual({ state: "closed", state_reason: "completed" });
  });

  it("fails naming the stacks whose check failed, without touching their issues", async () => {
    const issues = [{ number: 3, title: "Drift detected on stack prod-gcp", state: "open" }];
    const { run, calls } = await report(
      [{ stack: "prod-gcp", status: "error", reason: "AccessDenied", changes: [] }],
      issues,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("prod-gcp");
    expect(calls.map((c) => c.call)).toEqual([
      "GET /repos/acme/mlstack/issues?state=open&labels=drift&per_page=100",
    ]);
  });

  it("refuses a results directory holding something else", async () => {
    const { run } = await report([{ stack: "../x", status: "drift" }], []);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is not a drift result");
  });
});

describe("fork-pr.js", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";

  async function find(pulls: unknown[], headSha = sha) {
    const server = await fakeServer(() => ({ status: 200, body: pulls }));
    const outputs = path.join(tmp(), "outputs");
    try {
      const run = await runScript("fork-pr.js", [], {
        GITHUB_TOKEN: "job-token",
        GITHUB_API_URL: server.url,
        GITHUB_REPOSITORY: "acme/mlstack",
        GITHUB_OUTPUT: outputs,
        HEAD_REPOSITORY: "forker/mlstack",
        HEAD_BRANCH: "fix/policy",
        HEAD_SHA: headSha,
      });
      return { run, requests: server.requests, outputs: fs.existsSync(outputs) ? readOutputs(outputs) : {} };
    } finally {
      await server.close();
    }
  }

  it("finds the open pull request whose head is the analysed commit", async () => {
    const { run, requests, outputs } = await find([
      { number: 42, head: { sha, repo: { full_name: "forker/mlstack" } } },
    ]);
    expect(run.code).toBe(0);
    expect(requests[0].url).toBe(
      "/repos/acme/mlstack/pulls?state=open&head=forker%3Afix%2Fpolicy&per_page=100",
    );
    expect(outputs).toEqual({ ref: "refs/pull/42/head", sha, number: "42" });
  });

  it("uploads nothing when the pull request has moved on to another commit", async () => {
    const other = "f".repeat(40);
    const { run, outputs } = await find([
      { number: 42, head: { sha: other, repo: { full_name: "forker/mlstack" } } },
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no open pull request");
    expect(outputs).toEqual({});
  });

  it("refuses a head commit that is not a commit SHA", async () => {
    const { run, requests } = await find([], "main");
    expect(run.code).toBe(1);
    expect(requests).toEqual([]);
  });
});
