/**
 * The shape of a rule. Each rule is written once as a pure function — over one resource for
 * resource rules, over the whole stack (indexed by type) for stack rules — and adapted to
 * CrossGuard by `crossguard.ts`, so `pulumi preview --policy-pack`, `mlstack check` and the tests
 * run the same code.
 */
import type { Props } from "./values";

export const TARGETS = ["kubernetes", "openshift", "aws", "gcp"] as const;
export type Target = (typeof TARGETS)[number];
export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const ENFORCEMENT_LEVELS = ["mandatory", "advisory", "disabled"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];
export type Severity = "low" | "medium" | "high" | "critical";

/** Where a resource came from, when it came from a file a person edits (Kubernetes YAML). */
export interface SourceLocation {
  file: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
}

/** One resource as every rule sees it: inputs as plain data, secrets revealed, unknowns as sentinels. */
export interface PolicyResource {
  urn: string;
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`, `aws:s3/bucket:Bucket`. */
  type: string;
  /** Pulumi resource name (for YAML input: the object's name). */
  name: string;
  props: Props;
  /** Outputs, where the input document has them (stack export, engine stack analysis). */
  outputs?: Props;
  /** Provider-assigned id, where known (stack export, `mlstack plan`). */
  id?: string;
  parent?: string;
  protect: boolean;
  retainOnDelete: boolean;
  /** URNs this resource depends on, per input property (how a companion names its bucket during preview). */
  propertyDependencies?: Record<string, string[]>;
  dependencies?: string[];
  /** URN of the provider resource (`urn::id` references are reduced to the URN). */
  provider?: string;
  /** JSON paths (`data.password`) of values the program marked secret. */
  secretPaths?: string[];
  location?: SourceLocation;
}

/** A stack output: secret when the program marked it so (or the document redacted it). */
export interface StackOutput {
  name: string;
  value: unknown;
  /** undefined when the source cannot tell (the CrossGuard engine unwraps secrets before policies run). */
  secret: boolean | undefined;
}

/** What a rule knows about the run, resolved per rule from pack config. */
export interface RuleContext {
  target: Target;
  /** `openshift` on OpenShift, `kubernetes` everywhere else (EKS and GKE included). */
  flavor: "kubernetes" | "openshift";
  /** Environment of this resource: pack config, else the resource's own label / tag, else prod. */
  environmentOf(resource: PolicyResource): Environment;
  /** Allowed image registries (prefixes: `quay.io`, `docker.io/seldonio`). */
  registries: readonly string[];
  /** Other settings from this rule's pack config. */
  settings: Readonly<Record<string, unknown>>;
  /** The effective enforcement level of another rule (roll-up rules report only what would be enforced). */
  levelOf(rule: string): EnforcementLevel;
}

/**
 * Collects findings: `violation` for a broken rule; `unknown` for a check that could not run
 * because a value is not known yet — reported as a *not checked* finding at the rule's level
 * (never a pass), since an unknown image or privilege flag may turn out to be anything.
 */
export interface Reporter {
  violation(message: string, resource?: PolicyResource): void;
  unknown(what: string, resource?: PolicyResource): void;
}

/** Pack config settings a rule reads (each becomes a property of its CrossGuard `configSchema`). */
export type RuleSetting = "target" | "environment" | "registries";

export interface RuleMetadata {
  /** Stable id, e.g. `k8s-no-privileged`: the CrossGuard policy name and the SARIF rule id. */
  name: string;
  description: string;
  severity: Severity;
  /** What to change to comply (shown with every finding, and as SARIF help). */
  remediation: string;
  defaultLevel: "mandatory" | "advisory";
  /** What the rule does with a value that is unknown at preview time, and why that is safe. */
  onUnknown: string;
  /** Which pack config settings the rule reads. */
  settings: readonly RuleSetting[];
  /** How the rule differs under the CrossGuard engine from `mlstack check`, where it does (README, SARIF help). */
  engineNote?: string;
  /** What plain Kubernetes YAML input means for the rule, where it differs from a preview. */
  yamlNote?: string;
}

export interface ResourceRule extends RuleMetadata {
  kind: "resource";
  /** Type tokens the rule applies to, or a predicate for families (`kubernetes:*`). */
  appliesTo: readonly string[] | ((type: string) => boolean);
  check(resource: PolicyResource, ctx: RuleContext, report: Reporter): void;
}

export interface StackRule extends RuleMetadata {
  kind: "stack";
  check(stack: StackView, ctx: RuleContext, report: Reporter): void;
}

export type Rule = ResourceRule | StackRule;

/** The whole stack as stack rules see it: indexed once, shared by every stack rule. */
export interface StackView {
  readonly resources: readonly PolicyResource[];
  readonly outputs: readonly StackOutput[];
  ofType(...types: string[]): PolicyResource[];
  /** Resources whose type satisfies the predicate (cached per predicate). */
  matching(predicate: (type: string) => boolean): PolicyResource[];
  byUrn(urn: string): PolicyResource | undefined;
}

/** A finding of one rule on one resource. */
export interface Violation {
  policy: string;
  urn: string;
  type: string;
  name: string;
  enforcementLevel: "mandatory" | "advisory";
  severity: Severity;
  message: string;
  remediation: string;
  location?: SourceLocation;
  /** Set when the finding says the rule could not check a value (unknown at preview), not that it is broken. */
  notChecked?: true;
}

/** A check that could not run because a value is unknown until apply. */
export interface DeferredCheck {
  policy: string;
  urn: string;
  type: string;
  what: string;
}

type RuleDefinition<R extends Rule> = Omit<R, "kind" | "settings" | "onUnknown"> &
  Partial<Pick<R, "settings" | "onUnknown">>;

/** Declares a resource rule (no settings, and UNKNOWN_NOT_CHECKED, unless given). */
export function resourceRule(definition: RuleDefinition<ResourceRule>): ResourceRule {
  return { settings: [], onUnknown: UNKNOWN_NOT_CHECKED, ...definition, kind: "resource" };
}

/** Declares a stack rule (no settings, and UNKNOWN_NOT_CHECKED, unless given). */
export function stackRule(definition: RuleDefinition<StackRule>): StackRule {
  return { settings: [], onUnknown: UNKNOWN_NOT_CHECKED, ...definition, kind: "stack" };
}

/** How findings name a resource by its type and Pulumi name: `BucketIAMMember readers`. */
export function typeAndName(resource: PolicyResource): string {
  return `${resource.type.split(":").pop()} ${resource.name}`;
}

/** What most rules do with a value that is unknown at preview (each rule's `onUnknown` unless it says more). */
export const UNKNOWN_NOT_CHECKED =
  "A value unknown at preview is reported as not checked — a finding at the rule's level, never a pass; `pulumi up` validates again with every value known.";
