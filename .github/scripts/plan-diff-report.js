#!/usr/bin/env node
// Files one stack's plan diff (the markdown `mlstack diff <base>/plan.json <head>/plan.json --format
// markdown` printed) for the pull request: appends it to the job summary under the stack's heading and
// writes it to OUT_DIR/<stack>.md, the artifact the comment job (or, for a fork, the trusted relay)
// turns into the pull request's one plan-diff comment. OUT_DIR is claimed through the CI write guard.
//
//   plan-diff-report.js STACK DIFF_MARKDOWN_FILE OUT_DIR
//
// Exit 2, with the reason, on a bad argument or an output path the guard refuses.
"use strict";
const fs = require("fs");
const path = require("path");
const { appendSummary } = require("./environment-files");
const { OutputFolder } = require("./output-folder");
const { STACK_NAME, MAX_DIFF_BYTES } = require("./plan-diff-limits");

function readDiff(file) {
  const stat = fs.lstatSync(file);
  if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
  const text = fs.readFileSync(file, "utf8");
  if (Buffer.byteLength(text) <= MAX_DIFF_BYTES) return text;
  const cut = Buffer.from(text)
    .subarray(0, MAX_DIFF_BYTES)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return `${cut}\n\n…the diff is longer than ${MAX_DIFF_BYTES / 1024} KiB and was cut; the job's plan artifacts hold all of it.\n`;
}

function main(argv, env = process.env) {
  const [stack, diffFile, outDir] = argv;
  if (argv.length !== 3 || !STACK_NAME.test(stack || "")) {
    throw new Error(
      `usage: plan-diff-report.js STACK DIFF_MARKDOWN_FILE OUT_DIR (STACK matching ${STACK_NAME})`,
    );
  }
  const diff = readDiff(diffFile);
  const folder = new OutputFolder(outDir, "plan-diff-report", env);
  folder.write(`${stack}.md`, diff);
  if (env.GITHUB_STEP_SUMMARY) appendSummary(`### Plan diff: ${stack}\n\n${diff}\n`, env);
  process.stdout.write(
    `${stack}: plan diff of ${Buffer.byteLength(diff)} bytes written to ${path.join(folder.dir, `${stack}.md`)}\n`,
  );
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`plan-diff-report: ${err.message}\n`);
  process.exitCode = 2;
}
