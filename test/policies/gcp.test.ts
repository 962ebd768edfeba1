import { messages, resource, UNKNOWN, check } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LABELS = {
  "mlstack-environment": "prod",
  "mlstack-team": "fraud",
  "mlstack-component": "object-store",
};

const bucket = (inputs: Json = {}) =>
  resource("gcp:storage/bucket:Bucket", "models", {
    name: "mlstack-prod-fraud-models",
    location: "EU",
    uniformBucketLevelAccess: true,
    publicAccessPrevention: "enforced",
    versioning: { enabled: true },
    logging: { logBucket: "mlstack-prod-access-logs" },
    encryption: { defaultKmsKeyName: "projects/p/locations/eu/keyRings/r/cryptoKeys/k" },
    labels: LABELS,
    ...inputs,
  });

const sql = (settings: Json = {}, inputs: Json = {}) =>
  resource("gcp:sql/databaseInstance:DatabaseInstance", "pg", {
    databaseVersion: "POSTGRES_17",
    deletionProtection: true,
    encryptionKeyName: "projects/p/locations/eu/keyRings/r/cryptoKeys/sql",
    settings: {
      tier: "db-custom-2-8192",
      availabilityType: "REGIONAL",
      deletionProtectionEnabled: true,
      ipConfiguration: {
        ipv4Enabled: false,
        privateNetwork: "projects/p/global/networks/vpc",
        sslMode: "ENCRYPTED_ONLY",
      },
      backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
      databaseFlags: ["log_connections", "log_disconnections", "log_checkpoints", "log_lock_waits"].map(
        (name) => ({ name, value: "on" }),
      ),
      userLabels: LABELS,
      ...settings,
    },
    ...inputs,
  });

describe("Cloud Storage", () => {
  it("a hardened bucket breaks no GCS rule", () => {
    for (const rule of [
      "gcp-gcs-uniform-access",
      "gcp-gcs-public-access-prevention",
      "gcp-gcs-versioning-logging",
    ]) {
      expect({ rule, found: messages([bucket()], rule) }).toEqual({ rule, found: [] });
    }
  });
  it("gcp-gcs-uniform-access flags fine-grained ACLs", () => {
    expect(messages([bucket({ uniformBucketLevelAccess: false })], "gcp-gcs-uniform-access")).toHaveLength(1);
  });
  it("gcp-gcs-public-access-prevention flags inherited prevention", () => {
    expect(
      messages([bucket({ publicAccessPrevention: "inherited" })], "gcp-gcs-public-access-prevention"),
    ).toHaveLength(1);
    expect(
      messages([bucket({ publicAccessPrevention: undefined })], "gcp-gcs-public-access-prevention"),
    ).toHaveLength(1);
  });
  it("gcp-gcs-versioning-logging flags each missing setting", () => {
    expect(
      messages(
        [bucket({ versioning: undefined, logging: undefined, encryption: undefined })],
        "gcp-gcs-versioning-logging",
      ),
    ).toHaveLength(3);
  });
  it("gcp-gcs-no-public-iam flags allUsers and allAuthenticatedUsers in members, bindings, policies and ACLs", () => {
    const found = messages(
      [
        resource("gcp:storage/bucketIAMMember:BucketIAMMember", "m", {
          bucket: "b",
          role: "roles/storage.objectViewer",
          member: "allUsers",
        }),
        resource("gcp:storage/bucketIAMBinding:BucketIAMBinding", "b", {
          bucket: "b",
          role: "roles/storage.objectViewer",
          members: ["allAuthenticatedUsers"],
        }),
        resource("gcp:storage/bucketIAMPolicy:BucketIAMPolicy", "p", {
          bucket: "b",
          policyData: JSON.stringify({ bindings: [{ role: "roles/storage.admin", members: ["allUsers"] }] }),
        }),
        resource("gcp:storage/bucketACL:BucketACL", "a", { bucket: "b", roleEntities: ["READER:allUsers"] }),
      ],
      "gcp-gcs-no-public-iam",
    );
    expect(found).toHaveLength(4);
  });
  it("gcp-gcs-no-public-iam accepts a service account member", () => {
    expect(
      messages(
        [
          resource("gcp:storage/bucketIAMMember:BucketIAMMember", "m", {
            bucket: "b",
            role: "roles/storage.objectUser",
            member: "serviceAccount:scorer@p.iam.gserviceaccount.com",
          }),
        ],
        "gcp-gcs-no-public-iam",
      ),
    ).toEqual([]);
  });
});

