/**
 * The result of a check and its text and JSON renderings (SARIF is in sarif.ts).
 */
import type { DeferredCheck, Environment, Target, Violation } from "../../policies/rule";

export interface CheckReport {
  violations: Violation[];
  /** Checks that could not run because a value is unknown until apply. */
  deferred?: DeferredCheck[];
  /** Resources evaluated. */
  resourceCount?: number;
  /** Files read, relative to the working directory. */
  inputs?: string[];
  target?: Target;
  /** The environment set for every rule (undefined: per resource, from its labels / tags). */
  environment?: Environment;
}

export interface CheckSummary {
  resources: number;
  mandatory: number;
  advisory: number;
  deferred: number;
  /** Resources with at least one violation. */
  resourcesWithViolations: number;
  byPolicy: Record<string, number>;
  target?: Target;
  environment?: Environment;
  inputs: string[];
}

export function summarize(report: CheckReport): CheckSummary {
  const byPolicy: Record<string, number> = {};
  let mandatory = 0;
  for (const v of report.violations) {
    byPolicy[v.policy] = (byPolicy[v.policy] ?? 0) + 1;
    if (v.enforcementLevel === "mandatory") mandatory++;
  }
  return {
    resources: report.resourceCount ?? new Set(report.violations.map((v) => v.urn)).size,
    mandatory,
    advisory: report.violations.length - mandatory,
    deferred: report.deferred?.length ?? 0,
    resourcesWithViolations: new Set(report.violations.map((v) => v.urn)).size,
    byPolicy,
    target: report.target,
    environment: report.environment,
    inputs: report.inputs ?? [],
  };
}

function where(v: Violation): string {
  if (v.location) return `${v.location.file}${v.location.line ? `:${v.location.line}` : ""}`;
  return v.urn;
}

/** Human-readable report: findings grouped by resource, mandatory first, each with its fix. */
export function formatText(report: CheckReport): string {
  const s = summarize(report);
  const lines: string[] = [];
  const groups = new Map<string, Violation[]>();
  for (const v of report.violations) {
    const list = groups.get(v.urn);
    if (list) list.push(v);
    else groups.set(v.urn, [v]);
  }
  for (const [, list] of groups) {
    const first = list[0];
    lines.push(`${first.type} ${first.name}`);
    lines.push(`  at ${where(first)}`);
    const sorted = [...list].sort((a, b) =>
      a.enforcementLevel === b.enforcementLevel ? 0 : a.enforcementLevel === "mandatory" ? -1 : 1,
    );
    for (const v of sorted) {
      lines.push(
        `  ${v.enforcementLevel === "mandatory" ? "MANDATORY" : "advisory "} ${v.policy}: ${v.message}`,
      );
      lines.push(`            fix: ${v.remediation}`);
    }
    lines.push("");
  }
  const scope = [
    s.inputs.length > 0 ? s.inputs.join(", ") : undefined,
    s.target ? `target ${s.target}` : undefined,
    `environment ${s.environment ?? "from resource labels (prod when unlabelled)"}`,
  ].filter((x) => x !== undefined);
  lines.push(
    `${s.mandatory} mandatory and ${s.advisory} advisory violation${s.advisory === 1 ? "" : "s"} in ${s.resourcesWithViolations} of ${s.resources} resources (${scope.join("; ")}).`,
  );
  if (s.deferred > 0)
    lines.push(
      `${s.deferred} check${s.deferred === 1 ? "" : "s"} deferred: values unknown until apply (the engine re-checks them at pulumi up).`,
    );
  lines.push(
    s.mandatory > 0 ? "Result: FAILED (mandatory violations)." : "Result: passed (no mandatory violation).",
  );
  return `${lines.join("\n")}\n`;
}

/** Machine-readable report, one line: `{"violations": [...], "summary": {...}, "deferred": [...]}`. */
export function formatJson(report: CheckReport): string {
  let out = "";
  writeJson(report, (chunk) => (out += chunk));
  return out;
}

/** A finding as the JSON report shows it (`notChecked` marks a value the rule could not see). */
function jsonViolation(v: Violation): Record<string, unknown> {
  return {
    policy: v.policy,
    urn: v.urn,
    type: v.type,
    enforcementLevel: v.enforcementLevel,
    message: v.message,
    severity: v.severity,
    remediation: v.remediation,
    ...(v.notChecked ? { notChecked: true } : {}),
    ...(v.location ? { file: v.location.file, line: v.location.line } : {}),
  };
}

/** Bytes gathered before each write: large enough to be cheap, small enough to stay out of memory. */
const JSON_CHUNK = 1 << 20;

/**
 * Writes the JSON report in chunks, so a report of a hundred thousand findings never exists as one
 * string (the same text as `formatJson`).
 */
export function writeJson(report: CheckReport, write: (chunk: string) => void): void {
  let buffer = '{"violations":[';
  report.violations.forEach((v, i) => {
    buffer += `${i > 0 ? "," : ""}${JSON.stringify(jsonViolation(v))}`;
    if (buffer.length >= JSON_CHUNK) {
      write(buffer);
      buffer = "";
    }
  });
  write(
    `${buffer}],"summary":${JSON.stringify(summarize(report))},"deferred":${JSON.stringify(report.deferred ?? [])}}\n`,
  );
}
