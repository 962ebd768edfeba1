import { parseImage, registryAllowed } from "../../policies/kubernetesWorkloads";
import {
  check,
  container,
  kube,
  messages,
  namespaceKit,
  NS,
  openshiftContainer,
  podSpec,
  podSpecOf,
  resource,
  UNKNOWN,
  workload,
  WORKLOAD_KINDS,
  WorkloadKind,
} from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type List = "containers" | "initContainers" | "ephemeralContainers";

/** A pod with a regular, an init and an ephemeral container, all compliant. */
function fullPodSpec(flavor: "kubernetes" | "openshift" = "kubernetes"): Json {
  const make = flavor === "openshift" ? openshiftContainer : container;
  const init = make("setup");
  delete init.readinessProbe;
  delete init.livenessProbe;
  delete init.ports;
  const debug = make("debug");
  for (const k of ["readinessProbe", "livenessProbe", "ports", "resources"]) delete debug[k];
  return podSpec({ containers: [make()], initContainers: [init], ephemeralContainers: [debug] }, flavor);
}

function withContainer(
  kind: WorkloadKind,
  list: List,
  mutate: (c: Json) => void,
  flavor: "kubernetes" | "openshift" = "kubernetes",
) {
  const r = workload(kind, fullPodSpec(flavor));
  mutate(podSpecOf(r)[list][0]);
  return r;
}

function withPod(kind: WorkloadKind, mutate: (spec: Json) => void) {
  const r = workload(kind, fullPodSpec());
  mutate(podSpecOf(r));
  return r;
}

const ALL_LISTS: List[] = ["containers", "initContainers", "ephemeralContainers"];

/** Container-level rules, each with a change that breaks it. */
const CONTAINER_CASES: Array<[string, string, (c: Json) => void, List[]]> = [
  ["k8s-no-privileged", "privileged: true", (c) => (c.securityContext.privileged = true), ALL_LISTS],
  ["k8s-no-host-ports", "a hostPort", (c) => (c.ports = [{ containerPort: 80, hostPort: 80 }]), ALL_LISTS],
  [
    "k8s-no-host-process",
    "windowsOptions.hostProcess",
    (c) => (c.securityContext.windowsOptions = { hostProcess: true }),
    ALL_LISTS,
  ],
  [
    "k8s-drop-all-capabilities",
    "drop without ALL",
    (c) => (c.securityContext.capabilities = { drop: ["NET_RAW"] }),
    ALL_LISTS,
  ],
  [
    "k8s-capabilities-add-allowlist",
    "add SYS_ADMIN",
    (c) => (c.securityContext.capabilities.add = ["NET_BIND_SERVICE", "SYS_ADMIN"]),
    ALL_LISTS,
  ],
  [
    "k8s-no-privilege-escalation",
    "no allowPrivilegeEscalation",
    (c) => delete c.securityContext.allowPrivilegeEscalation,
    ALL_LISTS,
  ],
  ["k8s-run-as-non-root", "runAsNonRoot: false", (c) => (c.securityContext.runAsNonRoot = false), ALL_LISTS],
  ["k8s-run-as-user-nonzero", "runAsUser: 0", (c) => (c.securityContext.runAsUser = 0), ALL_LISTS],
  ["k8s-high-uid", "runAsUser 1000", (c) => (c.securityContext.runAsUser = 1000), ALL_LISTS],
  [
    "k8s-seccomp-required",
    "seccomp Unconfined",
    (c) => (c.securityContext.seccompProfile = { type: "Unconfined" }),
    ALL_LISTS,
  ],
  [
    "k8s-proc-mount-default",
    "procMount Unmasked",
    (c) => (c.securityContext.procMount = "Unmasked"),
    ALL_LISTS,
  ],
  [
    "k8s-apparmor-not-unconfined",
    "AppArmor Unconfined",
    (c) => (c.securityContext.appArmorProfile = { type: "Unconfined" }),
    ALL_LISTS,
  ],
  [
    "k8s-selinux-restricted",
    "SELinux type spc_t",
    (c) => (c.securityContext.seLinuxOptions = { type: "spc_t" }),
    ALL_LISTS,
  ],
  [
    "k8s-probe-host-unset",
    "a probe with host",
    (c) => (c.startupProbe = { httpGet: { host: "169.254.169.254", path: "/", port: 80 } }),
    ALL_LISTS,
  ],
  [
    "k8s-read-only-root-fs",
    "a writable root filesystem",
    (c) => (c.securityContext.readOnlyRootFilesystem = false),
    ALL_LISTS,
  ],
  ["k8s-image-tag-pinned", "the latest tag", (c) => (c.image = "ghcr.io/mlstack/scorer:latest"), ALL_LISTS],
  ["k8s-image-digest", "no digest", (c) => (c.image = "ghcr.io/mlstack/scorer:1.4.2"), ALL_LISTS],
  [
    "k8s-allowed-registries",
    "an image from another registry",
    (c) => (c.image = "evil.example.com/miner:1.0"),
    ALL_LISTS,
  ],
  [
    "k8s-no-secret-literals-in-env",
    "a literal API_TOKEN",
    (c) => (c.env = [{ name: "API_TOKEN", value: "s3cr3t-value" }]),
    ALL_LISTS,
  ],
  [
    "k8s-requests-set",
    "no memory request",
    (c) => delete c.resources.requests.memory,
    ["containers", "initContainers"],
  ],
  [
    "k8s-memory-limit",
    "no memory limit",
    (c) => delete c.resources.limits.memory,
    ["containers", "initContainers"],
  ],
  ["k8s-cpu-limit", "no cpu limit", (c) => delete c.resources.limits.cpu, ["containers", "initContainers"]],
];

