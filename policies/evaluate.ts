/**
 * Runs the pack's rules without the Pulumi engine: over `mlstack plan`'s recorded resources, a
 * `pulumi preview --json` document, a stack export or Kubernetes YAML (the CLI turns each into
 * `EvaluationResource`s).
 *
 * Resources are read once (secrets revealed, secret paths noted) and indexed by type once;
 * each resource rule runs only on the types it applies to, each stack rule once over the index.
 */
import { ALL_RULES } from "./catalog";
import { declaredEnvironment } from "./platformLabels";
import type { DocumentDefaults, PackConfig } from "./packConfig";
import { DEFAULT_REGISTRIES, effectiveLevel, ruleEntrySettings } from "./packConfig";
import type {
  DeferredCheck,
  EnforcementLevel,
  Environment,
  PolicyResource,
  Reporter,
  ResourceRule,
  Rule,
  RuleContext,
  SourceLocation,
  StackOutput,
  StackRule,
  StackView,
  Target,
  Violation,
} from "./rule";
import { REDACTED_SECRET, SECRET_SIGNATURE, SIGNATURE_KEY } from "./values";

/** A resource as callers hand it over (the shape `cli/mockRuntime.ts` records, plus what documents add). */
export interface EvaluationResource {
  urn: string;
  type: string;
  name: string;
  /** Inputs; secrets may be wrapped (`{<sig>: <secret sig>, value | plaintext | ciphertext}`) or redacted (`[secret]`). */
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  id?: string;
  parent?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  /** Provider reference, `urn::id` or a bare URN. */
  provider?: string;
  location?: SourceLocation;
}

export interface EvaluateOptions {
  /** Stack outputs (secrets wrapped or redacted as in inputs). */
  outputs?: Record<string, unknown>;
  /** Settings the input document declares (its stack config), used where config sets none. */
  documentDefaults?: DocumentDefaults;
  /** Rules to run (default: the whole pack). */
  rules?: readonly Rule[];
}

export interface EvaluationResult {
  violations: Violation[];
  deferred: DeferredCheck[];
  resourceCount: number;
}

function isSecretWrapper(value: Record<string, unknown>): boolean {
  return value[SIGNATURE_KEY] === SECRET_SIGNATURE;
}

/**
 * Reveals wrapped secrets and records where they were. Returns the input unchanged (same object)
 * when it holds no secret, so clean resources are not copied.
 */
export function revealSecrets(value: unknown, path: string, secretPaths: string[]): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = revealSecrets(value[i], `${path}[${i}]`, secretPaths);
      if (v !== value[i]) (copy ??= value.slice())[i] = v;
    }
    return copy ?? value;
  }
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    if (isSecretWrapper(o)) {
      secretPaths.push(path);
      if ("value" in o) return revealSecrets(o.value, path, []);
      if (typeof o.plaintext === "string") {
        try {
          return JSON.parse(o.plaintext) as unknown;
        } catch {
          return o.plaintext;
        }
      }
      return REDACTED_SECRET;
    }
    let copy: Record<string, unknown> | undefined;
    for (const k in o) {
      const v = revealSecrets(o[k], path ? `${path}.${k}` : k, secretPaths);
      if (v !== o[k]) (copy ??= { ...o })[k] = v;
    }
    return copy ?? value;
  }
  if (value === REDACTED_SECRET) secretPaths.push(path);
  return value;
}

/** Reads a caller's resource into what rules see. */
export function toPolicyResource(r: EvaluationResource): PolicyResource {
  const secretPaths: string[] = [];
  const props = (revealSecrets(r.inputs ?? r.outputs ?? {}, "", secretPaths) ?? {}) as Record<
    string,
    unknown
  >;
  const outputs = r.outputs ? (revealSecrets(r.outputs, "", []) as Record<string, unknown>) : undefined;
  const provider = r.provider ? r.provider.split("::").slice(0, -1).join("::") || r.provider : undefined;
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    props,
    outputs,
    id: r.id,
    parent: r.parent,
    protect: r.protect ?? false,
    retainOnDelete: r.retainOnDelete ?? false,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
    provider: provider && provider.startsWith("urn:") ? provider : undefined,
    secretPaths: secretPaths.length > 0 ? secretPaths : undefined,
    location: r.location,
  };
}

/** Replaces every secret wrapper with the redaction marker (what a report may show of a secret). */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    if (isSecretWrapper(o)) return REDACTED_SECRET;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}

/** Stack outputs with their secretness; secret parts of a plain output are redacted, never read. */
export function toStackOutputs(outputs: Record<string, unknown> | undefined): StackOutput[] {
  return Object.entries(outputs ?? {}).map(([name, value]) => {
    const shown = redact(value);
    return { name, value: shown, secret: shown === REDACTED_SECRET };
  });
}

/** Indexes resources by type once; `matching` caches per predicate. */
export function buildStackView(
  resources: readonly PolicyResource[],
  outputs: readonly StackOutput[],
): StackView {
  const byType = new Map<string, PolicyResource[]>();
  const byUrn = new Map<string, PolicyResource>();
  for (const r of resources) {
    const list = byType.get(r.type);
    if (list) list.push(r);
    else byType.set(r.type, [r]);
    byUrn.set(r.urn, r);
  }
  const matchCache = new Map<(type: string) => boolean, PolicyResource[]>();
  return {
    resources,
    outputs,
    ofType: (...types) => types.flatMap((t) => byType.get(t) ?? []),
    matching(predicate) {
      let found = matchCache.get(predicate);
      if (!found) {
        found = [];
        for (const [type, list] of byType) if (predicate(type)) found.push(...list);
        matchCache.set(predicate, found);
      }
      return found;
    },
    byUrn: (urn) => byUrn.get(urn),
  };
}

