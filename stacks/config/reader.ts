/**
 * Where config problems are collected: every problem with its key path, instead of stopping at
 * the first, so one run of the program reports everything wrong. The structural problems come
 * from the schemas (stacks/config/validate.ts); the section parsers add the semantic ones.
 */

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

/** `teams[0]` + `name` → `teams[0].name`; top-level keys have no leading dot. */
export function keyPath(path: string, key: string): string {
  // A key that is not a plain name (empty, spaces, dots) is quoted so the path stays readable.
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

export class Reader {
  readonly problems: string[] = [];

  /** Records `mlstack:<path>: <value> <allowed>`. */
  fail(path: string, value: unknown, allowed: string): void {
    this.problems.push(`mlstack:${path}: ${show(value)} ${allowed}`);
  }

  /** Reports the second and later entries whose `name` repeats an earlier one. */
  unique(entries: { name: string }[], path: string, what: string): void {
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      if (entry.name && seen.has(entry.name))
        this.fail(`${path}[${i}].name`, entry.name, `is declared twice (${what} names must be unique)`);
      seen.add(entry.name);
    });
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
