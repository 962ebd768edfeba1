/**
 * The scripts the workflows run (.github/scripts), each run as the workflow runs it: a Node process
 * with the runner's environment variables, talking HTTP to a local stand-in for GitHub, Pulumi Cloud
 * or the Actions OIDC endpoint. No network.
 */
import * as fs from "fs";
import * as path from "path";
import { listStacks, loadStackConfig } from "../../cli/plan/stackConfig";
import { ALL_RULES } from "../../policies/catalog";
import { parsePackConfigDocument } from "../../policies/packConfig";
import { parseConfig, platformKeys } from "../../stacks/config";
import {
  ROOT,
  SCRIPTS,
  Run,
  runScript,
  Request,
  FakeServer,
  fakeServer,
  tmp,
  readOutputs,
  jwt,
  oidcEndpoint,
} from "./scriptRunner";

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
