/**
 * Every rule of the `mlstack-security` pack, in catalog order, and lookups by name. The CrossGuard
 * pack (`index.ts`), `mlstack check` and the tests all take their rules from here.
 */
import { awsRules, awsStackRules } from "./aws";
import { gcpRules } from "./gcp";
import { kubernetesNetworkRules, kubernetesNetworkStackRules } from "./kubernetesNetwork";
import { kubernetesRbacRules, kubernetesRbacStackRules } from "./kubernetesRbac";
import { kubernetesWorkloadRules, kubernetesWorkloadStackRules } from "./kubernetesWorkloads";
import { pipelineTemplateStackRules } from "./pipelineTemplates";
import { platformResourceRules } from "./platformResources";
import { platformRules, platformStackRules } from "./platformStack";
import type { Rule } from "./rule";

export const ALL_RULES: readonly Rule[] = [
  ...kubernetesWorkloadRules,
  ...kubernetesWorkloadStackRules,
  ...kubernetesNetworkRules,
  ...kubernetesNetworkStackRules,
  ...kubernetesRbacRules,
  ...kubernetesRbacStackRules,
  ...platformResourceRules,
  ...pipelineTemplateStackRules,
  ...awsRules,
  ...awsStackRules,
  ...gcpRules,
  ...platformRules,
  ...platformStackRules,
];

const BY_NAME = new Map(ALL_RULES.map((r) => [r.name, r]));

export function ruleByName(name: string): Rule | undefined {
  return BY_NAME.get(name);
}
