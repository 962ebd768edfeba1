import { check, container, kube, messages, podSpec, podSpecOf, UNKNOWN, workload } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STRIMZI_VERSIONS = ["kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2"];

function kafka(apiVersion: string, overrides: Json = {}) {
  return kube(apiVersion, "Kafka", "kafka", {
    spec: {
      kafka: {
        version: "4.1.0",
        listeners: [
          { name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "scram-sha-512" } },
        ],
        authorization: { type: "simple" },
        config: {
          "default.replication.factor": 3,
          "min.insync.replicas": 2,
          "offsets.topic.replication.factor": 3,
          "transaction.state.log.replication.factor": 3,
          "transaction.state.log.min.isr": 2,
        },
        ...overrides,
      },
    },
  });
}

describe.each(STRIMZI_VERSIONS)("Strimzi Kafka (%s)", (apiVersion) => {
  it("a secure cluster breaks no Strimzi rule", () => {
    for (const rule of [
      "strimzi-listener-tls",
      "strimzi-listener-authn",
      "strimzi-authorization",
      "strimzi-replication",
    ]) {
      expect({ rule, found: messages([kafka(apiVersion)], rule) }).toEqual({ rule, found: [] });
    }
  });
  it("strimzi-listener-tls flags a plaintext listener", () => {
    const k = kafka(apiVersion, {
      listeners: [
        {
          name: "plain",
          port: 9092,
          type: "internal",
          tls: false,
          authentication: { type: "scram-sha-512" },
        },
      ],
    });
    expect(messages([k], "strimzi-listener-tls")).toEqual([expect.stringContaining('listener "plain"')]);
  });
  it("strimzi-listener-authn flags a listener without authentication", () => {
    const k = kafka(apiVersion, { listeners: [{ name: "tls", port: 9093, type: "internal", tls: true }] });
    expect(messages([k], "strimzi-listener-authn")).toEqual([
      expect.stringContaining("does not authenticate"),
    ]);
  });
  it("strimzi-listener-authn accepts mTLS and OAuth", () => {
    const k = kafka(apiVersion, {
      listeners: [
        { name: "mtls", port: 9094, type: "internal", tls: true, authentication: { type: "tls" } },
        { name: "oauth", port: 9095, type: "internal", tls: true, authentication: { type: "oauth" } },
      ],
    });
    expect(messages([k], "strimzi-listener-authn")).toEqual([]);
  });
  it("strimzi-authorization flags a cluster without authorization", () => {
    const k = kafka(apiVersion);
    delete (k.inputs as Json).spec.kafka.authorization;
    expect(messages([k], "strimzi-authorization")).toHaveLength(1);
  });
  it("strimzi-replication flags broker defaults outside dev, not in dev", () => {
    const k = kafka(apiVersion, { config: { "min.insync.replicas": 1 } });
    expect(messages([k], "strimzi-replication", { environment: "staging" })).toHaveLength(5);
    expect(messages([k], "strimzi-replication", { environment: "dev" })).toEqual([]);
  });
  it("strimzi-replication flags an under-replicated KafkaTopic", () => {
    const topic = kube(apiVersion, "KafkaTopic", "scores", {
      spec: { partitions: 3, replicas: 1, config: { "min.insync.replicas": 1 } },
    });
    expect(messages([topic], "strimzi-replication", { environment: "prod" })).toHaveLength(2);
    (topic.inputs as Json).spec = { partitions: 3, replicas: 3, config: { "min.insync.replicas": 2 } };
    expect(messages([topic], "strimzi-replication", { environment: "prod" })).toEqual([]);
  });
});

it("Strimzi rules ignore API versions Strimzi never served", () => {
  const k = kube("kafka.strimzi.io/v1alpha1", "Kafka", "old", {
    spec: { kafka: { listeners: [{ name: "p", tls: false }] } },
  });
  expect(messages([k], "strimzi-listener-tls")).toEqual([]);
});

function cnpg(spec: Json = {}) {
  return kube("postgresql.cnpg.io/v1", "Cluster", "postgres", {
    spec: {
      instances: 3,
      enableSuperuserAccess: false,
      postgresql: { pg_hba: ["hostssl all all 10.0.0.0/8 scram-sha-256"] },
      plugins: [
        {
          name: "barman-cloud.cloudnative-pg.io",
          isWALArchiver: true,
          parameters: { barmanObjectName: "store" },
        },
      ],
      ...spec,
    },
  });
}

