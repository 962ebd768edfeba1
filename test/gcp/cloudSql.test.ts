import { isSecretValue } from "../../cli/mockRuntime";
import type { WorkloadAccess } from "../../components/identity/contract";
import { CloudSqlPostgres, CloudSqlPostgresArgs } from "../../components/postgres/cloudSql";
import { CloudSqlPrivateServicesAccess } from "../../components/postgres/cloudSqlPrivateServicesAccess";
import { render } from "../support/render";
import { FRAUD_DETECTOR, Holder, MLFLOW, cloudSqlArgs, identityProvider } from "./fixtures";

const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";

describe("CloudSqlPostgres: the instance", () => {
  it("has a private IP only, in the cluster's VPC, and accepts encrypted connections only", async () => {
    const r = await render(() => {
      new CloudSqlPostgres(
        "pg",
        cloudSqlArgs({
          network: { ...cloudSqlArgs().network, allocatedIpRange: "google-managed-services-ml-vpc" },
        }),
      );
    });
    const ip = r.inputs(r.one(INSTANCE)).settings.ipConfiguration;
    expect(ip).toEqual({
      ipv4Enabled: false,
      privateNetwork: "projects/acme-ml-test/global/networks/ml-vpc",
      allocatedIpRange: "google-managed-services-ml-vpc",
      sslMode: "ENCRYPTED_ONLY",
      enablePrivatePathForGoogleCloudServices: false,
    });
    expect(ip.authorizedNetworks).toBeUndefined();
    expect(ip.requireSsl).toBeUndefined();
  });

  it("backs up daily with point-in-time recovery, keeping the configured days", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    expect(r.inputs(r.one(INSTANCE)).settings.backupConfiguration).toEqual({
      enabled: true,
      pointInTimeRecoveryEnabled: true,
      startTime: "02:00",
      transactionLogRetentionDays: 7,
      backupRetentionSettings: { retainedBackups: 35, retentionUnit: "COUNT" },
    });
  });

  it("is REGIONAL, deletion-protected twice over, keeps its backups and is protected in prod", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    const instance = r.one(INSTANCE);
    const inputs = r.inputs(instance);
    expect(inputs.settings.availabilityType).toBe("REGIONAL");
    expect(inputs.deletionProtection).toBe(true);
    expect(inputs.settings.deletionProtectionEnabled).toBe(true);
    expect(inputs.settings.retainBackupsOnDelete).toBe(true);
    expect([instance.protect, instance.retainOnDelete]).toEqual([true, true]);
    const database = r.one("postgresql:index/database:Database", "fraud_features");
    expect([database.protect, database.retainOnDelete]).toEqual([true, true]);
  });

  it("may be deleted in dev, where it is ZONAL", async () => {
    const r = await render(() => {
      new CloudSqlPostgres(
        "pg",
        cloudSqlArgs({ environment: "dev", protect: false, availabilityType: "ZONAL" }),
      );
    });
    const instance = r.one(INSTANCE);
    expect(r.inputs(instance)).toMatchObject({
      deletionProtection: false,
      settings: { availabilityType: "ZONAL", deletionProtectionEnabled: false },
    });
    expect(instance.protect).toBe(false);
  });

  it("encrypts with the postgres key, after the Cloud SQL agent may use it", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    expect(r.inputs(r.one(INSTANCE)).encryptionKeyName).toBe(
      "projects/acme-ml-test/locations/europe-west4/keyRings/ring/cryptoKeys/postgres",
    );
  });

  it("logs connections, disconnections, checkpoints and lock waits, and enables IAM database authentication", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    expect(r.inputs(r.one(INSTANCE)).settings.databaseFlags).toEqual([
      { name: "log_connections", value: "on" },
      { name: "log_disconnections", value: "on" },
      { name: "log_checkpoints", value: "on" },
      { name: "log_lock_waits", value: "on" },
      { name: "cloudsql.iam_authentication", value: "on" },
    ]);
  });

  it("runs the configured version, tier and labels", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    const inputs = r.inputs(r.one(INSTANCE));
    expect(inputs.databaseVersion).toBe("POSTGRES_17");
    expect(inputs.settings).toMatchObject({
      tier: "db-custom-4-16384",
      edition: "ENTERPRISE",
      diskSize: 215,
      diskAutoresize: true,
      diskType: "PD_SSD",
    });
    expect(inputs.settings.userLabels).toMatchObject({
      "mlstack-environment": "prod",
      "mlstack-component": "postgres",
    });
  });
});

