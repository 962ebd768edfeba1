/**
 * Hostile `mlstack:*` config: every case runs the program's entry (`main`, what `pulumi up` runs)
 * under the mock runtime and asserts that it is refused before a single resource registers, with
 * one message that names the key, the value and what is allowed, and no stack trace. The config
 * items of issue 10 are each covered: public system groups, plain-http endpoints outside dev,
 * operators in system namespaces, shell metacharacters and newlines in StorageClass names, bad
 * nodeSelector keys, malformed cron, and model names whose derived names overflow.
 */
import { ConfigError } from "../../stacks/config";
import { Json, baseRawConfig } from "../support/config";
import { runMain } from "../stacks/registrations";

interface Case {
  name: string;
  raw: () => Json;
  key: string;
  value: string;
  allowed: RegExp;
}

const LONG_MODEL = `m${"x".repeat(62)}`;

/** A staging stack on plain Kubernetes: highly available, everything else valid. */
function staging(): Json {
  const raw = baseRawConfig();
  return { ...raw, environment: "staging", postgres: { instances: 2 }, mlflow: { replicas: 2 } };
}

/** Staging with an external S3 endpoint and every bucket's credentials Secret declared. */
function stagingExternalStore(endpoint: string): Json {
  const raw = staging();
  const buckets = [
    ...raw.objectStore.buckets.map((b: Json) => ({ ...b, credentialsSecret: `${b.name}-keys` })),
    { name: "mlflow-artifacts", owner: "platform", credentialsSecret: "mlflow-artifacts-keys" },
    { name: "postgres-backups", owner: "platform", credentialsSecret: "postgres-backups-keys" },
  ];
  return { ...raw, objectStore: { provider: "external", endpoint, buckets } };
}

function withTeam0(change: (team: Json) => void): () => Json {
  return () => {
    const raw = baseRawConfig();
    change(raw.teams[0]);
    return raw;
  };
}

function withModel0(change: (model: Json) => void): () => Json {
  return () => {
    const raw = baseRawConfig();
    change(raw.serving.models[0]);
    return raw;
  };
}

/** Renames the first (streaming) model everywhere it is referenced. */
function renamedStreamingModel(name: string): Json {
  const raw = baseRawConfig();
  raw.serving.models[0].name = name;
  return raw;
}

/** The second model (HTTP) served by KServe under a new name. */
function kserveModel(name: string): Json {
  const raw = baseRawConfig();
  Object.assign(raw.serving.models[1], { name, engine: "kserve" });
  return raw;
}

