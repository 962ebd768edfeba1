/**
 * Adapts the pack's rules to CrossGuard: each resource rule becomes a `ResourceValidationPolicy`,
 * each stack rule a `StackValidationPolicy`, running the very functions `mlstack check` runs.
 *
 * What the engine hands policies (`@pulumi/policy` 1.21 server.js / deserialize.js), and what the
 * adapter does with it:
 * - unknown values arrive as the engine's sentinel strings behind a proxy that throws on reading
 *   them; the adapter reads the raw properties, so each rule sees the sentinel and reports the
 *   check as *not checked* (a finding at the policy's level), exactly as `mlstack check` does;
 * - secrets arrive unwrapped (`deserializeProperties(…, false)` drops the secret marker), so a
 *   policy cannot tell a secret value from a plaintext one. Resource rules judge values by their
 *   shape, which works the same on both sides; stack outputs (the root Stack resource's
 *   properties) reach `platform-no-plaintext-secret-outputs` with their secretness unknown.
 */
import type {
  Policies,
  PolicyResource as EnginePolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { ALL_RULES } from "./catalog";
import { buildStackView, NOT_CHECKED_REMEDIATION, notCheckedMessage, ruleContext } from "./evaluate";
import { configSchemaFor } from "./packConfig";
import type { PolicyResource, Reporter, ResourceRule, Rule, StackOutput, StackRule } from "./rule";
import { isObject } from "./values";

/** The engine's props proxy exposes its target under this key (`@pulumi/policy` proxy.js). */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The properties without the engine's unknown-checking proxy: unknown values stay as sentinels. */
export function rawProps(props: Record<string, unknown>): Record<string, unknown> {
  const target = props[PROXY_TARGET];
  return isObject(target) ? target : props;
}

function engineReporter(rule: Rule, reportViolation: ReportViolation): Reporter {
  const seen = new Set<string>();
  return {
    violation: (message, resource) => reportViolation(`${message}\nFix: ${rule.remediation}`, resource?.urn),
    // Unknown during preview: a finding at the policy's level, never a pass (as `mlstack check` reports it).
    unknown: (what, resource) => {
      const key = `${resource?.urn ?? ""}\u0000${what}`;
      if (seen.has(key)) return;
      seen.add(key);
      reportViolation(`${notCheckedMessage(what)}\nFix: ${NOT_CHECKED_REMEDIATION}`, resource?.urn);
    },
  };
}

/** The policy description: what the rule checks, then what it does with values unknown at preview. */
export function engineDescription(rule: Rule): string {
  return `${rule.description} Unknown at preview: ${rule.onUnknown}`;
}

function metadata(rule: Rule) {
  return {
    name: rule.name,
    description: engineDescription(rule),
    enforcementLevel: rule.defaultLevel,
    severity: rule.severity,
    remediationSteps: rule.remediation,
    configSchema: configSchemaFor(rule),
  };
}

export function toResourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
  const applies = (type: string) =>
    typeof rule.appliesTo === "function" ? rule.appliesTo(type) : rule.appliesTo.includes(type);
  return {
    ...metadata(rule),
    validateResource: (args, reportViolation) => {
      if (!applies(args.type)) return;
      const resource: PolicyResource = {
        urn: args.urn,
        type: args.type,
        name: args.name,
        props: rawProps(args.props),
        protect: args.opts.protect,
        retainOnDelete: false,
        parent: args.opts.parent,
        provider: args.provider?.urn,
      };
      const ctx = ruleContext(rule, { policies: { [rule.name]: args.getConfig<Record<string, unknown>>() } });
      rule.check(resource, ctx, engineReporter(rule, reportViolation));
    },
  };
}

function fromEngine(r: EnginePolicyResource): PolicyResource {
  const props = rawProps(r.props);
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    props,
    outputs: props,
    protect: r.opts.protect,
    retainOnDelete: false,
    parent: r.parent?.urn,
    dependencies: r.dependencies.map((d) => d.urn),
    propertyDependencies: Object.fromEntries(
      Object.entries(r.propertyDependencies).map(([k, deps]) => [k, deps.map((d) => d.urn)]),
    ),
    provider: r.provider?.urn,
  };
}

/**
 * Stack outputs as the engine shows them: the root Stack resource's properties, with secrets
 * already unwrapped, so whether each is secret is unknown (`secret: undefined`).
 */
export function engineStackOutputs(resources: readonly PolicyResource[]): StackOutput[] {
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  return Object.entries(stack?.props ?? {}).map(([name, value]) => ({ name, value, secret: undefined }));
}

export function toStackPolicy(rule: StackRule): StackValidationPolicy {
  return {
    ...metadata(rule),
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map(fromEngine);
      const view = buildStackView(resources, engineStackOutputs(resources));
      const ctx = ruleContext(rule, { policies: { [rule.name]: args.getConfig<Record<string, unknown>>() } });
      rule.check(view, ctx, engineReporter(rule, reportViolation));
    },
  };
}

/** Every rule of the pack as a CrossGuard policy. */
export function crossGuardPolicies(rules: readonly Rule[] = ALL_RULES): Policies {
  return rules.map((rule) => (rule.kind === "resource" ? toResourcePolicy(rule) : toStackPolicy(rule)));
}
