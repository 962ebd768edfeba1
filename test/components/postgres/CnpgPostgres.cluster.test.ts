import { isSecretValue } from "../../../cli/mockRuntime";
import { cnpgImage } from "../../../components/postgres/cnpgImages";
import { validateObjects } from "../../support/schemas";
import {
  CLUSTER,
  DATABASE,
  SCHEDULED_BACKUP,
  OBJECT_STORE,
  SECRET,
  CONFIG_MAP,
  configFor,
  renderPostgres,
  fakeCa,
  clusterSpec,
  muteObjectStoreWarnings,
} from "./cnpgRender";

describe("CnpgPostgres", () => {
  muteObjectStoreWarnings();

  describe("the Cluster", () => {
    it("runs the configured instances, storage and resources on the image pinned for the major version", async () => {
      const config = configFor({ postgres: { storageClass: "fast-ssd" } });
      const spec = clusterSpec(await renderPostgres(config));
      expect(spec.instances).toBe(1);
      expect(spec.imageName).toBe(cnpgImage(17));
      expect(spec.imageName).toMatch(
        /^ghcr\.io\/cloudnative-pg\/postgresql:17\.\d+-\d+-standard-trixie@sha256:[0-9a-f]{64}$/,
      );
      expect(spec.storage).toEqual({ size: "5Gi", storageClass: "fast-ssd", resizeInUseVolumes: true });
      expect(spec.resources).toEqual(config.postgres.resources);
      const r = await renderPostgres(config);
      expect(r.inputs(r.one(CLUSTER)).metadata).toMatchObject({
        name: "postgres",
        namespace: "ml-dev-platform",
      });
    });

    it("pins the image of another major version when configured", async () => {
      const spec = clusterSpec(await renderPostgres(configFor({ postgres: { version: 16 } })));
      expect(spec.imageName).toMatch(/postgresql:16\.\d+-/);
    });

    it("disables superuser access", async () => {
      expect(clusterSpec(await renderPostgres(configFor())).enableSuperuserAccess).toBe(false);
    });

    it("accepts TLS connections only: no trust, plain TCP rejected, each role into its own database only", async () => {
      const hba: string[] = clusterSpec(await renderPostgres(configFor())).postgresql.pg_hba;
      expect(hba).toEqual([
        "hostnossl all all all reject",
        'hostssl "mlflow" "mlflow" all scram-sha-256',
        'hostssl "fraud_features" "fraud_features" all scram-sha-256',
        "host all all all reject",
      ]);
      for (const line of hba) {
        expect(line).not.toMatch(/\btrust\b/);
        expect(line.startsWith("hostssl") || line.endsWith(" reject")).toBe(true);
      }
    });

    it("logs connections, disconnections, lock waits and checkpoints, and sizes memory from the limit", async () => {
      const parameters = clusterSpec(await renderPostgres(configFor({ environment: "prod" }))).postgresql
        .parameters;
      expect(parameters).toMatchObject({
        log_connections: "on",
        log_disconnections: "on",
        log_lock_waits: "on",
        log_checkpoints: "on",
        password_encryption: "scram-sha-256",
        shared_buffers: "1024MB",
        effective_cache_size: "2048MB",
      });
      expect(parameters.log_statement).toBeUndefined();
    });

    it("serves the certificate of the Pulumi-held CA, reloaded by the instances when it is re-issued", async () => {
      const r = await renderPostgres(configFor());
      expect(clusterSpec(r).certificates).toEqual({
        serverCASecret: "postgres-server-tls",
        serverTLSSecret: "postgres-server-tls",
      });
      const tls = r.inputs(r.one(SECRET, "server-tls"));
      expect(tls.type).toBe("kubernetes.io/tls");
      expect(tls.metadata).toMatchObject({ name: "postgres-server-tls", namespace: "ml-dev-platform" });
      expect(tls.metadata.labels["cnpg.io/reload"]).toBe("true");
      const names = r.inputs(r.one("tls:index/certRequest:CertRequest")).dnsNames;
      for (const name of [
        "postgres-rw",
        "postgres-rw.ml-dev-platform.svc",
        "postgres-ro.ml-dev-platform.svc",
        "postgres-r.ml-dev-platform.svc.cluster.local",
      ]) {
        expect(names).toContain(name);
      }
      expect(r.inputs(r.one("tls:index/locallySignedCert:LocallySignedCert")).allowedUses).toContain(
        "server_auth",
      );
    });

    it("puts the issued certificate, its key (secret) and the CA into the server TLS Secret", async () => {
      const r = await renderPostgres(configFor(), { certificateAuthority: fakeCa() });
      const secret = r.one(SECRET, "server-tls");
      expect(r.inputs(secret).stringData).toEqual({
        "tls.crt": "SERVER CERT for postgres-rw",
        "tls.key": "SERVER KEY",
        "ca.crt": "CA CERT",
      });
      expect(
        isSecretValue(secret.inputs.stringData) ||
          isSecretValue((secret.inputs.stringData as Record<string, unknown>)["tls.key"]),
      ).toBe(true);
    });

    it("delivers the CA as a ConfigMap to every client namespace and the owners' namespaces", async () => {
      const r = await renderPostgres(configFor(), { certificateAuthority: fakeCa() });
      const cms = r.ofType(CONFIG_MAP).map((c) => r.inputs(c));
      expect(cms.map((c) => c.metadata.namespace).sort()).toEqual([
        "ml-dev-fraud",
        "ml-dev-platform",
        "ml-dev-pricing",
      ]);
      for (const cm of cms) {
        expect(cm.metadata.name).toBe("postgres-server-ca");
        expect(cm.data).toEqual({ "ca.crt": "CA CERT" });
      }
    });

    it("manages one login role per database with its password in a basic-auth Secret", async () => {
      const r = await renderPostgres(configFor());
      const roles = clusterSpec(r).managed.roles;
      expect(roles.map((role: { name: string }) => role.name)).toEqual(["mlflow", "fraud_features"]);
      for (const role of roles) {
        expect(role).toMatchObject({
          ensure: "present",
          login: true,
          superuser: false,
          createrole: false,
          createdb: false,
          replication: false,
          bypassrls: false,
        });
      }
      expect(roles[1].passwordSecret).toEqual({ name: "postgres-role-fraud-features" });
      const secret = r.one(SECRET, "fraud_features-role");
      const inputs = r.inputs(secret);
      expect(inputs.type).toBe("kubernetes.io/basic-auth");
      expect(inputs.metadata).toMatchObject({
        name: "postgres-role-fraud-features",
        namespace: "ml-dev-platform",
      });
      expect(inputs.stringData.username).toBe("fraud_features");
      expect(
        isSecretValue((secret.inputs.stringData as Record<string, unknown>).password) ||
          isSecretValue(secret.inputs.stringData),
      ).toBe(true);
      expect(r.inputs(r.one("random:index/randomPassword:RandomPassword", "fraud_features"))).toMatchObject({
        length: 40,
        special: false,
      });
    });

    it("creates a Database per configured database, owned by its role and retained when removed", async () => {
      const r = await renderPostgres(configFor());
      const databases = r.ofType(DATABASE).map((d) => r.inputs(d).spec);
      expect(databases).toEqual([
        {
          name: "mlflow",
          owner: "mlflow",
          cluster: { name: "postgres" },
          ensure: "present",
          databaseReclaimPolicy: "retain",
        },
        {
          name: "fraud_features",
          owner: "fraud_features",
          cluster: { name: "postgres" },
          ensure: "present",
          databaseReclaimPolicy: "retain",
        },
      ]);
    });

    it("runs as the image's postgres user on plain Kubernetes and leaves UIDs to the SCC on OpenShift", async () => {
      expect(clusterSpec(await renderPostgres(configFor()))).toMatchObject({
        postgresUID: 26,
        postgresGID: 26,
        seccompProfile: { type: "RuntimeDefault" },
      });
      const openshift = clusterSpec(await renderPostgres(configFor({ target: "openshift" })));
      expect(openshift.postgresUID).toBeUndefined();
      expect(openshift.postgresGID).toBeUndefined();
      expect(
        clusterSpec(await renderPostgres(configFor(), { postgresUid: 10001, postgresGid: 10001 })),
      ).toMatchObject({ postgresUID: 10001, postgresGID: 10001 });
    });

    it("carries the platform labels onto the pods it creates", async () => {
      const spec = clusterSpec(await renderPostgres(configFor()));
      expect(spec.inheritedMetadata.labels).toMatchObject({
        "app.kubernetes.io/part-of": "mlstack",
        "mlstack.io/team": "platform",
        "mlstack.io/environment": "dev",
      });
    });

    it("passes the schemas of the kinds it emits", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }), { monitoring: true });
      const objects = r.resources.filter((x) => x.type.startsWith("kubernetes:")).map((x) => r.inputs(x));
      const result = validateObjects(objects);
      expect(result.errors).toEqual([]);
      expect(result.checked).toBeGreaterThanOrEqual(8);
    });
  });

  describe("dev and prod", () => {
    it("dev: one instance, no backups, no PodDisruptionBudget to block node drains", async () => {
      const r = await renderPostgres(configFor());
      const spec = clusterSpec(r);
      expect(spec.instances).toBe(1);
      expect(spec.plugins).toBeUndefined();
      expect(spec.enablePDB).toBe(false);
      expect(spec.postgresql.synchronous).toBeUndefined();
      expect(r.ofType(OBJECT_STORE)).toEqual([]);
      expect(r.ofType(SCHEDULED_BACKUP)).toEqual([]);
      expect(r.one(CLUSTER).protect).toBe(false);
    });

    it("prod: three instances on distinct nodes, spread over zones, switchover updates, synchronous commit", async () => {
      const spec = clusterSpec(await renderPostgres(configFor({ environment: "prod" })));
      expect(spec.instances).toBe(3);
      expect(spec.affinity).toEqual({
        enablePodAntiAffinity: true,
        topologyKey: "kubernetes.io/hostname",
        podAntiAffinityType: "required",
      });
      expect(spec.topologySpreadConstraints[0]).toMatchObject({
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
      });
      expect(spec.primaryUpdateStrategy).toBe("unsupervised");
      expect(spec.primaryUpdateMethod).toBe("switchover");
      expect(spec.enablePDB).toBe(true);
      expect(spec.postgresql.synchronous).toEqual({ method: "any", number: 1, dataDurability: "required" });
    });

    it("staging: two instances fall back to asynchronous commit while the standby is down", async () => {
      const spec = clusterSpec(await renderPostgres(configFor({ environment: "staging" })));
      expect(spec.instances).toBe(2);
      expect(spec.postgresql.synchronous).toEqual({ method: "any", number: 1, dataDurability: "preferred" });
    });

    it("prod: protects the Cluster and its Databases and keeps the Cluster on delete", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(r.one(CLUSTER).protect).toBe(true);
      expect(r.one(CLUSTER).retainOnDelete).toBe(true);
      for (const database of r.ofType(DATABASE)) expect(database.protect).toBe(true);
    });

    it("prod: no PodDisruptionBudget of its own — the operator creates them", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(r.ofType("kubernetes:policy/v1:PodDisruptionBudget")).toEqual([]);
    });
  });
});