describe("CloudNativePG", () => {
  it("a secure HA cluster breaks no CloudNativePG rule", () => {
    for (const rule of ["cnpg-no-superuser-access", "cnpg-no-trust-hba", "cnpg-ha-backup"]) {
      expect({ rule, found: messages([cnpg()], rule) }).toEqual({ rule, found: [] });
    }
  });
  it("cnpg-no-superuser-access flags enableSuperuserAccess", () => {
    expect(messages([cnpg({ enableSuperuserAccess: true })], "cnpg-no-superuser-access")).toHaveLength(1);
  });
  it("cnpg-no-trust-hba flags a trust line", () => {
    expect(
      messages([cnpg({ postgresql: { pg_hba: ["host all all 0.0.0.0/0 trust"] } })], "cnpg-no-trust-hba"),
    ).toEqual([expect.stringContaining("trust")]);
  });
  it("cnpg-ha-backup flags a single instance without backups outside dev", () => {
    const single = cnpg({ instances: 1, plugins: [] });
    expect(messages([single], "cnpg-ha-backup", { environment: "prod" })).toEqual([
      expect.stringContaining("1 instance"),
      expect.stringContaining("no backup"),
    ]);
    expect(messages([single], "cnpg-ha-backup", { environment: "dev" })).toEqual([]);
  });
  it("cnpg-ha-backup accepts the in-tree barmanObjectStore backup", () => {
    expect(
      messages(
        [cnpg({ plugins: undefined, backup: { barmanObjectStore: { destinationPath: "s3://b/" } } })],
        "cnpg-ha-backup",
      ),
    ).toEqual([]);
  });
});

describe("kserve-pod-hardening", () => {
  it("passes a predictor that meets every mandatory workload rule", () => {
    expect(messages([workload("InferenceService")], "kserve-pod-hardening")).toEqual([]);
  });
  it("flags a predictor breaking a mandatory workload rule, naming the rule", () => {
    const isvc = workload("InferenceService");
    podSpecOf(isvc).containers[0].securityContext.privileged = true;
    expect(messages([isvc], "kserve-pod-hardening")).toEqual([expect.stringContaining("k8s-no-privileged")]);
    // The workload rule itself reports the same container in detail.
    expect(messages([isvc], "k8s-no-privileged")).toEqual([
      expect.stringContaining('predictor container "server"'),
    ]);
  });
  it("inspects the model server of a model-format predictor", () => {
    const model = container("kserve-container");
    delete model.image;
    model.securityContext.allowPrivilegeEscalation = true;
    const isvc = kube("serving.kserve.io/v1beta1", "InferenceService", "sk", {
      spec: {
        predictor: {
          ...podSpec({ containers: undefined }),
          model: { modelFormat: { name: "sklearn" }, storageUri: "s3://models/sk", ...model },
        },
      },
    });
    expect(messages([isvc], "kserve-pod-hardening")).toEqual([
      expect.stringContaining("k8s-no-privilege-escalation"),
    ]);
    expect(messages([isvc], "k8s-no-privilege-escalation")).toEqual([
      expect.stringContaining('predictor model server "kserve-container"'),
    ]);
  });
  it("inspects the transformer too", () => {
    const isvc = workload("InferenceService");
    (isvc.inputs as Json).spec.transformer = podSpec({ serviceAccountName: "default" });
    expect(messages([isvc], "kserve-pod-hardening")).toEqual([
      expect.stringContaining("k8s-no-default-service-account"),
    ]);
  });
  it("does not escalate advisory workload rules, and does not depend on other rules' levels in pack config", () => {
    const isvc = workload("InferenceService");
    const c = podSpecOf(isvc).containers[0];
    c.securityContext.readOnlyRootFilesystem = false;
    expect(messages([isvc], "kserve-pod-hardening")).toEqual([]);
    expect(messages([isvc], "kserve-pod-hardening", { all: "mandatory" })).toEqual([]);
    c.securityContext.privileged = true;
    // The same verdict CrossGuard reaches, where this policy cannot see other policies' config.
    expect(
      messages([isvc], "kserve-pod-hardening", { policies: { "k8s-no-privileged": "disabled" } }),
    ).toEqual([expect.stringContaining("k8s-no-privileged")]);
  });
  it("leaves image registries to k8s-allowed-registries (one registry setting)", () => {
    const isvc = workload("InferenceService");
    podSpecOf(isvc).containers[0].image = "evil.example.com/model:1.0";
    expect(messages([isvc], "kserve-pod-hardening")).toEqual([]);
    expect(messages([isvc], "k8s-allowed-registries")).toEqual([expect.stringContaining("evil.example.com")]);
  });
  it("reports an unknown predictor as not checked", () => {
    const isvc = workload("InferenceService");
    (isvc.inputs as Json).spec.predictor = UNKNOWN;
    expect(check([isvc], "kserve-pod-hardening").violations).toEqual([
      expect.objectContaining({ notChecked: true, message: expect.stringContaining("spec.predictor") }),
    ]);
  });
});

