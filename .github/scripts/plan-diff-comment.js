#!/usr/bin/env node
// Posts the pull request's plan diffs (plan-diff-report.js output, one `<stack>.md` per stack) as one
// sticky comment: the first run creates it, every later run edits the same comment, found by its marker
// and its author (the job's own bot account, so a comment someone else wrote with the marker is never
// touched). Used by pr.yml for pull requests from this repository and by the trusted relay
// (pr-code-scanning.yml) for forks, whose files are untrusted data: only regular `<stack>.md` files are
// read, each cut to a size limit, and the marker is removed from their text.
//
//   PR_NUMBER=n [HEAD_SHA=sha] [COMMENT_AUTHOR=github-actions[bot]] plan-diff-comment.js DIFF_DIR
//
// The job token needs `pull-requests: write`. Exit 1 on an API error, 2 on bad input.
"use strict";
const fs = require("fs");
const path = require("path");
const { githubApi, repository } = require("./github-api");
const { COMMENT_MARKER, MAX_COMMENT_CHARS, MAX_DIFF_BYTES, STACK_NAME } = require("./plan-diff-limits");

class InputError extends Error {}

/** The stacks' diffs in DIFF_DIR, by stack name, sorted. */
function readDiffs(dir) {
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new InputError(`cannot read the plan diffs in ${dir}: ${err.code || err.message}`);
  }
  const diffs = [];
  for (const name of names.sort()) {
    const stack = name.endsWith(".md") ? name.slice(0, -3) : undefined;
    const file = path.join(dir, name);
    if (!stack || !STACK_NAME.test(stack) || !fs.lstatSync(file).isFile()) continue;
    const bytes = fs.readFileSync(file).subarray(0, MAX_DIFF_BYTES);
    const text = bytes
      .toString("utf8")
      .replace(/\uFFFD$/, "")
      .split(COMMENT_MARKER)
      .join("");
    diffs.push({ stack, text });
  }
  if (diffs.length === 0) throw new InputError(`no <stack>.md plan diffs in ${dir}`);
  return diffs;
}

function commentBody(diffs, headSha) {
  const head = [
    COMMENT_MARKER,
    "## Infrastructure plan diff",
    "",
    `What this pull request changes in each shipped stack, from \`mlstack plan\` of the base commit and of the pull request${headSha ? ` (head ${headSha.slice(0, 12)})` : ""}, offline: no credentials, no cloud. Updated on every push.`,
    "",
  ].join("\n");
  const sections = diffs.map(
    ({ stack, text }) => `<details><summary><b>${stack}</b></summary>\n\n${text}\n\n</details>\n`,
  );
  let body = head;
  let left = 0;
  for (const [i, section] of sections.entries()) {
    if (body.length + section.length > MAX_COMMENT_CHARS - 200) {
      left = sections.length - i;
      break;
    }
    body += `\n${section}`;
  }
  if (left > 0)
    body += `\n…${left} more stack(s) did not fit in one comment: see the job summaries of the run.\n`;
  return body;
}

async function main(argv, env = process.env) {
  if (argv.length !== 1) throw new InputError("usage: PR_NUMBER=n plan-diff-comment.js DIFF_DIR");
  const number = env.PR_NUMBER || "";
  if (!/^[1-9][0-9]{0,9}$/.test(number)) {
    throw new InputError(`PR_NUMBER must be the pull request's number, got ${JSON.stringify(number)}`);
  }
  const headSha = env.HEAD_SHA || "";
  if (headSha && !/^[0-9a-f]{40}$/.test(headSha)) {
    throw new InputError(`HEAD_SHA must be a 40-hex commit SHA, got ${JSON.stringify(headSha)}`);
  }
  const author = env.COMMENT_AUTHOR || "github-actions[bot]";
  const body = commentBody(readDiffs(argv[0]), headSha);
  const repo = repository(env);
  let existing;
  for (let page = 1; page <= 30 && !existing; page++) {
    const comments = await githubApi(
      "GET",
      `/repos/${repo}/issues/${number}/comments?per_page=100&page=${page}`,
      undefined,
      env,
    );
    if (!Array.isArray(comments)) throw new Error("the comments API answered something other than a list");
    existing = comments.find(
      (c) =>
        c &&
        c.user &&
        c.user.login === author &&
        typeof c.body === "string" &&
        c.body.startsWith(COMMENT_MARKER),
    );
    if (comments.length < 100) break;
  }
  if (existing) {
    await githubApi("PATCH", `/repos/${repo}/issues/comments/${existing.id}`, { body }, env);
    process.stdout.write(`Updated the plan diff comment ${existing.id} on #${number}\n`);
  } else {
    const created = await githubApi("POST", `/repos/${repo}/issues/${number}/comments`, { body }, env);
    process.stdout.write(`Posted the plan diff comment ${created && created.id} on #${number}\n`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`plan-diff-comment: ${err.message}\n`);
  process.exitCode = err instanceof InputError ? 2 : 1;
});
