/** The Kubernetes grammars every component and the config layer share (components/kube). */
import { isCidr, isIpv4Cidr, isIpv6Cidr } from "../../../components/kube/cidr";
import { isCronJobSchedule, isSecondsCronSchedule } from "../../../components/kube/cron";
import { derivedNameProblem } from "../../../components/kube/derivedNames";
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelKey,
  isLabelValue,
} from "../../../components/kube/names";
import { isSubjectName, systemSubjectProblem } from "../../../components/kube/rbacSubjects";
import { modelDerivedNames } from "../../../components/serving/derivedNames";

describe("names", () => {
  it("accepts DNS-1123 labels up to 63 characters and refuses the rest", () => {
    for (const ok of ["a", "0abc", "a-b", "x".repeat(63)]) expect(isDns1123Label(ok)).toBe(true);
    for (const bad of ["", "A", "a_b", "-a", "a-", "a.b", "x".repeat(64), "a\n"])
      expect(isDns1123Label(bad)).toBe(false);
  });

  it("refuses a digit first in DNS-1035 labels (Service names)", () => {
    expect(isDns1035Label("a0")).toBe(true);
    expect(isDns1035Label("0a")).toBe(false);
  });

  it("accepts dotted subdomains up to 253 characters", () => {
    expect(isDns1123Subdomain("openshift-storage.noobaa.io")).toBe(true);
    expect(
      isDns1123Subdomain(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`),
    ).toBe(true);
    for (const bad of ["fast; rm -rf /", "$(reboot)", "ssd\nx: y", "a..b", ".a", "A.b", "a".repeat(254)])
      expect(isDns1123Subdomain(bad)).toBe(false);
  });

  it("reads label keys as Kubernetes does: an optional DNS prefix, a name of at most 63", () => {
    for (const ok of ["app", "nvidia.com/gpu.product", "a_b.c-d", "node-role.kubernetes.io/worker"])
      expect(isLabelKey(ok)).toBe(true);
    for (const bad of ["bad key!", "", "/a", "a/", "a/b/c", "Example.COM/a", "-a", `${"x".repeat(64)}`])
      expect(isLabelKey(bad)).toBe(false);
  });

  it("allows an empty label value and refuses spaces or more than 63 characters", () => {
    for (const ok of ["", "A100", "NVIDIA-A100-SXM4-80GB", "x".repeat(63)])
      expect(isLabelValue(ok)).toBe(true);
    for (const bad of ["A100 80GB", "-a", "a/b", "x".repeat(64)]) expect(isLabelValue(bad)).toBe(false);
  });
});

describe("CIDRs", () => {
  it("checks every IPv4 octet and the prefix length", () => {
    expect(isIpv4Cidr("10.0.0.0/16")).toBe(true);
    expect(isIpv4Cidr("0.0.0.0/0")).toBe(true);
    for (const bad of ["10.0.0.0/33", "10.0.0.300/24", "10.0.0.1", "010.0.0.0/8", "10.0.0.0/", "fd00::/8"])
      expect(isIpv4Cidr(bad)).toBe(false);
  });

  it("accepts IPv6 blocks for NetworkPolicy peers", () => {
    expect(isIpv6Cidr("fd00::/8")).toBe(true);
    expect(isIpv6Cidr("fd00::/129")).toBe(false);
    expect(isCidr("fd00::/8")).toBe(true);
    expect(isCidr("10.0.0.0/8")).toBe(true);
    expect(isCidr("example.com/8")).toBe(false);
  });
});

describe("cron schedules", () => {
  it("accepts what a CronJob accepts: five fields, names, ranges, steps, lists and descriptors", () => {
    for (const ok of [
      "30 2 * * *",
      "*/15 * * * *",
      "0 0 1-15/2 jan,Jul MON-fri",
      "0 9 ? * 1",
      "@hourly",
      "@every 1h30m",
    ])
      expect([ok, isCronJobSchedule(ok)]).toEqual([ok, true]);
  });

  it("refuses malformed CronJob schedules", () => {
    for (const bad of [
      "",
      "* * * *",
      "60 * * * *",
      "0 24 * * *",
      "0 0 0 * *",
      "0 0 * 13 *",
      "0 0 * * 7",
      "5-1 * * * *",
      "*/0 * * * *",
      "@often",
      "CRON_TZ=UTC 0 2 * * *",
      "0 2 * * *\n",
      " 0 2 * * *",
      "0 2 * * * ; rm",
    ])
      expect([bad, isCronJobSchedule(bad)]).toEqual([bad, false]);
  });

  it("reads CloudNativePG schedules seconds first, and refuses five fields there", () => {
    expect(isSecondsCronSchedule("0 0 2 * * *")).toBe(true);
    expect(isSecondsCronSchedule("@daily")).toBe(true);
    expect(isSecondsCronSchedule("0 2 * * *")).toBe(false);
    expect(isSecondsCronSchedule("0 0 25 * * *")).toBe(false);
  });
});

describe("RBAC subjects", () => {
  it("refuses the public system identities and the system: prefix, and control characters", () => {
    expect(systemSubjectProblem("system:authenticated")).toMatch(/every authenticated user/);
    expect(systemSubjectProblem("system:unauthenticated")).toMatch(/every anonymous request/);
    expect(systemSubjectProblem("system:anonymous")).toMatch(/every anonymous request/);
    expect(systemSubjectProblem("system:masters")).toMatch(/reserves for its own components/);
    expect(systemSubjectProblem("ml-fraud")).toBeUndefined();
    expect(isSubjectName("Data Scientists")).toBe(true);
    for (const bad of ["", " ml", "ml\n", "a\tb"]) expect(isSubjectName(bad)).toBe(false);
  });
});

describe("derived names", () => {
  const model = (name: string, engine: "deployment" | "kserve", streaming = false) => ({
    name,
    engine,
    kafka: streaming
      ? { inputTopic: "a", outputTopic: "b", consumerGroup: name, lagThreshold: 10 }
      : undefined,
  });

  it("lets a 63-character HTTP model on a Deployment through", () => {
    expect(derivedNameProblem(modelDerivedNames(model("m".repeat(63), "deployment")))).toBeUndefined();
  });

  it("names the KServe predictor Service that overflows, with its length and limit", () => {
    expect(derivedNameProblem(modelDerivedNames(model("m".repeat(54), "kserve")))).toBe(
      `gives the predictor Service KServe creates "${"m".repeat(54)}-predictor" (64 characters), which must be a DNS-1035 label of at most 63 characters; shorten the name`,
    );
  });

  it("names the KEDA autoscaler label that overflows for a streaming model", () => {
    expect(derivedNameProblem(modelDerivedNames(model("m".repeat(55), "deployment", true)))).toMatch(
      /keda-hpa-m{55}" \(64 characters\), which must be a label value of at most 63 characters/,
    );
    expect(derivedNameProblem(modelDerivedNames(model("m".repeat(54), "deployment", true)))).toBeUndefined();
  });
});
