import { messages, podSpecOf, workload, WORKLOAD_KINDS } from "./helpers";
import {
  Json,
  fullPodSpec,
  withContainer,
  withPod,
  CONTAINER_CASES,
  POD_CASES,
  RULES_CHECKED_ON_COMPLIANT,
} from "./kubernetesWorkloadCases";

describe("compliant workloads", () => {
  it.each(WORKLOAD_KINDS)("a compliant %s breaks no workload rule", (kind) => {
    for (const rule of RULES_CHECKED_ON_COMPLIANT) {
      expect({ rule, found: messages([workload(kind, fullPodSpec())], rule) }).toEqual({ rule, found: [] });
    }
  });

  it.each(WORKLOAD_KINDS)(
    "a compliant OpenShift %s breaks no workload rule under the openshift profile",
    (kind) => {
      for (const rule of [...RULES_CHECKED_ON_COMPLIANT, "openshift-no-fixed-uid"]) {
        const found = messages([workload(kind, fullPodSpec("openshift"))], rule, { target: "openshift" });
        expect({ rule, found }).toEqual({ rule, found: [] });
      }
    },
  );
});

describe.each(CONTAINER_CASES)("%s", (rule, what, mutate, lists) => {
  it(`flags ${what} in every container list of every pod-bearing kind`, () => {
    for (const kind of WORKLOAD_KINDS) {
      for (const list of lists) {
        const found = messages([withContainer(kind, list, mutate)], rule);
        expect({ kind, list, flagged: found.length > 0 }).toEqual({ kind, list, flagged: true });
      }
    }
  });
});

describe.each(POD_CASES)("%s", (rule, what, mutate) => {
  it(`flags ${what} in every pod-bearing kind`, () => {
    for (const kind of WORKLOAD_KINDS) {
      expect({ kind, found: messages([withPod(kind, mutate)], rule).length }).toEqual({ kind, found: 1 });
    }
  });
});

describe("k8s-run-as-non-root", () => {
  it("accepts runAsNonRoot on every container when the pod does not set it", () => {
    const r = withPod("Deployment", (s) => delete s.securityContext.runAsNonRoot);
    expect(messages([r], "k8s-run-as-non-root")).toEqual([]);
  });
  it("flags a container without runAsNonRoot when the pod does not set it either", () => {
    const r = withPod("Deployment", (s) => {
      delete s.securityContext.runAsNonRoot;
      delete s.initContainers[0].securityContext.runAsNonRoot;
    });
    expect(messages([r], "k8s-run-as-non-root")).toEqual([expect.stringContaining('init container "setup"')]);
  });
});

describe("k8s-seccomp-required", () => {
  it("accepts a container inheriting the pod's RuntimeDefault profile", () => {
    const r = withPod("Deployment", (s) =>
      s.containers.forEach((c: Json) => delete c.securityContext.seccompProfile),
    );
    expect(messages([r], "k8s-seccomp-required")).toEqual([]);
  });
  it("flags a pod with no seccomp profile anywhere", () => {
    const r = withPod("Deployment", (s) => {
      delete s.securityContext.seccompProfile;
      for (const list of ["containers", "initContainers", "ephemeralContainers"])
        s[list].forEach((c: Json) => delete c.securityContext.seccompProfile);
    });
    expect(messages([r], "k8s-seccomp-required")).toHaveLength(3);
  });
  it("accepts a Localhost profile on plain Kubernetes but not on OpenShift", () => {
    const r = withContainer(
      "Deployment",
      "containers",
      (c) =>
        (c.securityContext.seccompProfile = { type: "Localhost", localhostProfile: "profiles/scorer.json" }),
    );
    expect(messages([r], "k8s-seccomp-required", { target: "kubernetes" })).toEqual([]);
    expect(messages([r], "k8s-seccomp-required", { target: "openshift" })).toEqual([
      expect.stringContaining("Localhost"),
    ]);
  });
});

describe("target profiles", () => {
  it("k8s-high-uid expects an explicit high UID on plain Kubernetes, and does not apply on OpenShift", () => {
    const r = workload("Deployment", fullPodSpec("openshift"));
    expect(messages([r], "k8s-high-uid", { target: "kubernetes" }).length).toBeGreaterThan(0);
    expect(messages([r], "k8s-high-uid", { target: "aws" }).length).toBeGreaterThan(0);
    expect(messages([r], "k8s-high-uid", { target: "openshift" })).toEqual([]);
  });
  it("openshift-no-fixed-uid flags runAsUser, fsGroup and SELinux level on OpenShift only", () => {
    const r = workload("Deployment", fullPodSpec("kubernetes"));
    podSpecOf(r).securityContext.seLinuxOptions = { level: "s0:c123,c456" };
    const found = messages([r], "openshift-no-fixed-uid", { target: "openshift" });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining("runAsUser"),
        expect.stringContaining("fsGroup"),
        expect.stringContaining("seLinuxOptions.level"),
      ]),
    );
    expect(messages([r], "openshift-no-fixed-uid", { target: "kubernetes" })).toEqual([]);
  });
  it("the target defaults to kubernetes", () => {
    expect(
      messages([workload("Deployment", fullPodSpec("openshift"))], "k8s-high-uid").length,
    ).toBeGreaterThan(0);
  });
});