const CASES: Case[] = [
  {
    name: "a team bound to system:authenticated (every user)",
    raw: withTeam0((t) => (t.groups = ["system:authenticated"])),
    key: "teams[0].groups[0]",
    value: "system:authenticated",
    allowed:
      /is a Kubernetes system identity that stands for every authenticated user; bind the team's own groups/,
  },
  {
    name: "a team bound to system:unauthenticated",
    raw: withTeam0((t) => (t.groups = ["ml-fraud", "system:unauthenticated"])),
    key: "teams[0].groups[1]",
    value: "system:unauthenticated",
    allowed: /stands for every anonymous request/,
  },
  {
    name: "a member system:anonymous",
    raw: withTeam0((t) => (t.members = ["system:anonymous"])),
    key: "teams[0].members[0]",
    value: "system:anonymous",
    allowed: /every anonymous request/,
  },
  {
    name: "a group in the reserved system: namespace",
    raw: withTeam0((t) => (t.groups = ["system:masters"])),
    key: "teams[0].groups[0]",
    value: "system:masters",
    allowed: /system: namespace Kubernetes reserves/,
  },
  {
    name: "a group name with a newline",
    raw: withTeam0((t) => (t.groups = ["ml-fraud\nkind: ClusterRoleBinding"])),
    key: "teams[0].groups[0]",
    value: "ml-fraud\nkind: ClusterRoleBinding",
    allowed: /is not a user or group name: .*no control characters/,
  },
  {
    name: "a plain-http external S3 endpoint in staging",
    raw: () => stagingExternalStore("http://minio.storage.example.com:9000"),
    key: "objectStore.endpoint",
    value: "http://minio.storage.example.com:9000",
    allowed: /is plain http, which staging does not allow: .*use the endpoint's https URL/,
  },
  {
    name: "operators installed into kube-system",
    raw: () => ({ ...baseRawConfig(), operators: { namespace: "kube-system" } }),
    key: "operators.namespace",
    value: "kube-system",
    allowed: /is reserved by Kubernetes or OpenShift/,
  },
  {
    name: "operators installed into kube-public",
    raw: () => ({ ...baseRawConfig(), operators: { namespace: "kube-public" } }),
    key: "operators.namespace",
    value: "kube-public",
    allowed: /is reserved by Kubernetes or OpenShift/,
  },
  {
    name: "operators installed into default",
    raw: () => ({ ...baseRawConfig(), operators: { namespace: "default" } }),
    key: "operators.namespace",
    value: "default",
    allowed: /is reserved by Kubernetes or OpenShift/,
  },
  {
    name: "operators installed into an openshift- namespace",
    raw: () => ({ ...baseRawConfig(), operators: { namespace: "openshift-config" } }),
    key: "operators.namespace",
    value: "openshift-config",
    allowed: /is reserved by Kubernetes or OpenShift/,
  },
  {
    name: "shell metacharacters in kafka.storageClass",
    raw: () => ({ ...baseRawConfig(), kafka: { ...baseRawConfig().kafka, storageClass: "fast; rm -rf /" } }),
    key: "kafka.storageClass",
    value: "fast; rm -rf /",
    allowed: /is not a StorageClass name: a DNS-1123 subdomain/,
  },
  {
    name: "a newline in postgres.storageClass",
    raw: () => ({ ...baseRawConfig(), postgres: { storageClass: "ssd\nmalicious: true" } }),
    key: "postgres.storageClass",
    value: "ssd\nmalicious: true",
    allowed: /is not a StorageClass name/,
  },
  {
    name: "command substitution in objectStore.storageClassName",
    raw: () => ({
      ...baseRawConfig(),
      objectStore: { ...baseRawConfig().objectStore, storageClassName: "$(reboot)" },
    }),
    key: "objectStore.storageClassName",
    value: "$(reboot)",
    allowed: /is not a StorageClass name/,
  },
  {
    name: "a nodeSelector key `bad key!`",
    raw: withModel0((m) => (m.gpu = { nodeSelector: { "bad key!": "yes" } })),
    key: "serving.models[0].gpu.nodeSelector",
    value: "bad key!",
    allowed: /has a key that is not a Kubernetes label key/,
  },
  {
    name: "a nodeSelector value with spaces",
    raw: withModel0((m) => (m.gpu = { nodeSelector: { "nvidia.com/gpu.product": "A100 80GB" } })),
    // A label key holds dots and slashes, so the path quotes it (the reader's keyPath rule).
    key: 'serving.models[0].gpu.nodeSelector["nvidia.com/gpu.product"]',
    value: "A100 80GB",
    allowed: /is not a Kubernetes label value/,
  },
  {
    name: "a backup schedule with an hour out of range",
    raw: () => ({ ...baseRawConfig(), postgres: { backup: { schedule: "0 0 25 * * *" } } }),
    key: "postgres.backup.schedule",
    value: "0 0 25 * * *",
    allowed: /is not a six-field cron schedule, seconds first/,
  },
  {
    name: "a five-field backup schedule CloudNativePG would read seconds-first",
    raw: () => ({ ...baseRawConfig(), postgres: { backup: { schedule: "0 2 * * *" } } }),
    key: "postgres.backup.schedule",
    value: "0 2 * * *",
    allowed: /is not a six-field cron schedule, seconds first/,
  },
  {
    name: "a backup schedule with a shell tail",
    raw: () => ({ ...baseRawConfig(), postgres: { backup: { schedule: "0 0 2 * * * ; curl x" } } }),
    key: "postgres.backup.schedule",
    value: "0 0 2 * * * ; curl x",
    allowed: /is not a six-field cron schedule/,
  },
  {
    name: "a 63-character KServe model whose predictor Service overflows",
    raw: () => kserveModel(LONG_MODEL),
    key: "serving.models[1].name",
    value: LONG_MODEL,
    allowed: new RegExp(
      `gives the predictor Service KServe creates "${LONG_MODEL}-predictor" \\(73 characters\\), which must be a DNS-1035 label of at most 63 characters`,
    ),
  },
  {
    name: "a 63-character streaming model whose KEDA autoscaler label overflows",
    raw: () => renamedStreamingModel(LONG_MODEL),
    key: "serving.models[0].name",
    value: LONG_MODEL,
    allowed:
      /gives the app.kubernetes.io\/name label KEDA puts on the model's HorizontalPodAutoscaler "keda-hpa-mx+" \(72 characters\), which must be a label value of at most 63 characters/,
  },
  {
    name: "a bucket name whose ObjectBucketClaim name overflows",
    raw: () => {
      const raw = baseRawConfig();
      const name = `b${"x".repeat(55)}`;
      raw.objectStore.buckets[1].name = name;
      raw.serving.models[1].source.bucket = name;
      return raw;
    },
    key: "objectStore.buckets[1].name",
    value: `b${"x".repeat(55)}`,
    allowed:
      /gives the claim name "objectstore-bx+" \(component name \+ bucket\), which is not a DNS-1123 label/,
  },
  {
    name: "a single KRaft controller in staging (refused inside StrimziKafka before)",
    raw: () => ({ ...staging(), kafka: { ...staging().kafka, controllers: 1 } }),
    key: "kafka.controllers",
    value: "1",
    allowed: /is below 3, which a highly available staging cluster cannot run on/,
  },
  {
    name: "one Postgres instance in staging (refused inside CnpgPostgres before)",
    raw: () => ({ ...staging(), postgres: { instances: 1 } }),
    key: "postgres.instances",
    value: "1",
    allowed: /is below 2 but staging runs highly available/,
  },
  {
    name: "a quota that is not a Kubernetes quantity",
    raw: withTeam0((t) => (t.quota = { memory: "16GB" })),
    key: "teams[0].quota.memory",
    value: "16GB",
    allowed: /is not a Kubernetes quantity such as 500m, 2, 16Gi/,
  },
  {
    name: "an API server CIDR with a /33 prefix",
    raw: () => ({ ...baseRawConfig(), network: { apiServerCidrs: ["10.0.0.0/33"] } }),
    key: "network.apiServerCidrs[0]",
    value: "10.0.0.0/33",
    allowed: /is not a CIDR block such as 10.0.0.0\/16/,
  },
];

