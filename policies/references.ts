/**
 * Relating a resource to the separate resources that configure it (an S3 bucket and its
 * public-access block, an RDS instance and its parameter group, a KMS key and its key policy).
 *
 * A companion names its target by a property (`bucket`, `parameterGroupName`, `keyId`). During
 * preview that value is usually unknown (the bucket has no name yet), so the link is made, in
 * order: through the engine's property dependencies (the companion's `bucket` input depends on
 * the bucket's URN), then by value against the target's id, ARN and physical names. A companion
 * that can be linked neither way is "unplaced": targets then defer instead of failing.
 */
import type { PolicyResource } from "./rule";
import { at, isUnknown } from "./values";

/** Values other resources may use to name this one: provider id, ARN, physical names. */
export function identitiesOf(resource: PolicyResource, nameFields: readonly string[]): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === "string" && v !== "" && !isUnknown(v)) out.push(v);
  };
  add(resource.id);
  for (const field of ["id", "arn", ...nameFields]) {
    add(at(resource.outputs, field));
    add(at(resource.props, field));
  }
  return out;
}

export class CompanionIndex {
  private readonly byUrn = new Map<string, PolicyResource[]>();
  private readonly byValue = new Map<string, PolicyResource[]>();
  /** Companions whose reference is unknown and carries no dependency information. */
  readonly unplaced: PolicyResource[] = [];

  /** Indexes `companions` by the target they name in `property`. */
  constructor(companions: readonly PolicyResource[], property: string) {
    for (const c of companions) {
      const deps = c.propertyDependencies?.[property];
      let placed = false;
      for (const urn of deps ?? []) {
        push(this.byUrn, urn, c);
        placed = true;
      }
      const value = at(c.props, property);
      if (typeof value === "string" && !isUnknown(value)) {
        push(this.byValue, value, c);
        // An ARN-shaped reference also names the resource by its last segment (`arn:…:key/<id>`).
        const tail = value.split(/[:/]/).pop();
        if (tail && tail !== value) push(this.byValue, tail, c);
        placed = true;
      }
      if (!placed) this.unplaced.push(c);
    }
  }

  /** The companions that name `target` (by URN dependency or by one of its identities). */
  of(target: PolicyResource, nameFields: readonly string[]): PolicyResource[] {
    const found = new Set<PolicyResource>(this.byUrn.get(target.urn) ?? []);
    for (const id of identitiesOf(target, nameFields))
      for (const c of this.byValue.get(id) ?? []) found.add(c);
    return [...found];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