describe("Cloud SQL", () => {
  const SQL_RULES = [
    "gcp-sql-ssl",
    "gcp-sql-private-ip",
    "gcp-sql-backups-pitr",
    "gcp-sql-deletion-protection",
    "gcp-sql-pg-log-flags",
    "gcp-sql-ha-cmek",
  ];
  it("a hardened instance breaks no Cloud SQL rule", () => {
    for (const rule of SQL_RULES)
      expect({ rule, found: messages([sql()], rule) }).toEqual({ rule, found: [] });
  });
  it("gcp-sql-ssl flags a missing or permissive sslMode, and the removed requireSsl alone", () => {
    expect(
      messages(
        [sql({ ipConfiguration: { ipv4Enabled: false, sslMode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED" } })],
        "gcp-sql-ssl",
      ),
    ).toHaveLength(1);
    expect(
      messages([sql({ ipConfiguration: { ipv4Enabled: false, requireSsl: true } })], "gcp-sql-ssl"),
    ).toEqual([expect.stringContaining("use sslMode instead")]);
  });
  it("gcp-sql-ssl accepts TRUSTED_CLIENT_CERTIFICATE_REQUIRED", () => {
    expect(
      messages(
        [sql({ ipConfiguration: { ipv4Enabled: false, sslMode: "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" } })],
        "gcp-sql-ssl",
      ),
    ).toEqual([]);
  });
  it("gcp-sql-private-ip flags a public IP (also by default) and 0.0.0.0/0", () => {
    expect(messages([sql({ ipConfiguration: { sslMode: "ENCRYPTED_ONLY" } })], "gcp-sql-private-ip")).toEqual(
      [expect.stringContaining("default true")],
    );
    expect(
      messages(
        [
          sql({
            ipConfiguration: {
              ipv4Enabled: true,
              sslMode: "ENCRYPTED_ONLY",
              authorizedNetworks: [{ value: "0.0.0.0/0" }],
            },
          }),
        ],
        "gcp-sql-private-ip",
      ),
    ).toHaveLength(2);
  });
  it("gcp-sql-backups-pitr flags backups or PITR off, and skips read replicas", () => {
    expect(
      messages(
        [sql({ backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: false } })],
        "gcp-sql-backups-pitr",
      ),
    ).toHaveLength(1);
    expect(messages([sql({ backupConfiguration: undefined })], "gcp-sql-backups-pitr")).toHaveLength(2);
    expect(
      messages(
        [sql({ backupConfiguration: undefined }, { masterInstanceName: "pg" })],
        "gcp-sql-backups-pitr",
      ),
    ).toEqual([]);
  });
  it("gcp-sql-deletion-protection flags either switch off in prod only", () => {
    expect(messages([sql({}, { deletionProtection: false })], "gcp-sql-deletion-protection")).toHaveLength(1);
    expect(messages([sql({ deletionProtectionEnabled: false })], "gcp-sql-deletion-protection")).toHaveLength(
      1,
    );
    expect(
      messages([sql({ deletionProtectionEnabled: false })], "gcp-sql-deletion-protection", {
        environment: "dev",
      }),
    ).toEqual([]);
  });
  it("gcp-sql-pg-log-flags flags missing logging flags", () => {
    expect(
      messages([sql({ databaseFlags: [{ name: "log_connections", value: "on" }] })], "gcp-sql-pg-log-flags"),
    ).toEqual([expect.stringContaining("log_disconnections, log_checkpoints, log_lock_waits")]);
  });
  it("gcp-sql-ha-cmek flags ZONAL in prod and a missing CMEK anywhere", () => {
    expect(messages([sql({ availabilityType: "ZONAL" })], "gcp-sql-ha-cmek")).toHaveLength(1);
    expect(messages([sql({ availabilityType: "ZONAL" })], "gcp-sql-ha-cmek", { environment: "dev" })).toEqual(
      [],
    );
    expect(
      messages([sql({}, { encryptionKeyName: undefined })], "gcp-sql-ha-cmek", { environment: "dev" }),
    ).toHaveLength(1);
  });
  it("reports an unknown sslMode as not checked", () => {
    expect(
      check([sql({ ipConfiguration: { ipv4Enabled: false, sslMode: UNKNOWN } })], "gcp-sql-ssl"),
    ).toEqual({
      violations: [expect.objectContaining({ notChecked: true, enforcementLevel: "mandatory" })],
      deferred: [expect.objectContaining({ policy: "gcp-sql-ssl" })],
    });
  });
});

describe("gcp-kafka-cmek-network", () => {
  const cluster = (gcpConfig: Json) =>
    resource("gcp:managedkafka/cluster:Cluster", "kafka", {
      clusterId: "kafka",
      location: "europe-west1",
      capacityConfig: { vcpuCount: "3", memoryBytes: "3221225472" },
      gcpConfig,
    });
  it("accepts a CMEK cluster on a named subnet", () => {
    expect(
      messages(
        [
          cluster({
            kmsKey: "projects/p/locations/l/keyRings/r/cryptoKeys/k",
            accessConfig: { networkConfigs: [{ subnet: "projects/p/regions/r/subnetworks/s" }] },
          }),
        ],
        "gcp-kafka-cmek-network",
      ),
    ).toEqual([]);
  });
  it("flags a cluster without CMEK or subnet", () => {
    expect(
      messages([cluster({ accessConfig: { networkConfigs: [] } })], "gcp-kafka-cmek-network"),
    ).toHaveLength(2);
  });
});

describe("gcp-gke-workload-identity", () => {
  it("accepts a cluster with a workload pool and GKE_METADATA node pools, and Autopilot", () => {
    const cluster = resource("gcp:container/cluster:Cluster", "gke", {
      workloadIdentityConfig: { workloadPool: "p.svc.id.goog" },
      nodeConfig: { workloadMetadataConfig: { mode: "GKE_METADATA" } },
    });
    const pool = resource("gcp:container/nodePool:NodePool", "pool", {
      cluster: "gke",
      nodeConfig: { workloadMetadataConfig: { mode: "GKE_METADATA" } },
    });
    const autopilot = resource("gcp:container/cluster:Cluster", "ap", { enableAutopilot: true });
    expect(messages([cluster, pool, autopilot], "gcp-gke-workload-identity")).toEqual([]);
  });
  it("flags a cluster without Workload Identity and a node pool exposing node metadata", () => {
    const cluster = resource("gcp:container/cluster:Cluster", "gke", {});
    const pool = resource("gcp:container/nodePool:NodePool", "pool", {
      cluster: "gke",
      nodeConfig: { workloadMetadataConfig: { mode: "GCE_METADATA" } },
    });
    expect(messages([cluster, pool], "gcp-gke-workload-identity")).toHaveLength(2);
  });
});

describe("GCP IAM", () => {
  it("gcp-iam-no-basic-roles flags owner, editor and viewer and accepts predefined roles", () => {
    const member = (role: string) =>
      resource("gcp:projects/iAMMember:IAMMember", role, {
        project: "p",
        role,
        member: "group:ml@bank.example",
      });
    expect(
      messages(
        [member("roles/owner"), member("roles/editor"), member("roles/viewer")],
        "gcp-iam-no-basic-roles",
      ),
    ).toHaveLength(3);
    expect(messages([member("roles/storage.objectViewer")], "gcp-iam-no-basic-roles")).toEqual([]);
    const policy = resource("gcp:projects/iAMPolicy:IAMPolicy", "pol", {
      project: "p",
      policyData: JSON.stringify({ bindings: [{ role: "roles/editor", members: ["user:a@b.c"] }] }),
    });
    expect(messages([policy], "gcp-iam-no-basic-roles")).toHaveLength(1);
  });
  const wi = (type: string, inputs: Json) =>
    resource(type, "wi", {
      role: "roles/iam.workloadIdentityUser",
      serviceAccountId: "projects/p/serviceAccounts/scorer@p.iam.gserviceaccount.com",
      ...inputs,
    });
  it("gcp-iam-wi-binding-scoped accepts one KSA per binding", () => {
    expect(
      messages(
        [
          wi("gcp:serviceaccount/iAMMember:IAMMember", {
            member: "serviceAccount:p.svc.id.goog[ml-prod-fraud/scorer]",
          }),
        ],
        "gcp-iam-wi-binding-scoped",
      ),
    ).toEqual([]);
    expect(
      messages(
        [
          wi("gcp:serviceaccount/iAMBinding:IAMBinding", {
            members: ["serviceAccount:p.svc.id.goog[ml-prod-fraud/scorer]"],
          }),
        ],
        "gcp-iam-wi-binding-scoped",
      ),
    ).toEqual([]);
  });
  it.each([
    [
      "two KSAs",
      "gcp:serviceaccount/iAMBinding:IAMBinding",
      { members: ["serviceAccount:p.svc.id.goog[a/x]", "serviceAccount:p.svc.id.goog[b/y]"] },
    ],
    [
      "a principal set",
      "gcp:serviceaccount/iAMMember:IAMMember",
      {
        member:
          "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog/namespace/ml",
      },
    ],
    [
      "a project-wide grant",
      "gcp:projects/iAMMember:IAMMember",
      { project: "p", member: "serviceAccount:p.svc.id.goog[a/x]" },
    ],
  ])("gcp-iam-wi-binding-scoped flags %s", (_what, type, inputs) => {
    expect(messages([wi(type, inputs)], "gcp-iam-wi-binding-scoped").length).toBeGreaterThan(0);
  });
});

describe("gcp-kms-rotation", () => {
  const key = (inputs: Json) =>
    resource("gcp:kms/cryptoKey:CryptoKey", "k", { keyRing: "r", labels: LABELS, ...inputs });
  it("accepts rotation every 90 days or less", () => {
    expect(
      messages(
        [key({ rotationPeriod: "7776000s" }), key({ rotationPeriod: "2592000s" })],
        "gcp-kms-rotation",
      ),
    ).toEqual([]);
  });
  it("flags no rotation and a longer period, not asymmetric keys", () => {
    expect(messages([key({}), key({ rotationPeriod: "31536000s" })], "gcp-kms-rotation")).toHaveLength(2);
    expect(messages([key({ purpose: "ASYMMETRIC_SIGN" })], "gcp-kms-rotation")).toEqual([]);
  });
});
