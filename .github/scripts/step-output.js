#!/usr/bin/env node
// What shell steps use instead of `echo "name=$value" >> "$GITHUB_OUTPUT"`: the same environment-file
// writer as the scripts (environment-files.js), so a value with a newline cannot add an entry.
//
//   step-output.js output NAME VALUE [NAME VALUE …]   step outputs
//   step-output.js env NAME                          exports stdin, exactly, as NAME to later steps
//                                                    (a secret never appears in a process listing)
//   step-output.js summary                           appends stdin (markdown) to the job summary
//   step-output.js summary --code HEADING            appends stdin as a code block under `### HEADING`,
//                                                    fenced so the text cannot close it (markdown.js)
//
// Exit 2, naming the entry, on a name or value the writer refuses.
"use strict";
const { EnvironmentFileError, appendSummary, exportVariables, setOutputs } = require("./environment-files");
const { codeFence, inlineCode } = require("./markdown");

function readStdin() {
  return require("fs").readFileSync(0, "utf8");
}

function main(argv) {
  const [mode, ...rest] = argv;
  if (mode === "output" && rest.length > 0 && rest.length % 2 === 0) {
    const entries = {};
    for (let i = 0; i < rest.length; i += 2) entries[rest[i]] = rest[i + 1];
    setOutputs(entries);
    return 0;
  }
  if (mode === "env" && rest.length === 1) {
    exportVariables({ [rest[0]]: readStdin() });
    return 0;
  }
  if (mode === "summary" && rest.length === 0) {
    appendSummary(readStdin());
    return 0;
  }
  if (mode === "summary" && rest.length === 2 && rest[0] === "--code") {
    appendSummary(`### ${inlineCode(rest[1])}\n\n${codeFence(readStdin())}`);
    return 0;
  }
  process.stderr.write(
    "usage: step-output.js output NAME VALUE [NAME VALUE …] | step-output.js env NAME < value | step-output.js summary [--code HEADING] < text\n",
  );
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof EnvironmentFileError)) throw err;
  process.stderr.write(`step-output: ${err.message}\n`);
  process.exitCode = 2;
}
