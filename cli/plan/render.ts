/**
 * Turns recorded resources into what `mlstack plan` shows and writes: the resource tree by
 * component, counts by type, a `pulumi preview --json`-shaped document and Kubernetes YAML.
 * Secrets are always redacted to `[secret]`, as `pulumi preview --json` shows them.
 */
import { RecordedResource, redactSecrets } from "../mockRuntime";

export interface PreviewStep {
  op: "create";
  urn: string;
  provider: string;
  newState: {
    urn: string;
    type: string;
    custom: boolean;
    parent?: string;
    protect?: boolean;
    retainOnDelete?: boolean;
    propertyDependencies?: Record<string, string[]>;
    inputs: Record<string, unknown>;
  };
}

export interface PreviewDocument {
  /** The stack and target this plan is for (not in the CLI's own output; `mlstack check` reads it). */
  mlstack: { stack: string; target: string; environment: string };
  config: Record<string, string>;
  steps: PreviewStep[];
  changeSummary: { create: number };
}

const STACK_TYPE = "pulumi:pulumi:Stack";

export function previewDocument(
  resources: RecordedResource[],
  meta: PreviewDocument["mlstack"],
  config: Record<string, string>,
  secretKeys: string[],
  defaultProviders: RecordedResource[] = [],
): PreviewDocument {
  // The engine registers each default provider before the first resource that uses it; after the
  // stack itself is as close as a flat list gets.
  const stackIndex = resources.findIndex((r) => r.type === STACK_TYPE);
  const ordered = [
    ...resources.slice(0, stackIndex + 1),
    ...defaultProviders,
    ...resources.slice(stackIndex + 1),
  ];
  const steps = ordered.map((r): PreviewStep => ({
    op: "create",
    urn: r.urn,
    provider: r.provider ?? "",
    newState: {
      urn: r.urn,
      type: r.type,
      custom: r.custom,
      parent: r.parent,
      protect: r.protect || undefined,
      retainOnDelete: r.retainOnDelete || undefined,
      propertyDependencies:
        Object.keys(r.propertyDependencies).length > 0 ? r.propertyDependencies : undefined,
      inputs: redactSecrets(r.inputs) as Record<string, unknown>,
    },
  }));
  const shownConfig = Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, secretKeys.includes(k) ? "[secret]" : v]),
  );
  return { mlstack: meta, config: shownConfig, steps, changeSummary: { create: steps.length } };
}

/**
 * Kubernetes objects a provider would apply: custom `kubernetes:*` resources (Helm charts are
 * components), secrets redacted. `redacted` gives inputs already redacted by URN (a plan's
 * preview document holds them), so a 100-model plan's thousand objects are not copied twice.
 */
export function kubernetesObjects(
  resources: RecordedResource[],
  redacted?: ReadonlyMap<string, Record<string, unknown>>,
): Array<{ resource: RecordedResource; object: Record<string, unknown> }> {
  return resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"))
    .map((resource) => {
      const inputs =
        redacted?.get(resource.urn) ?? (redactSecrets(resource.inputs) as Record<string, unknown>);
      const { apiVersion, kind, metadata, ...rest } = inputs;
      return { resource, object: { apiVersion, kind, metadata, ...rest } };
    });
}

/** `<namespace>/<kind>-<name>.yaml` (cluster-scoped objects under `_cluster/`). */
export function manifestPath(object: Record<string, unknown>): string {
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
  const dir = metadata.namespace ?? "_cluster";
  return `${dir}/${String(object.kind).toLowerCase()}-${metadata.name}.yaml`;
}

/** A manifest's YAML, the same to a YAML 1.1 and a 1.2 reader (./manifestYaml.ts). */
export { toYaml } from "./manifestYaml";

export function countsByType(resources: RecordedResource[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of resources) if (r.type !== STACK_TYPE) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * The registry alias a component's workload follows (`mlstack.io/model-source: registry:<name>@<alias>`,
 * components/serving/servedWorkload.ts), so the tree says which alias each model follows.
 */
function registryAliasOf(kids: RecordedResource[]): string | undefined {
  for (const k of kids) {
    const metadata = k.inputs.metadata as { annotations?: Record<string, unknown> } | undefined;
    const source = metadata?.annotations?.["mlstack.io/model-source"];
    if (typeof source === "string" && source.startsWith("registry:")) return source.slice("registry:".length);
  }
  return undefined;
}

/**
 * The tree by component: each component with its child components nested and its own
 * resources summarised by kind, so even a 100-model plan stays readable.
 */
export function componentTree(resources: RecordedResource[]): string {
  const children = new Map<string, RecordedResource[]>();
  for (const r of resources) {
    if (!r.parent) continue;
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines: string[] = [];
  const shortType = (type: string) => type.split(":").pop() as string;
  const walk = (r: RecordedResource, depth: number) => {
    const kids = children.get(r.urn) ?? [];
    const own = new Map<string, number>();
    for (const k of kids) if (k.custom) own.set(shortType(k.type), (own.get(shortType(k.type)) ?? 0) + 1);
    const summary = [...own.entries()].map(([t, n]) => (n > 1 ? `${t}×${n}` : t)).join(", ");
    const follows = registryAliasOf(kids);
    lines.push(
      `${"  ".repeat(depth)}${r.type} ${r.name}${summary ? `  [${summary}]` : ""}${follows ? `  follows ${follows}` : ""}`,
    );
    for (const k of kids) if (!k.custom) walk(k, depth + 1);
  };
  for (const root of resources.filter((r) => !r.parent)) walk(root, 0);
  return lines.join("\n");
}
