/**
 * PostgreSQL on Kubernetes / OpenShift with CloudNativePG: one `postgresql.cnpg.io/v1` Cluster in
 * the platform namespace, a managed role and a Database resource per configured database, TLS with
 * a server certificate from a Pulumi-held CA, backups to the object store through the Barman Cloud
 * plugin, and the NetworkPolicy its pods need in a default-deny namespace.
 *
 * Security posture:
 * - No superuser over the network (`enableSuperuserAccess: false`); each database is owned by a
 *   login role of its own, and `pg_hba` lets a role into its own database only, over TLS only
 *   (see cnpgServerConfig.ts).
 * - The server certificate names the `-rw`, `-ro` and `-r` Services in every form, and is issued by
 *   a CA whose certificate — public — is delivered as a ConfigMap to every client namespace, so
 *   clients elsewhere verify the server with `sslmode=verify-full` without reading the operator's
 *   Secrets. `pulumi up` re-issues the certificate 30 days before it expires (365-day validity);
 *   the Secret carries `cnpg.io/reload` so instances reload it without a restart.
 * - Role passwords come from `@pulumi/random`, live in Secrets only (a `kubernetes.io/basic-auth`
 *   Secret the operator reads in the platform namespace, and one per grant in the workload's
 *   namespace), and reach pods through `secretKeyRef`.
 *
 * Availability: with `highAvailability` at least two instances, on distinct nodes (required
 * anti-affinity) spread over zones, updated by switchover, with quorum synchronous replication
 * (cnpgServerConfig.ts). The operator creates the PodDisruptionBudgets (`enablePDB`); none here.
 * Backups: WAL archiving and scheduled base backups through the Barman Cloud plugin — why the
 * plugin rather than the deprecated in-tree `barmanObjectStore` is in cnpgBackup.ts.
 *
 * Pod security: CloudNativePG builds the instance pods itself and they meet the restricted Pod
 * Security Standard (non-root, no privilege escalation, all capabilities dropped, RuntimeDefault
 * seccomp, read-only root filesystem). On OpenShift the operator sets no UID, GID or fsGroup and
 * the restricted-v2 SCC assigns them from the namespace range. Elsewhere it runs as the image's
 * `postgres` user, UID/GID 26: below the advisory 10000 of kube-score / Polaris, but PostgreSQL's
 * `initdb` refuses to run as a UID with no passwd entry, so a higher UID needs an image that
 * defines one (then set `postgresUid` / `postgresGid`). The advisory rule targets workload kinds,
 * not this custom resource.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformContext } from "../context";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { kubeLabels } from "../kube/labels";
import type { Bucket } from "../objectstore/contract";
import { CertificateAuthority } from "../pki/CertificateAuthority";
import { refusal } from "../argumentProblem";
import { SECONDS_CRON_SCHEDULE_RULE, isSecondsCronSchedule } from "../kube/cron";
import { DNS1123_SUBDOMAIN_RULE, isDns1123Label, isDns1123Subdomain } from "../kube/names";
import { PLATFORM_OWNER } from "../platformIdentity";
import type { ContainerResources } from "../kube/containerResources";
import type { NetworkConfig } from "../kube/clusterNetwork";
import { apiServerEgressRule, ciliumApiServerPolicy } from "../kube/apiServer";
import { monitorObjectLabels } from "../kube/monitorLabels";
import type { PostgresConfig, PostgresDatabaseConfig } from "./settings";
import type { PostgresService } from "./contract";
import { BARMAN_CLOUD_PLUGIN, barmanBackupSettings, DEFAULT_BACKUP_SIDECAR_RESOURCES } from "./cnpgBackup";
import { cnpgImage, imageMajor } from "./cnpgImages";
import {
  cnpgImageExtensionProblem,
  isPostgresExtension,
  POSTGRES_EXTENSIONS,
  requestedExtensions,
} from "./extensions";
import { hbaRules, postgresParameters, synchronousReplication } from "./cnpgServerConfig";

export const POSTGRES_PORT = 5432;
/** The instance manager's status endpoint, polled by the operator and by peer instances. */
export const CNPG_STATUS_PORT = 8000;
/** The instance's Prometheus exporter. */
export const CNPG_METRICS_PORT = 9187;
/** Label CloudNativePG puts on every pod of a cluster (instances and their jobs). */
export const CNPG_CLUSTER_LABEL = "cnpg.io/cluster";
/** CloudNativePG rejects longer cluster names (its pod, job and PVC names append suffixes). */
const CNPG_MAX_CLUSTER_NAME = 50;
/** The UID/GID of `postgres` in the CloudNativePG community images. */
const CNPG_IMAGE_POSTGRES_ID = 26;
/** Where granted pods find the server CA. */
export const POSTGRES_CA_MOUNT_ROOT = "/etc/mlstack/postgres";

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Role names PostgreSQL or CloudNativePG reserve (besides the `pg_` prefix). */
const RESERVED_ROLES = [
  "postgres",
  "app",
  "streaming_replica",
  "cnpg_pooler_pdb",
  "public",
  "none",
  "current_user",
  "current_role",
  "session_user",
];

