/**
 * How workload rules reach pod specs: `workloadRule` declares a rule evaluated on every pod spec of
 * every Kubernetes object (found by shape, see `podSpecs.ts`), `eachContainer` reads one field
 * of every container, reporting an unknown value as not checked, and `flagPart` judges one field
 * of the pod spec or of a container.
 */
import { ContainerView, mayCarryPods, podSites, PodView } from "./podSpecs";
import type { PolicyResource, Reporter, ResourceRule, RuleContext, RuleMetadata } from "./rule";
import { resourceRule } from "./rule";
import { eachItem, flagValue } from "./fieldChecks";
import { at, isUnknown, str } from "./values";

export type WorkloadCheck = (pod: PodView, ctx: RuleContext, report: Reporter) => void;

/** A rule evaluated on every pod spec of every Kubernetes object (found by shape). */
export function workloadRule(
  meta: Omit<RuleMetadata, "onUnknown" | "settings"> & Partial<Pick<RuleMetadata, "onUnknown" | "settings">>,
  checkPod: WorkloadCheck,
): ResourceRule & { checkPod: WorkloadCheck } {
  return {
    ...resourceRule({
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

/** How findings name a pod spec: `pod spec`, or `predictor pod spec` for a KServe component. */
export const podLabel = (pod: PodView): string => `${pod.component}pod spec`;

/** A pod spec or one of its containers, as findings name it (`<label> (<path>)`). */
export type PodPart = Pick<ContainerView, "spec" | "path" | "label">;

/** The pod spec itself as a part. */
export function podPart(pod: PodView): PodPart {
  return { spec: pod.spec, path: pod.path, label: podLabel(pod) };
}

/** The pod spec, then each of its containers: where a security-context field may be set. */
export function podAndContainers(pod: PodView): PodPart[] {
  return [podPart(pod), ...pod.containers];
}

/**
 * Flags the value at `path` of a pod spec or container when it is known and `bad`
 * (`<label> (<path>) <finding>`); an unknown value is reported as not checked
 * (`<part path>.<path>`, unless `what` names it otherwise).
 */
export function flagPart(
  part: PodPart,
  report: Reporter,
  path: string,
  bad: (v: unknown) => boolean,
  finding: (v: unknown) => string,
  what = `${part.path}.${path}`,
): void {
  flagValue(at(part.spec, path), report, what, bad, (v) => `${part.label} (${part.path}) ${finding(v)}`);
}

/**
 * Applies `fn` to every volume of the pod spec, with its path and how findings name it
 * (`volume "data"`, `predictor in-memory volume "shm"`); an unknown volume list or volume is
 * reported as not checked.
 */
export function eachVolume(
  pod: PodView,
  report: Reporter,
  fn: (volume: unknown, where: string, label: string) => void,
  noun = "volume",
): void {
  eachItem(
    pod.spec,
    "volumes",
    report,
    (v, where, i) => fn(v, where, `${pod.component}${noun} "${str(at(v, "name")) ?? i}"`),
    `${pod.path}.volumes`,
  );
}

/** The containers of a pod, as the parts a field rule reads. */
export const containersOnly = (pod: PodView): PodPart[] => pod.containers;

/**
 * A workload rule that flags one field wherever it is set to a bad value: on every container, or
 * (with `parts: podAndContainers`) on the pod spec and every container, for the security-context
 * fields both may set. Findings read `<label> (<path>) <finding>`.
 */
export function podFieldRule(
  meta: Parameters<typeof workloadRule>[0],
  path: string,
  bad: (v: unknown) => boolean,
  finding: (v: unknown) => string,
  parts: (pod: PodView) => PodPart[] = containersOnly,
): ReturnType<typeof workloadRule> {
  return workloadRule(meta, (pod, _ctx, report) => {
    for (const part of parts(pod)) flagPart(part, report, path, bad, finding);
  });
}
