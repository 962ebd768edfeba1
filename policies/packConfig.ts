/**
 * Pack configuration: per-rule enforcement levels and the settings rules read (target profile,
 * environment, allowed registries).
 *
 * The file format is CrossGuard's own (`pulumi preview --policy-pack-config <file>`), so one file
 * serves the engine and `mlstack check --config`:
 *
 * ```json
 * { "all": "mandatory",
 *   "k8s-image-digest": "disabled",
 *   "k8s-allowed-registries": { "registries": ["quay.io", "registry.example.com"] },
 *   "k8s-seccomp-required": { "target": "openshift" } }
 * ```
 *
 * CrossGuard hands each policy only its own entry, so a setting lives on the rules that read it
 * (each rule's `settings`). `mlstack check --target/--env` and `mlstack plan` set them for every
 * rule at once (`PackConfig.target` etc.).
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import type { EnforcementLevel, Environment, Rule, RuleSetting, Target } from "./rule";
import { ENFORCEMENT_LEVELS, ENVIRONMENTS, TARGETS } from "./rule";
import { isObject } from "./values";

/**
 * Registries allowed when no config names any: where mlstack's pinned default images come from.
 * The one copy: the stack config (`mlstack:registries`' default, stacks/config/defaults.ts)
 * imports it from here, so the pack stays self-contained and the two cannot drift.
 */
export const DEFAULT_REGISTRIES = [
  "ghcr.io",
  "quay.io",
  "registry.redhat.io",
  "docker.io/seldonio",
  // vLLM's official server image (serving runtime vllm): only the vllm organisation, not all of Docker Hub.
  "docker.io/vllm",
  // Prefect's official server and worker images (mlstack:orchestrator): only the prefecthq organisation.
  "docker.io/prefecthq",
  // SeaweedFS's official image (objectStore.provider seaweedfs, the dev object store): only the chrislusf organisation.
  "docker.io/chrislusf",
  "nvcr.io/nvidia",
];

/** One rule's entry in a CrossGuard pack-config file: a level, or an object with a level and settings. */
export type PolicyConfigEntry =
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);

export interface PackConfig {
  /** Target profile for every rule (overrides per-rule entries). */
  target?: Target;
  /** Environment for every rule (overrides per-rule entries and resource labels). */
  environment?: Environment;
  /** Allowed registries for every rule (overrides per-rule entries). */
  registries?: string[];
  /** Level for every rule (CrossGuard's `all`); per-rule entries override it. */
  all?: EnforcementLevel;
  /** Per-rule entries, as in a CrossGuard pack-config file. */
  policies?: Record<string, PolicyConfigEntry>;
}

/** Settings read from the input document (the stack's own config), below explicit config. */
export interface DocumentDefaults {
  target?: Target;
  environment?: Environment;
  registries?: string[];
}

export class PackConfigError extends Error {}

function isLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

/** CrossGuard's `remediate` level does not apply to validation-only rules: it enforces like mandatory. */
function level(value: unknown, where: string): EnforcementLevel {
  if (value === "remediate") return "mandatory";
  if (!isLevel(value)) {
    throw new PackConfigError(
      `${where}: enforcement level ${JSON.stringify(value)} is not one of ${ENFORCEMENT_LEVELS.join(", ")}`,
    );
  }
  return value;
}

function checkSetting(name: string, key: string, value: unknown): void {
  const where = `${name}.${key}`;
  if (key === "target" && !(TARGETS as readonly unknown[]).includes(value)) {
    throw new PackConfigError(`${where}: ${JSON.stringify(value)} is not one of ${TARGETS.join(", ")}`);
  }
  if (key === "environment" && !(ENVIRONMENTS as readonly unknown[]).includes(value)) {
    throw new PackConfigError(`${where}: ${JSON.stringify(value)} is not one of ${ENVIRONMENTS.join(", ")}`);
  }
  if (
    key === "registries" &&
    !(Array.isArray(value) && value.every((v) => typeof v === "string" && v !== ""))
  ) {
    throw new PackConfigError(`${where}: must be a list of registry names (e.g. ["quay.io"])`);
  }
}

/**
 * Reads a CrossGuard pack-config document. Unknown rule names are rejected (a typo would
 * otherwise silently leave a rule at its default).
 */
export function parsePackConfigDocument(doc: unknown, knownRules: readonly Rule[]): PackConfig {
  if (!isObject(doc))
    throw new PackConfigError("the pack config must be a JSON object of rule names to levels or settings");
  const names = new Set(knownRules.map((r) => r.name));
  const config: PackConfig = { policies: {} };
  for (const [name, value] of Object.entries(doc)) {
    if (name === "all") {
      config.all = level(isObject(value) ? value.enforcementLevel : value, "all");
      continue;
    }
    if (!names.has(name)) throw new PackConfigError(`${name}: no rule of that name in the pack`);
    if (typeof value === "string") {
      config.policies![name] = level(value, name);
      continue;
    }
    if (!isObject(value)) throw new PackConfigError(`${name}: must be an enforcement level or an object`);
    const entry: Record<string, unknown> = {};
    const rule = knownRules.find((r) => r.name === name)!;
    for (const [key, v] of Object.entries(value)) {
      if (key === "enforcementLevel") entry.enforcementLevel = level(v, name);
      else {
        if (!(rule.settings as readonly string[]).includes(key)) {
          const readers = knownRules
            .filter((r) => (r.settings as readonly string[]).includes(key))
            .map((r) => r.name);
          throw new PackConfigError(
            `${name}.${key}: ${name} does not read ${key}${readers.length > 0 ? ` (set it on ${readers.join(", ")})` : ""}; its settings: ${rule.settings.join(", ") || "none"}`,
          );
        }
        checkSetting(name, key, v);
        entry[key] = v;
      }
    }
    config.policies![name] = entry as PolicyConfigEntry;
  }
  return config;
}

/** The enforcement level of a rule under a config. */
export function effectiveLevel(rule: Rule, config: PackConfig): EnforcementLevel {
  const entry = config.policies?.[rule.name];
  if (typeof entry === "string") return entry;
  if (entry?.enforcementLevel) return entry.enforcementLevel;
  return config.all ?? rule.defaultLevel;
}

/** The settings of a rule's own entry (everything but the level). */
export function ruleEntrySettings(rule: Rule, config: PackConfig): Record<string, unknown> {
  const entry = config.policies?.[rule.name];
  if (!entry || typeof entry === "string") return {};
  const { enforcementLevel: _level, ...settings } = entry;
  return settings;
}

const SETTING_SCHEMAS: Record<RuleSetting, PolicyConfigSchema["properties"][string]> = {
  target: {
    type: "string",
    enum: [...TARGETS],
    default: "kubernetes",
    description:
      "Target profile: openshift expects no fixed UID and RuntimeDefault seccomp; kubernetes, aws and gcp a high UID.",
  },
  environment: {
    type: "string",
    enum: [...ENVIRONMENTS],
    description:
      "Environment (prod-only rules). Unset: each resource's mlstack environment label or tag, else prod.",
  },
  registries: {
    type: "array",
    items: { type: "string" },
    default: DEFAULT_REGISTRIES,
    description: "Registries (optionally with a path, e.g. docker.io/seldonio) images may come from.",
  },
};

/** The CrossGuard `configSchema` of a rule: the settings it reads. */
export function configSchemaFor(rule: Rule): PolicyConfigSchema | undefined {
  if (rule.settings.length === 0) return undefined;
  const properties: PolicyConfigSchema["properties"] = {};
  for (const s of rule.settings) properties[s] = SETTING_SCHEMAS[s];
  return { properties };
}