describe("CloudSqlPostgres: roles and databases", () => {
  it("creates one login role per database, with no superuser, createdb, createrole or replication", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    const roles = r.ofType("postgresql:index/role:Role").map((role) => r.inputs(role));
    expect(roles.map((role) => role.name)).toEqual(["mlflow", "fraud_features"]);
    for (const role of roles) {
      expect(role).toMatchObject({
        login: true,
        superuser: false,
        createDatabase: false,
        createRole: false,
        replication: false,
        bypassRowLevelSecurity: false,
      });
      expect(role.password).toMatch(/^mock-/);
    }
  });

  it("makes each role own exactly its database and revokes CONNECT from PUBLIC there", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    const databases = r.ofType("postgresql:index/database:Database").map((d) => r.inputs(d));
    expect(databases.map((d) => [d.name, d.owner])).toEqual([
      ["mlflow", "mlflow"],
      ["fraud_features", "fraud_features"],
    ]);
    const revokes = r.ofType("postgresql:index/grant:Grant").map((g) => r.inputs(g));
    expect(revokes).toEqual([
      { database: "mlflow", role: "public", objectType: "database", privileges: [] },
      { database: "fraud_features", role: "public", objectType: "database", privileges: [] },
    ]);
  });

  it("manages roles as a dedicated admin over TLS, and through a local Auth Proxy without double encryption", async () => {
    const direct = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    expect(direct.inputs(direct.one("gcp:sql/user:User"))).toMatchObject({
      name: "mlstack_admin",
      type: "BUILT_IN",
    });
    const provider = direct.inputs(direct.one("pulumi:providers:postgresql"));
    expect(provider).toMatchObject({
      username: "mlstack_admin",
      sslmode: "require",
      superuser: "false",
      database: "postgres",
      port: "5432",
    });
    const proxied = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs({ adminHost: "127.0.0.1" }));
    });
    expect(proxied.inputs(proxied.one("pulumi:providers:postgresql"))).toMatchObject({
      host: "127.0.0.1",
      sslmode: "disable",
    });
  });

  it("never creates workload roles as Cloud SQL users (they would join cloudsqlsuperuser)", async () => {
    const r = await render(() => {
      new CloudSqlPostgres("pg", cloudSqlArgs());
    });
    expect(r.ofType("gcp:sql/user:User").map((u) => r.inputs(u).name)).toEqual(["mlstack_admin"]);
  });
});

