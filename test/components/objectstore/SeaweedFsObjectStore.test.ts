import * as pulumi from "@pulumi/pulumi";
import { isSecretValue } from "../../../cli/mockRuntime";
import type { BucketAccessMode } from "../../../components/objectstore/contract";
import type { WorkloadAccess, WorkloadIdentity } from "../../../components/identity/contract";
import {
  planSeaweedFsObjectStore,
  SEAWEEDFS_IMAGE,
  SeaweedFsObjectStore,
  SeaweedFsObjectStoreArgs,
} from "../../../components/objectstore/SeaweedFsObjectStore";
import { seaweedFsBucketActions } from "../../../components/objectstore/seaweedfsIdentities";
import { ConfigError, parseConfig, type PlatformConfig } from "../../../stacks/config";
import { objectStoreArgs, platformContext } from "../../../stacks/componentArgs";
import { preflightProblems } from "../../../stacks/preflight";
import { baseConfig, baseRawConfig, type Json } from "../../support/config";
import { render } from "../../support/render";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

function seaweedConfig(overrides: Record<string, unknown> = {}, objectStore: Json = {}): PlatformConfig {
  const raw = baseRawConfig();
  Object.assign(raw.objectStore, { provider: "seaweedfs" }, objectStore);
  return parseConfig({ ...raw, ...overrides }, { project: "mlstack", stack: "test" });
}

/** The arguments the stack builds for the in-cluster store (stacks/componentArgs.ts). */
function argsFor(config: PlatformConfig): SeaweedFsObjectStoreArgs {
  const cluster = {
    platformNamespace: config.platformNamespace,
    teamNamespaces: Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
    workloadNamespaces: {},
    dependsOn: [],
  };
  return objectStoreArgs(config, platformContext(config), cluster);
}

function identity(name: string, team: string, namespace: string): WorkloadIdentity {
  return {
    workload: { name, team, namespace, serviceAccountName: name },
    serviceAccountAnnotations: {},
    dependencies: [],
  };
}

async function storeOf(config = seaweedConfig()) {
  const r = await render(() => {
    new SeaweedFsObjectStore("objectstore", argsFor(config));
  });
  const secretData = (nameIncludes: string) => r.inputs(r.one(SECRET, nameIncludes)).stringData;
  const s3Config = JSON.parse(secretData("seaweedfs-s3-config")["s3.json"]) as {
    identities: Array<{
      name: string;
      credentials: Array<{ accessKey: string; secretKey: string }>;
      actions: string[];
    }>;
  };
  return { r, secretData, s3Config };
}

async function grantOf(bucket: string, who: WorkloadIdentity, mode: BucketAccessMode) {
  let access: WorkloadAccess | undefined;
  const r = await render(() => {
    const store = new SeaweedFsObjectStore("objectstore", argsFor(seaweedConfig()));
    access = store.bucket(bucket).grantAccess(who, mode, { parent: store });
    return { env: access.env, egress: access.egress };
  });
  return r.outputs as unknown as { env: Json[]; egress: Json[] };
}

