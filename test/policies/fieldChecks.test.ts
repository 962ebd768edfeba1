/**
 * The shared checks rules are built from: an unknown value is reported as not checked (never
 * passed, never flagged), a known bad value is flagged with the rule's message, a good one passes;
 * lists report an unknown list or item and go on with the rest.
 */
import {
  eachItem,
  flagField,
  flagValue,
  isFalse,
  isTrue,
  noReference,
  notTrue,
} from "../../policies/fieldChecks";
import { podSites } from "../../policies/podSpecs";
import type { PolicyResource, Reporter } from "../../policies/rule";
import { memoized } from "../../policies/values";
import { flagPart, podAndContainers } from "../../policies/workloadRule";
import { container, podSpec, UNKNOWN } from "./helpers";

function recorder(): Reporter & { violations: string[]; unknowns: string[] } {
  const violations: string[] = [];
  const unknowns: string[] = [];
  return {
    violations,
    unknowns,
    violation: (m) => void violations.push(m),
    unknown: (w) => void unknowns.push(w),
  };
}

function policyResource(type: string, props: Record<string, unknown>): PolicyResource {
  return {
    urn: `urn:pulumi:test::mlstack::${type}::r`,
    type,
    name: "r",
    props,
    protect: false,
    retainOnDelete: false,
  };
}

describe("flagValue / flagField", () => {
  it("flags a known bad value, passes a good one, and reports an unknown one as not checked", () => {
    const report = recorder();
    flagValue(false, report, "x", notTrue, (v) => `x is ${String(v)}`);
    flagValue(true, report, "y", notTrue, () => "never");
    flagValue(UNKNOWN, report, "z", notTrue, () => "never");
    expect(report.violations).toEqual(["x is false"]);
    expect(report.unknowns).toEqual(["z"]);
  });

  it("reads a dotted path of a resource's inputs and names an unknown one by that path", () => {
    const r = policyResource("gcp:storage/bucket:Bucket", { versioning: { enabled: UNKNOWN }, logging: {} });
    const report = recorder();
    flagField(r, report, "versioning.enabled", notTrue, () => "no versions");
    flagField(r, report, "logging.logBucket", noReference, () => "no log bucket");
    expect(report.unknowns).toEqual(["versioning.enabled"]);
    expect(report.violations).toEqual(["no log bucket"]);
  });

  it("reads flags as the engine and YAML spell them", () => {
    expect([true, "true", false, "false", undefined].map(isTrue)).toEqual([true, true, false, false, false]);
    expect([true, "true", false, "false", undefined].map(isFalse)).toEqual([false, false, true, true, false]);
    expect(["k", "", undefined, 3].map(noReference)).toEqual([false, true, true, true]);
  });
});

describe("eachItem", () => {
  it("visits known items with their path, and reports an unknown item without stopping", () => {
    const report = recorder();
    const seen: string[] = [];
    eachItem({ spec: { rules: ["a", UNKNOWN, "c"] } }, "spec.rules", report, (item, where, i) =>
      seen.push(`${where}=${String(item)}@${i}`),
    );
    expect(seen).toEqual(["spec.rules[0]=a@0", "spec.rules[2]=c@2"]);
    expect(report.unknowns).toEqual(["spec.rules[1]"]);
  });

  it("reports an unknown list under the name it is given and visits nothing", () => {
    const report = recorder();
    const fn = jest.fn();
    eachItem({ volumes: UNKNOWN }, "volumes", report, fn, "spec.template.spec.volumes");
    expect(fn).not.toHaveBeenCalled();
    expect(report.unknowns).toEqual(["spec.template.spec.volumes"]);
  });
});

describe("pod parts", () => {
  it("judges the pod spec first, then each container, each named as findings name it", () => {
    const spec = podSpec({
      securityContext: { runAsUser: 0 },
      containers: [container("server", { securityContext: { runAsUser: UNKNOWN } }), container("sidecar")],
    });
    const resource = policyResource("kubernetes:core/v1:Pod", { metadata: { name: "p" }, spec });
    const [pod] = podSites(resource).pods;
    const report = recorder();
    for (const part of podAndContainers(pod))
      flagPart(
        part,
        report,
        "securityContext.runAsUser",
        (v) => v === 0,
        () => "sets runAsUser: 0",
      );
    expect(report.violations).toEqual(["pod spec (spec) sets runAsUser: 0"]);
    expect(report.unknowns).toEqual(["spec.containers[0].securityContext.runAsUser"]);
  });
});

describe("memoized", () => {
  it("computes once per key, undefined results included", () => {
    const compute = jest.fn((k: string) => (k === "none" ? undefined : k.length));
    const lengthOf = memoized(compute);
    expect([lengthOf("abc"), lengthOf("abc"), lengthOf("none"), lengthOf("none")]).toEqual([
      3,
      3,
      undefined,
      undefined,
    ]);
    expect(compute).toHaveBeenCalledTimes(2);
  });
});
