#!/usr/bin/env node
// Reads what `pulumi preview --refresh --expect-no-changes --json` said about one stack and reduces it
// to a drift result the report job turns into an issue: clean, drift (with each resource that would
// change and the names of the properties that differ, never their values), or error.
//
//   drift-summary.js STACK PREVIEW_JSON PREVIEW_EXIT_CODE OUT_JSON
//
// OUT_JSON's folder is claimed through the CI write guard (output-folder.js): a folder of its own,
// never the repository root, and no file there that the guard did not write is replaced.
//
// Exit 0 for clean and drift (the issue is the signal), 1 when the preview itself failed.
"use strict";
const fs = require("fs");
const path = require("path");
const { appendSummary } = require("./environment-files");
const { inlineCode } = require("./markdown");
const { OutputFolder } = require("./output-folder");

/** Operations that change nothing in the cloud. */
const NO_CHANGE = new Set(["same", "read", "refresh"]);
const MAX_LISTED = 50;

function readPreview(file) {
  try {
    const document = JSON.parse(fs.readFileSync(file, "utf8"));
    return document && typeof document === "object" && document.changeSummary ? document : undefined;
  } catch {
    return undefined;
  }
}

function summarize(stack, preview, exitCode) {
  if (!preview) {
    return {
      stack,
      status: "error",
      reason: `pulumi preview exited ${exitCode} without a JSON result`,
      changes: [],
    };
  }
  const changes = (Array.isArray(preview.steps) ? preview.steps : [])
    .filter((s) => s && typeof s.op === "string" && !NO_CHANGE.has(s.op))
    .map((s) => ({
      op: s.op,
      urn: String(s.urn),
      properties: [...new Set([...(s.diffReasons || []), ...Object.keys(s.detailedDiff || {})])].sort(),
    }));
  const summary = Object.fromEntries(
    Object.entries(preview.changeSummary).filter(([op]) => !NO_CHANGE.has(op)),
  );
  if (changes.length > 0 || Object.values(summary).some((n) => n > 0)) {
    return {
      stack,
      status: "drift",
      summary,
      changes: changes.slice(0, MAX_LISTED),
      changeCount: changes.length,
    };
  }
  if (exitCode !== 0) {
    const errors = (preview.diagnostics || [])
      .filter((d) => d && d.severity === "error")
      .map((d) => String(d.message).trim().slice(0, 500));
    return { stack, status: "error", reason: errors[0] || `pulumi preview exited ${exitCode}`, changes: [] };
  }
  return { stack, status: "clean", changes: [] };
}

function markdown(result) {
  if (result.status === "clean") return `**${result.stack}**: no drift.\n`;
  if (result.status === "error")
    return `**${result.stack}**: the drift check failed: ${inlineCode(result.reason)}\n`;
  const rows = result.changes.map(
    (c) => `| ${inlineCode(c.op)} | ${inlineCode(c.urn)} | ${c.properties.map(inlineCode).join(", ")} |`,
  );
  return [
    `**${result.stack}**: ${result.changeCount} resource(s) differ from the program on main.`,
    "",
    "| operation | resource | properties |",
    "|---|---|---|",
    ...rows,
    ...(result.changeCount > result.changes.length
      ? [`\n…and ${result.changeCount - result.changes.length} more.`]
      : []),
    "",
  ].join("\n");
}

function main(argv, env = process.env) {
  const [stack, previewFile, exitCodeText, outFile] = argv;
  if (
    !/^[A-Za-z0-9_.-]{1,100}$/.test(stack || "") ||
    !previewFile ||
    !/^\d+$/.test(exitCodeText || "") ||
    !outFile
  ) {
    throw new Error("usage: drift-summary.js STACK PREVIEW_JSON PREVIEW_EXIT_CODE OUT_JSON");
  }
  const result = summarize(stack, readPreview(previewFile), Number(exitCodeText));
  result.markdown = markdown(result);
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    result.runUrl = `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  const folder = new OutputFolder(path.dirname(path.resolve(outFile)), "drift-summary", env);
  folder.write(path.basename(outFile), JSON.stringify(result, null, 2) + "\n");
  if (env.GITHUB_STEP_SUMMARY) appendSummary(result.markdown, env);
  process.stdout.write(
    `${stack}: ${result.status}${result.status === "drift" ? ` (${result.changeCount} change(s))` : ""}\n`,
  );
  return result.status === "error" ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`drift-summary: ${err.message}\n`);
  process.exitCode = 2;
}