/** Pod-level rules, each with a change that breaks it. */
const POD_CASES: Array<[string, string, (spec: Json) => void]> = [
  ["k8s-no-host-namespaces", "hostNetwork", (s) => (s.hostNetwork = true)],
  ["k8s-no-host-namespaces", "hostPID", (s) => (s.hostPID = true)],
  ["k8s-no-host-namespaces", "hostIPC", (s) => (s.hostIPC = true)],
  [
    "k8s-no-hostpath",
    "a hostPath volume",
    (s) => s.volumes.push({ name: "host", hostPath: { path: "/var/run" } }),
  ],
  [
    "k8s-restricted-volume-types",
    "an nfs volume",
    (s) => s.volumes.push({ name: "share", nfs: { server: "nfs", path: "/" } }),
  ],
  [
    "k8s-safe-sysctls",
    "an unsafe sysctl",
    (s) => (s.securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }]),
  ],
  [
    "k8s-no-host-process",
    "a pod-level hostProcess",
    (s) => (s.securityContext.windowsOptions = { hostProcess: true }),
  ],
  ["k8s-run-as-user-nonzero", "a pod-level runAsUser 0", (s) => (s.securityContext.runAsUser = 0)],
  [
    "k8s-no-automount-sa-token",
    "automountServiceAccountToken unset",
    (s) => delete s.automountServiceAccountToken,
  ],
  ["k8s-no-default-service-account", "serviceAccountName default", (s) => (s.serviceAccountName = "default")],
  ["k8s-no-default-service-account", "no serviceAccountName", (s) => delete s.serviceAccountName],
  [
    "k8s-selinux-restricted",
    "a pod-level SELinux user",
    (s) => (s.securityContext.seLinuxOptions = { user: "system_u" }),
  ],
  [
    "k8s-apparmor-not-unconfined",
    "a pod-level Unconfined profile",
    (s) => (s.securityContext.appArmorProfile = { type: "Unconfined" }),
  ],
];

const RULES_CHECKED_ON_COMPLIANT = [
  ...new Set([
    ...CONTAINER_CASES.map((c) => c[0]),
    ...POD_CASES.map((c) => c[0]),
    "k8s-readiness-probe",
    "k8s-liveness-probe",
    "k8s-spread",
    "k8s-no-default-namespace",
    "kserve-pod-hardening",
  ]),
];

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

describe("k8s-no-secret-literals-in-env", () => {
  const envCase = (env: Json[]) => withContainer("Deployment", "containers", (c) => (c.env = env));
  it.each([
    [{ name: "DB_PASSWORD", value: "hunter2" }],
    [{ name: "mlflowTrackingToken", value: "abc" }],
    [{ name: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG" }],
    [{ name: "TLS_KEY", value: "x" }],
    [{ name: "CERT", value: "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----" }],
    [{ name: "DATABASE_URL", value: "postgresql://app:hunter2@db:5432/app" }],
    [{ name: "ANYTHING", value: "[secret]" }],
  ])("flags %j", (env) => {
    expect(messages([envCase([env])], "k8s-no-secret-literals-in-env")).toHaveLength(1);
  });
  it.each([
    [{ name: "TOKEN_PATH", value: "/var/run/secrets/token" }],
    [{ name: "SECRET_NAME", value: "db-credentials" }],
    [{ name: "KAFKA_KEY_SERIALIZER", value: "org.apache.kafka.common.serialization.StringSerializer" }],
    [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }],
    [{ name: "DATABASE_URL", value: "postgresql://db:5432/app" }],
    [{ name: "PASSWORD", value: "" }],
  ])("accepts %j", (env) => {
    expect(messages([envCase([env])], "k8s-no-secret-literals-in-env")).toEqual([]);
  });
  it("flags a value the program marked secret (a Pulumi secret inlined into the pod spec)", () => {
    const secret = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "generated",
    };
    expect(
      messages([envCase([{ name: "INNOCENT", value: secret }])], "k8s-no-secret-literals-in-env"),
    ).toEqual([expect.stringContaining("a secret as a literal value")]);
  });
});