export interface CnpgPostgresArgs {
  ctx: PlatformContext;
  /** `mlstack:postgres`. `name` becomes the Cluster's name (and its Services' prefix). */
  config: PostgresConfig;
  /** The platform namespace (default-deny) the cluster runs in. */
  namespace: string;
  /**
   * Namespaces whose pods may connect on 5432; each receives the server CA as a ConfigMap. The
   * namespaces of `owners` are always included.
   */
  clientNamespaces: string[];
  /** Namespace of the CloudNativePG operator: it reaches every instance on 8000 and 5432. */
  operatorNamespace: string;
  /** `apiServerCidrs` (instance managers watch their Cluster) and `monitoringNamespace`. */
  network: NetworkConfig;
  /** Workload → namespace for every database owner: where its grant (Secret + CA) is delivered. */
  owners: Record<string, string>;
  /**
   * The platform-owned bucket backups go to (`postgres.backup.bucket`, from the object store).
   * Required when `postgres.backup.enabled`; ignored otherwise.
   */
  backupBucket?: Bucket;
  /** What the cluster waits for: the namespace, the operator (and its Barman Cloud plugin). */
  dependsOn?: pulumi.Resource[];
  /** Create a PodMonitor for the instances and let `network.monitoringNamespace` scrape 9187. */
  monitoring: boolean;
  /**
   * CA issuing the server certificate (a `CertificateAuthority`, or anything with its `certPem` and
   * `issue`). Default: a CA of this cluster's own, so replacing trust in one database never touches
   * another service.
   */
  certificateAuthority?: Pick<CertificateAuthority, "certPem" | "issue">;
  /**
   * Operand image override (a mirror of the pinned image, for air-gapped registries). Its tag must
   * start with `postgres.version`. Default: the pinned community image for that major (cnpgImages.ts).
   */
  imageName?: string;
  /**
   * UID / GID of `postgres` inside the image (plain Kubernetes only; OpenShift assigns them).
   * Default 26, the community images' user; set both only with an image that defines another one.
   */
  postgresUid?: number;
  postgresGid?: number;
  /** Barman Cloud sidecar resources. Default 100m / 256Mi requested, 1 CPU / 1Gi limit. */
  backupSidecarResources?: ContainerResources;
}

export class CnpgPostgres extends pulumi.ComponentResource implements PostgresService {
  /** `<cluster>-rw.<namespace>.svc`: the primary, for reads and writes. */
  readonly host: pulumi.Output<string>;
  readonly port = POSTGRES_PORT;
  /** `<cluster>-ro.<namespace>.svc`: hot standbys only. */
  readonly readOnlyHost: pulumi.Output<string>;
  readonly clusterName: string;
  readonly namespace: string;
  /** The CA clients trust (public). */
  readonly caCertPem: pulumi.Output<string>;
  /** Physical object-store path of the backups, when enabled. */
  readonly backupDestination?: pulumi.Output<string>;

