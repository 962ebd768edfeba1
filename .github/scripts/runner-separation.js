#!/usr/bin/env node
// Pull-request previews run code from a branch; deployments and drift checks hold credentials that can
// change infrastructure or read prod secrets. The two must never share a runner: a persistent self-hosted
// runner that ran a pull request's code can leave anything behind for the next job on it.
//
// Runners are chosen per job kind from two repository variables, never one:
//
//   MLSTACK_DEPLOY_RUNNERS   deploy and drift jobs   {"<stack>": <runner>}
//   MLSTACK_PREVIEW_RUNNERS  pull-request previews   {"<stack>": <runner>}
//
// where <runner> is a label, a list of labels, or {"group": "<runner group>", "labels": [...]}, as
// `runs-on` takes it (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idruns-on).
// A stack without an entry runs on GitHub-hosted `ubuntu-24.04`: a fresh VM per job, shared with nobody.
//
// Every job of either kind runs this before it asks for a credential. It refuses (exit 1, naming the
// variable, the stack and the value) a deploy runner that is self-hosted but not in a runner group (a
// label alone lets any job that asks for it, a pull request's included, run there), and a preview
// runner that names a deploy runner group or a deploy runner's distinguishing label. The runner group
// itself must be restricted to the deploy workflows on main (docs/ci.md, "Runners").
"use strict";

/** GitHub-hosted runner images: a fresh VM per job. */
const HOSTED = /^(ubuntu|windows|macos)-[A-Za-z0-9.-]+$/;
/** Labels every self-hosted runner carries; sharing them says nothing about sharing a runner. */
const GENERIC = new Set(["self-hosted", "linux", "windows", "macos", "x64", "arm", "arm64"]);

class RunnerConfigError extends Error {}

function parseRunners(variable, text) {
  if (!text) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RunnerConfigError(`${variable} is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new RunnerConfigError(
      `${variable} must be a JSON object {"<stack>": <runner>}, got ${JSON.stringify(value)}`,
    );
  }
  const runners = {};
  for (const [stack, spec] of Object.entries(value)) runners[stack] = normalise(variable, stack, spec);
  return runners;
}

/** A runner spec as { group?, labels[] }; throws on a shape `runs-on` would not take. */
function normalise(variable, stack, spec) {
  const where = `${variable}[${JSON.stringify(stack)}]`;
  const label = (l) => typeof l === "string" && /^[^\s\u0000-\u001f]{1,100}$/.test(l);
  if (typeof spec === "string" && label(spec)) return { labels: [spec] };
  if (Array.isArray(spec) && spec.length > 0 && spec.every(label)) return { labels: spec };
  if (spec && typeof spec === "object" && !Array.isArray(spec)) {
    const labels = spec.labels === undefined ? [] : [spec.labels].flat();
    if (typeof spec.group === "string" && label(spec.group) && labels.every(label)) {
      return { group: spec.group, labels };
    }
  }
  throw new RunnerConfigError(
    `${where} is ${JSON.stringify(spec)}: give a label, a list of labels, or {"group": "<runner group>", "labels": [...]}`,
  );
}

const hosted = (runner) =>
  runner.group === undefined && runner.labels.length === 1 && HOSTED.test(runner.labels[0]);

/** The reasons the two runner maps could let a preview run where a deployment runs (empty when none). */
function separationProblems(deploy, preview) {
  const problems = [];
  const deployGroups = new Set();
  const deployLabels = new Set();
  for (const [stack, runner] of Object.entries(deploy)) {
    if (hosted(runner)) continue;
    if (runner.group === undefined) {
      problems.push(
        `MLSTACK_DEPLOY_RUNNERS[${JSON.stringify(stack)}] asks for self-hosted labels ${JSON.stringify(runner.labels)} without a runner group: any job that asks for those labels, a pull request's included, could run there; put the deploy runners in a group restricted to the deploy workflows`,
      );
      continue;
    }
    deployGroups.add(runner.group);
    for (const l of runner.labels) if (!GENERIC.has(l.toLowerCase())) deployLabels.add(l);
  }
  for (const [stack, runner] of Object.entries(preview)) {
    if (runner.group !== undefined && deployGroups.has(runner.group)) {
      problems.push(
        `MLSTACK_PREVIEW_RUNNERS[${JSON.stringify(stack)}] uses the deploy runner group ${JSON.stringify(runner.group)}`,
      );
    }
    const shared = runner.labels.filter((l) => deployLabels.has(l));
    if (shared.length > 0) {
      problems.push(
        `MLSTACK_PREVIEW_RUNNERS[${JSON.stringify(stack)}] asks for the deploy runner label(s) ${JSON.stringify(shared)}`,
      );
    }
  }
  return problems;
}

function main(env = process.env) {
  const deploy = parseRunners("MLSTACK_DEPLOY_RUNNERS", env.MLSTACK_DEPLOY_RUNNERS);
  const preview = parseRunners("MLSTACK_PREVIEW_RUNNERS", env.MLSTACK_PREVIEW_RUNNERS);
  const problems = separationProblems(deploy, preview);
  if (problems.length > 0) {
    throw new RunnerConfigError(`previews could share a runner with deployments: ${problems.join("; ")}`);
  }
  process.stdout.write(
    `Runners are separate: ${Object.keys(deploy).length} deploy and ${Object.keys(preview).length} preview entr(ies), the rest GitHub-hosted.\n`,
  );
}

try {
  main();
} catch (err) {
  if (!(err instanceof RunnerConfigError)) throw err;
  process.stderr.write(`runner-separation: ${err.message}\n`);
  process.exitCode = 1;
}
