/**
 * A Mermaid flowchart of what changed, for the markdown diff (GitHub renders ```mermaid blocks):
 * one subgraph per component with changes, one node per changed resource, coloured by kind of
 * change. Large diffs are capped per component and overall so the diagram stays readable (and
 * under Mermaid's default edge/size limits); the tables beside it list everything.
 */
import type { PlanDiff, ResourceChange } from "./comparePlans";

const MAX_COMPONENTS = 25;
const MAX_PER_COMPONENT = 8;

/** Mermaid label text: quotes and markup characters as entity codes. */
const label = (text: string) => text.replace(/["<>#&]/g, (c) => `#${c.charCodeAt(0)};`);

export function changeDiagram(diff: PlanDiff): string {
  const all = [...diff.added, ...diff.removed, ...diff.changed];
  const byComponent = new Map<string, ResourceChange[]>();
  for (const r of all) byComponent.set(r.component, [...(byComponent.get(r.component) ?? []), r]);
  const lines = ["flowchart LR"];
  const components = [...byComponent.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  components.slice(0, MAX_COMPONENTS).forEach(([component, resources], c) => {
    lines.push(`  subgraph c${c}["${label(component)}"]`);
    resources.slice(0, MAX_PER_COMPONENT).forEach((r, i) => {
      const kind = r.kind === "changed" && r.replacement ? "replaced" : r.kind;
      const sign = { added: "+", removed: "-", changed: "~", replaced: "±" }[kind];
      lines.push(`    c${c}r${i}["${sign} ${label(`${r.type.split(":").pop()} ${r.name}`)}"]:::${kind}`);
    });
    if (resources.length > MAX_PER_COMPONENT) {
      lines.push(`    c${c}more["… ${resources.length - MAX_PER_COMPONENT} more"]`);
    }
    lines.push("  end");
  });
  if (components.length > MAX_COMPONENTS) {
    lines.push(`  more["… ${components.length - MAX_COMPONENTS} more components"]`);
  }
  if (all.length === 0) lines.push(`  none["no resource changes"]`);
  lines.push(
    "  classDef added fill:#d4f7dc,stroke:#1a7f37",
    "  classDef removed fill:#ffdce0,stroke:#cf222e",
    "  classDef changed fill:#fff4ce,stroke:#9a6700",
    "  classDef replaced fill:#ffdce0,stroke:#cf222e,stroke-dasharray:4 2",
  );
  return lines.join("\n") + "\n";
}
