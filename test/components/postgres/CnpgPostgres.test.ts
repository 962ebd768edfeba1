import * as pulumi from "@pulumi/pulumi";
import { isSecretValue } from "../../../cli/mockRuntime";
import { flavorOf, PlatformContext } from "../../../components/context";
import type { WorkloadAccess, WorkloadIdentity } from "../../../components/identity/contract";
import { ObcObjectStore } from "../../../components/objectstore/ObcObjectStore";
import type { CertificateAuthority } from "../../../components/pki/CertificateAuthority";
import { CnpgPostgres, CnpgPostgresArgs } from "../../../components/postgres/CnpgPostgres";
import { cnpgImage } from "../../../components/postgres/cnpgImages";
import type { PlatformConfig } from "../../../stacks/config";
import { baseConfig } from "../../support/config";
import { Rendered, render } from "../../support/render";
import { validateObjects } from "../../support/schemas";

const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
const DATABASE = "kubernetes:postgresql.cnpg.io/v1:Database";
const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
const OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore";
const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
const SECRET = "kubernetes:core/v1:Secret";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** MLflow's database plus one owned by a served model in a team namespace. */
const DATABASES = { databases: [{ name: "fraud_features", owner: "fraud-detector" }] };

function configFor(overrides: Record<string, unknown> = {}): PlatformConfig {
  const postgres = { ...DATABASES, ...((overrides.postgres as Record<string, unknown> | undefined) ?? {}) };
  return baseConfig({ ...overrides, postgres });
}

function contextFor(config: PlatformConfig): PlatformContext {
  return {
    environment: config.environment,
    target: config.target,
    flavor: flavorOf(config.target),
    protect: config.protect,
    highAvailability: config.highAvailability,
    project: config.project,
    stack: config.stack,
  };
}

function teamNamespace(config: PlatformConfig, team: string): string {
  return config.teams.find((t) => t.name === team)?.namespace as string;
}

function ownersFor(config: PlatformConfig): Record<string, string> {
  return { mlflow: config.platformNamespace, "fraud-detector": teamNamespace(config, "fraud") };
}

/** The args a target module passes, with the backup bucket from an ObjectBucketClaim store when backups are on. */
function argsFor(
  config: PlatformConfig,
  store: ObcObjectStore | undefined,
  extra: Partial<CnpgPostgresArgs> = {},
): CnpgPostgresArgs {
  return {
    ctx: contextFor(config),
    config: config.postgres,
    namespace: config.platformNamespace,
    clientNamespaces: config.teams.map((t) => t.namespace),
    operatorNamespace: config.operators.namespace,
    network: config.network,
    owners: ownersFor(config),
    backupBucket:
      config.postgres.backup.enabled && store ? store.bucket(config.postgres.backup.bucket) : undefined,
    monitoring: false,
    ...extra,
  };
}

function objectStoreFor(config: PlatformConfig): ObcObjectStore {
  const namespaces = {
    platform: config.platformNamespace,
    ...Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
  };
  return new ObcObjectStore("objectstore", {
    ctx: contextFor(config),
    config: config.objectStore,
    network: config.network,
    namespaces,
  });
}

async function renderPostgres(
  config: PlatformConfig,
  extra: Partial<CnpgPostgresArgs> = {},
): Promise<Rendered> {
  return render(() => {
    new CnpgPostgres("postgres", argsFor(config, objectStoreFor(config), extra));
  });
}

function identity(name: string, team: string, namespace: string): WorkloadIdentity {
  return {
    workload: { name, team, namespace, serviceAccountName: name },
    serviceAccountAnnotations: {},
    dependencies: [],
  };
}

