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
import { ENVIRONMENTS } from "../../stacks/config";
import {
  ROOT,
  Job,
  readText,
  workflowFiles,
  actionFiles,
  workflows,
  actions,
  workflow,
  STACKS,
  ENVIRONMENT_OF,
  PULUMI_VERSION,
  matrixStacks,
  localAction,
  effectiveSteps,
  allJobs,
  calledWorkflow,
  grants,
  usesAction,
  runs,
} from "./workflowModel";

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
