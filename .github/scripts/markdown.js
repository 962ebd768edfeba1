// Markdown for job summaries and pull-request comments that the text it quotes cannot rewrite: stack
// names, URNs, property names and command output come from files a pull request can change.
"use strict";

/**
 * A fenced code block that `text` cannot close: the fence is one backtick longer than the longest run
 * of backticks inside (CommonMark 0.31, "Fenced code blocks": the closing fence must be at least as long
 * as the opening one).
 */
function codeFence(text, info = "") {
  const body = String(text);
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${info}\n${body.endsWith("\n") ? body : `${body}\n`}${fence}\n`;
}

/**
 * One line of inline code, safe inside a table cell: control characters and line breaks become
 * spaces, `|` is escaped (GFM tables split cells on it even inside code spans), and the code span's
 * backtick string is longer than any run inside (CommonMark, "Code spans").
 */
function inlineCode(text) {
  const flat = String(text)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
    .replace(/\|/g, "\\|");
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

module.exports = { codeFence, inlineCode };