  private readonly componentName: string;
  private readonly config: PostgresConfig;
  private readonly owners: Record<string, string>;
  private readonly passwords = new Map<string, random.RandomPassword>();
  private readonly databases = new Map<string, k8s.apiextensions.CustomResource>();
  private readonly caConfigMaps = new Map<string, k8s.core.v1.ConfigMap>();
  private readonly cluster: k8s.apiextensions.CustomResource;
  private readonly grants = new Map<string, WorkloadAccess>();
  private readonly labels: Record<string, string>;
  private readonly environment: string;

  constructor(name: string, args: CnpgPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    const where = `CnpgPostgres ${name}`;
    const { ctx, config, network } = args;
    const cluster = config.name;
    validate(where, args);
    const image = args.imageName ?? cnpgImage(config.version);
    const clientNamespaces = [...new Set([...args.clientNamespaces, ...Object.values(args.owners)])].sort();
    super("mlstack:postgres:CnpgPostgres", name, {}, opts);
    this.componentName = name;
    this.config = config;
    this.owners = { ...args.owners };
    this.clusterName = cluster;
    this.namespace = args.namespace;
    this.environment = ctx.environment;
    this.labels = kubeLabels({
      name: cluster,
      component: "database",
      environment: ctx.environment,
      team: PLATFORM_OWNER,
    });
    const dependsOn = args.dependsOn ?? [];

    // TLS: server certificate for every Service name, CA handed to every client namespace.
    const ca =
      args.certificateAuthority ??
      new CertificateAuthority(
        `${name}-ca`,
        { commonName: `mlstack ${ctx.stack} ${cluster} postgres CA`.slice(0, 64) },
        { parent: this },
      );
    this.caCertPem = ca.certPem;
    const server = ca.issue(`${name}-server`, {
      // X.509 caps the common name at 64 characters; the full names are in the SANs.
      commonName: `${cluster}-rw`,
      dnsNames: serviceDnsNames(cluster, args.namespace),
      usage: "server",
    });
    const tlsSecretName = `${cluster}-server-tls`;
    const tlsSecret = new k8s.core.v1.Secret(
      `${name}-server-tls`,
      {
        metadata: {
          name: tlsSecretName,
          namespace: args.namespace,
          labels: { ...this.labels, "cnpg.io/reload": "true" },
        },
        type: "kubernetes.io/tls",
        stringData: { "tls.crt": server.certPem, "tls.key": server.privateKeyPem, "ca.crt": ca.certPem },
      },
      { parent: this, dependsOn },
    );
    for (const ns of clientNamespaces) {
      this.caConfigMaps.set(
        ns,
        new k8s.core.v1.ConfigMap(
          `${name}-ca-${ns}`,
          {
            metadata: { name: caConfigMapName(cluster), namespace: ns, labels: this.labels },
            data: { "ca.crt": ca.certPem },
          },
          { parent: this, dependsOn },
        ),
      );
    }

    // One login role per database, owning it; its password in a basic-auth Secret the operator reads.
    const roleSecrets = config.databases.map((database) => {
      const password = new random.RandomPassword(
        `${name}-${database.name}-password`,
        // Letters and digits only: the password sits unescaped in a connection URI.
        { length: 40, special: false },
        { parent: this },
      );
      this.passwords.set(database.name, password);
      return new k8s.core.v1.Secret(
        `${name}-${database.name}-role`,
        {
          metadata: {
            name: roleSecretName(cluster, database),
            namespace: args.namespace,
            labels: { ...this.labels, "cnpg.io/reload": "true" },
          },
          type: "kubernetes.io/basic-auth",
          stringData: { username: roleOf(database), password: password.result },
        },
        { parent: this, dependsOn },
      );
    });

    // Backups: the cluster is a workload of the backup bucket.
    const backupEnabled = config.backup.enabled;
    let backupStore: k8s.apiextensions.CustomResource | undefined;
    const projectedSources: k8s.types.input.core.v1.VolumeProjection[] = [];
    const backupEgress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [];
    if (backupEnabled && args.backupBucket) {
      const identity: WorkloadIdentity = {
        // CloudNativePG runs the instances under a ServiceAccount named after the cluster.
        workload: {
          name: cluster,
          team: PLATFORM_OWNER,
          namespace: args.namespace,
          serviceAccountName: cluster,
        },
        serviceAccountAnnotations: {},
        dependencies: [],
      };
      const grant = args.backupBucket.grantAccess(identity, "readwrite", { parent: this });
      const settings = barmanBackupSettings({
        where,
        bucket: args.backupBucket,
        grant,
        retentionDays: config.backup.retentionDays,
        sidecarResources: args.backupSidecarResources ?? DEFAULT_BACKUP_SIDECAR_RESOURCES,
      });
      projectedSources.push(...settings.projectedSources);
      backupEgress.push(...grant.egress);
      backupStore = new k8s.apiextensions.CustomResource(
        `${name}-backup-store`,
        {
          apiVersion: "barmancloud.cnpg.io/v1",
          kind: "ObjectStore",
          metadata: { name: `${cluster}-backups`, namespace: args.namespace, labels: this.labels },
          spec: settings.objectStoreSpec,
        },
        { parent: this, dependsOn: [...dependsOn, ...grant.dependsOn] },
      );
      this.backupDestination = args.backupBucket.url(`${cluster}/`);
    }

    const instances = config.instances;
    const ha = instances > 1;
    const kubernetesIds =
      ctx.flavor === "kubernetes"
        ? {
            postgresUID: args.postgresUid ?? CNPG_IMAGE_POSTGRES_ID,
            postgresGID: args.postgresGid ?? CNPG_IMAGE_POSTGRES_ID,
          }
        : {};
    const synchronous = synchronousReplication(instances);
    this.cluster = new k8s.apiextensions.CustomResource(
      `${name}-cluster`,
      {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: { name: cluster, namespace: args.namespace, labels: this.labels },
        spec: {
          description: `mlstack ${ctx.environment} platform database`,
          instances,
          imageName: image,
          imagePullPolicy: "IfNotPresent",
          enableSuperuserAccess: false,
          bootstrap: { initdb: { database: "app", owner: "app", dataChecksums: true, encoding: "UTF8" } },
          storage: {
            size: config.storageSize,
            ...(config.storageClass ? { storageClass: config.storageClass } : {}),
            resizeInUseVolumes: true,
          },
          resources: config.resources,
          postgresql: {
            parameters: postgresParameters(config.resources.limits.memory),
            pg_hba: hbaRules(config.databases, roleOf),
            ...(synchronous ? { synchronous } : {}),
          },
          certificates: { serverCASecret: tlsSecretName, serverTLSSecret: tlsSecretName },
          managed: {
            roles: config.databases.map((database) => ({
              name: roleOf(database),
              ensure: "present",
              comment: `owner of database ${database.name} (workload ${database.owner})`,
              login: true,
              superuser: false,
              createdb: false,
              createrole: false,
              replication: false,
              bypassrls: false,
              inherit: true,
              connectionLimit: -1,
              passwordSecret: { name: roleSecretName(cluster, database) },
            })),
          },
          // Rolling updates replace standbys first, then switch over to an updated one, unattended.
          primaryUpdateStrategy: "unsupervised",
          primaryUpdateMethod: ha ? "switchover" : "restart",
          affinity: {
            enablePodAntiAffinity: true,
            topologyKey: "kubernetes.io/hostname",
            // HA means instances on distinct nodes, or visibly unscheduled: never silently co-located.
            podAntiAffinityType: ctx.highAvailability ? "required" : "preferred",
          },
          ...(ctx.highAvailability
            ? {
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: {
                      matchLabels: { [CNPG_CLUSTER_LABEL]: cluster, "cnpg.io/podRole": "instance" },
                    },
                  },
                ],
              }
            : {}),
          // The operator creates the PodDisruptionBudgets (primary + standbys). A single instance
          // gets none: its PDB would block every node drain.
          enablePDB: ha,
          seccompProfile: { type: "RuntimeDefault" },
          ...kubernetesIds,
          inheritedMetadata: { labels: this.labels },
          ...(projectedSources.length > 0 ? { projectedVolumeTemplate: { sources: projectedSources } } : {}),
          ...(backupStore
            ? {
                plugins: [
                  {
                    name: BARMAN_CLOUD_PLUGIN,
                    isWALArchiver: true,
                    parameters: { barmanObjectName: `${cluster}-backups` },
                  },
                ],
              }
            : {}),
        },
      },
      {
        parent: this,
        dependsOn: [...dependsOn, tlsSecret, ...roleSecrets, ...(backupStore ? [backupStore] : [])],
        // The Cluster owns its volumes: deleting it deletes the data.
        protect: ctx.protect,
        retainOnDelete: ctx.protect,
      },
    );

    for (const database of config.databases) {
      this.databases.set(
        database.name,
        new k8s.apiextensions.CustomResource(
          `${name}-${database.name}-database`,
          {
            apiVersion: "postgresql.cnpg.io/v1",
            kind: "Database",
            metadata: {
              name: `${cluster}-${kebab(database.name)}`,
              namespace: args.namespace,
              labels: this.labels,
            },
            spec: {
              name: database.name,
              owner: roleOf(database),
              cluster: { name: cluster },
              ensure: "present",
              // Removing the resource never drops the database.
              databaseReclaimPolicy: "retain",
              // Declarative extensions (Database CRD `spec.extensions`, CloudNativePG >= 1.26): the
              // instance manager runs `CREATE EXTENSION "<name>"` as the superuser inside this
              // database (internal/management/controller/database_controller_sql.go,
              // `createDatabaseExtension`), so the owner uses types, operators and index methods
              // without superuser. The pinned standard image ships pgvector (cnpgImages.ts).
              ...(database.extensions?.length
                ? {
                    extensions: database.extensions.map((extension) => ({
                      name: extension,
                      ensure: "present",
                    })),
                  }
                : {}),
            },
          },
          { parent: this, dependsOn: [this.cluster], protect: ctx.protect },
        ),
      );
    }

    if (backupStore) {
      new k8s.apiextensions.CustomResource(
        `${name}-scheduled-backup`,
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "ScheduledBackup",
          metadata: { name: `${cluster}-scheduled`, namespace: args.namespace, labels: this.labels },
          spec: {
            cluster: { name: cluster },
            schedule: config.backup.schedule,
            method: "plugin",
            pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
            // A first base backup right away: WAL archiving alone cannot restore anything.
            immediate: true,
            backupOwnerReference: "self",
            target: "prefer-standby",
          },
        },
        { parent: this, dependsOn: [this.cluster] },
      );
    }

    new k8s.networking.v1.NetworkPolicy(
      `${name}-instances`,
      {
        metadata: { name: `${cluster}-instances`, namespace: args.namespace, labels: this.labels },
        spec: instancesNetworkPolicy({
          cluster,
          clientNamespaces,
          operatorNamespace: args.operatorNamespace,
          network,
          monitoring: args.monitoring,
          objectStoreEgress: backupEgress,
        }),
      },
      { parent: this, dependsOn },
    );
    // Cilium: the instance managers' API-server egress, which an ipBlock cannot open there.
    ciliumApiServerPolicy(
      `${name}-instances-cilium`,
      network.cni,
      {
        name: `${cluster}-instances-apiserver`,
        namespace: args.namespace,
        labels: this.labels,
        pods: { matchLabels: { [CNPG_CLUSTER_LABEL]: cluster } },
        egress: true,
      },
      this,
    );

    if (args.monitoring) {
      // `spec.monitoring.enablePodMonitor` is deprecated since CloudNativePG 1.28: the PodMonitor is ours.
      new k8s.apiextensions.CustomResource(
        `${name}-pod-monitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: {
            name: cluster,
            namespace: args.namespace,
            labels: monitorObjectLabels(this.labels, network.monitorLabels),
          },
          spec: {
            selector: { matchLabels: { [CNPG_CLUSTER_LABEL]: cluster, "cnpg.io/podRole": "instance" } },
            podMetricsEndpoints: [{ port: "metrics" }],
          },
        },
        { parent: this, dependsOn: [this.cluster] },
      );
    }

    this.host = pulumi.output(`${cluster}-rw.${args.namespace}.svc`);
    this.readOnlyHost = pulumi.output(`${cluster}-ro.${args.namespace}.svc`);
    this.registerOutputs({
      host: this.host,
      readOnlyHost: this.readOnlyHost,
      port: this.port,
      clusterName: this.clusterName,
      caCertPem: this.caCertPem,
      backupDestination: this.backupDestination,
    });
  }

  /**
   * Connects a workload to the database it owns: a Secret in the workload's namespace with the
   * role's credentials and a `verify-full` URI, the CA mounted from the namespace's CA ConfigMap,
   * and egress to the instances on 5432. Refuses an unknown database, a database the workload does
   * not own, and a workload outside the namespace its ownership was declared for.
   */
  grantDatabase(
    identity: WorkloadIdentity,
    database: string,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess {
    const where = `CnpgPostgres ${this.componentName}`;
    const workload = identity.workload;
    const declared = this.config.databases.find((d) => d.name === database);
    if (!declared) {
      throw new Error(
        `${where}: database ${JSON.stringify(database)} is not declared in postgres.databases (declared: ${this.config.databases.map((d) => d.name).join(", ") || "none"})`,
      );
    }
    if (declared.owner !== workload.name) {
      throw new Error(
        `${where}: database "${database}" is owned by workload "${declared.owner}", not "${workload.name}"; a workload is granted only the database it owns`,
      );
    }
    if (this.owners[workload.name] !== workload.namespace) {
      throw new Error(
        `${where}: workload "${workload.name}" runs in namespace "${workload.namespace}" but its database grant was declared for "${this.owners[workload.name]}" (args.owners)`,
      );
    }
    const key = `${workload.namespace}/${workload.name}/${database}`;
    const existing = this.grants.get(key);
    if (existing) return existing;

    const cluster = this.clusterName;
    const host = `${cluster}-rw.${this.namespace}.svc`;
    const role = roleOf(declared);
    const caPath = `${POSTGRES_CA_MOUNT_ROOT}/${cluster}/ca.crt`;
    const password = (this.passwords.get(database) as random.RandomPassword).result;
    const secretName = `${cluster}-${kebab(database)}-credentials`;
    const secret = new k8s.core.v1.Secret(
      `${this.componentName}-${database}-grant-${workload.name}`,
      {
        metadata: {
          name: secretName,
          namespace: workload.namespace,
          labels: kubeLabels({
            name: workload.name,
            component: "database-credentials",
            environment: this.environment,
            team: workload.team,
          }),
        },
        type: "Opaque",
        stringData: {
          username: role,
          password,
          host,
          port: String(POSTGRES_PORT),
          dbname: database,
          sslmode: "verify-full",
          sslrootcert: caPath,
          uri: pulumi.secret(
            pulumi.interpolate`postgresql://${role}:${password}@${host}:${POSTGRES_PORT}/${database}?sslmode=verify-full&sslrootcert=${caPath}`,
          ),
        },
      },
      { parent: opts.parent, dependsOn: identity.dependencies },
    );
    const caVolume = `${cluster}-server-ca`.slice(0, 63);
    const access: WorkloadAccess = {
      env: [
        { name: "PGHOST", value: host },
        { name: "PGPORT", value: String(POSTGRES_PORT) },
        { name: "PGDATABASE", value: database },
        // The role name is no secret (it is in the Cluster spec); a literal keeps pod specs readable.
        { name: "PGUSER", value: role },
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "password" } } },
        { name: "PGSSLMODE", value: "verify-full" },
        { name: "PGSSLROOTCERT", value: caPath },
        { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: secretName, key: "uri" } } },
      ],
      volumes: [
        {
          name: caVolume,
          configMap: { name: caConfigMapName(cluster), items: [{ key: "ca.crt", path: "ca.crt" }] },
        },
      ],
      volumeMounts: [{ name: caVolume, mountPath: `${POSTGRES_CA_MOUNT_ROOT}/${cluster}`, readOnly: true }],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": this.namespace } },
              podSelector: { matchLabels: { [CNPG_CLUSTER_LABEL]: cluster } },
            },
          ],
          ports: [{ protocol: "TCP", port: POSTGRES_PORT }],
        },
      ],
      dependsOn: [
        secret,
        this.caConfigMaps.get(workload.namespace) as k8s.core.v1.ConfigMap,
        this.databases.get(database) as k8s.apiextensions.CustomResource,
        ...identity.dependencies,
      ],
    };
    this.grants.set(key, access);
    return access;
  }
}

