/**
 * Runs a rule through its CrossGuard handler with values shaped exactly as the engine hands them:
 * properties go through `@pulumi/policy`'s own deserializer (secrets unwrapped, as
 * `deserializeProperties(…, false)` does for validation) and its unknown-checking proxy, the pack
 * config arrives as the policy's own entry, and stack policies see the root Stack resource with
 * the stack outputs as its properties.
 */
import type {
  PolicyResource as EnginePolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as deserialize from "@pulumi/policy/deserialize";
import * as engineProxy from "@pulumi/policy/proxy";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { crossGuardPolicies } from "../../policies/crossguard";
import type { EvaluationResource } from "../../policies/evaluate";
import { effectiveLevel, PackConfig, ruleEntrySettings } from "../../policies/packConfig";
import type { Rule } from "../../policies/rule";

type Json = Record<string, unknown>;

/** Internal to @pulumi/policy: the proxy the engine wraps props in, and its deserializer. */
const { unknownCheckingProxy } = engineProxy as unknown as { unknownCheckingProxy<T>(value: T): T };
const { deserializeProperties } = deserialize as unknown as {
  deserializeProperties(struct: Struct, proxySecrets: boolean): Json;
};

const POLICIES = new Map(crossGuardPolicies().map((p) => [p.name, p]));

/** Properties as the engine delivers them to a validation policy. */
export function engineProps(value: Json | undefined): Json {
  const plain = JSON.parse(JSON.stringify(value ?? {})) as Json;
  return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(plain as never), false));
}

/** The config CrossGuard hands one policy: its own entry, with the run-wide settings it reads. */
export function engineConfig(rule: Rule, config: PackConfig): Json {
  const entry: Json = { ...ruleEntrySettings(rule, config) };
  for (const setting of rule.settings) {
    const global = config[setting];
    if (global !== undefined) entry[setting] = global;
  }
  return entry;
}

const OPTS = (protect: boolean) => ({
  protect,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
});

const STACK_URN = "urn:pulumi:test::mlstack::pulumi:pulumi:Stack::mlstack-test";

/** The messages a rule reports under the engine (the `Fix:` line the adapter appends removed), or undefined when the config disables it. */
export function engineMessages(
  resources: EvaluationResource[],
  rule: Rule,
  config: PackConfig = {},
  outputs?: Json,
): string[] | undefined {
  if (effectiveLevel(rule, config) === "disabled") return undefined;
  const policy = POLICIES.get(rule.name)!;
  const messages: string[] = [];
  const report = (message: string) => messages.push(message.replace(/\nFix: [\s\S]*$/, ""));
  const getConfig = <T>() => engineConfig(rule, config) as T;
  if (rule.kind === "resource") {
    const validate = (policy as ResourceValidationPolicy).validateResource as (
      args: unknown,
      report: (m: string, urn?: string) => void,
    ) => void;
    for (const r of resources) {
      validate(
        {
          type: r.type,
          urn: r.urn,
          name: r.name,
          props: engineProps(r.inputs ?? r.outputs),
          opts: OPTS(r.protect === true),
          stackTags: new Map(),
          getConfig,
          notApplicable: () => undefined as never,
        },
        report,
      );
    }
    return messages;
  }
  const hasStack = resources.some((r) => r.type === "pulumi:pulumi:Stack");
  const all: EvaluationResource[] = hasStack
    ? resources
    : [
        ...resources,
        { urn: STACK_URN, type: "pulumi:pulumi:Stack", name: "mlstack-test", outputs: outputs ?? {} },
      ];
  const byUrn = new Map<string, EnginePolicyResource>();
  for (const r of all) {
    const props =
      r.type === "pulumi:pulumi:Stack" ? (outputs ?? r.outputs ?? {}) : { ...r.inputs, ...r.outputs };
    byUrn.set(r.urn, {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: engineProps(props),
      opts: OPTS(r.protect === true),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    });
  }
  for (const r of all) {
    const engine = byUrn.get(r.urn)!;
    engine.dependencies = (r.dependencies ?? []).flatMap((u) => byUrn.get(u) ?? []);
    for (const [key, urns] of Object.entries(r.propertyDependencies ?? {}))
      engine.propertyDependencies[key] = urns.flatMap((u) => byUrn.get(u) ?? []);
    if (r.parent) engine.parent = byUrn.get(r.parent);
    if (r.provider) engine.provider = byUrn.get(r.provider.split("::").slice(0, -1).join("::") || r.provider);
  }
  (policy as StackValidationPolicy).validateStack(
    {
      resources: [...byUrn.values()],
      stackTags: new Map(),
      getConfig,
      notApplicable: () => undefined as never,
    },
    report,
  );
  return messages;
}