/** The context a rule runs with under a config (shared by the CLI path and the tests). */
export function ruleContext(rule: Rule, config: PackConfig, defaults: DocumentDefaults = {}): RuleContext {
  const entry = ruleEntrySettings(rule, config);
  const target = (config.target ??
    (entry.target as Target | undefined) ??
    defaults.target ??
    "kubernetes") as Target;
  const fixedEnvironment =
    config.environment ?? (entry.environment as Environment | undefined) ?? defaults.environment;
  return {
    target,
    flavor: target === "openshift" ? "openshift" : "kubernetes",
    environmentOf: (resource) => fixedEnvironment ?? declaredEnvironment(resource) ?? "prod",
    registries:
      config.registries ??
      (entry.registries as string[] | undefined) ??
      defaults.registries ??
      DEFAULT_REGISTRIES,
    settings: entry,
    levelOf: (name) => {
      const other = ALL_RULES.find((r) => r.name === name);
      return other ? effectiveLevel(other, config) : "disabled";
    },
  };
}

/** What to do about a *not checked* finding (instead of the rule's own fix, which may not apply). */
export const NOT_CHECKED_REMEDIATION =
  "Make the value known at preview (a literal, a config value or an applied stack's output instead of an output of a resource created in the same run), or lower this rule to advisory for the run to accept deploying it unchecked; `pulumi up` validates again with every value known.";

/** The message of a *not checked* finding: what was unknown, and that the rule did not pass it. */
export function notCheckedMessage(what: string): string {
  return `not checked: ${what} is not known to the policy (unknown until apply, or hidden by the engine), so the rule could not verify it and does not pass it`;
}

function matches(rule: ResourceRule, type: string): boolean {
  return typeof rule.appliesTo === "function" ? rule.appliesTo(type) : rule.appliesTo.includes(type);
}

/** Runs the pack over prepared resources. */
export function evaluatePrepared(
  resources: readonly PolicyResource[],
  outputs: readonly StackOutput[],
  config: PackConfig,
  defaults: DocumentDefaults,
  rules: readonly Rule[] = ALL_RULES,
): EvaluationResult {
  const violations: Violation[] = [];
  const deferred: DeferredCheck[] = [];
  const seenDeferred = new Set<string>();
  const active = rules
    .map((rule) => ({ rule, level: effectiveLevel(rule, config) }))
    .filter((a): a is { rule: Rule; level: Exclude<EnforcementLevel, "disabled"> } => a.level !== "disabled")
    .map((a) => ({ ...a, ctx: ruleContext(a.rule, config, defaults) }));
  const stackResource = resources.find((r) => r.type === "pulumi:pulumi:Stack");

  /** One reporter per rule; `current` is the resource under check (none for stack rules). */
  const reporterFor = (rule: Rule, level: "mandatory" | "advisory") => {
    const reporter: Reporter & { current: PolicyResource | undefined } = {
      current: undefined,
      violation(message, resource) {
        const r = resource ?? reporter.current ?? stackResource;
        const v: Violation = {
          policy: rule.name,
          urn: r?.urn ?? "stack",
          type: r?.type ?? "pulumi:pulumi:Stack",
          name: r?.name ?? "stack",
          enforcementLevel: level,
          severity: rule.severity,
          message,
          remediation: rule.remediation,
        };
        if (r?.location) v.location = r.location;
        violations.push(v);
      },
      unknown(what, resource) {
        const r = resource ?? reporter.current ?? stackResource;
        const urn = r?.urn ?? "stack";
        const key = `${rule.name}\u0000${urn}\u0000${what}`;
        if (seenDeferred.has(key)) return;
        seenDeferred.add(key);
        deferred.push({ policy: rule.name, urn, type: r?.type ?? "pulumi:pulumi:Stack", what });
        reporter.violation(notCheckedMessage(what), r);
        const finding = violations[violations.length - 1];
        finding.notChecked = true;
        finding.remediation = NOT_CHECKED_REMEDIATION;
      },
    };
    return reporter;
  };

  const resourceRules = active
    .filter((a) => a.rule.kind === "resource")
    .map((a) => ({ rule: a.rule as ResourceRule, ctx: a.ctx, reporter: reporterFor(a.rule, a.level) }));
  const rulesByType = new Map<string, typeof resourceRules>();
  for (const resource of resources) {
    let applicable = rulesByType.get(resource.type);
    if (!applicable) {
      applicable = resourceRules.filter((a) => matches(a.rule, resource.type));
      rulesByType.set(resource.type, applicable);
    }
    for (const { rule, ctx, reporter } of applicable) {
      reporter.current = resource;
      rule.check(resource, ctx, reporter);
    }
  }

  const stackRules = active.filter((a) => a.rule.kind === "stack");
  if (stackRules.length > 0) {
    const view = buildStackView(resources, outputs);
    for (const { rule, level, ctx } of stackRules)
      (rule as StackRule).check(view, ctx, reporterFor(rule, level));
  }
  return { violations, deferred, resourceCount: resources.length };
}

/** Runs the pack over caller resources and reports violations and deferred checks. */
export function evaluateDetailed(
  resources: readonly EvaluationResource[],
  packConfig: PackConfig = {},
  options: EvaluateOptions = {},
): EvaluationResult {
  return evaluatePrepared(
    resources.map(toPolicyResource),
    toStackOutputs(options.outputs),
    packConfig,
    options.documentDefaults ?? {},
    options.rules,
  );
}

/** Runs the pack and returns its violations (what `mlstack plan` reports). */
export function evaluate(
  resources: readonly EvaluationResource[],
  packConfig: PackConfig = {},
  options: EvaluateOptions = {},
): Violation[] {
  return evaluateDetailed(resources, packConfig, options).violations;
}
