#!/usr/bin/env node
// Turns the drift results of every stack (drift-summary.js output) into issues: one open issue per
// drifting stack, labelled `drift`, opened the first time and updated (body + comment) on every later
// run; closed with a comment once the stack is clean again. Stacks whose check failed are listed and
// make this exit 1, so the scheduled run shows red. (The job token needs `issues: write`.)
//
//   drift-issues.js RESULTS_DIR
"use strict";
const fs = require("fs");
const path = require("path");
const { githubApi, repository, GitHubApiError } = require("./github-api");

const LABEL = "drift";
const STATUSES = new Set(["clean", "drift", "error"]);

const titleOf = (stack) => `Drift detected on stack ${stack}`;

function readResults(dir) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  if (files.length === 0) throw new Error(`no drift results in ${dir}`);
  return files.map((f) => {
    const result = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
    if (!result || !/^[A-Za-z0-9_.-]+$/.test(result.stack || "") || !STATUSES.has(result.status)) {
      throw new Error(`${f} is not a drift result`);
    }
    return result;
  });
}

function issueBody(result) {
  return [
    `The live state of stack \`${result.stack}\` no longer matches what the program on the default branch declares.`,
    "",
    result.markdown,
    `Last checked by ${result.runUrl ? `[this run](${result.runUrl})` : "the drift workflow"} with \`pulumi preview --refresh --expect-no-changes\`.`,
    "",
    "To resolve, either:",
    "- restore the declared state: re-run the **deploy** workflow (`pulumi up`) for this stack, or",
    "- keep the change: make the program declare it in a pull request, then deploy.",
    "",
    "This issue is updated by every drift run and closed automatically once the stack is clean.",
  ].join("\n");
}

async function ensureLabel(repo, env) {
  try {
    await githubApi("GET", `/repos/${repo}/labels/${LABEL}`, undefined, env);
  } catch (err) {
    if (!(err instanceof GitHubApiError) || err.status !== 404) throw err;
    await githubApi(
      "POST",
      `/repos/${repo}/labels`,
      { name: LABEL, color: "d93f0b", description: "Live infrastructure differs from the program on main" },
      env,
    );
  }
}

async function main(argv, env = process.env) {
  if (argv.length !== 1) throw new Error("usage: drift-issues.js RESULTS_DIR");
  const repo = repository(env);
  const results = readResults(argv[0]);
  const open = (
    await githubApi("GET", `/repos/${repo}/issues?state=open&labels=${LABEL}&per_page=100`, undefined, env)
  ).filter((issue) => !issue.pull_request);
  const run = (result) => (result.runUrl ? `[run](${result.runUrl})` : "the latest drift run");
  if (results.some((r) => r.status === "drift")) await ensureLabel(repo, env);

  const failed = [];
  for (const result of results) {
    const existing = open.find((issue) => issue.title === titleOf(result.stack));
    if (result.status === "drift") {
      if (existing) {
        await githubApi(
          "PATCH",
          `/repos/${repo}/issues/${existing.number}`,
          { body: issueBody(result) },
          env,
        );
        await githubApi(
          "POST",
          `/repos/${repo}/issues/${existing.number}/comments`,
          { body: `Still drifting: ${run(result)}.\n\n${result.markdown}` },
          env,
        );
        process.stdout.write(`${result.stack}: drift, updated #${existing.number}\n`);
      } else {
        const created = await githubApi(
          "POST",
          `/repos/${repo}/issues`,
          { title: titleOf(result.stack), body: issueBody(result), labels: [LABEL] },
          env,
        );
        process.stdout.write(`${result.stack}: drift, opened #${created.number}\n`);
      }
    } else if (result.status === "clean") {
      if (existing) {
        await githubApi(
          "POST",
          `/repos/${repo}/issues/${existing.number}/comments`,
          { body: `No drift any more: ${run(result)}. Closing.` },
          env,
        );
        await githubApi(
          "PATCH",
          `/repos/${repo}/issues/${existing.number}`,
          { state: "closed", state_reason: "completed" },
          env,
        );
        process.stdout.write(`${result.stack}: clean, closed #${existing.number}\n`);
      } else {
        process.stdout.write(`${result.stack}: clean\n`);
      }
    } else {
      failed.push(result.stack);
      process.stdout.write(`${result.stack}: the drift check failed: ${result.reason}\n`);
    }
  }
  if (failed.length > 0) throw new Error(`the drift check failed for ${failed.join(", ")} (see their jobs)`);
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`drift-issues: ${err.message}\n`);
  process.exitCode = 1;
});
