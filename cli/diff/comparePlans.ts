/**
 * What changes between two plans: resources added, removed and changed (by URN), grouped by the
 * component that owns them, with property-level changes. Values are shown redacted where they
 * are secret — the plan's own markers (`[secret]`, `[redacted]`), Pulumi's secret signature
 * objects, and any value under a key that names a credential — so a diff never reveals more than
 * the plans do. Replacements are called out: a change to a Kubernetes object's `metadata.name` or
 * `metadata.namespace` (the object's identity: the provider deletes and re-creates it), and any
 * property the plan itself marks as forcing a replacement.
 */
import { credentialReason } from "../plan/plaintextCredentials";
import type { PlanDocument, PlanResource } from "./planDocument";

/** Pulumi's marker for a secret value in serialized state (`specialSigKey` / `specialSecretSig` in @pulumi/pulumi runtime/rpc.js). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** Markers the plan writes in place of a secret (`[secret]`, as `pulumi preview --json` does) or a plaintext credential. */
const SECRET_MARKERS = new Set(["[secret]", "[redacted]"]);
export const SHOWN_SECRET = "[secret]";

/** Properties whose change replaces a Kubernetes object: its identity in the API. */
const KUBERNETES_IDENTITY = ["metadata.name", "metadata.namespace"];

export interface PropertyChange {
  path: string;
  kind: "added" | "removed" | "changed";
  before?: string;
  after?: string;
  /** This change forces the resource to be replaced. */
  replaces: boolean;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  /** The owning component (`type name`), or `stack` for resources directly under the stack. */
  component: string;
  kind: "added" | "removed" | "changed";
  properties: PropertyChange[];
  replacement: boolean;
}

export interface PlanDiff {
  added: ResourceChange[];
  removed: ResourceChange[];
  changed: ResourceChange[];
}

export function isSecretValue(value: unknown): boolean {
  if (typeof value === "string") return SECRET_MARKERS.has(value);
  return (
    value !== null &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG_VALUE
  );
}

const MAX_SHOWN = 120;

/** A value as the diff shows it: secrets redacted, long values cut. */
export function shownValue(value: unknown, key?: string): string {
  if (isSecretValue(value)) return SHOWN_SECRET;
  if (typeof value === "string" && credentialReason(key, value)) return SHOWN_SECRET;
  const text = JSON.stringify(redactNested(value));
  if (text === undefined) return "undefined";
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function redactNested(value: unknown, key?: string): unknown {
  if (isSecretValue(value)) return SHOWN_SECRET;
  if (typeof value === "string") return credentialReason(key, value) ? SHOWN_SECRET : value;
  if (Array.isArray(value)) return value.map((v) => redactNested(v, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactNested(v, k)]));
  }
  return value;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !isSecretValue(v);

const join = (base: string, key: string | number) =>
  typeof key === "number" ? `${base}[${key}]` : base ? `${base}.${key}` : key;

/** Leaf-level differences between two input trees (arrays compared position by position). */
export function propertyChanges(
  before: unknown,
  after: unknown,
  at = "",
  key?: string,
): Omit<PropertyChange, "replaces">[] {
  if (isSecretValue(before) && isSecretValue(after)) return []; // both hidden: nothing to tell
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => propertyChanges(before[k], after[k], join(at, k), k));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, i) => propertyChanges(before[i], after[i], join(at, i), key)).flat();
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === undefined) return [{ path: at, kind: "added", after: shownValue(after, key) }];
  if (after === undefined) return [{ path: at, kind: "removed", before: shownValue(before, key) }];
  return [{ path: at, kind: "changed", before: shownValue(before, key), after: shownValue(after, key) }];
}

/** The component a resource belongs to: its nearest parent that is not a provider resource. */
function componentOf(resource: PlanResource, doc: PlanDocument): string {
  for (let urn = resource.parent; urn;) {
    const parent = doc.resources.get(urn);
    if (!parent) break;
    if (!parent.custom && parent.type !== "pulumi:pulumi:Stack") return `${parent.type} ${parent.name}`;
    urn = parent.parent;
  }
  return "stack";
}

function forcesReplacement(resource: PlanResource, path: string): boolean {
  const top = path.split(/[.[]/)[0];
  if (
    resource.replaceReasons.some(
      (r) => r === path || r === top || path.startsWith(`${r}.`) || path.startsWith(`${r}[`),
    )
  ) {
    return true;
  }
  return resource.type.startsWith("kubernetes:") && KUBERNETES_IDENTITY.includes(path);
}

export function comparePlans(base: PlanDocument, head: PlanDocument): PlanDiff {
  const diff: PlanDiff = { added: [], removed: [], changed: [] };
  const entry = (r: PlanResource, doc: PlanDocument, kind: ResourceChange["kind"]): ResourceChange => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    component: componentOf(r, doc),
    kind,
    properties: [],
    replacement: false,
  });
  for (const [urn, r] of head.resources) {
    if (r.type === "pulumi:pulumi:Stack") continue;
    const before = base.resources.get(urn);
    if (!before) {
      diff.added.push(entry(r, head, "added"));
      continue;
    }
    const properties: PropertyChange[] = propertyChanges(before.inputs, r.inputs).map((c) => ({
      ...c,
      replaces: forcesReplacement(r, c.path),
    }));
    for (const option of ["protect", "retainOnDelete"] as const) {
      if (before[option] !== r[option]) {
        properties.push({
          path: `(${option})`,
          kind: "changed",
          before: String(before[option]),
          after: String(r[option]),
          replaces: false,
        });
      }
    }
    if (properties.length === 0 && !r.markedReplace) continue;
    diff.changed.push({
      ...entry(r, head, "changed"),
      properties,
      replacement: r.markedReplace || properties.some((p) => p.replaces),
    });
  }
  for (const [urn, r] of base.resources) {
    if (r.type !== "pulumi:pulumi:Stack" && !head.resources.has(urn))
      diff.removed.push(entry(r, base, "removed"));
  }
  return diff;
}
