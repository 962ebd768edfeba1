import { parseImage, registryAllowed } from "../../policies/kubernetesWorkloads";
import { check, kube, messages, NS, UNKNOWN, workload, WorkloadKind } from "./helpers";
import { Json, fullPodSpec, withContainer, withPod } from "./kubernetesWorkloadCases";

describe("k8s-readiness-probe and k8s-liveness-probe", () => {
  const LONG_RUNNING: WorkloadKind[] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "InferenceService",
  ];
  it.each([
    ["k8s-readiness-probe", "readinessProbe"],
    ["k8s-liveness-probe", "livenessProbe"],
  ])("%s flags a long-running container without %s, in every long-running kind", (rule, probe) => {
    for (const kind of LONG_RUNNING) {
      expect({
        kind,
        n: messages([withContainer(kind, "containers", (c) => delete c[probe])], rule).length,
      }).toEqual({ kind, n: 1 });
    }
  });
  it.each(["k8s-readiness-probe", "k8s-liveness-probe"])(
    "%s does not ask Jobs, CronJobs or plain init containers for probes",
    (rule) => {
      for (const kind of ["Job", "CronJob"] as WorkloadKind[]) {
        const r = withContainer(kind, "containers", (c) => {
          delete c.readinessProbe;
          delete c.livenessProbe;
        });
        expect(messages([r], rule)).toEqual([]);
      }
    },
  );
  it("asks a native sidecar (init container with restartPolicy Always) for a readiness probe", () => {
    const r = withContainer("Deployment", "initContainers", (c) => (c.restartPolicy = "Always"));
    expect(messages([r], "k8s-readiness-probe")).toEqual([expect.stringContaining('init container "setup"')]);
  });
  it("does not ask a run-to-completion Pod for probes", () => {
    const r = withPod("Pod", (s) => {
      s.restartPolicy = "Never";
      delete s.containers[0].readinessProbe;
    });
    expect(messages([r], "k8s-readiness-probe")).toEqual([]);
  });
});

describe("k8s-no-automount-sa-token", () => {
  it("accepts a pod that justifies the token with the mlstack.io/needs-api-access annotation", () => {
    const r = withPod("Deployment", (s) => delete s.automountServiceAccountToken);
    (r.inputs as Json).spec.template.metadata.annotations = {
      "mlstack.io/needs-api-access": "leader election",
    };
    expect(messages([r], "k8s-no-automount-sa-token")).toEqual([]);
  });
  it("flags automountServiceAccountToken: true", () => {
    expect(
      messages(
        [withPod("Deployment", (s) => (s.automountServiceAccountToken = true))],
        "k8s-no-automount-sa-token",
      ),
    ).toHaveLength(1);
  });
  describe("honours the pod's ServiceAccount in the same input", () => {
    const account = (automount: unknown, namespace = NS) =>
      kube(
        "v1",
        "ServiceAccount",
        "scorer",
        automount === undefined ? {} : { automountServiceAccountToken: automount },
        {
          namespace,
        },
      );
    const silentPod = () => withPod("Deployment", (s) => delete s.automountServiceAccountToken);
    it("accepts a pod that is silent when its ServiceAccount sets false", () => {
      expect(messages([silentPod(), account(false)], "k8s-no-automount-sa-token")).toEqual([]);
    });
    it("flags the pod when the account does not say false, is in another namespace, or the pod overrides it", () => {
      expect(messages([silentPod(), account(undefined)], "k8s-no-automount-sa-token")).toHaveLength(1);
      expect(messages([silentPod(), account(false, "elsewhere")], "k8s-no-automount-sa-token")).toHaveLength(
        1,
      );
      const overriding = withPod("Deployment", (s) => (s.automountServiceAccountToken = true));
      expect(messages([overriding, account(false)], "k8s-no-automount-sa-token")).toHaveLength(1);
    });
    it("reports an account setting that is unknown as not checked", () => {
      expect(check([silentPod(), account(UNKNOWN)], "k8s-no-automount-sa-token").violations).toEqual([
        expect.objectContaining({ notChecked: true }),
      ]);
    });
  });
});

