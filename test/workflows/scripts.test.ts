/**
 * The scripts the workflows run (.github/scripts), each run as the workflow runs it: a Node process
 * with the runner's environment variables, talking HTTP to a local stand-in for GitHub, Pulumi Cloud
 * or the Actions OIDC endpoint. No network.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { listStacks, loadStackConfig } from "../../cli/plan/stackConfig";
import { ALL_RULES } from "../../policies/catalog";
import { parsePackConfigDocument } from "../../policies/packConfig";
import { parseConfig, platformKeys } from "../../stacks/config";
import { parseEnvironmentFile } from "./environmentFile";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPTS = path.join(ROOT, ".github/scripts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script with only the given environment (plus PATH), as a step would. */
function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SCRIPTS, script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Request {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

interface Reply {
  status: number;
  body?: unknown;
}

interface FakeServer {
  url: string;
  requests: Request[];
  close(): Promise<void>;
}

/** A local HTTP server answering with `reply(request)` and recording every request. */
async function fakeServer(reply: (request: Request) => Reply): Promise<FakeServer> {
  const requests: Request[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body,
      };
      requests.push(request);
      const { status, body: out } = reply(request);
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(out === undefined ? "" : JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-ci-"));

/** The entries a later step would see, read as the runner reads the file. */
function readOutputs(file: string): Record<string, string> {
  return parseEnvironmentFile(fs.readFileSync(file, "utf8"));
}

/** An unsigned JWT with the given claims (the scripts read claims, they do not verify signatures). */
function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** The Actions OIDC endpoint: hands out `token` to the bearer `request-token`. */
function oidcEndpoint(token: string) {
  return (request: Request): Reply | undefined =>
    request.url.startsWith("/oidc?") && request.authorization === "Bearer request-token"
      ? { status: 200, body: { value: token } }
      : undefined;
}

describe("stack-settings.js", () => {
  const STACKS = listStacks(ROOT);
  const runs = new Map<string, { run: Run; outputs: string; packFile: string }>();

  beforeAll(async () => {
    await Promise.all(
      STACKS.map(async (stack) => {
        const dir = tmp();
        const outputs = path.join(dir, "outputs");
        const packFile = path.join(dir, "pack", "config.json");
        const run = await runScript("stack-settings.js", [stack, "--pack-config", packFile], {
          GITHUB_OUTPUT: outputs,
        });
        runs.set(stack, { run, outputs, packFile });
      }),
    );
  }, 60_000);

  it.each(STACKS)(
    "reports %s's target and environment as the config parser reads them, with its pack config",
    (stack) => {
      const { run, outputs, packFile } = runs.get(stack)!;
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);

      const stackConfig = loadStackConfig(ROOT, stack);
      const config = parseConfig(platformKeys(stackConfig.config), { project: stackConfig.project, stack });
      const written = readOutputs(outputs);
      expect(written).toMatchObject({
        stack,
        target: config.target,
        environment: config.environment,
        pack_config: packFile,
      });
      expect(JSON.parse(run.stdout)).toEqual(written);

      // The pack config is one `mlstack check --config` and CrossGuard accept, with the stack's settings.
      const pack = parsePackConfigDocument(JSON.parse(fs.readFileSync(packFile, "utf8")), ALL_RULES);
      for (const rule of ALL_RULES.filter((r) => r.settings.length > 0)) {
        const entry = pack.policies?.[rule.name] as Record<string, unknown>;
        expect(entry).toBeDefined();
        expect(entry.enforcementLevel).toBeUndefined();
        if (rule.settings.includes("target")) expect(entry.target).toBe(config.target);
        if (rule.settings.includes("environment")) expect(entry.environment).toBe(config.environment);
        if (rule.settings.includes("registries")) expect(entry.registries).toEqual(config.registries);
      }
    },
  );

  it("tells how the runner reaches each target's cluster", () => {
    const settingsOf = (stack: string) => JSON.parse(runs.get(stack)!.run.stdout);
    expect(settingsOf("prod-aws")).toMatchObject({
      cluster_access: "eks",
      aws_region: "eu-west-1",
      eks_cluster: "ml-prod",
      kube_context: "arn:aws:eks:eu-west-1:481926357012:cluster/ml-prod",
    });
    expect(settingsOf("prod-gcp")).toMatchObject({
      cluster_access: "gke",
      gke_project: "acme-ml-prod",
      gke_location: "europe-west4",
      gke_cluster: "ml-prod",
      kube_context: "gke_acme-ml-prod_europe-west4_ml-prod",
    });
    expect(settingsOf("staging")).toMatchObject({ target: "openshift", cluster_access: "kubernetes" });
  });

  it("exits 2 naming the stacks that exist when the stack has no file", async () => {
    const run = await runScript("stack-settings.js", ["nope"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown stack "nope"');
    expect(run.stderr).toContain("dev");
  }, 60_000);
});

describe("pulumi-cloud-login.js", () => {
  const idToken = jwt({ sub: "repo:acme/mlstack:environment:prod", exp: 4102444800 });
  let server: FakeServer;
  let refuse = false;

  beforeEach(async () => {
    refuse = false;
    server = await fakeServer(
      (request) =>
        oidcEndpoint(idToken)(request) ??
        (request.method === "POST" && request.url === "/api/oauth/token"
          ? refuse
            ? {
                status: 401,
                body: { error: "invalid_request", error_description: "no authorization policy matched" },
              }
            : { status: 200, body: { access_token: "pul-short-lived" } }
          : { status: 404 }),
    );
  });
  afterEach(() => server.close());

  const env = (extra: Record<string, string> = {}) => {
    const githubEnv = path.join(tmp(), "env");
    fs.writeFileSync(githubEnv, "");
    return {
      githubEnv,
      vars: {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/oidc?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
        PULUMI_ORGANIZATION: "acme",
        PULUMI_CLOUD_URL: server.url,
        GITHUB_ENV: githubEnv,
        ...extra,
      },
    };
  };

  it("exchanges a job token for the organization's audience and exports a masked Pulumi token", async () => {
    const { githubEnv, vars } = env();
    const run = await runScript("pulumi-cloud-login.js", [], vars);
    expect(run.code).toBe(0);
    expect(server.requests[0].url).toBe("/oidc?api-version=2.0&audience=urn%3Apulumi%3Aorg%3Aacme");
    expect(JSON.parse(server.requests[1].body)).toEqual({
      audience: "urn:pulumi:org:acme",
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      requested_token_type: "urn:pulumi:token-type:access_token:organization",
      subject_token: idToken,
      expiration: 7200,
    });
    expect(readOutputs(githubEnv)).toEqual({ PULUMI_ACCESS_TOKEN: "pul-short-lived" });
    // Masked before anything else is printed, and never printed again.
    expect(run.stdout.split("\n")[0]).toBe("::add-mask::pul-short-lived");
    expect(run.stdout.split("pul-short-lived").length).toBe(2);
  });

  it("asks for a team token scoped to the team when PULUMI_TEAM is set", async () => {
    const run = await runScript("pulumi-cloud-login.js", [], env({ PULUMI_TEAM: "platform" }).vars);
    expect(run.code).toBe(0);
    expect(JSON.parse(server.requests[1].body)).toMatchObject({
      requested_token_type: "urn:pulumi:token-type:access_token:team",
      scope: "team:platform",
    });
  });

  it("fails with Pulumi Cloud's reason when no policy trusts the job, exporting nothing", async () => {
    refuse = true;
    const { githubEnv, vars } = env();
    const run = await runScript("pulumi-cloud-login.js", [], vars);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no authorization policy matched");
    expect(run.stderr).toContain("urn:pulumi:org:acme");
    expect(fs.readFileSync(githubEnv, "utf8")).toBe("");
  });

  it("explains that the job needs id-token: write when the runner offers no OIDC token", async () => {
    const { vars } = env();
    const {
      ACTIONS_ID_TOKEN_REQUEST_URL: _url,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: _token,
      ...withoutOidc
    } = vars;
    const run = await runScript("pulumi-cloud-login.js", [], withoutOidc);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("id-token: write");
    expect(server.requests).toEqual([]);
  });

  it("refuses an organization name that is not one", async () => {
    const run = await runScript("pulumi-cloud-login.js", [], env({ PULUMI_ORGANIZATION: "acme/../x" }).vars);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("PULUMI_ORGANIZATION");
  });
});

describe("kube-oidc.js", () => {
  const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");

  it("writes a kubeconfig whose user fetches GitHub OIDC tokens for the audience, and stores no credential", async () => {
    const dir = tmp();
    const githubEnv = path.join(dir, "env");
    const file = path.join(dir, "kube", "config");
    const run = await runScript("kube-oidc.js", ["kubeconfig", file], {
      KUBE_API_SERVER: "https://api.ml-dev.example.internal:6443",
      KUBE_CA_DATA: CA,
      KUBE_OIDC_AUDIENCE: "mlstack-dev",
      GITHUB_ENV: githubEnv,
    });
    expect(run.code).toBe(0);
    const config = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(config["current-context"]).toBe("mlstack");
    expect(config.clusters[0].cluster).toEqual({
      server: "https://api.ml-dev.example.internal:6443",
      "certificate-authority-data": CA,
    });
    expect(config.users[0].user).toEqual({
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: process.execPath,
        args: [path.join(SCRIPTS, "kube-oidc.js"), "token", "mlstack-dev"],
        interactiveMode: "Never",
        provideClusterInfo: false,
      },
    });
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(readOutputs(githubEnv)).toEqual({ KUBECONFIG: file });
  });

  it.each([
    ["a plain-http API server", { KUBE_API_SERVER: "http://api.example:6443" }, "https://"],
    [
      "a CA that is not a certificate",
      { KUBE_CA_DATA: Buffer.from("hello").toString("base64") },
      "KUBE_CA_DATA",
    ],
    ["no audience", { KUBE_OIDC_AUDIENCE: "" }, "KUBE_OIDC_AUDIENCE"],
  ])("refuses %s", async (_what, override, message) => {
    const run = await runScript("kube-oidc.js", ["kubeconfig", path.join(tmp(), "config")], {
      KUBE_API_SERVER: "https://api.example:6443",
      KUBE_CA_DATA: CA,
      KUBE_OIDC_AUDIENCE: "mlstack-dev",
      ...override,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
  });

  it("hands the Kubernetes client an ExecCredential that expires a minute before the token", async () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    const token = jwt({ sub: "repo:acme/mlstack:environment:dev", aud: "mlstack-dev", exp });
    const server = await fakeServer((request) => oidcEndpoint(token)(request) ?? { status: 403 });
    try {
      const run = await runScript("kube-oidc.js", ["token", "mlstack-dev"], {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/oidc?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
      });
      expect(run.code).toBe(0);
      expect(server.requests[0].url).toBe("/oidc?api-version=2.0&audience=mlstack-dev");
      expect(JSON.parse(run.stdout)).toEqual({
        apiVersion: "client.authentication.k8s.io/v1",
        kind: "ExecCredential",
        status: {
          token,
          expirationTimestamp: new Date((exp - 60) * 1000).toISOString().replace(".000Z", "Z"),
        },
      });
    } finally {
      await server.close();
    }
  });
});

describe("environment-gate.js", () => {
  const gated = {
    protection_rules: [
      { type: "required_reviewers", prevent_self_review: true, reviewers: [{ type: "Team" }] },
    ],
    deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
  };

  async function gate(
    environment: unknown,
    status = 200,
    branchPolicies: { name: string; type?: string }[] = [],
    ref = "refs/heads/main",
  ): Promise<{ run: Run; requests: Request[] }> {
    const server = await fakeServer((request) =>
      request.url.includes("/deployment-branch-policies?")
        ? { status: 200, body: { total_count: branchPolicies.length, branch_policies: branchPolicies } }
        : { status, body: environment },
    );
    try {
      const run = await runScript("environment-gate.js", ["prod aws"], {
        GITHUB_TOKEN: "job-token",
        GITHUB_API_URL: server.url,
        GITHUB_REPOSITORY: "acme/mlstack",
        GITHUB_REF: ref,
      });
      return { run, requests: server.requests };
    } finally {
      await server.close();
    }
  }

  it("lets a deployment through an environment with required reviewers and a branch policy", async () => {
    const { run, requests } = await gate(gated);
    expect(run.code).toBe(0);
    expect(requests).toEqual([
      expect.objectContaining({
        method: "GET",
        url: "/repos/acme/mlstack/environments/prod%20aws",
        authorization: "Bearer job-token",
      }),
    ]);
    expect(run.stdout).not.toContain("::warning::");
  });

  it("refuses an environment without required reviewers", async () => {
    const { run } = await gate({ ...gated, protection_rules: [{ type: "wait_timer", wait_timer: 5 }] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no required reviewers");
  });

  it("refuses an environment every branch may deploy to", async () => {
    const { run } = await gate({ ...gated, deployment_branch_policy: null });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("every branch may deploy");
  });

  it("refuses an environment that does not exist", async () => {
    const { run } = await gate({ message: "Not Found" }, 404);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('environment "prod aws" does not exist');
  });

  describe("custom deployment branch and tag patterns", () => {
    const custom = {
      ...gated,
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    };

    it("reads the environment's patterns and lets main through a pattern that names it", async () => {
      const { run, requests } = await gate(custom, 200, [{ name: "main", type: "branch" }]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(requests.map((r) => r.url)).toEqual([
        "/repos/acme/mlstack/environments/prod%20aws",
        "/repos/acme/mlstack/environments/prod%20aws/deployment-branch-policies?per_page=100&page=1",
      ]);
      expect(run.stdout).toContain("1 pattern(s), branch main matches");
    });

    it("matches release/* as GitHub does: one path segment, so release/1.4 deploys", async () => {
      const { run } = await gate(
        custom,
        200,
        [{ name: "release/*", type: "branch" }],
        "refs/heads/release/1.4",
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('::warning::environment "prod aws" admits branch "release/*"');
    });

    it("refuses a ref the patterns do not admit (release/* does not match release/1/4)", async () => {
      const { run } = await gate(custom, 200, [{ name: "release/*" }], "refs/heads/release/1/4");
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        'branch "release/1/4" matches none of its deployment patterns (branch "release/*")',
      );
    });

    it("refuses a branch pattern that admits any branch", async () => {
      const { run } = await gate(custom, 200, [{ name: "main" }, { name: "**/*" }]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('the branch pattern "**/*" lets any branch deploy');
    });

    it("judges a tag pattern against tag refs only", async () => {
      const tags = [{ name: "v[0-9]*", type: "tag" }];
      expect((await gate(custom, 200, tags, "refs/tags/v1.2.0")).run.code).toBe(0);
      const branch = await gate(custom, 200, tags, "refs/heads/v1");
      expect(branch.run.code).toBe(1);
      expect(branch.run.stderr).toContain(
        'branch "v1" matches none of its deployment patterns (tag "v[0-9]*")',
      );
    });

    it("refuses a custom policy without any pattern", async () => {
      const { run } = await gate(custom, 200, []);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("lists no branch or tag pattern");
    });
  });

  it("warns when the pusher may approve their own deployment", async () => {
    const rules = [{ ...gated.protection_rules[0], prevent_self_review: false }];
    const { run } = await gate({ ...gated, protection_rules: rules });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("::warning::");
  });
});

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

describe("pulumi-access: the shell steps", () => {
  const action = YAML.parse(
    fs.readFileSync(path.join(ROOT, ".github/actions/pulumi-access/action.yml"), "utf8"),
  ) as {
    runs: { steps: { id?: string; run?: string }[] };
  };
  const script = (id: string) => action.runs.steps.find((s) => s.id === id)!.run!;

  /** Runs a step's script with bash, as the runner does, with the step's env already resolved. */
  function runStep(id: string, env: Record<string, string>, pathPrefix?: string) {
    const dir = tmp();
    const files = { GITHUB_OUTPUT: path.join(dir, "output"), GITHUB_STEP_SUMMARY: path.join(dir, "summary") };
    for (const f of Object.values(files)) fs.writeFileSync(f, "");
    const result = spawnSync("bash", ["-e", "-c", script(id)], {
      encoding: "utf8",
      env: {
        PATH: pathPrefix ? `${pathPrefix}:${process.env.PATH}` : (process.env.PATH ?? ""),
        // The steps run the CI scripts from the checkout.
        GITHUB_WORKSPACE: ROOT,
        ...files,
        ...env,
      },
    });
    return {
      ...result,
      outputs: readOutputs(files.GITHUB_OUTPUT),
      summary: fs.readFileSync(files.GITHUB_STEP_SUMMARY, "utf8"),
    };
  }

  describe("checking the credentials a stack needs", () => {
    const base = {
      STACK: "prod-aws",
      REQUIRED: "true",
      JOB_KIND: "deploy",
      TARGET: "aws",
      CLUSTER_ACCESS: "eks",
      SECRETS_PROVIDER: "default",
      BACKEND_URL: "",
      ORGANIZATION: "acme",
      TEAM: "",
      HAS_TOKEN: "false",
      HAS_PASSPHRASE: "false",
      AWS_ROLE_ARN: "arn:aws:iam::481926357012:role/mlstack-prod-aws-deploy",
      AWS_SESSION_REGION: "eu-west-1",
      GCP_PROVIDER: "",
      GCP_SERVICE_ACCOUNT: "",
      KUBE_API_SERVER: "",
      KUBE_OIDC_AUDIENCE: "",
      KUBE_IN_CLUSTER: "false",
    };

    it("is ready when the AWS role and Pulumi Cloud organization are configured", () => {
      const run = runStep("needs", base);
      expect(run.status).toBe(0);
      expect(run.outputs).toEqual({
        "cloud-url": "https://api.pulumi.com",
        backend: "cloud",
        "need-aws": "true",
        "need-gcp": "false",
        kube: "none",
        ready: "true",
      });
    });

    it("fails a deployment that lacks a credential, naming each missing variable", () => {
      const run = runStep("needs", { ...base, AWS_ROLE_ARN: "", ORGANIZATION: "" });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(
        "::error title=prod-aws: credentials missing::AWS: set variable AWS_ROLE_ARN",
      );
      expect(run.stdout).toContain("PULUMI_ORGANIZATION (OIDC) or secret PULUMI_ACCESS_TOKEN");
      expect(run.outputs.ready).toBe("false");
    });

    it("lets a preview without credentials skip, with a notice and a summary line", () => {
      const run = runStep("needs", { ...base, REQUIRED: "false", AWS_ROLE_ARN: "" });
      expect(run.status).toBe(0);
      expect(run.outputs.ready).toBe("false");
      expect(run.outputs.reason).toBe("stack prod-aws is missing: AWS: set variable AWS_ROLE_ARN");
      expect(run.stdout).toContain("::notice title=prod-aws: preview skipped::");
      expect(run.summary).toContain("Pulumi preview of **prod-aws** skipped");
    });

    it("needs GCP credentials and a passphrase for a gs:// backend without a KMS secrets provider", () => {
      const run = runStep("needs", {
        ...base,
        STACK: "dev",
        TARGET: "kubernetes",
        CLUSTER_ACCESS: "kubernetes",
        BACKEND_URL: "gs://acme-pulumi-state",
        KUBE_IN_CLUSTER: "true",
        REQUIRED: "false",
      });
      expect(run.outputs).toMatchObject({
        backend: "bucket",
        "need-gcp": "true",
        "need-aws": "false",
        kube: "in-cluster",
      });
      expect(run.outputs.reason).toBe(
        "stack dev is missing: secrets: set secret PULUMI_CONFIG_PASSPHRASE, or move the stack to a KMS secrets provider; GCP: set variables GCP_WORKLOAD_IDENTITY_PROVIDER and GCP_SERVICE_ACCOUNT",
      );
    });

    it("reaches a kubernetes or openshift cluster through GitHub OIDC only when the API server and audience are set", () => {
      const cluster = {
        ...base,
        STACK: "staging",
        TARGET: "openshift",
        CLUSTER_ACCESS: "kubernetes",
        REQUIRED: "false",
      };
      expect(runStep("needs", cluster).outputs.reason).toContain(
        "cluster: set variables KUBE_API_SERVER and KUBE_OIDC_AUDIENCE",
      );
      const oidc = runStep("needs", {
        ...cluster,
        KUBE_API_SERVER: "https://api.example:6443",
        KUBE_OIDC_AUDIENCE: "mlstack",
      });
      expect(oidc.outputs).toMatchObject({ kube: "github-oidc", ready: "true" });
    });

    it("gives a preview only a team token by OIDC: no organization token, no stored token", () => {
      const preview = { ...base, JOB_KIND: "preview", REQUIRED: "false" };
      expect(runStep("needs", preview).outputs.reason).toContain(
        "previews use a team token only; set variables PULUMI_ORGANIZATION and PULUMI_PREVIEW_TEAM",
      );
      expect(runStep("needs", { ...preview, TEAM: "mlstack-preview" }).outputs.ready).toBe("true");
      const stored = runStep("needs", { ...preview, TEAM: "mlstack-preview", HAS_TOKEN: "true" });
      expect(stored.status).toBe(1);
      expect(stored.stdout).toContain("a preview never uses a stored PULUMI_ACCESS_TOKEN");
    });

    it.each([
      ["BACKEND_URL", "https://pulumi.example\nready=true"],
      ["ORGANIZATION", "acme\n::stop-commands::x"],
      ["AWS_ROLE_ARN", "arn:aws:iam::1:role/x\r"],
    ])("refuses a %s holding a control character before writing any output", (name, value) => {
      const run = runStep("needs", { ...base, [name]: value });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(`::error::the value for ${name} holds a control character`);
      expect(run.outputs).toEqual({});
    });

    it("refuses a backend URL it cannot log in to", () => {
      const run = runStep("needs", { ...base, BACKEND_URL: "file:///tmp/state" });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain("PULUMI_BACKEND_URL must be");
    });
  });

  describe("selecting the stack", () => {
    /** A `pulumi` on PATH that records its arguments and answers `stack select` as told. */
    function fakePulumi(selectExit: number, selectMessage: string): { bin: string; log: string } {
      const bin = tmp();
      const log = path.join(bin, "calls");
      fs.writeFileSync(
        path.join(bin, "pulumi"),
        `#!/bin/bash\necho "$*" >> "${log}"\nif [[ "$1" == stack ]]; then echo "${selectMessage}" >&2; exit ${selectExit}; fi\n`,
        { mode: 0o755 },
      );
      return { bin, log };
    }
    const env = {
      STACK: "prod",
      REQUIRED: "true",
      CLOUD_URL: "https://api.pulumi.com",
      BACKEND: "cloud",
      ORGANIZATION: "acme",
    };

    it("logs in and selects <organization>/<stack> on Pulumi Cloud", () => {
      const { bin, log } = fakePulumi(0, "");
      const run = runStep("stack", env, bin);
      expect(run.status).toBe(0);
      expect(run.outputs).toEqual({ "stack-ref": "acme/prod", ready: "true" });
      expect(fs.readFileSync(log, "utf8")).toBe(
        "login https://api.pulumi.com\nstack select acme/prod --non-interactive\n",
      );
    });

    it("selects the bare stack name in a bucket backend", () => {
      const { bin } = fakePulumi(0, "");
      const run = runStep(
        "stack",
        { ...env, BACKEND: "bucket", CLOUD_URL: "s3://state?region=eu-west-1" },
        bin,
      );
      expect(run.outputs["stack-ref"]).toBe("prod");
    });

    it("never creates a missing stack: a deployment fails, a preview skips", () => {
      const { bin, log } = fakePulumi(255, "error: no stack named 'acme/prod' found");
      const deploy = runStep("stack", env, bin);
      expect(deploy.status).toBe(1);
      expect(deploy.stdout).toContain("::error title=prod: stack not initialised::");
      const preview = runStep("stack", { ...env, REQUIRED: "false" }, bin);
      expect(preview.status).toBe(0);
      expect(preview.outputs.ready).toBe("false");
      expect(fs.readFileSync(log, "utf8")).not.toContain("init");
    });

    it("fails, previews included, when the backend refuses for another reason", () => {
      const { bin } = fakePulumi(255, "error: [403] Forbidden");
      const run = runStep("stack", { ...env, REQUIRED: "false" }, bin);
      expect(run.status).toBe(1);
      expect(run.stdout).toContain("[403] Forbidden");
    });
  });
});

describe("pr.yml plan-diff: the steps as the runner runs them", () => {
  const workflow = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pr.yml"), "utf8")) as {
    jobs: Record<string, { steps: { id?: string; name?: string; run?: string }[] }>;
  };
  const steps = workflow.jobs["plan-diff"].steps;
  const plansStep = steps.find((s) => s.id === "plans")!.run!;
  const diffStep = steps.find((s) => s.run?.includes("mlstack.js diff"))!.run!;

  /** Runs the two steps in a workspace whose `head/` and `base/` checkouts are this repository. */
  function planDiff(stack: string) {
    const workspace = tmp();
    const runnerTemp = tmp();
    fs.symlinkSync(ROOT, path.join(workspace, "head"));
    fs.symlinkSync(ROOT, path.join(workspace, "base"));
    const files = {
      GITHUB_OUTPUT: path.join(runnerTemp, "output"),
      GITHUB_STEP_SUMMARY: path.join(runnerTemp, "summary"),
    };
    const env = {
      PATH: process.env.PATH ?? "",
      RUNNER_TEMP: runnerTemp,
      GITHUB_WORKSPACE: workspace,
      STACK: stack,
      PLANS: path.join(runnerTemp, "mlstack/plans"),
      ...files,
    };
    const plans = spawnSync("bash", ["--noprofile", "--norc", "-e", "-c", plansStep], {
      cwd: workspace,
      env,
      encoding: "utf8",
    });
    const exits = readOutputs(files.GITHUB_OUTPUT);
    const diff = spawnSync("bash", ["--noprofile", "--norc", "-e", "-c", diffStep], {
      cwd: workspace,
      env: { ...env, HEAD_EXIT: exits["head-exit"], BASE_EXIT: exits["base-exit"] },
      encoding: "utf8",
    });
    const artifact = path.join(workspace, "plan-diff", `${stack}.md`);
    return {
      plans,
      diff,
      exits,
      summary: fs.readFileSync(files.GITHUB_STEP_SUMMARY, "utf8"),
      artifact: fs.existsSync(artifact) ? fs.readFileSync(artifact, "utf8") : undefined,
    };
  }

  it("plans base and head, diffs them, and files the markdown in the summary and the artifact", () => {
    const run = planDiff("dev");
    expect(run.exits).toEqual({ "head-exit": "0", "base-exit": "0" });
    expect(run.diff.stderr).toBe("");
    expect(run.diff.status).toBe(0);
    expect(run.artifact).toContain("### mlstack diff");
    expect(run.artifact).toContain("0 to add, 0 to remove, 0 to change");
    expect(run.artifact).toContain("```mermaid");
    expect(run.summary).toBe(`### Plan diff: dev\n\n${run.artifact}\n`);
  }, 120_000);

  it("says why there is no diff when a commit cannot plan the stack", () => {
    const run = planDiff("no-such-stack");
    expect(run.exits).toEqual({ "head-exit": "2", "base-exit": "2" });
    expect(run.diff.status).toBe(0);
    expect(run.artifact).toBe(
      "No diff for **no-such-stack**: mlstack plan exited 2 on the base commit and 2 on the pull request (2: the stack does not exist there or its config is invalid; see the policy job).\n",
    );
  }, 60_000);
});

describe("pr.yml policy: the steps as the runner runs them", () => {
  const workflow = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pr.yml"), "utf8")) as {
    jobs: Record<string, { steps: { id?: string; name?: string; run?: string }[] }>;
  };
  const steps = workflow.jobs.policy.steps;
  const script = (pick: (s: { id?: string; name?: string; run?: string }) => boolean) =>
    steps.find(pick)!.run!;

  it("writes the pack config and the SARIF beside out/<stack>, the plan output fenced into the summary", () => {
    const runnerTemp = tmp();
    const files = {
      GITHUB_OUTPUT: path.join(runnerTemp, "output"),
      GITHUB_STEP_SUMMARY: path.join(runnerTemp, "summary"),
    };
    const out = tmp();
    const env = { PATH: process.env.PATH ?? "", RUNNER_TEMP: runnerTemp, STACK: "dev", ...files };
    const bash = (text: string) =>
      spawnSync(
        "bash",
        ["--noprofile", "--norc", "-e", "-c", text.replaceAll('"out/$STACK', `"${out}/$STACK`)],
        {
          cwd: ROOT,
          env,
          encoding: "utf8",
        },
      );
    try {
      const settings = bash(script((s) => s.run?.includes("stack-settings.js") === true));
      expect(settings.status).toBe(0);
      expect(fs.existsSync(path.join(runnerTemp, "mlstack/pack-config/dev.json"))).toBe(true);
      const plan = bash(script((s) => s.id === "plan"));
      expect(plan.status).toBe(0);
      const check = bash(script((s) => s.id === "check"));
      expect(check.status).toBe(0);
      const outputs = readOutputs(files.GITHUB_OUTPUT);
      expect(outputs.exit).toBe("0");
      const sarif = JSON.parse(
        fs.readFileSync(path.join(runnerTemp, "mlstack/sarif/dev/check.sarif"), "utf8"),
      );
      expect(sarif.version).toBe("2.1.0");
      // The plan's own folder holds only what mlstack plan wrote.
      expect(fs.readdirSync(path.join(out, "dev"))).not.toContain("check.sarif");
      expect(fs.readFileSync(files.GITHUB_STEP_SUMMARY, "utf8")).toMatch(
        /^### `mlstack plan dev \(exit 0\)`\n\n```+\n/,
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
