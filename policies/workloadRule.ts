/**
 * How workload rules reach pod specs: `workloadRule` declares a rule evaluated on every pod spec of
 * every Kubernetes object (found by shape, see `podSpecs.ts`), and `eachContainer` reads one field
 * of every container, reporting an unknown value as not checked.
 */
import { ContainerView, mayCarryPods, podSites, PodView } from "./podSpecs";
import type { PolicyResource, Reporter, ResourceRule, RuleContext, RuleMetadata } from "./rule";
import { resourceRule, UNKNOWN_NOT_CHECKED } from "./rule";
import { at, isUnknown } from "./values";

export type WorkloadCheck = (pod: PodView, ctx: RuleContext, report: Reporter) => void;

/** A rule evaluated on every pod spec of every Kubernetes object (found by shape). */
export function workloadRule(
  meta: Omit<RuleMetadata, "onUnknown" | "settings"> & Partial<Pick<RuleMetadata, "onUnknown" | "settings">>,
  checkPod: WorkloadCheck,
): ResourceRule & { checkPod: WorkloadCheck } {
  return {
    ...resourceRule({
      onUnknown: UNKNOWN_NOT_CHECKED,
      ...meta,
      appliesTo: mayCarryPods,
      check(resource, ctx, report) {
        checkWorkloadPods(resource, ctx, report, checkPod);
      },
    }),
    checkPod,
  };
}

/** Runs a pod check on every pod of a resource; a pod spec or container list that is unknown is reported as not checked. */
export function checkWorkloadPods(
  resource: PolicyResource,
  ctx: RuleContext,
  report: Reporter,
  checkPod: WorkloadCheck,
): void {
  const sites = podSites(resource);
  for (const where of sites.unknownAt) report.unknown(where);
  for (const pod of sites.pods) checkPod(pod, ctx, report);
}

/** Applies `fn` to the value at `path` of every container: unknown values are deferred. */
export function eachContainer(
  pod: PodView,
  report: Reporter,
  path: string,
  fn: (value: unknown, c: ContainerView) => void,
  filter: (c: ContainerView) => boolean = () => true,
): void {
  for (const c of pod.containers) {
    if (!filter(c)) continue;
    const value = at(c.spec, path);
    if (isUnknown(value)) report.unknown(`${c.path}.${path}`);
    else fn(value, c);
  }
}

export const notEphemeral = (c: ContainerView) => !c.ephemeral;