/** The role owning a database is named like it (`postgres.databases[].name`). */
function roleOf(database: PostgresDatabaseConfig): string {
  return database.name;
}

function kebab(name: string): string {
  return name.replace(/_/g, "-");
}

function roleSecretName(cluster: string, database: PostgresDatabaseConfig): string {
  return `${cluster}-role-${kebab(database.name)}`;
}

function caConfigMapName(cluster: string): string {
  return `${cluster}-server-ca`;
}

/** Every name a client may use for the cluster's Services. */
export function serviceDnsNames(cluster: string, namespace: string): string[] {
  return ["rw", "ro", "r"].flatMap((suffix) => {
    const service = `${cluster}-${suffix}`;
    return [
      service,
      `${service}.${namespace}`,
      `${service}.${namespace}.svc`,
      `${service}.${namespace}.svc.cluster.local`,
    ];
  });
}

interface InstancesPolicyInputs {
  cluster: string;
  clientNamespaces: string[];
  operatorNamespace: string;
  network: NetworkConfig;
  monitoring: boolean;
  objectStoreEgress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
}

/**
 * What the instance pods (and the operator's jobs for them) need in a default-deny namespace:
 * clients on 5432 from the client namespaces, the operator on 8000 and 5432, each other for
 * replication and status, Prometheus on 9187 when monitored; out to each other, the API server
 * (the instance manager watches its Cluster) and the backup object store.
 */
