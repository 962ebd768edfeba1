/**
 * A small typed reader over raw config objects that records every problem with its key path
 * instead of stopping at the first, so one run of the program reports everything wrong.
 */

import { QUANTITY_RULE, isQuantity } from "../../components/kube/quantity";

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(
      problems.length === 1
        ? `invalid mlstack config: ${problems[0]}`
        : `invalid mlstack config (${problems.length} problems):\n  - ${problems.join("\n  - ")}`,
    );
    this.name = "ConfigError";
  }
}

/** Quote a value the way every message shows it: JSON, shortened. */
export function show(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export type Raw = Record<string, unknown>;

// The Kubernetes grammars live once, with the components that put the strings into manifests.
export { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME } from "../../components/kube/names";
import { DNS1123_SUBDOMAIN_RULE } from "../../components/kube/names";

/** StorageClass names are DNS-1123 subdomains (kubernetes pkg/apis/storage/validation `ValidateClassName`). */
export const STORAGE_CLASS_RULE = `a StorageClass name: ${DNS1123_SUBDOMAIN_RULE}`;

/** What a string must match: a pattern, or a predicate from components/kube (length rules included). */
export type Grammar = RegExp | ((value: string) => boolean);

function matches(grammar: Grammar, value: string): boolean {
  return typeof grammar === "function" ? grammar(value) : grammar.test(value);
}

/** `teams[0]` + `name` → `teams[0].name`; top-level keys have no leading dot. */
export function keyPath(path: string, key: string): string {
  // A key that is not a plain name (empty, spaces, dots) is quoted so the path stays readable.
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

export class Reader {
  readonly problems: string[] = [];

  fail(path: string, value: unknown, allowed: string): void {
    this.problems.push(`mlstack:${path}: ${show(value)} ${allowed}`);
  }

  /** An object (or undefined → {}), rejecting arrays and scalars. */
  object(value: unknown, path: string): Raw {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" || Array.isArray(value)) {
      this.fail(path, value, "is not an object (expected a map of keys)");
      return {};
    }
    return value as Raw;
  }

  /** Reports keys that the model does not know, so typos do not silently fall back to defaults. */
  knownKeys(obj: Raw, path: string, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) {
        this.fail(keyPath(path, key), obj[key], `is not a known key (known: ${known.join(", ")})`);
      }
    }
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.fail(path, value, "is not a list");
      return [];
    }
    return value;
  }

  string(obj: Raw, key: string, path: string, fallback: string, pattern?: Grammar, rule?: string): string {
    const value = obj[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string" || value === "") {
      this.fail(keyPath(path, key), value, "is not a non-empty string");
      return fallback;
    }
    if (pattern && !matches(pattern, value)) {
      this.fail(keyPath(path, key), value, `is not ${rule ?? `matching ${String(pattern)}`}`);
      return fallback;
    }
    return value;
  }

  optionalString(obj: Raw, key: string, path: string, pattern?: Grammar, rule?: string): string | undefined {
    if (obj[key] === undefined || obj[key] === null) return undefined;
    const value = this.string(obj, key, path, "", pattern, rule);
    return value === "" ? undefined : value;
  }

  oneOf<T extends string>(obj: Raw, key: string, path: string, allowed: readonly T[], fallback: T): T {
    const value = obj[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      this.fail(keyPath(path, key), value, `is not one of: ${allowed.join(", ")}`);
      return fallback;
    }
    return value as T;
  }

  integer(obj: Raw, key: string, path: string, fallback: number, min: number, max: number): number {
    const raw = obj[key];
    if (raw === undefined || raw === null) return fallback;
    // Pulumi stores scalar config as strings; accept "3" as 3.
    const value = typeof raw === "string" && /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(keyPath(path, key), raw, `is not a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  boolean(obj: Raw, key: string, path: string, fallback: boolean): boolean {
    const raw = obj[key];
    if (raw === undefined || raw === null) return fallback;
    if (raw === true || raw === "true") return true;
    if (raw === false || raw === "false") return false;
    this.fail(keyPath(path, key), raw, "is not true or false");
    return fallback;
  }

  quantity(obj: Raw, key: string, path: string, fallback: string): string {
    const raw = obj[key];
    const value = typeof raw === "number" ? String(raw) : raw;
    return this.string({ [key]: value }, key, path, fallback, isQuantity, QUANTITY_RULE);
  }

  stringList(
    obj: Raw,
    key: string,
    path: string,
    fallback: string[],
    pattern?: Grammar,
    rule?: string,
  ): string[] {
    if (obj[key] === undefined || obj[key] === null) return fallback;
    const items = this.array(obj[key], keyPath(path, key));
    const out: string[] = [];
    items.forEach((item, i) => {
      if (typeof item !== "string" || item === "" || (pattern && !matches(pattern, item))) {
        this.fail(`${keyPath(path, key)}[${i}]`, item, `is not ${rule ?? "a non-empty string"}`);
      } else {
        out.push(item);
      }
    });
    return out;
  }

  /** Reports the second and later entries whose `name` repeats an earlier one. */
  unique(entries: { name: string }[], path: string, what: string): void {
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      if (seen.has(entry.name))
        this.fail(`${path}[${i}].name`, entry.name, `is declared twice (${what} names must be unique)`);
      seen.add(entry.name);
    });
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
