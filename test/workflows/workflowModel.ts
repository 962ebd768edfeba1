/** The parsed workflows and composite actions, and queries over their jobs; shared by the workflows.*.test.ts files. */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { listStacks, loadStackConfig } from "../../cli/plan/stackConfig";
import { parseConfig, platformKeys } from "../../stacks/config";

export const ROOT = path.resolve(__dirname, "../..");
export const WORKFLOW_DIR = path.join(ROOT, ".github/workflows");
export const ACTION_DIR = path.join(ROOT, ".github/actions");

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface Job {
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

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

export interface CompositeAction {
  runs: { using: string; steps: Step[] };
}

export const readText = (file: string) => fs.readFileSync(file, "utf8");
export const workflowFiles = fs
  .readdirSync(WORKFLOW_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => path.join(WORKFLOW_DIR, f));
export const actionFiles = fs
  .readdirSync(ACTION_DIR)
  .map((d) => path.join(ACTION_DIR, d, "action.yml"))
  .filter((f) => fs.existsSync(f));
export const workflows = new Map(
  workflowFiles.map((f) => [path.basename(f), YAML.parse(readText(f)) as Workflow]),
);
export const actions = new Map(
  actionFiles.map((f) => [
    `./.github/actions/${path.basename(path.dirname(f))}`,
    YAML.parse(readText(f)) as CompositeAction,
  ]),
);

export function workflow(file: string): Workflow {
  const w = workflows.get(file);
  if (!w) throw new Error(`.github/workflows/${file} is missing`);
  return w;
}

/** Every shipped stack with its `mlstack:environment`, read through the project's config parser. */
export const STACKS = listStacks(ROOT);
export const ENVIRONMENT_OF = new Map(
  STACKS.map((stack) => {
    const stackConfig = loadStackConfig(ROOT, stack);
    const config = parseConfig(platformKeys(stackConfig.config), { project: stackConfig.project, stack });
    return [stack, config.environment];
  }),
);

/** The exact SDK version the repository installs (a peer range for consumers, pinned for development). */
export const PULUMI_VERSION = (
  JSON.parse(readText(path.join(ROOT, "package.json"))) as { devDependencies: Record<string, string> }
).devDependencies["@pulumi/pulumi"];

export function matrixStacks(job: Job): string[] {
  const stacks = job.strategy?.matrix?.stack;
  if (!Array.isArray(stacks)) throw new Error(`job ${job.name} has no matrix.stack list`);
  return stacks.map(String);
}

/**
 * A local action reference as a repository path: a job that checks the repository out twice (into
 * `head/` and `base/`) names its actions under the checkout it runs them from.
 */
export const localAction = (ref: string) => ref.replace(/^\.\/(?:head|base)\//, "./");

/** The job's steps with local composite actions expanded (what the job really runs). */
export function effectiveSteps(steps: Step[] = []): Step[] {
  return steps.flatMap((step) => {
    const local = step.uses && actions.get(localAction(step.uses));
    return local ? [step, ...effectiveSteps(local.runs.steps)] : [step];
  });
}

/** Jobs of every workflow, with the jobs of the reusable workflows they call. */
export const allJobs: { file: string; id: string; job: Job }[] = [...workflows].flatMap(([file, w]) =>
  Object.entries(w.jobs).map(([id, job]) => ({ file, id, job })),
);

export function calledWorkflow(job: Job): Workflow | undefined {
  if (!job.uses?.startsWith("./.github/workflows/")) return undefined;
  return workflow(path.basename(job.uses));
}

export function grants(job: Job, scope: string): string | undefined {
  return typeof job.permissions === "object" ? job.permissions[scope] : undefined;
}

export const usesAction = (job: Job, action: string) =>
  effectiveSteps(job.steps).some((s) => s.uses === action || s.uses?.startsWith(`${action}@`));
export const runs = (job: Job, fragment: string) =>
  effectiveSteps(job.steps).some((s) => s.run?.includes(fragment));

/** The job kind of a job that obtains credentials, from the `job-kind` it hands the access action. */
export function jobKind(job: Job): string | undefined {
  const access = (job.steps ?? []).find((s) => s.uses === "./.github/actions/pulumi-access");
  return access?.with?.["job-kind"] as string | undefined;
}

/** Every job that runs steps, with the reusable workflows' jobs under their own file. */
export const stepJobs = allJobs.filter(({ job }) => job.steps);
