import type { WorkloadAccess, WorkloadIdentity } from "../../components/identity/contract";
import {
  GcsObjectStore,
  GcsObjectStoreArgs,
  gcsBucketName,
  prefixConditionTitle,
} from "../../components/objectstore/gcs";
import type { BucketConfig } from "../../stacks/config/types";
import { render } from "../support/render";
import { FRAUD_DETECTOR, Holder, MLFLOW, identityProvider, testKey } from "./fixtures";

const BUCKETS: BucketConfig[] = [
  {
    name: "fraud-models",
    owner: "fraud",
    versioning: true,
    lifecycle: { noncurrentVersionExpirationDays: 30, expirationDays: 0 },
  },
  {
    name: "scratch",
    owner: "fraud",
    versioning: false,
    lifecycle: { noncurrentVersionExpirationDays: 30, expirationDays: 14 },
  },
  {
    name: "mlflow-artifacts",
    owner: "platform",
    versioning: true,
    lifecycle: { noncurrentVersionExpirationDays: 60, expirationDays: 0 },
  },
];

function args(overrides: Partial<GcsObjectStoreArgs> = {}): GcsObjectStoreArgs {
  return {
    project: "acme-ml-test",
    location: "europe-west4",
    stack: "test",
    buckets: BUCKETS,
    kmsKey: testKey(),
    googleApisCidrs: ["199.36.153.8/30"],
    accessLogRetentionDays: 365,
    environment: "prod",
    protect: true,
    ...overrides,
  };
}

const BUCKET = "gcp:storage/bucket:Bucket";
const MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember";

