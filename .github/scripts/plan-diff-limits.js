// What the plan-diff report and comment accept, shared so the two agree.
"use strict";

/** A Pulumi stack name as the shipped stacks use it (no path separators, no `.`/`..`). */
const STACK_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}$/;
/** One stack's diff: enough for hundreds of changed resources, small enough for a comment. */
const MAX_DIFF_BYTES = 48 * 1024;
/** GitHub refuses comment bodies over 65,536 characters. */
const MAX_COMMENT_CHARS = 65536;
/** The first line of the sticky comment, by which later runs find it again. */
const COMMENT_MARKER = "<!-- mlstack-plan-diff -->";

module.exports = { COMMENT_MARKER, MAX_COMMENT_CHARS, MAX_DIFF_BYTES, STACK_NAME };
