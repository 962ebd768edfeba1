// Writes to the runner's environment files ($GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_STEP_SUMMARY) so that
// no value can add an entry of its own. The runner reads those files line by line: `name=value` ends at
// the newline, so a value holding "\nready=true" would set a second output. Every entry is therefore
// written in the multiline form with a random delimiter,
//
//   name<<ghadelimiter_<uuid>
//   value
//   ghadelimiter_<uuid>
//
// which is what @actions/core does (packages/core/src/file-command.ts, prepareKeyValueMessage, in
// actions/toolkit), and the format GitHub documents for multiline values
// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#multiline-strings).
// A value that contains the delimiter is refused, and so is a name that is not a plain identifier.
"use strict";
const crypto = require("crypto");
const fs = require("fs");

/** Output names: what `steps.<id>.outputs.<name>` can reference. */
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Environment variable names: POSIX portable names. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Variables a later step must never inherit from a script: they make Node.js, bash or the dynamic
 * linker run something else, or redirect the runner's own files. The runner's $GITHUB_ENV reader
 * (actions/runner src/Runner.Worker/FileCommandManager.cs, SetEnvFileCommand) sets whatever it reads.
 */
const FORBIDDEN_VARIABLES = new Set([
  "NODE_OPTIONS",
  "LD_PRELOAD",
  "LD_LIBRARY_PATH",
  "BASH_ENV",
  "ENV",
  "PATH",
]);
/**
 * The runner drops a step summary file larger than 128 KiB (actions/runner,
 * src/Runner.Worker/FileCommandManager.cs, CreateStepSummaryCommand._attachmentSizeLimit).
 */
const SUMMARY_LIMIT = 128 * 1024;

class EnvironmentFileError extends Error {}

function show(value) {
  const text = JSON.stringify(String(value));
  return text.length > 80 ? `${text.slice(0, 77)}…"` : text;
}

/** One entry in the delimiter form; throws when the name or value could escape it. */
function encodeEntry(name, value, namePattern = OUTPUT_NAME, randomDelimiter = () => crypto.randomUUID()) {
  if (typeof name !== "string" || !namePattern.test(name)) {
    throw new EnvironmentFileError(
      `refusing to write the entry name ${show(name)}: names match ${namePattern}`,
    );
  }
  if (typeof value !== "string") {
    throw new EnvironmentFileError(`refusing to write ${name}: its value is a ${typeof value}, not a string`);
  }
  const delimiter = `ghadelimiter_${randomDelimiter()}`;
  if (value.includes(delimiter) || name.includes(delimiter)) {
    throw new EnvironmentFileError(
      `refusing to write ${name}: its value contains the delimiter ${delimiter}`,
    );
  }
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

function fileOf(variable, env) {
  const file = env[variable];
  if (!file) throw new EnvironmentFileError(`${variable} is not set: run this in a GitHub Actions step`);
  return file;
}

function append(variable, entries, namePattern, env, check = () => {}) {
  const text = Object.entries(entries)
    .map(([name, value]) => {
      check(name);
      return encodeEntry(name, value, namePattern);
    })
    .join("");
  fs.appendFileSync(fileOf(variable, env), text);
}

/** Step outputs (`steps.<id>.outputs.<name>`). */
function setOutputs(entries, env = process.env) {
  append("GITHUB_OUTPUT", entries, OUTPUT_NAME, env);
}

/** Environment variables for the following steps of the job. */
function exportVariables(entries, env = process.env) {
  append("GITHUB_ENV", entries, VARIABLE_NAME, env, (name) => {
    if (FORBIDDEN_VARIABLES.has(name) || name.startsWith("GITHUB_") || name.startsWith("RUNNER_")) {
      throw new EnvironmentFileError(
        `refusing to export ${name}: later steps must not inherit it from a script`,
      );
    }
  });
}

/** Appends markdown to the job summary, cut (with a note) so the step's file stays within the runner's limit. */
function appendSummary(markdown, env = process.env) {
  const file = fileOf("GITHUB_STEP_SUMMARY", env);
  let used = 0;
  try {
    used = fs.statSync(file).size;
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
  }
  const note = "\n\n…cut here: the job summary of one step holds at most 128 KiB.\n";
  let text = String(markdown);
  if (!text.endsWith("\n")) text += "\n";
  const room = SUMMARY_LIMIT - used;
  if (Buffer.byteLength(text) > room) {
    const keep = Math.max(0, room - Buffer.byteLength(note));
    text =
      keep > 0
        ? `${Buffer.from(text)
            .subarray(0, keep)
            .toString("utf8")
            .replace(/\uFFFD$/, "")}${note}`
        : "";
  }
  if (text) fs.appendFileSync(file, text);
}

module.exports = {
  EnvironmentFileError,
  OUTPUT_NAME,
  VARIABLE_NAME,
  SUMMARY_LIMIT,
  appendSummary,
  encodeEntry,
  exportVariables,
  setOutputs,
};
