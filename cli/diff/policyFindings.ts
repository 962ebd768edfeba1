/**
 * The policy findings of a plan, for "new" and "fixed" in `mlstack diff`: read from the
 * `policy.sarif` that `mlstack plan` writes beside its `plan.json`. A finding is the rule, the
 * resource (the SARIF result's logical location, its URN) and the message; the same triple in
 * both plans is unchanged.
 */
import * as fs from "fs";
import * as path from "path";

export interface PolicyFinding {
  rule: string;
  level: "mandatory" | "advisory";
  urn: string;
  message: string;
}

interface SarifResult {
  ruleId?: string;
  level?: string;
  message?: { text?: string };
  locations?: Array<{ logicalLocations?: Array<{ fullyQualifiedName?: string }> }>;
}

/** The findings beside `planFile`, or undefined when there is no readable policy.sarif. */
export function readPolicyFindings(planFile: string): PolicyFinding[] | undefined {
  const file = path.join(path.dirname(planFile), "policy.sarif");
  let log: { runs?: Array<{ results?: SarifResult[] }> };
  try {
    log = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(log?.runs)) return undefined;
  return log.runs.flatMap((run) =>
    (run.results ?? []).map((r) => ({
      rule: r.ruleId ?? "unknown-rule",
      level: r.level === "error" ? "mandatory" : "advisory",
      urn: r.locations?.[0]?.logicalLocations?.[0]?.fullyQualifiedName ?? "",
      message: r.message?.text ?? "",
    })),
  );
}

const findingKey = (f: PolicyFinding) => `${f.rule}\u0000${f.urn}\u0000${f.message}`;

/** Findings only in head (new) and only in base (fixed). */
export function compareFindings(
  base: readonly PolicyFinding[],
  head: readonly PolicyFinding[],
): { new: PolicyFinding[]; fixed: PolicyFinding[] } {
  const baseKeys = new Set(base.map(findingKey));
  const headKeys = new Set(head.map(findingKey));
  return {
    new: head.filter((f) => !baseKeys.has(findingKey(f))),
    fixed: base.filter((f) => !headKeys.has(findingKey(f))),
  };
}
