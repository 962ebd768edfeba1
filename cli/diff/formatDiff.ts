/**
 * `mlstack diff` output: text for a terminal, markdown (with the Mermaid diagram) for a pull
 * request comment or job summary, JSON for tools (`added`, `removed`, `changed` and `replaced`
 * as URN arrays, then the details).
 */
import type { PlanDiff, PropertyChange, ResourceChange } from "./comparePlans";
import { changeDiagram } from "./changeDiagram";
import type { PolicyFinding } from "./policyFindings";

export interface DiffReport {
  base: { file: string; stack?: string };
  head: { file: string; stack?: string };
  diff: PlanDiff;
  /** undefined when either plan has no policy.sarif beside it. */
  findings?: { new: PolicyFinding[]; fixed: PolicyFinding[] };
}

/** Properties listed per resource before "… n more" (JSON always has them all). */
const MAX_PROPERTIES = 20;

const replaced = (diff: PlanDiff) => diff.changed.filter((c) => c.replacement);

function summaryLine(diff: PlanDiff): string {
  const r = replaced(diff).length;
  return `${diff.added.length} to add, ${diff.removed.length} to remove, ${diff.changed.length} to change${r ? ` (${r} replaced)` : ""}`;
}

function byComponent(diff: PlanDiff): Array<[string, ResourceChange[]]> {
  const groups = new Map<string, ResourceChange[]>();
  for (const r of [...diff.added, ...diff.removed, ...diff.changed]) {
    groups.set(r.component, [...(groups.get(r.component) ?? []), r]);
  }
  return [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

function propertyText(p: PropertyChange): string {
  const change =
    p.kind === "added" ? `+ ${p.after}` : p.kind === "removed" ? `- ${p.before}` : `${p.before} → ${p.after}`;
  return `${p.path}: ${change}${p.replaces ? "  (forces replacement)" : ""}`;
}

const SIGN: Record<ResourceChange["kind"], string> = { added: "+", removed: "-", changed: "~" };

const stackLabel = (side: DiffReport["base"]) => `${side.file}${side.stack ? ` (stack ${side.stack})` : ""}`;

export function formatText(report: DiffReport): string {
  const { diff } = report;
  const lines = [
    `mlstack diff: ${stackLabel(report.base)} → ${stackLabel(report.head)}`,
    summaryLine(diff),
    "",
  ];
  for (const [component, resources] of byComponent(diff)) {
    lines.push(component);
    for (const r of resources) {
      lines.push(
        `  ${r.replacement ? "±" : SIGN[r.kind]} ${r.type} ${r.name}${r.replacement ? "  (replaced)" : ""}`,
      );
      for (const p of r.properties.slice(0, MAX_PROPERTIES)) lines.push(`      ${propertyText(p)}`);
      if (r.properties.length > MAX_PROPERTIES)
        lines.push(`      … ${r.properties.length - MAX_PROPERTIES} more`);
    }
    lines.push("");
  }
  lines.push(...findingsText(report));
  return `${lines.join("\n")}\n`;
}

function findingsText(report: DiffReport): string[] {
  if (!report.findings) return ["Policy findings: not compared (no policy.sarif beside both plans)."];
  const { new: added, fixed } = report.findings;
  const lines = [`Policy findings: ${added.length} new, ${fixed.length} fixed.`];
  for (const f of added)
    lines.push(`  new   ${f.level === "mandatory" ? "MANDATORY" : "advisory "} ${f.rule}: ${f.message}`);
  for (const f of fixed)
    lines.push(`  fixed ${f.level === "mandatory" ? "MANDATORY" : "advisory "} ${f.rule}: ${f.message}`);
  return lines;
}

/** Inline code in markdown: backticks doubled-up safely, pipes escaped for tables. */
const code = (text: string) => `\`${text.replace(/`/g, "ˋ").replace(/\|/g, "\\|")}\``;
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function formatMarkdown(report: DiffReport): string {
  const { diff } = report;
  const out: string[] = [
    `### mlstack diff${report.head.stack ? ` — stack \`${report.head.stack}\`` : ""}`,
    "",
    `**${summaryLine(diff)}**, base ${code(report.base.file)} → head ${code(report.head.file)}.`,
    "",
  ];
  const replacements = replaced(diff);
  if (replacements.length > 0) {
    out.push("> [!WARNING]", "> These resources are **replaced** (deleted and created again):");
    for (const r of replacements) {
      const why = r.properties.filter((p) => p.replaces).map((p) => code(p.path));
      out.push(`> - ${code(`${r.type} ${r.name}`)}${why.length ? ` — ${why.join(", ")}` : ""}`);
    }
    out.push("");
  }
  out.push("```mermaid", changeDiagram(diff).trimEnd(), "```", "");
  for (const [component, resources] of byComponent(diff)) {
    out.push(`#### ${code(component)}`, "", "| | resource | changes |", "|---|---|---|");
    for (const r of resources) {
      const sign = r.replacement
        ? "± replaced"
        : { added: "+ added", removed: "− removed", changed: "~ changed" }[r.kind];
      const props = r.properties.slice(0, MAX_PROPERTIES).map((p) => code(propertyText(p)));
      if (r.properties.length > MAX_PROPERTIES) props.push(`… ${r.properties.length - MAX_PROPERTIES} more`);
      out.push(`| ${sign} | ${code(`${r.type} ${r.name}`)} | ${props.join("<br>")} |`);
    }
    out.push("");
  }
  if (!report.findings) {
    out.push("Policy findings: not compared (no `policy.sarif` beside both plans).");
  } else {
    const { new: added, fixed } = report.findings;
    out.push(`#### Policy findings: ${added.length} new, ${fixed.length} fixed`, "");
    if (added.length + fixed.length > 0) {
      out.push("| | level | rule | finding |", "|---|---|---|---|");
      for (const [what, list] of [
        ["new", added],
        ["fixed", fixed],
      ] as const) {
        for (const f of list) out.push(`| ${what} | ${f.level} | ${code(f.rule)} | ${cell(f.message)} |`);
      }
      out.push("");
    }
  }
  return `${out.join("\n")}\n`;
}

export function formatJson(report: DiffReport): string {
  const { diff } = report;
  return (
    JSON.stringify(
      {
        base: report.base,
        head: report.head,
        added: diff.added.map((r) => r.urn),
        removed: diff.removed.map((r) => r.urn),
        changed: diff.changed.map((r) => r.urn),
        replaced: replaced(diff).map((r) => r.urn),
        resources: [...diff.added, ...diff.removed, ...diff.changed],
        findings: report.findings ?? null,
      },
      null,
      2,
    ) + "\n"
  );
}
