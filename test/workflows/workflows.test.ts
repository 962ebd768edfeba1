/**
 * The CI workflows as specifications: valid against GitHub's own Actions schema, every shipped stack
 * in every matrix (read from the Pulumi.<stack>.yaml files, so a new stack that is not added fails
 * here), least-privilege permissions, every action pinned to a commit, prod behind an approval gate,
 * the policy pack on every preview and update, and no long-lived cloud key anywhere.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { listStacks, loadStackConfig } from "../../cli/plan/stackConfig";
import { ENVIRONMENTS, parseConfig, platformKeys } from "../../stacks/config";

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOW_DIR = path.join(ROOT, ".github/workflows");
const ACTION_DIR = path.join(ROOT, ".github/actions");

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  "runs-on"?: unknown;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean | string };
  strategy?: { "fail-fast"?: boolean; matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
}

interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

interface CompositeAction {
  runs: { using: string; steps: Step[] };
}

const readText = (file: string) => fs.readFileSync(file, "utf8");
const workflowFiles = fs
  .readdirSync(WORKFLOW_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => path.join(WORKFLOW_DIR, f));
const actionFiles = fs
  .readdirSync(ACTION_DIR)
  .map((d) => path.join(ACTION_DIR, d, "action.yml"))
  .filter((f) => fs.existsSync(f));
const workflows = new Map(workflowFiles.map((f) => [path.basename(f), YAML.parse(readText(f)) as Workflow]));
const actions = new Map(
  actionFiles.map((f) => [
    `./.github/actions/${path.basename(path.dirname(f))}`,
    YAML.parse(readText(f)) as CompositeAction,
  ]),
);

function workflow(file: string): Workflow {
  const w = workflows.get(file);
  if (!w) throw new Error(`.github/workflows/${file} is missing`);
  return w;
}

/** Every shipped stack with its `mlstack:environment`, read through the project's config parser. */
const STACKS = listStacks(ROOT);
const ENVIRONMENT_OF = new Map(
  STACKS.map((stack) => {
    const stackConfig = loadStackConfig(ROOT, stack);
    const config = parseConfig(platformKeys(stackConfig.config), { project: stackConfig.project, stack });
    return [stack, config.environment];
  }),
);

/** The exact SDK version the repository installs (a peer range for consumers, pinned for development). */
const PULUMI_VERSION = (
  JSON.parse(readText(path.join(ROOT, "package.json"))) as { devDependencies: Record<string, string> }
).devDependencies["@pulumi/pulumi"];

function matrixStacks(job: Job): string[] {
  const stacks = job.strategy?.matrix?.stack;
  if (!Array.isArray(stacks)) throw new Error(`job ${job.name} has no matrix.stack list`);
  return stacks.map(String);
}

/**
 * A local action reference as a repository path: a job that checks the repository out twice (into
 * `head/` and `base/`) names its actions under the checkout it runs them from.
 */
