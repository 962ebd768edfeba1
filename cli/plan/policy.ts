/**
 * Runs the mlstack-security pack on what `mlstack plan` recorded — the same rules `mlstack check`
 * and `pulumi preview --policy-pack policies` run — with the stack's target, environment and
 * registries as the pack config, and renders the findings as text and SARIF. SARIF results point
 * at the stack file (`Pulumi.<stack>.yaml`, the line the finding comes from), which is in the
 * repository and in the pull request's diff; the plan is generated output.
 */
import type { Log } from "sarif";
import type { PlatformConfig } from "../../stacks/config";
import { formatText } from "../check/report";
import { toSarif } from "../check/sarif";
import { evaluateDetailed } from "../../policies/evaluate";
import type { RecordedResource } from "../mockRuntime";
import type { StackFileLocator } from "./stackFileLocations";

export interface PlanPolicyReport {
  mandatoryViolations: number;
  advisoryViolations: number;
  text: string;
  sarif: Log;
}

/** Where findings are reported: the stack file, relative to the project root, and its lines. */
export interface FindingSource {
  projectDir: string;
  /** `Pulumi.<stack>.yaml`, relative to projectDir. */
  stackFile: string;
  locator: StackFileLocator;
}

/** Names of a resource and of its parents, innermost first (what the stack file may name). */
function namesOutwards(urn: string, byUrn: ReadonlyMap<string, RecordedResource>): string[] {
  const names: string[] = [];
  for (let r = byUrn.get(urn); r; r = r.parent ? byUrn.get(r.parent) : undefined) names.push(r.name);
  return names;
}

export function policyReport(
  resources: RecordedResource[],
  config: PlatformConfig,
  source: FindingSource,
  outputs: Record<string, unknown> = {},
): PlanPolicyReport {
  const evaluated = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
  const result = evaluateDetailed(
    evaluated.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      inputs: r.inputs,
      parent: r.parent,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
      propertyDependencies: r.propertyDependencies,
    })),
    { target: config.target, environment: config.environment, registries: config.registries },
    { outputs },
  );
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  for (const v of result.violations) {
    v.location = {
      file: source.stackFile,
      line: source.locator.lineFor(namesOutwards(v.urn, byUrn), v.message),
    };
  }
  const report = {
    violations: result.violations,
    deferred: result.deferred,
    resourceCount: result.resourceCount,
    inputs: [source.stackFile],
    target: config.target,
    environment: config.environment,
  };
  const mandatory = result.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  return {
    mandatoryViolations: mandatory,
    advisoryViolations: result.violations.length - mandatory,
    text: `\nPolicy pack mlstack-security:\n${formatText(report)}`,
    sarif: toSarif(report, { srcRoot: source.projectDir }),
  };
}