const STACK_FRAME = /\n\s+at /;

describe.each(CASES)("hostile config: $name", ({ raw, key, value, allowed }) => {
  let run: Awaited<ReturnType<typeof runMain>>;
  beforeAll(async () => {
    run = await runMain(raw());
  });

  it("is refused with a ConfigError before any resource registers", () => {
    expect(run.error).toBeInstanceOf(ConfigError);
    expect(run.registered).toEqual([]);
  });

  it("names the key, the value and what is allowed, without a stack trace", () => {
    const message = (run.error as Error).message;
    const line = message.split("\n").find((l) => l.includes(`mlstack:${key}: `));
    expect([message, line]).toEqual([message, expect.stringContaining(JSON.stringify(value).slice(1, -1))]);
    expect(line).toMatch(allowed);
    expect(message).not.toMatch(STACK_FRAME);
  });
});

describe("the safe path", () => {
  it("registers the platform for the valid base config", async () => {
    const run = await runMain(baseRawConfig());
    expect(run.error).toBeUndefined();
    expect(run.registered.length).toBeGreaterThan(50);
  });

  it("accepts descriptors, label keys with a prefix, IPv6 CIDRs and a 63-character HTTP model", async () => {
    const raw = baseRawConfig();
    raw.postgres = { backup: { schedule: "@daily" } };
    raw.serving.models[1].name = LONG_MODEL;
    raw.serving.models[1].gpu = { nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB" } };
    raw.network = { apiServerCidrs: ["10.0.0.0/16", "fd00::/8"] };
    const run = await runMain(raw);
    expect(run.error).toBeUndefined();
    expect(run.registered.length).toBeGreaterThan(50);
  });
});
