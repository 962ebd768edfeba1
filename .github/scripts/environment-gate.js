#!/usr/bin/env node
// Refuses to go on unless a GitHub environment is really gated: at least one required reviewer, and
// deployments restricted to protected branches or named branch rules. A prod deployment job runs this
// before `pulumi up`, so a repository whose settings lost the approval gate fails closed instead of
// deploying unreviewed. (The job token needs `actions: read` for the environments API.)
//
//   environment-gate.js ENVIRONMENT
"use strict";
const { githubApi, repository, GitHubApiError } = require("./github-api");

/** The reasons an environment is not a sufficient gate (empty when it is). */
function gateProblems(environment) {
  const problems = [];
  const rules = Array.isArray(environment.protection_rules) ? environment.protection_rules : [];
  const reviewers = rules
    .filter((r) => r && r.type === "required_reviewers")
    .reduce((n, r) => n + (Array.isArray(r.reviewers) ? r.reviewers.length : 0), 0);
  if (reviewers === 0) problems.push("no required reviewers (Settings → Environments → Required reviewers)");
  if (!environment.deployment_branch_policy) {
    problems.push(
      "every branch may deploy to it (Settings → Environments → Deployment branches: protected branches)",
    );
  }
  return problems;
}

async function main(argv, env = process.env) {
  const name = argv[0];
  if (!name || argv.length !== 1) throw new Error("usage: environment-gate.js ENVIRONMENT");
  const route = `/repos/${repository(env)}/environments/${encodeURIComponent(name)}`;
  let environment;
  try {
    environment = await githubApi("GET", route, undefined, env);
  } catch (err) {
    if (err instanceof GitHubApiError && err.status === 404) {
      throw new Error(
        `environment "${name}" does not exist; create it with required reviewers before deploying`,
      );
    }
    throw err;
  }
  const problems = gateProblems(environment);
  if (problems.length > 0) {
    throw new Error(`refusing to deploy: environment "${name}" is not gated: ${problems.join("; ")}`);
  }
  const selfReview = (environment.protection_rules || []).some(
    (r) => r.type === "required_reviewers" && r.prevent_self_review === false,
  );
  if (selfReview) {
    process.stdout.write(
      `::warning::environment "${name}" lets the person who pushed approve their own deployment (prevent self-review is off)\n`,
    );
  }
  process.stdout.write(
    `Environment "${name}" is gated: required reviewers and a deployment branch policy.\n`,
  );
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`environment-gate: ${err.message}\n`);
  process.exitCode = 1;
});
