/**
 * Adapts the pack's rules to CrossGuard: each resource rule becomes a `ResourceValidationPolicy`,
 * each stack rule a `StackValidationPolicy`, running the very functions `mlstack check` runs.
 *
 * Two differences from `mlstack check`, both from what the engine hands policies:
 * - unknown values: the engine's props proxy throws on an unknown value; the adapter reads the
 *   raw properties instead so each rule applies its own `onUnknown` decision (pass, and run again
 *   at `pulumi up`, where resource policies see every value known);
 * - secrets arrive unwrapped, so stack outputs cannot be told secret from plaintext here:
 *   `platform-no-plaintext-secret-outputs` checks ConfigMaps only under the engine.
 */
import type {
  Policies,
  PolicyResource as EnginePolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { ALL_RULES } from "./catalog";
import { buildStackView, ruleContext } from "./evaluate";
import { configSchemaFor } from "./packConfig";
import type { PolicyResource, Reporter, ResourceRule, Rule, StackRule } from "./rule";
import { isObject } from "./values";

/** The engine's props proxy exposes its target under this key (`@pulumi/policy` proxy.js). */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The properties without the engine's unknown-checking proxy: unknown values stay as sentinels. */
export function rawProps(props: Record<string, unknown>): Record<string, unknown> {
  const target = props[PROXY_TARGET];
  return isObject(target) ? target : props;
}

function engineReporter(rule: Rule, reportViolation: ReportViolation): Reporter {
  return {
    violation: (message, resource) => reportViolation(`${message}\nFix: ${rule.remediation}`, resource?.urn),
    // Unknown during preview: the rule passes; resource policies run again at `pulumi up`.
    unknown: () => undefined,
  };
}

function metadata(rule: Rule) {
  return {
    name: rule.name,
    description: rule.description,
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

export function toStackPolicy(rule: StackRule): StackValidationPolicy {
  return {
    ...metadata(rule),
    validateStack: (args, reportViolation) => {
      const view = buildStackView(args.resources.map(fromEngine), []);
      const ctx = ruleContext(rule, { policies: { [rule.name]: args.getConfig<Record<string, unknown>>() } });
      rule.check(view, ctx, engineReporter(rule, reportViolation));
    },
  };
}

/** Every rule of the pack as a CrossGuard policy. */
export function crossGuardPolicies(rules: readonly Rule[] = ALL_RULES): Policies {
  return rules.map((rule) => (rule.kind === "resource" ? toResourcePolicy(rule) : toStackPolicy(rule)));
}
