/**
 * Reading resource properties the way every rule needs to: plain JSON from a manifest, a
 * `pulumi preview --json` step, a stack export or the CrossGuard engine, where any value may be
 * *unknown* (computed from another resource during preview) and secrets may be wrapped.
 *
 * Unknown values keep the engine's sentinel strings, so rules can tell "not set" from "not known
 * yet" and decide per rule what an unknown value means (see `onUnknown` in each rule).
 */

/** The engine's placeholders for values that are not known until apply (string, number, …). */
const UNKNOWN_SENTINELS = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** The unknown placeholder rules and adapters write when they need one. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** What a secret looks like once redacted (`pulumi preview --json` prints secrets this way). */
export const REDACTED_SECRET = "[secret]";

/** The property-map signature key and the secret signature used by the Pulumi engine and SDKs. */
export const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && value.length === 36 && UNKNOWN_SENTINELS.has(value);
}

export type Props = Record<string, unknown>;

export function isObject(value: unknown): value is Props {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object, or `{}` for anything else (absent, unknown, scalar). */
export function obj(value: unknown): Props {
  return isObject(value) ? value : {};
}

/** An array, or `[]` for anything else (absent, unknown, scalar). */
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * `compute` with its results kept per key (`undefined` results too), for what every rule reads
 * again: parsed type tokens and image references, pod views per resource (`cache`: a WeakMap).
 */
export function memoized<K, V>(
  compute: (key: K) => V,
  cache: { get(key: K): V | undefined; has(key: K): boolean; set(key: K, value: V): unknown } = new Map<
    K,
    V
  >(),
): (key: K) => V {
  return (key) => {
    if (cache.has(key)) return cache.get(key) as V;
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}

/** Split paths, kept: rules read the same few hundred paths on every resource. */
const PATHS = new Map<string, string[]>();

/** Follows a dotted path of object keys; undefined when a step is missing, the unknown sentinel when a step is unknown. */
export function at(value: unknown, path: string): unknown {
  let keys = PATHS.get(path);
  if (!keys) {
    keys = path.split(".");
    PATHS.set(path, keys);
  }
  let current = value;
  for (const key of keys) {
    if (isUnknown(current)) return current;
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** A string value, or undefined (unknown values are not strings here: test `isUnknown` first). */
export function str(value: unknown): string | undefined {
  return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

/** Booleans as the engine and YAML may spell them. */
export function bool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

/** Numbers, also when a manifest quotes them. */
export function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && !isUnknown(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** True when the value, or anything inside it, is unknown. */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isObject(value)) return Object.values(value).some(containsUnknown);
  return false;
}

/** A string list from a string or an array of strings (IAM documents allow both). */
export function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return arr(value).filter((v): v is string => typeof v === "string");
}

/**
 * A JSON document given either as an object or as JSON text (policies, provider config).
 * Returns undefined when absent or not parseable, the unknown sentinel when unknown.
 */
export function jsonDocument(value: unknown): unknown {
  if (isUnknown(value)) return value;
  if (typeof value === "string") {
    if (value.includes(UNKNOWN)) return UNKNOWN;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return isObject(value) || Array.isArray(value) ? value : undefined;
}