describe("k8s-apparmor-not-unconfined", () => {
  it("flags the legacy unconfined annotation on the pod template", () => {
    const r = workload("Deployment", fullPodSpec());
    (r.inputs as Json).spec.template.metadata.annotations = {
      "container.apparmor.security.beta.kubernetes.io/server": "unconfined",
    };
    expect(messages([r], "k8s-apparmor-not-unconfined")).toEqual([
      expect.stringContaining('container "server"'),
    ]);
  });
  it("accepts RuntimeDefault", () => {
    const r = withContainer(
      "Deployment",
      "containers",
      (c) => (c.securityContext.appArmorProfile = { type: "RuntimeDefault" }),
    );
    expect(messages([r], "k8s-apparmor-not-unconfined")).toEqual([]);
  });
});

describe("k8s-selinux-restricted", () => {
  it("accepts container_t-family types", () => {
    const r = withContainer(
      "Deployment",
      "containers",
      (c) => (c.securityContext.seLinuxOptions = { type: "container_init_t", level: "s0:c1,c2" }),
    );
    expect(messages([r], "k8s-selinux-restricted")).toEqual([]);
  });
});

describe("k8s-safe-sysctls", () => {
  it("accepts sysctls in the safe set", () => {
    const r = withPod(
      "Deployment",
      (s) => (s.securityContext.sysctls = [{ name: "net.ipv4.ip_local_port_range", value: "1024 65535" }]),
    );
    expect(messages([r], "k8s-safe-sysctls")).toEqual([]);
  });
});

describe("images", () => {
  it("k8s-image-tag-pinned flags an image without a tag and accepts a digest without a tag", () => {
    expect(
      messages(
        [withContainer("Deployment", "containers", (c) => (c.image = "quay.io/mlstack/scorer"))],
        "k8s-image-tag-pinned",
      ),
    ).toHaveLength(1);
    const digestOnly = withContainer(
      "Deployment",
      "containers",
      (c) => (c.image = `quay.io/mlstack/scorer@sha256:${"a".repeat(64)}`),
    );
    expect(messages([digestOnly], "k8s-image-tag-pinned")).toEqual([]);
  });
  it("parses registries, ports, tags and digests the way Docker does", () => {
    expect(parseImage("nginx")).toMatchObject({
      registry: "docker.io",
      repository: "library/nginx",
      tag: undefined,
    });
    expect(parseImage("localhost:5000/team/app:1.0")).toMatchObject({
      registry: "localhost:5000",
      repository: "team/app",
      tag: "1.0",
    });
    expect(parseImage("docker.io/seldonio/mlserver:1.7.1")).toMatchObject({
      name: "docker.io/seldonio/mlserver",
      tag: "1.7.1",
    });
    expect(parseImage(`ghcr.io/a/b@sha256:${"b".repeat(64)}`)).toMatchObject({
      tag: undefined,
      digest: `sha256:${"b".repeat(64)}`,
    });
  });
  it("k8s-allowed-registries matches registry entries with a path prefix", () => {
    expect(registryAllowed(parseImage("docker.io/seldonio/mlserver:1.7.1"), ["docker.io/seldonio"])).toBe(
      true,
    );
    expect(registryAllowed(parseImage("docker.io/evil/mlserver:1.7.1"), ["docker.io/seldonio"])).toBe(false);
    expect(registryAllowed(parseImage("nginx:1.27"), ["quay.io"])).toBe(false);
  });
  it("k8s-allowed-registries uses the registries from pack config", () => {
    const r = withContainer(
      "Deployment",
      "containers",
      (c) => (c.image = "registry.bank.example/ml/scorer:2.0"),
    );
    expect(messages([r], "k8s-allowed-registries")).toHaveLength(1);
    const registries = ["registry.bank.example", "ghcr.io"];
    expect(messages([r], "k8s-allowed-registries", { registries })).toEqual([]);
    expect(
      messages([r], "k8s-allowed-registries", { policies: { "k8s-allowed-registries": { registries } } }),
    ).toEqual([]);
  });
});