describe("GcsObjectStore", () => {
  it("creates every bucket private: uniform access, public access prevention enforced, CMEK", async () => {
    const r = await render(() => {
      new GcsObjectStore("gcs", args());
    });
    const buckets = r.ofType(BUCKET).map((b) => r.inputs(b));
    expect(buckets.map((b) => b.name)).toEqual([
      "acme-ml-test-test-access-logs",
      "acme-ml-test-test-fraud-models",
      "acme-ml-test-test-scratch",
      "acme-ml-test-test-mlflow-artifacts",
    ]);
    for (const b of buckets) {
      expect(b.uniformBucketLevelAccess).toBe(true);
      expect(b.publicAccessPrevention).toBe("enforced");
      expect(b.encryption).toEqual({
        defaultKmsKeyName: "projects/acme-ml-test/locations/europe-west4/keyRings/ring/cryptoKeys/storage",
      });
      expect(b.location).toBe("europe-west4");
      expect(b.forceDestroy).toBe(false);
    }
  });

  it("keeps versions and expires noncurrent ones after the configured days", async () => {
    const r = await render(() => {
      new GcsObjectStore("gcs", args());
    });
    const models = r.inputs(r.one(BUCKET, "fraud-models"));
    expect(models.versioning).toEqual({ enabled: true });
    expect(models.lifecycleRules).toContainEqual({
      action: { type: "Delete" },
      condition: { daysSinceNoncurrentTime: 30, withState: "ARCHIVED" },
    });
    expect(models.lifecycleRules).toContainEqual({
      action: { type: "AbortIncompleteMultipartUpload" },
      condition: { age: 7 },
    });
    expect(
      models.lifecycleRules.some(
        (rule: { condition: { age?: number; withState?: string } }) => rule.condition.withState === "LIVE",
      ),
    ).toBe(false);
    const scratch = r.inputs(r.one(BUCKET, "scratch"));
    expect(scratch.versioning).toEqual({ enabled: false });
    expect(scratch.lifecycleRules).toContainEqual({
      action: { type: "Delete" },
      condition: { age: 14, withState: "LIVE" },
    });
  });

  it("logs every bucket's access to the stack's access-log bucket, which GCS's log writer may fill", async () => {
    const r = await render(() => {
      new GcsObjectStore("gcs", args());
    });
    for (const name of ["fraud-models", "scratch", "mlflow-artifacts"]) {
      expect(r.inputs(r.one(BUCKET, `gcs-${name}`)).logging).toEqual({
        logBucket: "acme-ml-test-test-access-logs",
        logObjectPrefix: `${name}/`,
      });
    }
    const logs = r.inputs(r.one(BUCKET, "access-logs"));
    expect(logs.logging).toBeUndefined();
    expect(logs.lifecycleRules).toContainEqual({
      action: { type: "Delete" },
      condition: { age: 365, withState: "LIVE" },
    });
    const writer = r.inputs(r.one(MEMBER, "access-logs-writer"));
    expect(writer).toEqual({
      bucket: "acme-ml-test-test-access-logs",
      role: "roles/storage.objectCreator",
      member: "group:cloud-storage-analytics@google.com",
    });
  });

  it("labels buckets with their owning team", async () => {
    const r = await render(() => {
      new GcsObjectStore("gcs", args());
    });
    expect(r.inputs(r.one(BUCKET, "fraud-models")).labels).toEqual({
      "mlstack-environment": "prod",
      "mlstack-team": "fraud",
      "mlstack-component": "object-store",
      "mlstack-managed-by": "pulumi",
    });
  });

  it("protects buckets in a protected stack, and not otherwise", async () => {
    const prod = await render(() => {
      new GcsObjectStore("gcs", args());
    });
    for (const b of prod.ofType(BUCKET)) {
      expect([b.name, b.protect, b.retainOnDelete, prod.inputs(b).deletionPolicy]).toEqual([
        b.name,
        true,
        true,
        "PREVENT",
      ]);
    }
    const dev = await render(() => {
      new GcsObjectStore("gcs", args({ protect: false, environment: "dev" }));
    });
    expect(dev.ofType(BUCKET).some((b) => b.protect || dev.inputs(b).deletionPolicy !== undefined)).toBe(
      false,
    );
  });

  it("grants a workload's GSA an object role on exactly one bucket, read or read-write", async () => {
    let read: WorkloadAccess | undefined;
    const r = await render(() => {
      const parent = new Holder("workloads");
      const ids = identityProvider();
      const store = new GcsObjectStore("gcs", args());
      read = store
        .bucket("fraud-models")
        .grantAccess(ids.forWorkload(FRAUD_DETECTOR, { parent }), "read", { parent });
      store
        .bucket("mlflow-artifacts")
        .grantAccess(ids.forWorkload(MLFLOW, { parent }), "readwrite", { parent });
    });
    const grants = r.ofType(MEMBER).filter((m) => !m.name.includes("access-logs"));
    const fraudEmail = identityProvider().emailFor("fraud-detector");
    const mlflowEmail = identityProvider().emailFor("mlflow");
    expect(grants.map((g) => r.inputs(g))).toEqual([
      {
        bucket: "acme-ml-test-test-fraud-models",
        role: "roles/storage.objectViewer",
        member: `serviceAccount:${fraudEmail}`,
      },
      {
        bucket: "acme-ml-test-test-mlflow-artifacts",
        role: "roles/storage.objectUser",
        member: `serviceAccount:${mlflowEmail}`,
      },
    ]);
    expect(grants.every((g) => g.parent?.endsWith("::workloads"))).toBe(true);
    expect(read?.env).toEqual([{ name: "BUCKET_NAME", value: expect.anything() }]);
    expect(read?.volumes).toEqual([]);
  });

  it("binds a grant without a prefix unconditionally, on the whole bucket", async () => {
    const r = await render(() => {
      const parent = new Holder("workloads");
      new GcsObjectStore("gcs", args())
        .bucket("mlflow-artifacts")
        .grantAccess(identityProvider().forWorkload(MLFLOW, { parent }), "readwrite", { parent });
    });
    const grant = r.one(MEMBER, "mlflow-artifacts-mlflow-readwrite");
    expect(grant.name).toBe("gcs-mlflow-artifacts-mlflow-readwrite");
    expect(r.inputs(grant).condition).toBeUndefined();
  });

  it("narrows a prefixed grant with an IAM condition: objects under the prefix, and listings of that prefix only", async () => {
    let access: WorkloadAccess | undefined;
    const r = await render(() => {
      const parent = new Holder("workloads");
      access = new GcsObjectStore("gcs", args())
        .bucket("fraud-models")
        .grantAccess(identityProvider().forWorkload(FRAUD_DETECTOR, { parent }), "read", {
          parent,
          prefix: "models/fraud-detector/3",
        });
    });
    const grant = r.one(MEMBER, "fraud-detector-read");
    expect(grant.name).toBe("gcs-fraud-models-fraud-detector-read-models/fraud-detector/3");
    expect(r.inputs(grant)).toEqual({
      bucket: "acme-ml-test-test-fraud-models",
      role: "roles/storage.objectViewer",
      member: `serviceAccount:${identityProvider().emailFor("fraud-detector")}`,
      condition: {
        title: "keys under models/fraud-detector/3/",
        description: "mlstack grant to fraud-detector: objects under the prefix, and listings of it, only",
        expression:
          'resource.name.startsWith("projects/_/buckets/acme-ml-test-test-fraud-models/objects/models/fraud-detector/3/")' +
          ' || api.getAttribute("storage.googleapis.com/objectListPrefix", "") == "models/fraud-detector/3"' +
          ' || api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("models/fraud-detector/3/")',
      },
    });
    expect(grant.parent?.endsWith("::workloads")).toBe(true);
    expect(access?.env).toEqual([{ name: "BUCKET_NAME", value: expect.anything() }]);
  });

  it("conditions a read-write prefixed grant the same way, on the objectUser role", async () => {
    const r = await render(() => {
      const parent = new Holder("workloads");
      new GcsObjectStore("gcs", args())
        .bucket("mlflow-artifacts")
        .grantAccess(identityProvider().forWorkload(MLFLOW, { parent }), "readwrite", {
          parent,
          prefix: "experiments",
        });
    });
    const grant = r.inputs(r.one(MEMBER, "mlflow-readwrite"));
    expect(grant.role).toBe("roles/storage.objectUser");
    expect(grant.condition.title).toBe("keys under experiments/");
    expect(grant.condition.expression).toBe(
      'resource.name.startsWith("projects/_/buckets/acme-ml-test-test-mlflow-artifacts/objects/experiments/")' +
        ' || api.getAttribute("storage.googleapis.com/objectListPrefix", "") == "experiments"' +
        ' || api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("experiments/")',
    );
  });

  it("treats surrounding slashes as the same prefix, and keeps prefixed and whole-bucket grants apart", async () => {
    const r = await render(() => {
      const parent = new Holder("workloads");
      const identity = identityProvider().forWorkload(FRAUD_DETECTOR, { parent });
      const bucket = new GcsObjectStore("gcs", args()).bucket("fraud-models");
      const prefixed = bucket.grantAccess(identity, "read", { parent, prefix: "models/fraud/3" });
      expect(bucket.grantAccess(identity, "read", { parent, prefix: "/models/fraud/3/" })).toBe(prefixed);
      expect(bucket.grantAccess(identity, "read", { parent })).not.toBe(prefixed);
      expect(bucket.grantAccess(identity, "read", { parent, prefix: "models/fraud/4" })).not.toBe(prefixed);
    });
    const titles = Object.fromEntries(
      r
        .ofType(MEMBER)
        .filter((m) => m.name.includes("fraud-detector"))
        .map((g) => [g.name, r.inputs(g).condition?.title]),
    );
    expect(titles).toEqual({
      "gcs-fraud-models-fraud-detector-read": undefined,
      "gcs-fraud-models-fraud-detector-read-models/fraud/3": "keys under models/fraud/3/",
      "gcs-fraud-models-fraud-detector-read-models/fraud/4": "keys under models/fraud/4/",
    });
  });

  it.each(["", "/", "models//fraud", "models/fraud detector", 'models/"x") || true || ("', "models\\fraud"])(
    "refuses a prefix that is not an object key prefix (%j)",
    async (prefix) => {
      await render(() => {
        const parent = new Holder("workloads");
        const bucket = new GcsObjectStore("gcs", args()).bucket("fraud-models");
        expect(() =>
          bucket.grantAccess(identityProvider().forWorkload(FRAUD_DETECTOR, { parent }), "read", {
            parent,
            prefix,
          }),
        ).toThrow(
          `GcsBucket gcs-fraud-models: opts.prefix ${JSON.stringify(prefix)} is not an object key prefix`,
        );
      });
    },
  );

  it("keeps condition titles within IAM's 100 characters, distinct when cut", () => {
    const long = `models/${"a".repeat(120)}`;
    const a = prefixConditionTitle(`${long}/1`);
    const b = prefixConditionTitle(`${long}/2`);
    expect(a.length).toBe(100);
    expect(a.startsWith("keys under models/aaa")).toBe(true);
    expect(a).toMatch(/\.\.\. \([0-9a-f]{8}\)$/);
    expect(a).not.toBe(b);
    expect(prefixConditionTitle("models/x")).toBe("keys under models/x/");
  });

  it("never binds allUsers, allAuthenticatedUsers, a project-level role or a key", async () => {
    const r = await render(() => {
      const parent = new Holder("workloads");
      const store = new GcsObjectStore("gcs", args());
      store
        .bucket("fraud-models")
        .grantAccess(identityProvider().forWorkload(FRAUD_DETECTOR, { parent }), "readwrite", { parent });
    });
    const members = r.ofType(MEMBER).map((m) => r.inputs(m).member);
    expect(members.some((m) => m === "allUsers" || m === "allAuthenticatedUsers")).toBe(false);
    expect(r.ofType("gcp:projects/iAMMember:IAMMember")).toHaveLength(0);
    expect(r.ofType("gcp:serviceaccount/key:Key")).toHaveLength(0);
  });

  it("opens egress to Google APIs on 443 and to the metadata server for the token, never 0.0.0.0/0 by default", async () => {
    let access: WorkloadAccess | undefined;
    await render(() => {
      const parent = new Holder("workloads");
      const store = new GcsObjectStore("gcs", args());
      access = store
        .bucket("fraud-models")
        .grantAccess(identityProvider().forWorkload(FRAUD_DETECTOR, { parent }), "read", { parent });
    });
    expect(access?.egress).toEqual([
      { to: [{ ipBlock: { cidr: "199.36.153.8/30" } }], ports: [{ protocol: "TCP", port: 443 }] },
      {
        to: [{ ipBlock: { cidr: "169.254.169.254/32" } }],
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 988 },
        ],
      },
    ]);
  });

  it("hands out gs:// URLs", async () => {
    const r = await render(() => {
      const bucket = new GcsObjectStore("gcs", args()).bucket("mlflow-artifacts");
      expect(bucket.scheme).toBe("gs");
      expect(bucket.endpoint).toBeUndefined();
      return { withPath: bucket.url("/runs/1"), root: bucket.url() };
    });
    expect(r.outputs).toEqual({
      withPath: "gs://acme-ml-test-test-mlflow-artifacts/runs/1",
      root: "gs://acme-ml-test-test-mlflow-artifacts",
    });
  });

  it("returns the same grant twice, and refuses identities it cannot bind and unknown buckets", async () => {
    await render(() => {
      const parent = new Holder("workloads");
      const store = new GcsObjectStore("gcs", args());
      const identity = identityProvider().forWorkload(FRAUD_DETECTOR, { parent });
      const bucket = store.bucket("fraud-models");
      expect(bucket.grantAccess(identity, "read", { parent })).toBe(
        bucket.grantAccess(identity, "read", { parent }),
      );
      const foreign: WorkloadIdentity = {
        workload: FRAUD_DETECTOR,
        serviceAccountAnnotations: {},
        dependencies: [],
      };
      expect(() => bucket.grantAccess(foreign, "read", { parent })).toThrow(
        "was not issued by GkeWorkloadIdentityProvider",
      );
      expect(() => store.bucket("nope")).toThrow(
        'GcsObjectStore gcs: bucket "nope" is not declared in mlstack:objectStore.buckets (declared: fraud-models, scratch, mlflow-artifacts)',
      );
    });
  });

  it("refuses the reserved access-log name and an empty Google APIs range", () => {
    const reserved = { ...BUCKETS[0], name: "access-logs" };
    expect(() => new GcsObjectStore("gcs", args({ buckets: [reserved] }))).toThrow(
      'bucket name "access-logs" is reserved',
    );
    expect(() => new GcsObjectStore("gcs", args({ googleApisCidrs: [] }))).toThrow(
      "googleApisCidrs is empty",
    );
  });

  it("derives bucket names within 63 characters, distinct when cut", () => {
    const a = gcsBucketName(
      "acme-ml-production-eu",
      "production-europe-west",
      "payments-risk-models-archive-a",
    );
    const b = gcsBucketName(
      "acme-ml-production-eu",
      "production-europe-west",
      "payments-risk-models-archive-b",
    );
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^[a-z0-9][-a-z0-9]*[a-z0-9]$/);
    expect(a).not.toBe(b);
  });
});