function instancesNetworkPolicy(p: InstancesPolicyInputs): k8s.types.input.networking.v1.NetworkPolicySpec {
  const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
  const namespaceNamed = (...names: string[]) => ({
    namespaceSelector: {
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }],
    },
  });
  const peers = { podSelector: { matchLabels: { [CNPG_CLUSTER_LABEL]: p.cluster } } };
  const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [
    { from: [peers], ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT) },
    { from: [namespaceNamed(p.operatorNamespace)], ports: tcp(CNPG_STATUS_PORT, POSTGRES_PORT) },
  ];
  if (p.clientNamespaces.length > 0)
    ingress.push({ from: [namespaceNamed(...p.clientNamespaces)], ports: tcp(POSTGRES_PORT) });
  if (p.monitoring)
    ingress.push({ from: [namespaceNamed(p.network.monitoringNamespace)], ports: tcp(CNPG_METRICS_PORT) });
  return {
    podSelector: { matchLabels: { [CNPG_CLUSTER_LABEL]: p.cluster } },
    policyTypes: ["Ingress", "Egress"],
    ingress,
    egress: [
      { to: [peers], ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT) },
      apiServerEgressRule(p.network.apiServerCidrs),
      ...p.objectStoreEgress,
    ],
  };
}

/** Everything the constructor can check before registering anything. */
function validate(where: string, args: CnpgPostgresArgs): void {
  validateCnpgPostgresSettings(where, args);
  const { config } = args;
  const fail = refusal(where);
  if (config.backup.enabled) {
    if (!args.backupBucket)
      fail(
        "backupBucket",
        undefined,
        `is required: postgres.backup.enabled is true but no backupBucket was given; pass the object store's "${config.backup.bucket}" bucket`,
      );
    else if (args.backupBucket.logicalName !== config.backup.bucket) {
      fail(
        "backupBucket",
        args.backupBucket.logicalName,
        `is not config.backup.bucket "${config.backup.bucket}"`,
      );
    }
  }
}