describe("CloudSqlPostgres: grantDatabase", () => {
  async function grantFraud(): Promise<{ access: WorkloadAccess; r: Awaited<ReturnType<typeof render>> }> {
    let access: WorkloadAccess | undefined;
    const r = await render(() => {
      const parent = new Holder("workloads");
      const pg = new CloudSqlPostgres("pg", cloudSqlArgs());
      access = pg.grantDatabase(
        identityProvider().forWorkload(FRAUD_DETECTOR, { parent }),
        "fraud_features",
        { parent },
      );
    });
    return { access: access as WorkloadAccess, r };
  }

  it("hands the owner its password and URL as secretKeyRefs, and libpq TLS settings that verify the server CA", async () => {
    const { access } = await grantFraud();
    const env = Object.fromEntries(access.env.map((e) => [e.name, e]));
    expect(env.PGSSLMODE.value).toBe("require");
    expect(env.PGSSLROOTCERT.value).toBe("/etc/mlstack/postgres/fraud_features/ca.crt");
    expect(env.PGDATABASE.value).toBe("fraud_features");
    expect(env.PGPORT.value).toBe("5432");
    expect(env.PGPASSWORD).toEqual({
      name: "PGPASSWORD",
      valueFrom: { secretKeyRef: { name: "fraud-detector-postgres-fraud-features", key: "password" } },
    });
    expect(env.DATABASE_URL).toEqual({
      name: "DATABASE_URL",
      valueFrom: { secretKeyRef: { name: "fraud-detector-postgres-fraud-features", key: "database-url" } },
    });
    expect(access.volumeMounts).toEqual([
      { name: "pg-ca-fraud-features", mountPath: "/etc/mlstack/postgres/fraud_features", readOnly: true },
    ]);
    expect(access.volumes).toEqual([
      {
        name: "pg-ca-fraud-features",
        secret: {
          secretName: "fraud-detector-postgres-fraud-features",
          items: [{ key: "ca.crt", path: "ca.crt" }],
          defaultMode: 0o444,
        },
      },
    ]);
  });

  it("writes the credentials Secret in the workload's namespace, with the password and URL as Pulumi secrets", async () => {
    const { r } = await grantFraud();
    const secret = r.one("kubernetes:core/v1:Secret");
    const raw = secret.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(raw.metadata).toMatchObject({
      name: "fraud-detector-postgres-fraud-features",
      namespace: "ml-dev-fraud",
    });
    expect(isSecretValue(raw.stringData)).toBe(true);
    const data = r.inputs(secret).stringData;
    expect(data.password).toBe("mock-pg-fraud_features-password");
    expect(data["database-url"]).toMatch(
      /^postgresql:\/\/fraud_features:mock-pg-fraud_features-password@.+:5432\/fraud_features\?sslmode=require&sslrootcert=%2Fetc%2Fmlstack%2Fpostgres%2Ffraud_features%2Fca.crt$/,
    );
    expect(secret.parent).toMatch(/::workloads$/);
  });

  it("opens egress to the private services range on 5432 only", async () => {
    const { access } = await grantFraud();
    expect(access.egress).toEqual([
      { to: [{ ipBlock: { cidr: "10.60.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] },
    ]);
  });

  it("binds no IAM role: a direct TLS connection needs none", async () => {
    const { r } = await grantFraud();
    expect(r.ofType("gcp:projects/iAMMember:IAMMember")).toHaveLength(0);
  });

  it("refuses a workload another workload's database, and unknown databases", async () => {
    await render(() => {
      const parent = new Holder("workloads");
      const pg = new CloudSqlPostgres("pg", cloudSqlArgs());
      const ids = identityProvider();
      expect(() =>
        pg.grantDatabase(ids.forWorkload(MLFLOW, { parent }), "fraud_features", { parent }),
      ).toThrow('database "fraud_features" belongs to workload "fraud-detector", not "mlflow"');
      expect(() => pg.grantDatabase(ids.forWorkload(MLFLOW, { parent }), "ledger", { parent })).toThrow(
        'no database "ledger" (declared: mlflow, fraud_features)',
      );
    });
  });
});

describe("CloudSqlPostgres: refuses bad input before creating anything", () => {
  const cases: Array<[string, Partial<CloudSqlPostgresArgs>, string]> = [
    [
      "a ZONAL instance in prod",
      { availabilityType: "ZONAL" },
      'availabilityType "ZONAL" is not REGIONAL, which prod requires',
    ],
    ["an unsupported version", { version: 12 }, "version 12 is not a PostgreSQL major version from 14 to 18"],
    [
      "more WAL days than the edition keeps",
      { backup: { retainedBackups: 35, startTime: "02:00", transactionLogRetentionDays: 14 } },
      "backup.transactionLogRetentionDays 14 is not a whole number from 1 to 7 (ENTERPRISE)",
    ],
    [
      "a malformed backup time",
      { backup: { retainedBackups: 7, startTime: "2am", transactionLogRetentionDays: 7 } },
      'backup.startTime "2am" is not a UTC time HH:MM',
    ],
    [
      "a database named like the admin",
      { databases: [{ name: "mlstack_admin", owner: "mlflow" }] },
      'databases[].name "mlstack_admin" is reserved',
    ],
    ["no databases", { databases: [] }, "databases [] is empty"],
  ];
  it.each(cases)("refuses %s", (_what, overrides, message) => {
    expect(() => new CloudSqlPostgres("pg", cloudSqlArgs(overrides))).toThrow(message);
  });
});

describe("CloudSqlPrivateServicesAccess", () => {
  it("allocates the configured range for VPC peering and peers it with service networking", async () => {
    const r = await render(() => {
      new CloudSqlPrivateServicesAccess("psa", {
        project: "acme-net",
        network: "projects/acme-net/global/networks/ml-vpc",
        cidr: "10.60.0.0/16",
        rangeName: "test-psa",
        environment: "dev",
      });
    });
    expect(r.inputs(r.one("gcp:compute/globalAddress:GlobalAddress"))).toMatchObject({
      name: "test-psa",
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      address: "10.60.0.0",
      prefixLength: 16,
      network: "projects/acme-net/global/networks/ml-vpc",
    });
    expect(r.inputs(r.one("gcp:servicenetworking/connection:Connection"))).toMatchObject({
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: ["test-psa"],
    });
  });

  it("refuses a range smaller than /24", () => {
    expect(
      () =>
        new CloudSqlPrivateServicesAccess("psa", {
          project: "p",
          network: "projects/p/global/networks/v",
          cidr: "10.60.0.0/28",
          rangeName: "r",
          environment: "dev",
        }),
    ).toThrow('cidr "10.60.0.0/28" is not an IPv4 range from /8 to /24');
  });
});