describe("kserve-runtime-hardening", () => {
  /** A runtime as mlstack renders one (kserveWorkload.ts): no pod-level securityContext, each container restricted. */
  const runtime = (kind = "ServingRuntime", containers: Json[] = [container("kserve-container")]) =>
    kube(
      "serving.kserve.io/v1alpha1",
      kind,
      "scorer-vllm",
      {
        spec: {
          supportedModelFormats: [{ name: "huggingface", autoSelect: false }],
          protocolVersions: ["v1"],
          containers,
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
      kind === "ClusterServingRuntime" ? { namespace: undefined } : {},
    );
  it.each(["ServingRuntime", "ClusterServingRuntime"])(
    "passes a %s whose containers are restricted on their own (it sets no service account: the InferenceService's is used)",
    (kind) => {
      expect(messages([runtime(kind)], "kserve-runtime-hardening")).toEqual([]);
    },
  );
  it.each(["ServingRuntime", "ClusterServingRuntime"])(
    "flags a %s container that may run as root",
    (kind) => {
      const c = container("kserve-container");
      delete c.securityContext.runAsNonRoot;
      expect(messages([runtime(kind, [c])], "kserve-runtime-hardening")).toEqual([
        `${kind} scorer-vllm breaks the mandatory workload rules k8s-run-as-non-root`,
      ]);
    },
  );
  it("flags escalation, kept capabilities, no seccomp and host IPC, whatever the pack config sets for those rules", () => {
    const c = container("kserve-container");
    c.securityContext.allowPrivilegeEscalation = true;
    c.securityContext.capabilities = { drop: ["NET_RAW"] };
    delete c.securityContext.seccompProfile;
    const r = runtime("ServingRuntime", [c]);
    (r.inputs as Json).spec.hostIPC = true;
    const config = {
      policies: {
        "k8s-no-privilege-escalation": "disabled" as const,
        "k8s-seccomp-required": "disabled" as const,
      },
    };
    expect(messages([r], "kserve-runtime-hardening", config)).toEqual([
      "ServingRuntime scorer-vllm breaks the mandatory workload rules k8s-no-host-namespaces, k8s-drop-all-capabilities, k8s-no-privilege-escalation, k8s-seccomp-required",
    ]);
  });
  it("flags a GPU container whose limit differs from its request and an unbounded /dev/shm", () => {
    const c = container("kserve-container", {
      resources: {
        requests: { cpu: "1", memory: "16Gi", "nvidia.com/gpu": "1" },
        limits: { cpu: "2", memory: "16Gi" },
      },
    });
    const r = runtime("ServingRuntime", [c]);
    (r.inputs as Json).spec.volumes.push({ name: "shm", emptyDir: { medium: "Memory" } });
    expect(messages([r], "kserve-runtime-hardening")).toEqual([
      "ServingRuntime scorer-vllm breaks the mandatory workload rules k8s-gpu-limits-equal-requests, k8s-memory-volume-size-limit",
    ]);
  });
  it("leaves an InferenceService to kserve-pod-hardening, and reports unknown containers as not checked", () => {
    expect(messages([workload("InferenceService")], "kserve-runtime-hardening")).toEqual([]);
    const r = runtime();
    (r.inputs as Json).spec.containers = UNKNOWN;
    expect(check([r], "kserve-runtime-hardening").violations).toEqual([
      expect.objectContaining({ notChecked: true }),
    ]);
  });
});