describe("k8s-configmap-no-secrets", () => {
  const cm = (data: Json) => kube("v1", "ConfigMap", "settings", { data });
  it.each([
    [{ "db.password": "hunter2" }],
    [{ "application.properties": "spring.datasource.url=jdbc:x\nspring.datasource.password=hunter2\n" }],
    [{ "tls.key": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----" }],
    [{ endpoint: "https://user:hunter2@s3.example.com" }],
    [{ aws: "AKIAIOSFODNN7EXAMPLE" }],
  ])("flags %j", (data) => {
    expect(messages([cm(data)], "k8s-configmap-no-secrets")).toHaveLength(1);
  });
  it("accepts plain configuration and references to secrets", () => {
    expect(
      messages(
        [
          cm({
            "log.level": "info",
            "password.file": "/etc/db/password",
            "config.yaml": "password: ${DB_PASSWORD}\n",
          }),
        ],
        "k8s-configmap-no-secrets",
      ),
    ).toEqual([]);
  });
});

describe("k8s-no-default-namespace", () => {
  it("flags a namespaced object in default or without a namespace", () => {
    const inDefault = kube("v1", "ConfigMap", "a", {}, { namespace: "default" });
    const without = kube("v1", "Service", "b");
    delete (without.inputs as Json).metadata.namespace;
    expect(messages([inDefault, without], "k8s-no-default-namespace")).toEqual([
      expect.stringContaining("default namespace"),
      expect.stringContaining("has no namespace"),
    ]);
  });
  it("ignores cluster-scoped objects and accepts team namespaces", () => {
    expect(
      messages(
        [
          kube("v1", "Namespace", "ml-dev-fraud"),
          kube("rbac.authorization.k8s.io/v1", "ClusterRole", "reader", { rules: [] }),
          kube("v1", "ConfigMap", "c"),
        ],
        "k8s-no-default-namespace",
      ),
    ).toEqual([]);
  });
  it("ignores Pulumi's YAML and Kustomize groups, and flags a Helm release without a namespace", () => {
    const group = resource("kubernetes:yaml/v2:ConfigGroup", "crds", { files: ["crds.yaml"] });
    const release = resource("kubernetes:helm.sh/v3:Release", "strimzi", { chart: "strimzi-kafka-operator" });
    expect(messages([group, release], "k8s-no-default-namespace")).toEqual([
      "Helm release strimzi has no namespace (it lands in whatever namespace is current)",
    ]);
  });
  it("reports a namespace that is unknown during preview as not checked", () => {
    const r = kube("v1", "ConfigMap", "c", {}, { namespace: UNKNOWN });
    expect(check([r], "k8s-no-default-namespace")).toEqual({
      violations: [expect.objectContaining({ notChecked: true, enforcementLevel: "mandatory" })],
      deferred: [expect.objectContaining({ what: "metadata.namespace" })],
    });
  });
});

describe("k8s-no-bare-pods", () => {
  it("flags a Pod without a controlling owner and accepts one with", () => {
    const bare = workload("Pod");
    const owned = workload("Pod", podSpec(), "owned");
    (owned.inputs as Json).metadata.ownerReferences = [
      { apiVersion: "apps/v1", kind: "ReplicaSet", name: "x", uid: "1", controller: true },
    ];
    expect(messages([bare, owned], "k8s-no-bare-pods")).toEqual([expect.stringContaining("Pod scorer")]);
  });
});

describe("k8s-spread", () => {
  const noSpread = (kind: WorkloadKind) => withPod(kind, (s) => delete s.topologySpreadConstraints);
  it("flags replicated prod workloads without topology spread or anti-affinity", () => {
    for (const kind of ["Deployment", "StatefulSet", "ReplicaSet", "InferenceService"] as WorkloadKind[]) {
      expect({ kind, n: messages([noSpread(kind)], "k8s-spread").length }).toEqual({ kind, n: 1 });
    }
  });
  it("accepts pod anti-affinity, and does not apply to DaemonSets, Jobs or outside prod", () => {
    const anti = withPod("Deployment", (s) => {
      delete s.topologySpreadConstraints;
      s.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
    });
    expect(messages([anti, noSpread("DaemonSet"), noSpread("Job")], "k8s-spread")).toEqual([]);
    expect(messages([noSpread("Deployment")], "k8s-spread", { environment: "dev" })).toEqual([]);
  });
});

describe("k8s-ha-replicas-pdb", () => {
  it("accepts 2 replicas with a PodDisruptionBudget allowing one disruption", () => {
    expect(
      messages(
        [...namespaceKit(), workload("Deployment"), workload("StatefulSet", podSpec(), "store")],
        "k8s-ha-replicas-pdb",
      ),
    ).toEqual([]);
  });
  it("flags a single replica and a missing PDB in prod", () => {
    const single = workload("Deployment");
    (single.inputs as Json).spec.replicas = 1;
    expect(messages([single], "k8s-ha-replicas-pdb")).toEqual([
      expect.stringContaining("1 replica"),
      expect.stringContaining("no PodDisruptionBudget"),
    ]);
  });
  it("flags a PDB that allows no disruption", () => {
    const kit = namespaceKit();
    (kit.find((r) => r.name === "scorer" && r.type.endsWith("PodDisruptionBudget"))!.inputs as Json).spec = {
      minAvailable: "100%",
      selector: { matchLabels: { "app.kubernetes.io/name": "scorer" } },
    };
    expect(messages([...kit, workload("Deployment")], "k8s-ha-replicas-pdb")).toEqual([
      expect.stringContaining("allows no voluntary disruption"),
    ]);
  });
  it("counts an autoscaler's minimum replicas", () => {
    const w = workload("Deployment");
    delete (w.inputs as Json).spec.replicas;
    const hpa = kube("autoscaling/v2", "HorizontalPodAutoscaler", "scorer", {
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "scorer" },
        minReplicas: 2,
        maxReplicas: 6,
      },
    });
    expect(messages([...namespaceKit(), w, hpa], "k8s-ha-replicas-pdb")).toEqual([]);
    const keda = kube("keda.sh/v1alpha1", "ScaledObject", "scorer", {
      spec: { scaleTargetRef: { name: "scorer" } },
    });
    expect(messages([...namespaceKit(), w, keda], "k8s-ha-replicas-pdb")).toEqual([
      expect.stringContaining("autoscaler minimum"),
    ]);
  });
  it("does not apply outside prod", () => {
    const single = workload("Deployment");
    (single.inputs as Json).spec.replicas = 1;
    expect(messages([single], "k8s-ha-replicas-pdb", { environment: "staging" })).toEqual([]);
  });
});