const localAction = (ref: string) => ref.replace(/^\.\/(?:head|base)\//, "./");

/** The job's steps with local composite actions expanded (what the job really runs). */
function effectiveSteps(steps: Step[] = []): Step[] {
  return steps.flatMap((step) => {
    const local = step.uses && actions.get(localAction(step.uses));
    return local ? [step, ...effectiveSteps(local.runs.steps)] : [step];
  });
}

/** Jobs of every workflow, with the jobs of the reusable workflows they call. */
const allJobs: { file: string; id: string; job: Job }[] = [...workflows].flatMap(([file, w]) =>
  Object.entries(w.jobs).map(([id, job]) => ({ file, id, job })),
);

function calledWorkflow(job: Job): Workflow | undefined {
  if (!job.uses?.startsWith("./.github/workflows/")) return undefined;
  return workflow(path.basename(job.uses));
}

function grants(job: Job, scope: string): string | undefined {
  return typeof job.permissions === "object" ? job.permissions[scope] : undefined;
}

const usesAction = (job: Job, action: string) =>
  effectiveSteps(job.steps).some((s) => s.uses === action || s.uses?.startsWith(`${action}@`));
const runs = (job: Job, fragment: string) => effectiveSteps(job.steps).some((s) => s.run?.includes(fragment));

describe("GitHub Actions schema", () => {
  it("validates every workflow and composite action with GitHub's own parser, which rejects a broken file", () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-workflow-")), "broken.yml");
    fs.writeFileSync(
      broken,
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permissions: { contents: reed }\n    steps:\n      - run: echo ${{ github.sha\n",
    );
    const result = spawnSync(
      process.execPath,
      [path.join(__dirname, "schema/validate.mjs"), ...workflowFiles, ...actionFiles, broken],
      { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
    );
    if (result.status !== 0) {
      throw new Error(
        `the validator did not run (install the devDependency @actions/workflow-parser): ${result.stderr}`,
      );
    }
    const errors = JSON.parse(result.stdout) as Record<string, string[]>;
    expect(errors[broken].length).toBeGreaterThan(0);
    delete errors[broken];
    expect(Object.keys(errors).sort()).toEqual([...workflowFiles, ...actionFiles].sort());
    expect(Object.entries(errors).filter(([, e]) => e.length > 0)).toEqual([]);
  });
});

describe("every shipped stack is in every matrix", () => {
  it("finds the shipped stacks from the Pulumi.<stack>.yaml files", () => {
    expect(STACKS.length).toBeGreaterThan(0);
    for (const stack of STACKS) expect(ENVIRONMENTS).toContain(ENVIRONMENT_OF.get(stack));
  });

  it.each([
    ["pr.yml", "policy"],
    ["pr.yml", "plan-diff"],
    ["pr-code-scanning.yml", "upload"],
    ["drift.yml", "detect"],
  ])("%s job %s covers exactly the shipped stacks", (file, id) => {
    expect(matrixStacks(workflow(file).jobs[id]).sort()).toEqual([...STACKS].sort());
  });

  it("previews exactly the non-prod stacks with credentials: a pull request never gets one for a prod stack", () => {
    const nonProd = STACKS.filter((stack) => ENVIRONMENT_OF.get(stack) !== "prod");
    expect(nonProd.length).toBeGreaterThan(0);
    expect(matrixStacks(workflow("pr.yml").jobs.preview).sort()).toEqual([...nonProd].sort());
  });

  const waves = Object.entries(workflow("deploy.yml").jobs).filter(
    ([, job]) => job.uses === "./.github/workflows/deploy-stack.yml",
  );

  it("deploys each stack exactly once, in the wave named after its mlstack:environment", () => {
    const deployed = waves.flatMap(([, job]) => matrixStacks(job));
    expect([...deployed].sort()).toEqual([...STACKS].sort());
    for (const [id, job] of waves) {
      for (const stack of matrixStacks(job)) expect([stack, id]).toEqual([stack, ENVIRONMENT_OF.get(stack)]);
    }
  });

  it("runs the waves in the order dev → staging → prod, each after the previous one and after verify", () => {
    const order = ENVIRONMENTS.filter((env) => waves.some(([id]) => id === env));
    expect(waves.map(([id]) => id).sort()).toEqual([...order].sort());
    order.forEach((env, i) => {
      const needs = [workflow("deploy.yml").jobs[env].needs ?? []].flat();
      expect(needs).toEqual([i === 0 ? "verify" : order[i - 1]]);
    });
  });

  it("lets no failing stack cancel another stack's update in flight", () => {
    for (const [, job] of waves) expect(job.strategy?.["fail-fast"]).toBe(false);
  });
});

describe("least-privilege permissions", () => {
  it("grants nothing at workflow level: every job names its own permissions", () => {
    for (const [file, w] of workflows) {
      expect([file, w.permissions]).toEqual([file, {}]);
      for (const [id, job] of Object.entries(w.jobs)) {
        expect([file, id, typeof job.permissions]).toEqual([file, id, "object"]);
      }
    }
  });

  /** The only write scopes, each with the step that needs it. */
  const WRITE_NEEDS: Record<string, (job: Job) => boolean> = {
    "id-token": (job) =>
      usesAction(job, "./.github/actions/pulumi-access") ||
      Object.values(calledWorkflow(job)?.jobs ?? {}).some((j) => grants(j, "id-token") === "write"),
    "security-events": (job) =>
      usesAction(job, "github/codeql-action/upload-sarif") || usesAction(job, "github/codeql-action/analyze"),
    "pull-requests": (job) =>
      effectiveSteps(job.steps).some(
        (s) => s.uses?.startsWith("pulumi/actions@") && s.with?.["comment-on-pr"] === true,
      ) || runs(job, "plan-diff-comment.js"),
    issues: (job) => runs(job, "drift-issues.js"),
  };

  it("grants each write scope only to the jobs whose steps need it, and to all of them", () => {
    for (const { file, id, job } of allJobs) {
      const written = Object.entries(typeof job.permissions === "object" ? job.permissions : {})
        .filter(([, level]) => level === "write")
        .map(([scope]) => scope)
        .sort();
      const needed = Object.keys(WRITE_NEEDS)
        .filter((scope) => WRITE_NEEDS[scope](job))
        .sort();
      expect([file, id, written]).toEqual([file, id, needed]);
    }
  });

  it("gives OIDC tokens only to the jobs that log in to a cloud, a cluster or Pulumi Cloud", () => {
    const withToken = allJobs
      .filter(({ job }) => grants(job, "id-token") === "write")
      .map(({ file, id }) => `${file}:${id}`);
    expect(withToken.sort()).toEqual(
      [
        "deploy-stack.yml:up",
        "deploy.yml:dev",
        "deploy.yml:prod",
        "deploy.yml:staging",
        "drift.yml:detect",
        "pr.yml:preview",
      ].sort(),
    );
  });

  it("never hands a secret or an OIDC token to a pull request from a fork or from Dependabot", () => {
    for (const [file, w] of workflows) {
      expect(Object.keys(w.on)).not.toContain("pull_request_target");
      if (!("pull_request" in w.on)) continue;
      for (const [id, job] of Object.entries(w.jobs)) {
        const sensitive = grants(job, "id-token") === "write" || JSON.stringify(job).includes("secrets.");
        if (!sensitive) continue;
        expect([file, id, job.if]).toEqual([
          file,
          id,
          expect.stringContaining("github.event.pull_request.head.repo.full_name == github.repository"),
        ]);
        expect(job.if).toContain("github.actor != 'dependabot[bot]'");
      }
    }
  });

  it("checks out without leaving the job token in the git config", () => {
    for (const { file, id, job } of allJobs) {
      for (const step of job.steps ?? []) {
        if (step.uses?.startsWith("actions/checkout@")) {
          expect([file, id, step.with?.["persist-credentials"]]).toEqual([file, id, false]);
        }
      }
    }
  });
});

describe("pinned actions", () => {
  const USES = /^\s*(?:-\s+)?uses:\s*(\S+)(?:\s+#\s*(.*))?$/;
  const references = [...workflowFiles, ...actionFiles].flatMap((file) =>
    readText(file)
      .split("\n")
      .map((line) => USES.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: path.relative(ROOT, file), ref: m[1], comment: m[2]?.trim() })),
  );
  const remote = references.filter((r) => !r.ref.startsWith("./"));

  it("finds the actions the workflows use", () => {
    expect(remote.length).toBeGreaterThan(10);
  });

  it("pins every action to a full commit SHA with its exact version in a comment", () => {
    for (const r of remote) {
      expect([r.file, r.ref]).toEqual([
        r.file,
        expect.stringMatching(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/),
      ]);
      expect([r.file, r.ref, r.comment]).toEqual([r.file, r.ref, expect.stringMatching(/^v\d+\.\d+\.\d+$/)]);
    }
  });

  it("uses one commit per action repository everywhere", () => {
    const byRepository = new Map<string, Set<string>>();
    for (const r of remote) {
      const [name, sha] = r.ref.split("@");
      const repository = name.split("/").slice(0, 2).join("/");
      byRepository.set(repository, (byRepository.get(repository) ?? new Set()).add(`${sha} ${r.comment}`));
    }
    for (const [repository, pins] of byRepository) expect([repository, pins.size]).toEqual([repository, 1]);
  });

  it("references only local composite actions and reusable workflows that exist", () => {
    for (const r of references.filter((x) => x.ref.startsWith("./"))) {
      const target = path.join(ROOT, localAction(r.ref));
      expect([
        r.ref,
        fs.existsSync(r.ref.endsWith(".yml") ? target : path.join(target, "action.yml")),
      ]).toEqual([r.ref, true]);
    }
  });

  it("installs the Pulumi CLI at the version of the @pulumi/pulumi SDK in package.json", () => {
    const pulumiSteps = [...workflows.values()]
      .flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps ?? []))
      .concat([...actions.values()].flatMap((a) => a.runs.steps))
      .filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.length).toBeGreaterThan(0);
    for (const step of pulumiSteps) {
      expect(["${{ env.PULUMI_VERSION }}", "${{ inputs.pulumi-version }}"]).toContain(
        step.with?.["pulumi-version"],
      );
    }
    for (const { file, id, job } of allJobs) {
      const version = job.env?.PULUMI_VERSION ?? workflow(file).env?.PULUMI_VERSION;
      if (JSON.stringify(job).includes("PULUMI_VERSION"))
        expect([file, id, version]).toEqual([file, id, PULUMI_VERSION]);
    }
  });

  it("runs Node.js 20 and installs from the lockfile", () => {
    const setup = actions.get("./.github/actions/setup")!.runs.steps;
    expect(setup.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with?.["node-version"]).toBe("20");
    expect(setup.map((s) => s.run).filter(Boolean)).toEqual(["npm ci --no-audit --no-fund"]);
  });
});

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

