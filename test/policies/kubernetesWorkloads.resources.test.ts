import {
  check,
  kube,
  messages,
  namespaceKit,
  podSpec,
  resource,
  UNKNOWN,
  workload,
  WorkloadKind,
} from "./helpers";
import { Json, withContainer, withPod } from "./kubernetesWorkloadCases";

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