const ref = (env: Json[], name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;

describe("SeaweedFsObjectStore", () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
  });
  afterEach(() => warn.mockRestore());

  it("runs one pinned SeaweedFS server in the platform namespace that creates every bucket at start", async () => {
    const { r } = await storeOf();
    const deployment = r.inputs(r.one(DEPLOYMENT));
    expect(deployment.metadata.namespace).toBe("ml-dev-platform");
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe(`docker.io/chrislusf/seaweedfs:${SEAWEEDFS_IMAGE.version}`);
    expect(SEAWEEDFS_IMAGE.source.ref).toContain("7506e5f91cd6");
    expect(container.args).toContain(
      "-bucket=mlstack-test-fraud-models,mlstack-test-pricing-models,mlstack-test-mlflow-artifacts",
    );
    // No listener beyond S3, no bucket creation by clients, no telemetry.
    for (const flag of [
      "-s3.autoCreateBucket=false",
      "-s3.iam=false",
      "-webdav=false",
      "-admin.ui=false",
      "-s3.port.iceberg=0",
      "-s3.port.lance=0",
      "-master.telemetry=false",
      "-ip=127.0.0.1",
    ])
      expect(container.args).toContain(flag);
  });

  it("meets the restricted Pod Security Standard with its own token-less ServiceAccount", async () => {
    const { r } = await storeOf();
    const pod = r.inputs(r.one(DEPLOYMENT)).spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.containers[0].securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
    });
    expect(pod.serviceAccountName).toBe("objectstore-seaweedfs");
    expect(pod.automountServiceAccountToken).toBe(false);
    const sa = r.inputs(r.one("kubernetes:core/v1:ServiceAccount"));
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  it("sets no UID on OpenShift, where restricted-v2 assigns one", async () => {
    const { r } = await storeOf(seaweedConfig({ target: "openshift" }));
    const pod = r.inputs(r.one(DEPLOYMENT)).spec.template.spec;
    expect(pod.securityContext.runAsUser).toBeUndefined();
    expect(pod.containers[0].securityContext.runAsUser).toBeUndefined();
  });

  it("keeps data on a claim of the configured size and class", async () => {
    const { r } = await storeOf(
      seaweedConfig({}, { seaweedfs: { volumeSize: "20Gi", storageClassName: "standard" } }),
    );
    const pvc = r.inputs(r.one(PVC));
    expect(pvc.spec.resources.requests.storage).toBe("20Gi");
    expect(pvc.spec.storageClassName).toBe("standard");
    const volumes = r.inputs(r.one(DEPLOYMENT)).spec.template.spec.volumes;
    expect(volumes).toContainEqual({
      name: "data",
      persistentVolumeClaim: { claimName: "objectstore-seaweedfs-data" },
    });
  });

  it("admits only the bucket owners' namespaces, on the S3 port only, and allows no egress", async () => {
    const { r } = await storeOf();
    const policy = r.inputs(r.one(POLICY));
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.egress).toEqual([]);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: {
              matchExpressions: [
                {
                  key: "kubernetes.io/metadata.name",
                  operator: "In",
                  values: ["ml-dev-fraud", "ml-dev-platform", "ml-dev-pricing"],
                },
              ],
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 8333 }],
      },
    ]);
  });

  it("gives each bucket a read/write and a read-only identity that may act on that bucket only", async () => {
    const { s3Config } = await storeOf();
    expect(s3Config.identities.map((i) => i.name)).toEqual([
      "mlstack-test-fraud-models-read",
      "mlstack-test-fraud-models-readwrite",
      "mlstack-test-mlflow-artifacts-read",
      "mlstack-test-mlflow-artifacts-readwrite",
      "mlstack-test-pricing-models-read",
      "mlstack-test-pricing-models-readwrite",
    ]);
    const byName = Object.fromEntries(s3Config.identities.map((i) => [i.name, i]));
    expect(byName["mlstack-test-fraud-models-read"].actions).toEqual([
      "Read:mlstack-test-fraud-models",
      "List:mlstack-test-fraud-models",
    ]);
    expect(byName["mlstack-test-fraud-models-readwrite"].actions).toEqual([
      "Read:mlstack-test-fraud-models",
      "List:mlstack-test-fraud-models",
      "Write:mlstack-test-fraud-models",
      "Tagging:mlstack-test-fraud-models",
    ]);
    for (const id of s3Config.identities) {
      // Every action names the identity's own bucket; none is unscoped or Admin.
      const bucket = id.name.replace(/-(read|readwrite)$/, "");
      for (const action of id.actions)
        expect(action).toMatch(new RegExp(`^(Read|List|Write|Tagging):${bucket}$`));
      expect(id.credentials).toHaveLength(1);
    }
    expect(s3Config.identities.some((i) => i.name === "anonymous")).toBe(false);
    // Every key is distinct: no two identities share a key.
    const keys = s3Config.identities.map((i) => i.credentials[0].accessKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("delivers each key pair as a Secret in the bucket owner's namespace, holding the keys of its identity", async () => {
    const { r, s3Config, secretData } = await storeOf();
    const secret = r.inputs(r.one(SECRET, "fraud-models-read-keys"));
    expect(secret.metadata).toMatchObject({
      name: "objectstore-fraud-models-read",
      namespace: "ml-dev-fraud",
    });
    const identity = s3Config.identities.find((i) => i.name === "mlstack-test-fraud-models-read");
    expect(secretData("fraud-models-read-keys")).toEqual({
      AWS_ACCESS_KEY_ID: identity?.credentials[0].accessKey,
      AWS_SECRET_ACCESS_KEY: identity?.credentials[0].secretKey,
    });
    const platform = r.inputs(r.one(SECRET, "mlflow-artifacts-readwrite-keys"));
    expect(platform.metadata).toMatchObject({
      name: "objectstore-mlflow-artifacts",
      namespace: "ml-dev-platform",
    });
  });

  it("keeps the keys and the identities file as Pulumi secrets", async () => {
    const { r } = await storeOf();
    for (const secret of r.ofType(SECRET)) {
      const data = secret.inputs.stringData as Record<string, unknown>;
      const values = isSecretValue(data) ? [data] : Object.values(data);
      for (const value of values) expect(isSecretValue(value)).toBe(true);
    }
    for (const password of r.ofType("random:index/randomPassword:RandomPassword"))
      expect(password.inputs.special).toBe(false);
  });

  it("grants read/write with the bucket's read/write Secret and read with its read-only Secret, without a caveat", async () => {
    const who = identity("fraud-detector", "fraud", "ml-dev-fraud");
    const rw = await grantOf("fraud-models", who, "readwrite");
    expect(ref(rw.env, "AWS_ACCESS_KEY_ID")).toEqual({
      name: "objectstore-fraud-models",
      key: "AWS_ACCESS_KEY_ID",
    });
    const read = await grantOf("fraud-models", who, "read");
    expect(ref(read.env, "AWS_ACCESS_KEY_ID")).toEqual({
      name: "objectstore-fraud-models-read",
      key: "AWS_ACCESS_KEY_ID",
    });
    expect(ref(read.env, "AWS_SECRET_ACCESS_KEY")).toEqual({
      name: "objectstore-fraud-models-read",
      key: "AWS_SECRET_ACCESS_KEY",
    });
    expect(read.env.find((e) => e.name === "AWS_ENDPOINT_URL")?.value).toBe(
      "http://objectstore-seaweedfs.ml-dev-platform.svc:8333",
    );
    expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("read/write key pair"))).toEqual(
      [],
    );
  });

  it("opens granted pods' egress to the SeaweedFS pods on the S3 port only", async () => {
    const { egress } = await grantOf(
      "fraud-models",
      identity("fraud-detector", "fraud", "ml-dev-fraud"),
      "read",
    );
    expect(egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-platform" } },
            podSelector: {
              matchLabels: {
                "app.kubernetes.io/name": "objectstore-seaweedfs",
                "app.kubernetes.io/part-of": "mlstack",
              },
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 8333 }],
      },
    ]);
  });

  it("refuses a workload of another team the bucket's keys", async () => {
    await expect(
      grantOf("fraud-models", identity("price-quoter", "pricing", "ml-dev-pricing"), "read"),
    ).rejects.toThrow(/bucket access cannot cross namespaces/);
  });

  it("refuses environments other than dev, naming the alternatives", () => {
    expect(() =>
      planSeaweedFsObjectStore("objectstore", argsFor(seaweedConfig({ environment: "staging" }))),
    ).toThrow(/ctx.environment "staging" is not "dev".*use objectStore.provider obc or external/);
  });

  it("refuses another provider's config", () => {
    expect(() => planSeaweedFsObjectStore("objectstore", argsFor(baseConfig()))).toThrow(
      /config.provider "obc" is not "seaweedfs"/,
    );
  });

  it("refuses a volume size that is not a quantity", () => {
    const args = argsFor(seaweedConfig());
    args.config = { ...args.config, seaweedfs: { volumeSize: "ten gigs" } };
    expect(() => planSeaweedFsObjectStore("objectstore", args)).toThrow(
      /config.seaweedfs.volumeSize "ten gigs" is not a Kubernetes quantity/,
    );
  });

  it("refuses a bucket whose Secret name would be too long", () => {
    const args = argsFor(seaweedConfig());
    args.config = {
      ...args.config,
      buckets: [{ ...args.config.buckets[0], name: "b".repeat(50) }],
    };
    expect(() => planSeaweedFsObjectStore("objectstore", args)).toThrow(
      /config.buckets\[0\].name .* shorten the bucket name/,
    );
  });
});