/**
 * The checks of a CnpgPostgres's settings that need no other resource: pure, so the stack's
 * pre-flight runs them before anything registers (the constructor runs them again).
 * Refuses with an `ArgumentRefusal` naming the argument, the value and what is allowed.
 */
export function validateCnpgPostgresSettings(
  where: string,
  args: Omit<CnpgPostgresArgs, "backupBucket" | "dependsOn">,
): void {
  const { ctx, config } = args;
  const fail = refusal(where);
  if (!isDns1123Label(config.name) || config.name.length > CNPG_MAX_CLUSTER_NAME) {
    fail(
      "config.name",
      config.name,
      `must be a DNS label of at most ${CNPG_MAX_CLUSTER_NAME} characters (CloudNativePG appends suffixes to it)`,
    );
  }
  for (const [label, ns] of [
    ["namespace", args.namespace],
    ["operatorNamespace", args.operatorNamespace],
    ...args.clientNamespaces.map((n, i) => [`clientNamespaces[${i}]`, n]),
    ...Object.entries(args.owners).map(([w, n]) => [`owners.${w}`, n]),
  ]) {
    if (!isDns1123Label(ns)) fail(label, ns, "is not a namespace name (a DNS label)");
  }
  if (!Number.isInteger(config.instances) || config.instances < 1)
    fail("config.instances", config.instances, "must be a whole number of at least 1");
  if (ctx.highAvailability && config.instances < 2) {
    fail(
      "config.instances",
      config.instances,
      `is below 2 but ${ctx.environment} runs highly available: set at least 2 (a primary and a standby to fail over to)`,
    );
  }
  cnpgImage(config.version);
  if (args.imageName !== undefined && imageMajor(args.imageName) !== config.version) {
    fail(
      "imageName",
      args.imageName,
      `does not carry PostgreSQL ${config.version} in its tag (postgres.version); CloudNativePG reads the major version from the tag`,
    );
  }
  if (args.imageName !== undefined) {
    for (const extension of requestedExtensions(config.databases)) {
      const problem = cnpgImageExtensionProblem(extension, args.imageName);
      if (problem)
        fail("imageName", args.imageName, `${problem} (a database asks for extension "${extension}")`);
    }
  }
  if (config.databases.length === 0)
    fail("config.databases", config.databases, "is empty; the platform needs at least MLflow's database");
  config.databases.forEach((database, i) => {
    const role = roleOf(database);
    if (!ROLE_NAME.test(database.name))
      fail(
        `config.databases[${i}].name`,
        database.name,
        "must be lowercase letters, digits and '_', starting with a letter or '_'",
      );
    if (role.startsWith("pg_") || RESERVED_ROLES.includes(role)) {
      fail(
        `config.databases[${i}].name`,
        database.name,
        `would create role "${role}", which PostgreSQL or CloudNativePG reserves; choose another database name`,
      );
    }
    (database.extensions ?? []).forEach((extension, k) => {
      if (!isPostgresExtension(extension))
        fail(
          `config.databases[${i}].extensions[${k}]`,
          extension,
          `is not an extension mlstack can create (allowed: ${POSTGRES_EXTENSIONS.join(", ")})`,
        );
    });
    if (!args.owners[database.owner]) {
      fail(
        `config.databases[${i}].owner`,
        database.owner,
        `has no namespace in args.owners (known: ${Object.keys(args.owners).join(", ") || "none"})`,
      );
    }
  });
  if (config.backup.enabled) {
    if (!Number.isInteger(config.backup.retentionDays) || config.backup.retentionDays < 1) {
      fail(
        "config.backup.retentionDays",
        config.backup.retentionDays,
        "must be a whole number of days, at least 1",
      );
    }
    if (!isSecondsCronSchedule(config.backup.schedule)) {
      fail("config.backup.schedule", config.backup.schedule, `is not ${SECONDS_CRON_SCHEDULE_RULE}`);
    }
  }
  if (config.storageClass !== undefined && !isDns1123Subdomain(config.storageClass)) {
    fail(
      "config.storageClass",
      config.storageClass,
      `is not a StorageClass name (${DNS1123_SUBDOMAIN_RULE})`,
    );
  }
  for (const [field, value] of [
    ["postgresUid", args.postgresUid],
    ["postgresGid", args.postgresGid],
  ] as const) {
    if (value === undefined) continue;
    if (ctx.flavor === "openshift")
      fail(field, value, "is set but OpenShift assigns the UID and GID from the namespace range; remove it");
    if (!Number.isInteger(value) || value < 1)
      fail(field, value, "must be a positive whole number (never root)");
  }
}
