#!/usr/bin/env node
// Refuses to go on unless a GitHub environment is really gated: at least one required reviewer, and
// deployments restricted to protected branches or to named branch and tag patterns that the running
// ref matches and that do not let just any branch in. A prod deployment job runs this before
// `pulumi up`, so a repository whose settings lost the approval gate fails closed instead of deploying
// unreviewed. (The job token needs `actions: read` for the environments API.)
//
// Custom patterns are read from the deployment branch policies API
// (https://docs.github.com/en/rest/deployments/branch-policies#list-deployment-branch-policies) and
// matched as GitHub matches them against the run's ref (branch-pattern.js, File.fnmatch).
//
//   GITHUB_REF=refs/heads/main environment-gate.js ENVIRONMENT
"use strict";
const { githubApi, repository, GitHubApiError } = require("./github-api");
const { matchesPattern } = require("./branch-pattern");

/**
 * Branch names anyone who may push can create. A branch pattern that matches one of them lets an
 * unreviewed branch deploy, which is what the gate exists to prevent.
 */
const ARBITRARY_BRANCHES = [
  "mlstack-gate-probe",
  "feature/mlstack-gate-probe",
  "users/someone/mlstack-gate-probe",
  "dependabot/npm_and_yarn/mlstack-gate-probe",
];

/** The ref the job runs for, as the pattern type and name GitHub matches. */
function runningRef(env) {
  const ref = env.GITHUB_REF || "";
  if (ref.startsWith("refs/heads/")) return { type: "branch", name: ref.slice("refs/heads/".length) };
  if (ref.startsWith("refs/tags/")) return { type: "tag", name: ref.slice("refs/tags/".length) };
  return undefined;
}

/** The reasons a list of custom deployment patterns is not a sufficient gate for `ref` (empty when it is). */
function patternProblems(policies, ref) {
  const problems = [];
  if (policies.length === 0) {
    problems.push("its custom deployment branch policy lists no branch or tag pattern");
    return problems;
  }
  for (const policy of policies) {
    const type = policy.type === "tag" ? "tag" : "branch";
    let broad;
    try {
      broad = type === "branch" && ARBITRARY_BRANCHES.find((name) => matchesPattern(policy.name, name));
    } catch (err) {
      problems.push(`the ${type} pattern ${JSON.stringify(policy.name)} cannot be read: ${err.message}`);
      continue;
    }
    if (broad) {
      problems.push(
        `the branch pattern ${JSON.stringify(policy.name)} lets any branch deploy (it matches ${JSON.stringify(broad)}); name the deploying branches, e.g. main`,
      );
    }
  }
  if (!ref) {
    problems.push(
      "GITHUB_REF is not a branch or tag ref, so it cannot be checked against the deployment patterns",
    );
  } else {
    const matching = policies.filter(
      (p) => (p.type === "tag" ? "tag" : "branch") === ref.type && safeMatch(p.name, ref.name),
    );
    if (matching.length === 0) {
      problems.push(
        `${ref.type} ${JSON.stringify(ref.name)} matches none of its deployment patterns (${policies
          .map((p) => `${p.type || "branch"} ${JSON.stringify(p.name)}`)
          .join(", ")})`,
      );
    }
  }
  return problems;
}

function safeMatch(pattern, name) {
  try {
    return matchesPattern(pattern, name);
  } catch {
    return false;
  }
}

/** The reasons an environment is not a sufficient gate (empty when it is); `policies` are its custom patterns. */
function gateProblems(environment, policies, ref) {
  const problems = [];
  const rules = Array.isArray(environment.protection_rules) ? environment.protection_rules : [];
  const reviewers = rules
    .filter((r) => r && r.type === "required_reviewers")
    .reduce((n, r) => n + (Array.isArray(r.reviewers) ? r.reviewers.length : 0), 0);
  if (reviewers === 0) problems.push("no required reviewers (Settings → Environments → Required reviewers)");
  const branchPolicy = environment.deployment_branch_policy;
  if (!branchPolicy) {
    problems.push(
      "every branch may deploy to it (Settings → Environments → Deployment branches: protected branches)",
    );
  } else if (branchPolicy.custom_branch_policies) {
    problems.push(...patternProblems(policies, ref));
  } else if (!branchPolicy.protected_branches) {
    problems.push("its deployment branch policy allows neither protected branches nor named patterns");
  }
  return problems;
}

async function customPolicies(route, env) {
  const policies = [];
  for (let page = 1; page <= 10; page++) {
    const body = await githubApi(
      "GET",
      `${route}/deployment-branch-policies?per_page=100&page=${page}`,
      undefined,
      env,
    );
    const list = body && Array.isArray(body.branch_policies) ? body.branch_policies : undefined;
    if (!list) throw new Error("the deployment branch policies API answered without a branch_policies list");
    for (const p of list) {
      if (!p || typeof p.name !== "string")
        throw new Error("the deployment branch policies API answered a policy without a name");
      policies.push({ name: p.name, type: p.type === "tag" ? "tag" : "branch" });
    }
    if (list.length < 100) break;
  }
  return policies;
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
  const custom = Boolean(
    environment.deployment_branch_policy && environment.deployment_branch_policy.custom_branch_policies,
  );
  const policies = custom ? await customPolicies(route, env) : [];
  const problems = gateProblems(environment, policies, runningRef(env));
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
  const wildcards = policies.filter((p) => /[*?[]/.test(p.name));
  if (wildcards.length > 0) {
    process.stdout.write(
      `::warning::environment "${name}" admits ${wildcards.map((p) => `${p.type} ${JSON.stringify(p.name)}`).join(", ")}: anyone who may create such a ${wildcards[0].type} can start a deployment that waits for review; restrict creating them with a ruleset\n`,
    );
  }
  process.stdout.write(
    `Environment "${name}" is gated: required reviewers and a deployment branch policy${custom ? ` (${policies.length} pattern(s), ${runningRef(env).type} ${runningRef(env).name} matches)` : ""}.\n`,
  );
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`environment-gate: ${err.message}\n`);
  process.exitCode = 1;
});