describe("SeaweedFS bucket actions", () => {
  it("scopes every action to the one bucket", () => {
    expect(seaweedFsBucketActions("b1", "read")).toEqual(["Read:b1", "List:b1"]);
    expect(seaweedFsBucketActions("b1", "readwrite")).toEqual([
      "Read:b1",
      "List:b1",
      "Write:b1",
      "Tagging:b1",
    ]);
  });
});

describe("mlstack:objectStore with provider seaweedfs", () => {
  const problems = (mutate: (raw: Json) => void): string => {
    const raw = baseRawConfig();
    raw.objectStore.provider = "seaweedfs";
    mutate(raw);
    try {
      preflightProblems(parseConfig(raw, { project: "mlstack", stack: "test" }));
      return "";
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.join("\n");
      throw e;
    }
  };

  it("reads the server's volume, defaulting to 10Gi on the cluster's default class", () => {
    const config = seaweedConfig();
    expect(config.objectStore.seaweedfs).toEqual({ volumeSize: "10Gi", storageClassName: undefined });
  });

  it("refuses seaweedfs settings with another provider", () => {
    const raw = baseRawConfig();
    raw.objectStore.seaweedfs = { volumeSize: "5Gi" };
    expect(() => parseConfig(raw, { project: "mlstack", stack: "test" })).toThrow(
      /mlstack:objectStore.seaweedfs: .* is only for objectStore.provider seaweedfs \(provider is obc\)/,
    );
  });

  it("refuses an endpoint, which the server's Service sets", () => {
    expect(problems((raw) => (raw.objectStore.endpoint = "http://minio.local:9000"))).toContain(
      'mlstack:objectStore.endpoint: "http://minio.local:9000" is not used with objectStore.provider seaweedfs',
    );
  });

  it("refuses seaweedfs on a cloud target", () => {
    expect(problems((raw) => Object.assign(raw, { target: "gcp" }))).toContain(
      'mlstack:objectStore.provider: "seaweedfs" is for the in-cluster targets',
    );
  });

  it("refuses a volume size that is not a quantity", () => {
    expect(problems((raw) => (raw.objectStore.seaweedfs = { volumeSize: "lots" }))).toContain(
      'mlstack:objectStore.seaweedfs.volumeSize: "lots" is not a Kubernetes quantity',
    );
  });

  it("is refused outside dev by the pre-flight step, by config key", () => {
    const raw = baseRawConfig();
    raw.objectStore.provider = "seaweedfs";
    raw.environment = "staging";
    expect(preflightProblems(parseConfig(raw, { project: "mlstack", stack: "test" }))).toContainEqual(
      expect.stringMatching(/^mlstack:environment: "staging" is not "dev"/),
    );
  });
});
