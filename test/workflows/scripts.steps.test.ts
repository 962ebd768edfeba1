/**
 * The scripts the workflows run (.github/scripts), each run as the workflow runs it: a Node process
 * with the runner's environment variables, talking HTTP to a local stand-in for GitHub, Pulumi Cloud
 * or the Actions OIDC endpoint. No network.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ROOT, tmp, readOutputs } from "./scriptRunner";

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