/** The job kind of a job that obtains credentials, from the `job-kind` it hands the access action. */
function jobKind(job: Job): string | undefined {
  const access = (job.steps ?? []).find((s) => s.uses === "./.github/actions/pulumi-access");
  return access?.with?.["job-kind"] as string | undefined;
}

/** Every job that runs steps, with the reusable workflows' jobs under their own file. */
const stepJobs = allJobs.filter(({ job }) => job.steps);

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

describe("environment files and the write guard", () => {
  const runScripts = [...workflowFiles, ...actionFiles].flatMap((file) => {
    const doc = YAML.parse(readText(file)) as Workflow & CompositeAction;
    const steps = doc.jobs ? Object.values(doc.jobs).flatMap((j) => j.steps ?? []) : (doc.runs?.steps ?? []);
    return steps.filter((s) => s.run).map((s) => ({ file: path.relative(ROOT, file), run: s.run! }));
  });

  it("writes $GITHUB_OUTPUT, $GITHUB_ENV and the job summary only through step-output.js", () => {
    expect(runScripts.length).toBeGreaterThan(10);
    for (const { file, run } of runScripts) {
      expect([file, run]).not.toEqual([
        file,
        expect.stringMatching(/>>?\s*"?\$\{?GITHUB_(OUTPUT|ENV|STEP_SUMMARY)/),
      ]);
    }
  });

  it("lets only the write guard and the environment-file writer touch files among the CI scripts", () => {
    const dir = path.join(ROOT, ".github/scripts");
    const writers = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .filter((f) =>
        /\bfs\.(write|append|rm|unlink|rename|mkdir|copy|cp|symlink|truncate|chmod)\w*\(/.test(
          readText(path.join(dir, f)),
        ),
      );
    expect(writers.sort()).toEqual(["environment-files.js", "output-folder.js"]);
  });

  it("deletes nothing from a shell step: no rm, and no script output folder made by hand", () => {
    for (const { file, run } of runScripts) {
      expect([file, run]).not.toEqual([file, expect.stringMatching(/\brm\s+-|mkdir -p drift/)]);
    }
  });
});

describe("plan diff on pull requests", () => {
  const pr = workflow("pr.yml");
  const diffJob = pr.jobs["plan-diff"];

  it("plans the base commit as well as the pull request, offline and without credentials", () => {
    expect(diffJob.permissions).toEqual({ contents: "read" });
    expect(diffJob.if).toBeUndefined();
    const checkouts = diffJob.steps!.filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.map((s) => s.with)).toEqual([
      { "persist-credentials": false, path: "head" },
      { "persist-credentials": false, ref: "${{ github.event.pull_request.base.sha }}", path: "base" },
    ]);
    const plans = diffJob.steps!.find((s) => s.id === "plans")!.run!;
    expect(plans).toContain(
      '(cd head && node bin/mlstack.js plan "$STACK" --out "$PLANS/head/$STACK" --quiet)',
    );
    expect(plans).toContain(
      '(cd base && node bin/mlstack.js plan "$STACK" --out "$PLANS/base/$STACK" --quiet)',
    );
  });

  it("diffs the two plans as markdown into the job summary and an artifact per stack", () => {
    expect(
      runs(
        diffJob,
        'node head/bin/mlstack.js diff "$PLANS/base/$STACK/plan.json" "$PLANS/head/$STACK/plan.json" --format markdown',
      ),
    ).toBe(true);
    expect(runs(diffJob, 'node head/.github/scripts/plan-diff-report.js "$STACK" "$diff" plan-diff')).toBe(
      true,
    );
    const artifact = diffJob.steps!.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(artifact?.with).toMatchObject({
      name: "plan-diff-${{ matrix.stack }}",
      path: "plan-diff/${{ matrix.stack }}.md",
    });
  });

  it("posts one sticky comment for pull requests from this repository", () => {
    const comment = pr.jobs["plan-diff-comment"];
    expect(comment.needs).toBe("plan-diff");
    expect(comment.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(comment.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(runs(comment, "node .github/scripts/plan-diff-comment.js plan-diff")).toBe(true);
  });

  it("posts it for forks from the trusted relay, for exactly the pull request the run analysed", () => {
    const relay = workflow("pr-code-scanning.yml").jobs["plan-diff-comment"];
    expect(relay.if).toContain("github.event.workflow_run.head_repository.full_name != github.repository");
    const steps = relay.steps!;
    expect(steps[0]).toMatchObject({
      with: { "persist-credentials": false, "sparse-checkout": ".github/scripts" },
    });
    expect(steps[0].with).not.toHaveProperty("ref");
    const order = steps.map((s) => s.run ?? s.uses ?? "");
    expect(order.findIndex((r) => r.includes("fork-pr.js"))).toBeLessThan(
      order.findIndex((r) => r.includes("plan-diff-comment.js")),
    );
    const download = steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(download?.with).toMatchObject({
      pattern: "plan-diff-*",
      "run-id": "${{ github.event.workflow_run.id }}",
    });
    expect(steps.find((s) => s.run?.includes("plan-diff-comment.js"))?.env?.PR_NUMBER).toBe(
      "${{ steps.pr.outputs.number }}",
    );
  });
});

describe("docs/ci.md", () => {
  it("documents every variable and secret the workflows read", () => {
    const doc = readText(path.join(ROOT, "docs/ci.md"));
    const text = [...workflowFiles, ...actionFiles].map(readText).join("\n");
    const names = new Set([...text.matchAll(/\b(?:vars|secrets)\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect([name, doc.includes(`\`${name}\``)]).toEqual([name, true]);
  });
});
