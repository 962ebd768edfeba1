/**
 * Runs the mlstack-security pack on what `mlstack plan` recorded — the same rules `mlstack check`
 * and `pulumi preview --policy-pack policies` run — with the stack's target, environment and
 * registries as the pack config, and renders the findings as text and SARIF.
 */
import type { Log } from "sarif";
import type { PlatformConfig } from "../../stacks/config";
import { formatText } from "../check/report";
import { toSarif } from "../check/sarif";
import { evaluateDetailed } from "../../policies/evaluate";
import type { RecordedResource } from "../mockRuntime";

export interface PlanPolicyReport {
  mandatoryViolations: number;
  advisoryViolations: number;
  text: string;
  sarif: Log;
}

export function policyReport(
  resources: RecordedResource[],
  config: PlatformConfig,
  planFile: string,
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
  const report = {
    violations: result.violations,
    deferred: result.deferred,
    resourceCount: result.resourceCount,
    inputs: [planFile],
    target: config.target,
    environment: config.environment,
  };
  const mandatory = result.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  return {
    mandatoryViolations: mandatory,
    advisoryViolations: result.violations.length - mandatory,
    text: `\nPolicy pack mlstack-security:\n${formatText(report)}`,
    sarif: toSarif(report),
  };
}
