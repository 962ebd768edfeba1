#!/usr/bin/env node
// Checks, before any credential is requested, that the job's GitHub OIDC token says what its kind
// promises: the token every cloud, cluster and Pulumi Cloud trust policy will see (docs/ci.md,
// "Credentials per job kind").
//
//   deploy   environment <stack>,         job_workflow_ref <repo>/.github/workflows/deploy-stack.yml@refs/heads/main
//   drift    environment <stack>-drift,   job_workflow_ref <repo>/.github/workflows/drift.yml@refs/heads/main
//   preview  environment <stack>-preview, job_workflow_ref <repo>/.github/workflows/pr.yml@refs/pull/<n>/merge,
//            event_name pull_request
//
// and that the repository's subject template is in effect (`sub` is
// repo:<repo>:environment:<environment>:job_workflow_ref:<job_workflow_ref>), since every trust policy
// matches that subject. The token is requested for the audience `mlstack-job-identity`, which no
// relying party trusts, and is never printed. The trust policies are the boundary; this makes a
// misconfigured repository (a deploy from another ref, a missing subject template) fail here, with
// the claim that is wrong, instead of at a cloud API with "access denied".
//
//   MLSTACK_JOB_KIND=deploy|drift|preview STACK=<stack> job-identity.js
"use strict";
const { githubIdToken } = require("./github-id-token");

const AUDIENCE = "mlstack-job-identity";
const WORKFLOW = { deploy: "deploy-stack.yml", drift: "drift.yml", preview: "pr.yml" };

class IdentityError extends Error {}

/** The token's claims (read without verifying: GitHub's endpoint was just called over TLS). */
function claimsOf(token) {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] || "", "base64url").toString("utf8"));
  } catch {
    throw new IdentityError("the OIDC token is not a JWT");
  }
}

/** The reasons the claims do not fit `kind` for `stack` in `repository` (empty when they do). */
function identityProblems(claims, kind, stack, repository) {
  const problems = [];
  const expect = (claim, ok, wanted) => {
    if (!ok(claims[claim])) problems.push(`${claim} is ${JSON.stringify(claims[claim])}, expected ${wanted}`);
  };
  const workflow = `${repository}/.github/workflows/${WORKFLOW[kind]}`;
  if (kind === "preview") {
    expect("environment", (v) => v === `${stack}-preview`, JSON.stringify(`${stack}-preview`));
    expect("event_name", (v) => v === "pull_request", '"pull_request"');
    expect(
      "job_workflow_ref",
      (v) => typeof v === "string" && new RegExp(`^${escape(workflow)}@refs/pull/[0-9]+/merge$`).test(v),
      `${workflow}@refs/pull/<number>/merge`,
    );
  } else {
    const environment = kind === "drift" ? `${stack}-drift` : stack;
    expect("environment", (v) => v === environment, JSON.stringify(environment));
    expect("ref", (v) => v === "refs/heads/main", '"refs/heads/main"');
    expect("job_workflow_ref", (v) => v === `${workflow}@refs/heads/main`, `${workflow}@refs/heads/main`);
  }
  expect("repository", (v) => v === repository, JSON.stringify(repository));
  const subject = `repo:${repository}:environment:${claims.environment}:job_workflow_ref:${claims.job_workflow_ref}`;
  if (claims.sub !== subject) {
    problems.push(
      `sub is ${JSON.stringify(claims.sub)}, expected ${JSON.stringify(subject)}: set the repository's OIDC subject template to repo, context, job_workflow_ref (docs/ci.md)`,
    );
  }
  return problems;
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

async function main(env = process.env) {
  const kind = env.MLSTACK_JOB_KIND || "";
  const stack = env.STACK || "";
  const repository = env.GITHUB_REPOSITORY || "";
  if (!(kind in WORKFLOW))
    throw new IdentityError(`MLSTACK_JOB_KIND must be deploy, drift or preview, got ${JSON.stringify(kind)}`);
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack))
    throw new IdentityError(`STACK must be a stack name, got ${JSON.stringify(stack)}`);
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new IdentityError(`GITHUB_REPOSITORY is not owner/name: ${JSON.stringify(repository)}`);
  }
  const claims = claimsOf(await githubIdToken(AUDIENCE, env));
  const problems = identityProblems(claims, kind, stack, repository);
  if (problems.length > 0) {
    throw new IdentityError(
      `this ${kind} job's OIDC token is not a ${kind} identity for ${stack}: ${problems.join("; ")}`,
    );
  }
  process.stdout.write(`OIDC identity: ${kind} of ${stack} (${claims.sub})\n`);
}

main().catch((err) => {
  process.stderr.write(`job-identity: ${err.message}\n`);
  process.exitCode = 1;
});