describe("unknown values during preview", () => {
  it("are reported as not checked, never passed (privileged unknown)", () => {
    const r = withContainer("Deployment", "containers", (c) => (c.securityContext.privileged = UNKNOWN));
    expect(check([r], "k8s-no-privileged")).toEqual({
      violations: [
        expect.objectContaining({
          notChecked: true,
          enforcementLevel: "mandatory",
          message: expect.stringMatching(
            /^not checked: spec\.template\.spec\.containers\[0\]\.securityContext\.privileged is not known/,
          ),
        }),
      ],
      deferred: [expect.objectContaining({ urn: r.urn })],
    });
  });
  it("report every pod check as not checked when the whole pod template is unknown", () => {
    const r = workload("Deployment");
    (r.inputs as Json).spec.template = UNKNOWN;
    expect(check([r], "k8s-requests-set")).toEqual({
      violations: [expect.objectContaining({ notChecked: true, enforcementLevel: "mandatory" })],
      deferred: [expect.objectContaining({ what: "spec.template" })],
    });
    (r.inputs as Json).spec = { template: { spec: UNKNOWN } };
    expect(check([r], "k8s-requests-set").deferred).toEqual([
      expect.objectContaining({ what: "spec.template.spec" }),
    ]);
  });
});

describe("pack config", () => {
  it("disables a rule, and raises an advisory rule to mandatory", () => {
    const r = withContainer(
      "Deployment",
      "containers",
      (c) => (c.securityContext.readOnlyRootFilesystem = false),
    );
    expect(check([r], "k8s-read-only-root-fs").violations[0].enforcementLevel).toBe("advisory");
    expect(
      check([r], "k8s-read-only-root-fs", { policies: { "k8s-read-only-root-fs": "mandatory" } })
        .violations[0].enforcementLevel,
    ).toBe("mandatory");
    expect(
      check([r], "k8s-read-only-root-fs", { policies: { "k8s-read-only-root-fs": "disabled" } }).violations,
    ).toEqual([]);
    expect(check([r], "k8s-read-only-root-fs", { all: "mandatory" }).violations[0].enforcementLevel).toBe(
      "mandatory",
    );
  });
  it("takes a prod-only rule's environment from the resource's mlstack.io/environment label", () => {
    const r = withPod("Deployment", (s) => delete s.topologySpreadConstraints);
    (r.inputs as Json).metadata.labels["mlstack.io/environment"] = "dev";
    expect(messages([r], "k8s-spread")).toEqual([]);
  });
});
