/**
 * The CI workflows as specifications: valid against GitHub's own Actions schema, every shipped stack
 * in every matrix (read from the Pulumi.<stack>.yaml files, so a new stack that is not added fails
 * here), least-privilege permissions, every action pinned to a commit, prod behind an approval gate,
 * the policy pack on every preview and update, and no long-lived cloud key anywhere.
 */
import {
  Job,
  readText,
  workflowFiles,
  actionFiles,
  actions,
  workflow,
  effectiveSteps,
  allJobs,
  grants,
  runs,
  jobKind,
  stepJobs,
} from "./workflowModel";

describe("pull requests", () => {
  const pr = workflow("pr.yml");

  it("cancels the run a newer push to the same pull request supersedes", () => {
    expect(pr.concurrency).toEqual({
      group: "pr-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    });
  });

  it("lints, type-checks and tests from the lockfile", () => {
    const steps = effectiveSteps(pr.jobs.test.steps).map((s) => s.run);
    expect(steps).toEqual(
      expect.arrayContaining(["npm ci --no-audit --no-fund", "npm run lint", "npm run typecheck"]),
    );
    expect(steps.some((r) => r?.startsWith("npx jest"))).toBe(true);
  });

  it("plans and checks every stack offline and uploads the findings to code scanning, per stack", () => {
    const policy = pr.jobs.policy;
    expect(policy.if).toBeUndefined();
    expect(grants(policy, "id-token")).toBeUndefined();
    expect(JSON.stringify(policy)).not.toContain("secrets.");
    expect(runs(policy, "node bin/mlstack.js plan")).toBe(true);
    expect(runs(policy, "node bin/mlstack.js check")).toBe(true);
    const upload = policy.steps!.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.with?.category).toBe("mlstack-policy/${{ matrix.stack }}");
    // Forks keep the SARIF as an artifact; pr-code-scanning.yml uploads it from a trusted context.
    const artifact = policy.steps!.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(artifact?.with?.name).toBe("policy-sarif-${{ matrix.stack }}");
    const relay = workflow("pr-code-scanning.yml");
    expect(relay.on).toEqual({ workflow_run: { workflows: [pr.name], types: ["completed"] } });
    expect(
      relay.jobs.upload.steps!.some((s) => s.uses?.startsWith("actions/checkout@") && !s.with?.ref),
    ).toBe(true);
  });

  it("previews every stack with the policy pack and comments on the pull request, in its read-only environment", () => {
    const preview = pr.jobs.preview;
    expect(preview.needs).toEqual(["test", "policy"]);
    expect(preview.environment).toBe("${{ matrix.stack }}-preview");
    const step = preview.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(step?.with).toMatchObject({
      command: "preview",
      policyPacks: "policies",
      policyPackConfigs: "${{ steps.access.outputs.pack-config }}",
      "comment-on-pr": true,
    });
    // Only where the credentials exist: the access action reports readiness instead of failing.
    expect(step?.if).toBe("steps.access.outputs.ready == 'true'");
    expect(preview.steps!.find((s) => s.id === "access")?.with?.required).toBe("false");
  });
});

describe("deployment", () => {
  const deploy = workflow("deploy.yml");
  const stackJob = workflow("deploy-stack.yml").jobs.up;

  it("deploys on pushes to main only, and never cancels a running promotion", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: {} });
    expect(deploy.jobs.verify.if).toBe("github.ref == 'refs/heads/main'");
    expect(deploy.concurrency?.["cancel-in-progress"]).toBe(false);
  });

  it("runs one pulumi up per stack at a time, in the GitHub environment named after the stack", () => {
    expect(stackJob.environment).toEqual({ name: "${{ inputs.stack }}" });
    expect(stackJob.concurrency).toEqual({
      group: "pulumi-up-${{ inputs.stack }}",
      "cancel-in-progress": false,
    });
  });

  it("requires approval for prod: the prod wave refuses environments without required reviewers", () => {
    for (const [id, job] of Object.entries(deploy.jobs).filter(([, j]) => j.uses)) {
      expect([id, job.with?.["require-approval-gate"] ?? false]).toEqual([id, id === "prod"]);
    }
    const gate = stackJob.steps!.find((s) => s.run?.includes("environment-gate.js"));
    expect(gate?.if).toBe("inputs.require-approval-gate");
    // The gate runs before any credential is obtained.
    const order = stackJob.steps!.map((s) => s.id ?? s.run ?? s.uses);
    expect(order.indexOf(gate!.run!)).toBeLessThan(order.indexOf("access"));
  });

  it("applies with the policy pack mandatory and never creates a stack implicitly", () => {
    const up = stackJob.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(up?.if).toBeUndefined();
    expect(up?.with).toMatchObject({
      command: "up",
      policyPacks: "policies",
      policyPackConfigs: "${{ steps.access.outputs.pack-config }}",
    });
    expect(stackJob.steps!.find((s) => s.id === "access")?.with?.required).toBe("true");
    for (const file of [...workflowFiles, ...actionFiles])
      expect(readText(file)).not.toMatch(/upsert:\s*true/);
  });

  it("reaches clouds through OIDC only: no stored cloud key is read anywhere", () => {
    const text = [...workflowFiles, ...actionFiles].map(readText).join("\n");
    expect(text).not.toMatch(
      /aws-access-key-id|aws-secret-access-key|credentials_json|AWS_SECRET_ACCESS_KEY|GOOGLE_CREDENTIALS/,
    );
    const access = actions.get("./.github/actions/pulumi-access")!.runs.steps;
    expect(
      access.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))?.with,
    ).toHaveProperty("role-to-assume");
    expect(access.find((s) => s.uses?.startsWith("google-github-actions/auth@"))?.with).toHaveProperty(
      "workload_identity_provider",
    );
  });

  it("transpiles the program without type-checking it again under Pulumi", () => {
    for (const { file, id, job } of allJobs) {
      if (
        !effectiveSteps(job.steps).some(
          (s) => s.uses?.startsWith("pulumi/actions@") || s.run?.includes("pulumi preview"),
        )
      )
        continue;
      const value = job.env?.PULUMI_NODEJS_TRANSPILE_ONLY ?? workflow(file).env?.PULUMI_NODEJS_TRANSPILE_ONLY;
      expect([file, id, value]).toEqual([file, id, "true"]);
    }
  });
});

