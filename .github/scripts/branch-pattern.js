// Deployment branch and tag name patterns as GitHub applies them to an environment: Ruby's
// File.fnmatch, in which wildcards do not match `/` ("Wildcard characters will not match `/`. For
// example, to match branches that begin with `release/` and contain an additional single slash, use
// `release/*/*`", https://docs.github.com/en/rest/deployments/branch-policies, DeploymentBranchPolicy
// NamePattern; syntax: https://ruby-doc.org/core-2.5.1/File.html#method-c-fnmatch).
//
// Supported as File.fnmatch reads it with FNM_PATHNAME: `*` (any run of characters but `/`), `?` (one
// character but `/`), `[set]` / `[!set]` / `[^set]` with ranges, `\` escapes, and `**/` (zero or more
// whole folders). Braces are literal (no FNM_EXTGLOB). Without FNM_DOTMATCH a wildcard does not match a
// leading `.` of a path segment.
"use strict";

/** Compiles a pattern to a RegExp anchored at both ends. Throws on an unterminated `[` set. */
function compile(pattern) {
  let source = "";
  let i = 0;
  const atSegmentStart = () => i === 0 || pattern[i - 1] === "/";
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*" && pattern[i + 2] === "/" && atSegmentStart()) {
      source += "(?:[^/.][^/]*/)*";
      i += 3;
    } else if (c === "*") {
      while (pattern[i + 1] === "*") i++;
      source += atSegmentStart() ? "(?:[^/.][^/]*)?" : "[^/]*";
      i++;
    } else if (c === "?") {
      source += atSegmentStart() ? "[^/.]" : "[^/]";
      i++;
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new Error(`pattern ${JSON.stringify(pattern)} has an unterminated [ set`);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      const escaped = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      source += negated ? `[^/${escaped}]` : `(?!/)[${escaped}]`;
      i = end + 1;
    } else if (c === "\\" && i + 1 < pattern.length) {
      source += pattern[i + 1].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i += 2;
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i++;
    }
  }
  return new RegExp(`^${source}$`, "u");
}

/** Whether `name` (a branch or tag name, without refs/heads/ or refs/tags/) matches `pattern`. */
function matchesPattern(pattern, name) {
  return compile(pattern).test(name);
}

module.exports = { matchesPattern };
