#!/usr/bin/env node
// For a `workflow_run` that follows a pull request from a fork: finds the open pull request whose head
// is exactly the commit that run analysed, so its SARIF can be uploaded to code scanning for that pull
// request (refs/pull/N/head) by a trusted workflow. Everything is taken from the event GitHub wrote
// (head repository, branch, commit), never from the fork's artifacts.
//
//   HEAD_REPOSITORY=owner/name HEAD_BRANCH=branch HEAD_SHA=sha fork-pr.js
//
// Writes `ref` and `sha` step outputs. Exit 1 when no open pull request has that head.
"use strict";
const { githubApi, repository } = require("./github-api");
const { setOutputs } = require("./environment-files");

async function main(env = process.env) {
  const repo = repository(env);
  const headRepository = env.HEAD_REPOSITORY || "";
  const headBranch = env.HEAD_BRANCH || "";
  const headSha = env.HEAD_SHA || "";
  if (!/^[\w.-]+\/[\w.-]+$/.test(headRepository) || !headBranch || !/^[0-9a-f]{40}$/.test(headSha)) {
    throw new Error(
      "HEAD_REPOSITORY (owner/name), HEAD_BRANCH and HEAD_SHA (40 hex) must come from the workflow_run event",
    );
  }
  const owner = headRepository.split("/")[0];
  const query = `state=open&head=${encodeURIComponent(`${owner}:${headBranch}`)}&per_page=100`;
  const pulls = await githubApi("GET", `/repos/${repo}/pulls?${query}`, undefined, env);
  const pull = pulls.find(
    (p) => p.head && p.head.sha === headSha && p.head.repo && p.head.repo.full_name === headRepository,
  );
  if (!pull)
    throw new Error(
      `no open pull request from ${headRepository}:${headBranch} at ${headSha} (superseded or closed)`,
    );
  if (!Number.isInteger(pull.number) || pull.number <= 0) {
    throw new Error(`the API answered a pull request number ${JSON.stringify(pull.number)}`);
  }
  if (env.GITHUB_OUTPUT) {
    setOutputs({ ref: `refs/pull/${pull.number}/head`, sha: headSha, number: String(pull.number) }, env);
  }
  process.stdout.write(`Pull request #${pull.number} (${headRepository}:${headBranch} at ${headSha})\n`);
}

main().catch((err) => {
  process.stderr.write(`fork-pr: ${err.message}\n`);
  process.exitCode = 1;
});
