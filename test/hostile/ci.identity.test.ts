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
import { run, expectNoTrace, fakeServer } from "./ciRunner";

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
