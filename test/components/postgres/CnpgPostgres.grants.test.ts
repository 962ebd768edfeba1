import { isSecretValue } from "../../../cli/mockRuntime";
import { CnpgPostgres, type CertificateIssuer } from "../../../components/postgres/CnpgPostgres";
import type { PlatformConfig } from "../../../stacks/config";
import { render } from "../../support/render";
import {
  CLUSTER,
  DATABASE,
  SCHEDULED_BACKUP,
  OBJECT_STORE,
  POD_MONITOR,
  SECRET,
  NETWORK_POLICY,
  configFor,
  argsFor,
  objectStoreFor,
  renderPostgres,
  identity,
  grantOf,
  muteObjectStoreWarnings,
} from "./cnpgRender";

describe("CnpgPostgres", () => {
  muteObjectStoreWarnings();

  describe("grantDatabase", () => {
    const mlflow = (config: PlatformConfig) => identity("mlflow", "platform", config.platformNamespace);

    it("connects the owner with verify-full TLS, its password and URI by reference only", async () => {
      const config = configFor();
      const { grant } = await grantOf(config, mlflow(config), "mlflow");
      const byName = Object.fromEntries(grant.env.map((e) => [e.name, e]));
      expect(byName.PGHOST.value).toBe("postgres-rw.ml-dev-platform.svc");
      expect(byName.PGPORT.value).toBe("5432");
      expect(byName.PGDATABASE.value).toBe("mlflow");
      expect(byName.PGUSER.value).toBe("mlflow");
      expect(byName.PGSSLMODE.value).toBe("verify-full");
      expect(byName.PGSSLROOTCERT.value).toBe("/etc/mlstack/postgres/postgres/ca.crt");
      expect(byName.PGPASSWORD).toEqual({
        name: "PGPASSWORD",
        valueFrom: { secretKeyRef: { name: "postgres-mlflow-credentials", key: "password" } },
      });
      expect(byName.DATABASE_URL).toEqual({
        name: "DATABASE_URL",
        valueFrom: { secretKeyRef: { name: "postgres-mlflow-credentials", key: "uri" } },
      });
      for (const e of grant.env) expect(String(e.value ?? "")).not.toContain("mock-");
    });

    it("writes the credentials Secret into the workload's namespace with a verify-full URI", async () => {
      const config = configFor();
      const { r } = await grantOf(
        config,
        identity("fraud-detector", "fraud", "ml-dev-fraud"),
        "fraud_features",
      );
      const secret = r.one(SECRET, "grant-fraud-detector");
      const inputs = r.inputs(secret);
      expect(inputs.metadata).toMatchObject({
        name: "postgres-fraud-features-credentials",
        namespace: "ml-dev-fraud",
      });
      expect(inputs.stringData).toMatchObject({
        username: "fraud_features",
        host: "postgres-rw.ml-dev-platform.svc",
        port: "5432",
        dbname: "fraud_features",
        sslmode: "verify-full",
      });
      expect(inputs.stringData.password).toBe("mock-postgres-fraud_features-password");
      expect(inputs.stringData.uri).toBe(
        "postgresql://fraud_features:mock-postgres-fraud_features-password@postgres-rw.ml-dev-platform.svc:5432/fraud_features?sslmode=verify-full&sslrootcert=/etc/mlstack/postgres/postgres/ca.crt",
      );
      expect(
        isSecretValue(secret.inputs.stringData) ||
          isSecretValue((secret.inputs.stringData as Record<string, unknown>).uri),
      ).toBe(true);
    });

    it("mounts the CA from the namespace's ConfigMap and opens egress to the instances on 5432", async () => {
      const config = configFor();
      const { grant } = await grantOf(
        config,
        identity("fraud-detector", "fraud", "ml-dev-fraud"),
        "fraud_features",
      );
      expect(grant.volumes).toEqual([
        {
          name: "postgres-server-ca",
          configMap: { name: "postgres-server-ca", items: [{ key: "ca.crt", path: "ca.crt" }] },
        },
      ]);
      expect(grant.volumeMounts).toEqual([
        { name: "postgres-server-ca", mountPath: "/etc/mlstack/postgres/postgres", readOnly: true },
      ]);
      expect(grant.egress).toEqual([
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-platform" } },
              podSelector: { matchLabels: { "cnpg.io/cluster": "postgres" } },
            },
          ],
          ports: [{ protocol: "TCP", port: 5432 }],
        },
      ]);
    });

    it("hands the same access when asked twice, without a second Secret", async () => {
      const config = configFor();
      const r = await render(() => {
        const pg = new CnpgPostgres(
          "postgres",
          argsFor(config, undefined, {
            config: { ...config.postgres, backup: { ...config.postgres.backup, enabled: false } },
          }),
        );
        const first = pg.grantDatabase(mlflow(config), "mlflow", { parent: pg });
        expect(pg.grantDatabase(mlflow(config), "mlflow", { parent: pg })).toBe(first);
      });
      expect(r.ofType(SECRET).filter((s) => s.name.includes("grant"))).toHaveLength(1);
    });

    it("refuses an undeclared database", async () => {
      const config = configFor();
      await expect(grantOf(config, mlflow(config), "billing")).rejects.toThrow(
        'database "billing" is not declared in postgres.databases (declared: mlflow, fraud_features)',
      );
    });

    it("refuses a database the workload does not own", async () => {
      const config = configFor();
      await expect(grantOf(config, mlflow(config), "fraud_features")).rejects.toThrow(
        'database "fraud_features" is owned by workload "fraud-detector", not "mlflow"',
      );
    });

    it("refuses the owner running outside the namespace its ownership was declared for", async () => {
      const config = configFor();
      await expect(
        grantOf(config, identity("fraud-detector", "fraud", "ml-dev-pricing"), "fraud_features"),
      ).rejects.toThrow(
        'workload "fraud-detector" runs in namespace "ml-dev-pricing" but its database grant was declared for "ml-dev-fraud"',
      );
    });
  });

  describe("refuses bad input before registering anything", () => {
    it("a highly available environment with a single instance", () => {
      const config = configFor({ environment: "staging", postgres: { instances: 1 } });
      expect(() => new CnpgPostgres("postgres", argsFor(config, undefined))).toThrow(
        "config.instances 1 is below 2 but staging runs highly available: set at least 2",
      );
    });

    it("a database owner without a namespace", () => {
      const config = configFor();
      expect(
        () =>
          new CnpgPostgres(
            "postgres",
            argsFor(config, undefined, { owners: { mlflow: config.platformNamespace } }),
          ),
      ).toThrow('config.databases[1].owner "fraud-detector" has no namespace in args.owners');
    });

    it("a database whose role name PostgreSQL reserves", () => {
      const config = configFor();
      const databases = [...config.postgres.databases, { name: "pg_stats", owner: "mlflow" }];
      expect(
        () =>
          new CnpgPostgres(
            "postgres",
            argsFor(config, undefined, { config: { ...config.postgres, databases } }),
          ),
      ).toThrow(
        'config.databases[2].name "pg_stats" would create role "pg_stats", which PostgreSQL or CloudNativePG reserves',
      );
    });

    it("a UID on OpenShift, where the SCC assigns it", () => {
      const config = configFor({ target: "openshift" });
      expect(() => new CnpgPostgres("postgres", argsFor(config, undefined, { postgresUid: 10001 }))).toThrow(
        "postgresUid 10001 is set but OpenShift assigns the UID",
      );
    });

    it("an image override of another major version", () => {
      const config = configFor();
      expect(
        () =>
          new CnpgPostgres(
            "postgres",
            argsFor(config, undefined, { imageName: "registry.corp/cnpg/postgresql:16.9" }),
          ),
      ).toThrow('imageName "registry.corp/cnpg/postgresql:16.9" does not carry PostgreSQL 17');
    });

    it("a cluster name longer than CloudNativePG accepts", () => {
      const config = configFor();
      const name = "p".repeat(51);
      expect(
        () =>
          new CnpgPostgres("postgres", argsFor(config, undefined, { config: { ...config.postgres, name } })),
      ).toThrow("must be a DNS label of at most 50 characters");
    });

    it("a backup bucket other than the configured one", async () => {
      const config = configFor({ environment: "prod" });
      await expect(
        render(() => {
          const store = objectStoreFor(config);
          new CnpgPostgres(
            "postgres",
            argsFor(config, store, { backupBucket: store.bucket("mlflow-artifacts") }),
          );
        }),
      ).rejects.toThrow('backupBucket "mlflow-artifacts" is not config.backup.bucket "postgres-backups"');
    });

    it("a backup bucket and a CA with their fields only, as a program in another language passes them", async () => {
      const config = configFor({ environment: "prod" });
      await expect(
        render(() => {
          const bucket = objectStoreFor(config).bucket("postgres-backups");
          const fieldsOnly = {
            logicalName: bucket.logicalName,
            bucketName: bucket.bucketName,
            scheme: bucket.scheme,
          };
          new CnpgPostgres(
            "postgres",
            argsFor(config, undefined, { backupBucket: fieldsOnly as typeof bucket }),
          );
        }),
      ).rejects.toThrow(
        'backupBucket "postgres-backups" is not a bucket of an mlstack object store (it has no grantAccess)',
      );
      const dev = configFor();
      const certPem = { certPem: "" } as unknown as CertificateIssuer;
      expect(
        () => new CnpgPostgres("postgres", argsFor(dev, undefined, { certificateAuthority: certPem })),
      ).toThrow('certificateAuthority "(no issue method)" is not a CertificateAuthority');
    });
  });

  it("parents every child to the component", async () => {
    const r = await renderPostgres(configFor({ environment: "prod" }), { monitoring: true });
    const component = r.one("mlstack:postgres:CnpgPostgres");
    const children = r.descendants(component);
    for (const type of [CLUSTER, DATABASE, SCHEDULED_BACKUP, OBJECT_STORE, POD_MONITOR, NETWORK_POLICY]) {
      expect(children.filter((c) => c.type === type).length).toBeGreaterThan(0);
    }
  });
});