type Resolved = { env: Array<Record<string, any>>; volumes: any[]; volumeMounts: any[]; egress: any[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function grantOf(
  config: PlatformConfig,
  who: WorkloadIdentity,
  database: string,
): Promise<{ r: Rendered; grant: Resolved }> {
  const r = await render(() => {
    const pg = new CnpgPostgres("postgres", argsFor(config, objectStoreFor(config)));
    const access: WorkloadAccess = pg.grantDatabase(who, database, { parent: pg });
    return {
      env: access.env,
      volumes: access.volumes,
      volumeMounts: access.volumeMounts,
      egress: access.egress,
    };
  });
  return { r, grant: r.outputs as unknown as Resolved };
}

/** A CA with known PEMs (the mock runtime computes no certificates). */
function fakeCa(): Pick<CertificateAuthority, "certPem" | "issue"> {
  return {
    certPem: pulumi.output("CA CERT"),
    issue: (_name, args) => ({
      certPem: pulumi.output(`SERVER CERT for ${args.commonName}`),
      privateKeyPem: pulumi.secret("SERVER KEY"),
    }),
  };
}

const clusterSpec = (r: Rendered) => r.inputs(r.one(CLUSTER)).spec;

describe("CnpgPostgres", () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    // The object store warns about settings claims cannot enforce; not what these tests are about.
    warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
  });
  afterEach(() => warn.mockRestore());

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

  describe("backups", () => {
    it("archives WAL and base backups through the Barman Cloud plugin to the backup bucket", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(clusterSpec(r).plugins).toEqual([
        {
          name: "barman-cloud.cloudnative-pg.io",
          isWALArchiver: true,
          parameters: { barmanObjectName: "postgres-backups" },
        },
      ]);
      expect(clusterSpec(r).backup).toBeUndefined();
      const store = r.inputs(r.one(OBJECT_STORE));
      expect(store.metadata).toMatchObject({ name: "postgres-backups", namespace: "ml-prod-platform" });
      expect(store.spec.configuration).toMatchObject({
        destinationPath: "s3://mlstack-test-postgres-backups/",
        endpointURL: "http://rook-ceph-rgw-objectstore.rook-ceph.svc",
        wal: { compression: "gzip" },
      });
    });

    it("keeps backups and WAL for the configured retention", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(r.inputs(r.one(OBJECT_STORE)).spec.retentionPolicy).toBe("35d");
      const custom = await renderPostgres(
        configFor({ environment: "staging", postgres: { backup: { retentionDays: 21 } } }),
      );
      expect(custom.inputs(custom.one(OBJECT_STORE)).spec.retentionPolicy).toBe("21d");
    });

    it("takes its key pair from the bucket's grant to the cluster, by reference to the claim's Secret", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(r.inputs(r.one(OBJECT_STORE)).spec.configuration.s3Credentials).toEqual({
        accessKeyId: { name: "objectstore-postgres-backups", key: "AWS_ACCESS_KEY_ID" },
        secretAccessKey: { name: "objectstore-postgres-backups", key: "AWS_SECRET_ACCESS_KEY" },
      });
      const sidecar = r.inputs(r.one(OBJECT_STORE)).spec.instanceSidecarConfiguration;
      expect(sidecar.resources.limits.memory).toBe("1Gi");
      expect(sidecar.env).toEqual([
        { name: "AWS_REGION", value: "us-east-1" },
        { name: "AWS_DEFAULT_REGION", value: "us-east-1" },
      ]);
    });

    it("schedules base backups on the configured schedule, starting right away", async () => {
      const r = await renderPostgres(
        configFor({ environment: "prod", postgres: { backup: { schedule: "0 30 1 * * *" } } }),
      );
      expect(r.inputs(r.one(SCHEDULED_BACKUP)).spec).toEqual({
        cluster: { name: "postgres" },
        schedule: "0 30 1 * * *",
        method: "plugin",
        pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
        immediate: true,
        backupOwnerReference: "self",
        target: "prefer-standby",
      });
    });

    it("on OpenShift hands barman-cloud the service CA through the projected volume", async () => {
      const r = await renderPostgres(configFor({ target: "openshift", environment: "prod" }));
      expect(clusterSpec(r).projectedVolumeTemplate).toEqual({
        sources: [
          {
            configMap: {
              name: "openshift-service-ca.crt",
              items: [{ key: "service-ca.crt", path: "object-store-ca/postgres-backups/service-ca.crt" }],
            },
          },
        ],
      });
      expect(r.inputs(r.one(OBJECT_STORE)).spec.instanceSidecarConfiguration.env).toContainEqual({
        name: "AWS_CA_BUNDLE",
        value: "/projected/object-store-ca/postgres-backups/service-ca.crt",
      });
      expect(r.inputs(r.one(OBJECT_STORE)).spec.configuration.endpointURL).toBe(
        "https://s3.openshift-storage.svc",
      );
    });

    it("refuses backups without a bucket to put them in", () => {
      const config = configFor({ environment: "prod" });
      expect(() => new CnpgPostgres("postgres", argsFor(config, undefined))).toThrow(
        'backupBucket undefined is required: postgres.backup.enabled is true but no backupBucket was given; pass the object store\'s "postgres-backups" bucket',
      );
    });
  });

  describe("the NetworkPolicy of the instances", () => {
    async function policy(config: PlatformConfig, extra: Partial<CnpgPostgresArgs> = {}) {
      const r = await renderPostgres(config, extra);
      return r.inputs(r.one(NETWORK_POLICY)).spec;
    }

    it("selects the cluster's pods for both directions", async () => {
      const spec = await policy(configFor());
      expect(spec.podSelector).toEqual({ matchLabels: { "cnpg.io/cluster": "postgres" } });
      expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
    });

    it("admits clients on 5432 from the client namespaces, the operator on 8000, and the instances to each other", async () => {
      const spec = await policy(configFor());
      expect(spec.ingress).toContainEqual({
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
        ports: [{ protocol: "TCP", port: 5432 }],
      });
      expect(spec.ingress).toContainEqual({
        from: [
          {
            namespaceSelector: {
              matchExpressions: [
                { key: "kubernetes.io/metadata.name", operator: "In", values: ["ml-dev-operators"] },
              ],
            },
          },
        ],
        ports: [
          { protocol: "TCP", port: 8000 },
          { protocol: "TCP", port: 5432 },
        ],
      });
      expect(spec.ingress).toContainEqual({
        from: [{ podSelector: { matchLabels: { "cnpg.io/cluster": "postgres" } } }],
        ports: [
          { protocol: "TCP", port: 5432 },
          { protocol: "TCP", port: 8000 },
        ],
      });
      expect(JSON.stringify(spec.ingress)).not.toContain("9187");
    });

    it("lets the instances out to each other and to the API server on 443/6443 only", async () => {
      const spec = await policy(configFor({ network: { apiServerCidrs: ["10.0.0.1/32"] } }));
      expect(spec.egress).toEqual([
        {
          to: [{ podSelector: { matchLabels: { "cnpg.io/cluster": "postgres" } } }],
          ports: [
            { protocol: "TCP", port: 5432 },
            { protocol: "TCP", port: 8000 },
          ],
        },
        {
          to: [{ ipBlock: { cidr: "10.0.0.1/32" } }],
          ports: [
            { protocol: "TCP", port: 443 },
            { protocol: "TCP", port: 6443 },
          ],
        },
      ]);
    });

    it("lets the instances reach the object store when they back up", async () => {
      const spec = await policy(configFor({ environment: "prod" }));
      expect(spec.egress).toContainEqual({
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rook-ceph" } } }],
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 8080 },
        ],
      });
    });

    it("labels the PodMonitor with network.monitorLabels, for a Prometheus that selects by release", async () => {
      const config = configFor({
        environment: "prod",
        network: { monitorLabels: { release: "kube-prometheus-stack" } },
      });
      const r = await renderPostgres(config, { monitoring: true });
      expect(r.inputs(r.one(POD_MONITOR)).metadata.labels).toMatchObject({
        release: "kube-prometheus-stack",
        "app.kubernetes.io/part-of": "mlstack",
      });
    });

    it("admits Prometheus on 9187 and creates a PodMonitor when monitored", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }), { monitoring: true });
      expect(r.inputs(r.one(NETWORK_POLICY)).spec.ingress).toContainEqual({
        from: [
          {
            namespaceSelector: {
              matchExpressions: [
                { key: "kubernetes.io/metadata.name", operator: "In", values: ["monitoring"] },
              ],
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 9187 }],
      });
      expect(r.inputs(r.one(POD_MONITOR)).spec).toEqual({
        selector: { matchLabels: { "cnpg.io/cluster": "postgres", "cnpg.io/podRole": "instance" } },
        podMetricsEndpoints: [{ port: "metrics" }],
      });
      expect(clusterSpec(r).monitoring).toBeUndefined();
      expect((await renderPostgres(configFor())).ofType(POD_MONITOR)).toEqual([]);
    });
  });

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