describe("drift", () => {
  const drift = workflow("drift.yml");

  it("previews every stack on a schedule, expecting no changes, with the policy pack", () => {
    expect(drift.on).toHaveProperty("schedule");
    const preview = drift.jobs.detect.steps!.find((s) => s.id === "preview")?.run ?? "";
    expect(preview).toMatch(/pulumi preview .*--refresh --expect-no-changes/);
    expect(preview).toContain("--policy-pack policies --policy-pack-config");
  });

  it("opens, updates or closes one issue per drifting stack from a job that can write issues and nothing else", () => {
    const report = drift.jobs.report;
    expect(report.needs).toBe("detect");
    expect(report.permissions).toEqual({ contents: "read", issues: "write" });
    expect(runs(report, "drift-issues.js")).toBe(true);
  });
});

describe("credentials per job kind", () => {
  const kinds = Object.fromEntries(
    stepJobs.filter(({ job }) => jobKind(job)).map(({ file, id, job }) => [`${file}:${id}`, jobKind(job)]),
  );

  it("names the kind of every job that asks for credentials: deploy, drift or preview, one each", () => {
    expect(kinds).toEqual({
      "deploy-stack.yml:up": "deploy",
      "drift.yml:detect": "drift",
      "pr.yml:preview": "preview",
    });
  });

  it("runs each kind in its own GitHub environment, so each gets its own OIDC subject", () => {
    expect(workflow("deploy-stack.yml").jobs.up.environment).toEqual({ name: "${{ inputs.stack }}" });
    expect(workflow("drift.yml").jobs.detect.environment).toBe("${{ matrix.stack }}-drift");
    expect(workflow("pr.yml").jobs.preview.environment).toBe("${{ matrix.stack }}-preview");
  });

  it("asks Pulumi Cloud for a different team token per kind, and never gives a preview a stored token", () => {
    const accessOf = (file: string, id: string) =>
      workflow(file).jobs[id].steps!.find((s) => s.uses === "./.github/actions/pulumi-access")!.with!;
    expect(accessOf("deploy-stack.yml", "up")["pulumi-team"]).toBe("${{ vars.PULUMI_DEPLOY_TEAM }}");
    expect(accessOf("drift.yml", "detect")["pulumi-team"]).toBe("${{ vars.PULUMI_DRIFT_TEAM }}");
    const preview = accessOf("pr.yml", "preview");
    expect(preview["pulumi-team"]).toBe("${{ vars.PULUMI_PREVIEW_TEAM }}");
    expect(preview).not.toHaveProperty("pulumi-access-token");
    expect(JSON.stringify(workflow("pr.yml").jobs.preview)).not.toContain("secrets.PULUMI_ACCESS_TOKEN");
  });

  it("reads no shared team variable: a team token is always chosen by the job's kind", () => {
    const text = [...workflowFiles, ...actionFiles].map(readText).join("\n");
    expect(text).not.toMatch(/vars\.PULUMI_TEAM\b/);
  });
});

