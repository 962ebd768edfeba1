/**
 * Turns recorded resources into what `mlstack plan` shows and writes: the resource tree by
 * component, counts by type, a `pulumi preview --json`-shaped document and Kubernetes YAML.
 * Secrets are always redacted to `[secret]`, as `pulumi preview --json` shows them.
 */
import * as YAML from "yaml";
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

/** Kubernetes objects a provider would apply: custom `kubernetes:*` resources (Helm charts are components). */
export function kubernetesObjects(
  resources: RecordedResource[],
): Array<{ resource: RecordedResource; object: Record<string, unknown> }> {
  return resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"))
    .map((resource) => {
      const inputs = redactSecrets(resource.inputs) as Record<string, unknown>;
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

/**
 * YAML that a 1.1 and a 1.2 reader take the same way. The `yaml` package writes YAML 1.2 and
 * quotes what 1.2 would read as another type; kubectl (sigs.k8s.io/yaml on go-yaml) and PyYAML
 * read YAML 1.1, where `on`, `no`, `y`, `0755`, `1:30` and `2026-01-01` are booleans, numbers and
 * timestamps (yaml.org/type/bool.html, int.html, timestamp.html): such strings are quoted too.
 */
export function toYaml(object: Record<string, unknown>): string {
  const document = new YAML.Document(object, { aliasDuplicateObjects: false });
  YAML.visit(document, {
    Scalar(_, node) {
      if (typeof node.value === "string" && !readsAsStringInYaml11(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  return document.toString({ lineWidth: 0 });
}

/**
 * Answers of readsAsStringInYaml11 by text. A plan's manifests hold few distinct short strings
 * (1,590 among 74,000 keys and values of a 100-model plan) and parsing each one again was a
 * quarter of the plan's own time (`npm run bench`, CPU profile). Bounded: cleared when full.
 */
const yaml11StringCache = new Map<string, boolean>();
const YAML11_CACHE_LIMIT = 100_000;

/** Whether a plain scalar with this text is a string to a YAML 1.1 reader (the `yaml` package's 1.1 schema). */
function readsAsStringInYaml11(value: string): boolean {
  // Written as block scalars or quoted whatever they hold; no 1.1 type is that long.
  if (value.includes("\n") || value.length > 64) return true;
  if (value === "<<") return false; // the merge key
  const known = yaml11StringCache.get(value);
  if (known !== undefined) return known;
  const parsed = YAML.parseDocument(value, { version: "1.1" });
  const isString =
    parsed.errors.length > 0 || !YAML.isScalar(parsed.contents) || typeof parsed.contents.value === "string";
  if (yaml11StringCache.size >= YAML11_CACHE_LIMIT) yaml11StringCache.clear();
  yaml11StringCache.set(value, isString);
  return isString;
}

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