describe("the OIDC identity check", () => {
  it("runs in the access action before any step that obtains a credential", () => {
    const steps = actions.get("./.github/actions/pulumi-access")!.runs.steps;
    const identity = steps.findIndex((s) => s.run?.includes("job-identity.js"));
    expect(identity).toBeGreaterThan(0);
    expect(steps[identity].env).toEqual({
      MLSTACK_JOB_KIND: "${{ inputs.job-kind }}",
      STACK: "${{ inputs.stack }}",
    });
    const credentialSteps = steps
      .map((s, i) => ({ s, i }))
      .filter(
        ({ s }) =>
          s.uses?.startsWith("aws-actions/") ||
          s.uses?.startsWith("google-github-actions/") ||
          /pulumi-cloud-login|kube-oidc|step-output\.js" env (PULUMI_ACCESS_TOKEN|PULUMI_CONFIG_PASSPHRASE)/.test(
            s.run ?? "",
          ),
      );
    expect(credentialSteps.length).toBeGreaterThan(4);
    for (const { s, i } of credentialSteps) expect([s.name, i > identity]).toEqual([s.name, true]);
  });
});

describe("runners: previews never share a runner with deployments", () => {
  const DEPLOY_VAR = "vars.MLSTACK_DEPLOY_RUNNERS";
  const PREVIEW_VAR = "vars.MLSTACK_PREVIEW_RUNNERS";
  const deployKind = (job: Job) => ["deploy", "drift"].includes(jobKind(job) ?? "");
  const previewKind = (job: Job) => jobKind(job) === "preview";

  it("finds jobs of both kinds", () => {
    expect(stepJobs.filter(({ job }) => deployKind(job)).length).toBe(2);
    expect(stepJobs.filter(({ job }) => previewKind(job)).length).toBe(1);
  });

  it.each(stepJobs.map(({ file, id, job }) => [`${file}:${id}`, job] as const))(
    "%s runs on runners of its own kind only",
    (_name, job) => {
      const runsOn = JSON.stringify(job["runs-on"]);
      expect(runsOn).not.toContain("MLSTACK_RUNNERS");
      if (deployKind(job)) {
        expect(runsOn).toContain(DEPLOY_VAR);
        expect(runsOn).not.toContain(PREVIEW_VAR);
      } else if (previewKind(job)) {
        expect(runsOn).toContain(PREVIEW_VAR);
        expect(runsOn).not.toContain(DEPLOY_VAR);
      } else {
        // Every other job runs on a fresh GitHub-hosted VM.
        expect(job["runs-on"]).toBe("ubuntu-24.04");
      }
      // The fallback is GitHub-hosted, never a self-hosted label.
      if (typeof job["runs-on"] === "string" && job["runs-on"].includes("||")) {
        expect(job["runs-on"]).toMatch(/\|\| 'ubuntu-24\.04' \}\}$/);
      }
    },
  );

  it("checks the two runner variables apart before any job of either kind asks for a credential", () => {
    for (const { file, id, job } of stepJobs.filter((j) => deployKind(j.job) || previewKind(j.job))) {
      const steps = job.steps!;
      const check = steps.findIndex((s) => s.run === "node .github/scripts/runner-separation.js");
      const access = steps.findIndex((s) => s.id === "access");
      expect([file, id, check >= 0 && check < access]).toEqual([file, id, true]);
      expect(steps[check].env).toEqual({
        MLSTACK_DEPLOY_RUNNERS: "${{ vars.MLSTACK_DEPLOY_RUNNERS }}",
        MLSTACK_PREVIEW_RUNNERS: "${{ vars.MLSTACK_PREVIEW_RUNNERS }}",
      });
    }
  });
});
