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
import { ObjectStore } from "../crds/barmancloud.cnpg.io/v1";
import { PodMonitor } from "../crds/monitoring.coreos.com/v1";
import { Cluster, Database, ScheduledBackup } from "../crds/postgresql.cnpg.io/v1";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { kubeLabels } from "../kube/labels";
import type { Bucket } from "../objectstore/contract";
import { CertificateAuthority, type IssueArgs, type IssuedCertificate } from "../pki/CertificateAuthority";
import { PLATFORM_OWNER } from "../platformIdentity";
import type { ContainerResources } from "../kube/containerResources";
import type { NetworkConfig } from "../kube/clusterNetwork";
import { ciliumApiServerPolicy } from "../kube/apiServer";
import { monitorObjectLabels } from "../kube/monitorLabels";
import type { PostgresConfig } from "./settings";
import type { PostgresService } from "./contract";
import { barmanBackupSettings, DEFAULT_BACKUP_SIDECAR_RESOURCES } from "./cnpgBackup";
import {
  CNPG_CLUSTER_LABEL,
  POSTGRES_PORT,
  caConfigMapName,
  kebab,
  roleOf,
  roleSecretName,
  serviceDnsNames,
} from "./cnpgConventions";
import { cnpgImage } from "./cnpgImages";
import { instancesNetworkPolicy } from "./cnpgNetworkPolicy";
import { clusterSpec, databaseSpec, scheduledBackupSpec } from "./cnpgSpecs";
import { validateCnpgPostgres } from "./cnpgValidation";

export {
  CNPG_CLUSTER_LABEL,
  CNPG_METRICS_PORT,
  CNPG_STATUS_PORT,
  POSTGRES_PORT,
  serviceDnsNames,
} from "./cnpgConventions";
export { validateCnpgPostgresSettings } from "./cnpgValidation";

/** Where granted pods find the server CA. */
export const POSTGRES_CA_MOUNT_ROOT = "/etc/mlstack/postgres";

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
  certificateAuthority?: CertificateIssuer;
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

/**
 * What issues the server certificate: a `CertificateAuthority` fits. A named interface, not a
 * `Pick<>` (which has no form in a Pulumi package schema); only `certPem` is in the schema.
 */
export interface CertificateIssuer {
  readonly certPem: pulumi.Output<string>;
  issue(name: string, args: IssueArgs): IssuedCertificate;
}

/** The backup parts the Cluster refers to. */
interface BackupParts {
  store?: k8s.apiextensions.CustomResource;
  /** Physical object-store path of the backups. */
  destination?: pulumi.Output<string>;
  projectedSources: k8s.types.input.core.v1.VolumeProjection[];
  egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
}

/**
 * What a CnpgPostgres keeps for its methods, beside the instance rather than in fields: Pulumi's
 * component analyzer publishes every field, private ones too, as a schema output (and has no type
 * for a Map or a CustomResource), and the provider would return the raw args to the caller.
 */
interface CnpgState {
  componentName: string;
  args: CnpgPostgresArgs;
  config: PostgresConfig;
  owners: Record<string, string>;
  clientNamespaces: string[];
  passwords: Map<string, random.RandomPassword>;
  databases: Map<string, k8s.apiextensions.CustomResource>;
  caConfigMaps: Map<string, k8s.core.v1.ConfigMap>;
  cluster?: k8s.apiextensions.CustomResource;
  grants: Map<string, WorkloadAccess>;
  labels: Record<string, string>;
  environment: string;
}

const states = new WeakMap<CnpgPostgres, CnpgState>();

export class CnpgPostgres extends pulumi.ComponentResource implements PostgresService {
  /** `<cluster>-rw.<namespace>.svc`: the primary, for reads and writes. */
  readonly host: pulumi.Output<string>;
  readonly port: number = POSTGRES_PORT;
  /** `<cluster>-ro.<namespace>.svc`: hot standbys only. */
  readonly readOnlyHost: pulumi.Output<string>;
  readonly clusterName: string;
  readonly namespace: string;
  /** The CA clients trust (public). */
  readonly caCertPem: pulumi.Output<string>;
  /** Physical object-store path of the backups, when enabled. */
  readonly backupDestination?: pulumi.Output<string>;

  private get s(): CnpgState {
    return states.get(this) as CnpgState;
  }
  private get cluster(): k8s.apiextensions.CustomResource {
    return this.s.cluster as k8s.apiextensions.CustomResource;
  }

  constructor(name: string, args: CnpgPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    const { ctx, config } = args;
    validateCnpgPostgres(`CnpgPostgres ${name}`, args);
    super("mlstack:postgres:CnpgPostgres", name, {}, opts);
    states.set(this, {
      componentName: name,
      args,
      config,
      owners: { ...args.owners },
      clientNamespaces: [...new Set([...args.clientNamespaces, ...Object.values(args.owners)])].sort(),
      passwords: new Map(),
      databases: new Map(),
      caConfigMaps: new Map(),
      grants: new Map(),
      environment: ctx.environment,
      labels: kubeLabels({
        name: config.name,
        component: "database",
        environment: ctx.environment,
        team: PLATFORM_OWNER,
      }),
    });
    this.clusterName = config.name;
    this.namespace = args.namespace;

    const tls = this.serverTls();
    this.caCertPem = tls.caCertPem;
    const roleSecrets = this.roleSecrets();
    const backup = this.backups();
    this.backupDestination = backup.destination;
    this.s.cluster = this.createCluster(tls.secret, roleSecrets, backup);
    for (const database of config.databases)
      this.s.databases.set(database.name, this.createDatabase(database));
    if (backup.store) this.scheduledBackup();
    this.networkPolicies(backup.egress);
    if (args.monitoring) this.podMonitor();

    const cluster = this.clusterName;
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
    const where = `CnpgPostgres ${this.s.componentName}`;
    const workload = identity.workload;
    const declared = this.s.config.databases.find((d) => d.name === database);
    if (!declared) {
      throw new Error(
        `${where}: database ${JSON.stringify(database)} is not declared in postgres.databases (declared: ${this.s.config.databases.map((d) => d.name).join(", ") || "none"})`,
      );
    }
    if (declared.owner !== workload.name) {
      throw new Error(
        `${where}: database "${database}" is owned by workload "${declared.owner}", not "${workload.name}"; a workload is granted only the database it owns`,
      );
    }
    if (this.s.owners[workload.name] !== workload.namespace) {
      throw new Error(
        `${where}: workload "${workload.name}" runs in namespace "${workload.namespace}" but its database grant was declared for "${this.s.owners[workload.name]}" (args.owners)`,
      );
    }
    const key = `${workload.namespace}/${workload.name}/${database}`;
    const existing = this.s.grants.get(key);
    if (existing) return existing;

    const cluster = this.clusterName;
    const host = `${cluster}-rw.${this.namespace}.svc`;
    const role = roleOf(declared);
    const caPath = `${POSTGRES_CA_MOUNT_ROOT}/${cluster}/ca.crt`;
    const password = (this.s.passwords.get(database) as random.RandomPassword).result;
    const secretName = `${cluster}-${kebab(database)}-credentials`;
    const secret = new k8s.core.v1.Secret(
      `${this.s.componentName}-${database}-grant-${workload.name}`,
      {
        metadata: {
          name: secretName,
          namespace: workload.namespace,
          labels: kubeLabels({
            name: workload.name,
            component: "database-credentials",
            environment: this.s.environment,
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
        this.s.caConfigMaps.get(workload.namespace) as k8s.core.v1.ConfigMap,
        this.s.databases.get(database) as k8s.apiextensions.CustomResource,
        ...identity.dependencies,
      ],
    };
    this.s.grants.set(key, access);
    return access;
  }

  /** TLS: a server certificate for every Service name; the CA handed to every client namespace. */
  private serverTls(): { caCertPem: pulumi.Output<string>; secret: k8s.core.v1.Secret } {
    const { ctx, namespace } = this.s.args;
    const name = this.s.componentName;
    const cluster = this.clusterName;
    const dependsOn = this.s.args.dependsOn ?? [];
    const ca =
      this.s.args.certificateAuthority ??
      new CertificateAuthority(
        `${name}-ca`,
        { commonName: `mlstack ${ctx.stack} ${cluster} postgres CA`.slice(0, 64) },
        { parent: this },
      );
    const server = ca.issue(`${name}-server`, {
      // X.509 caps the common name at 64 characters; the full names are in the SANs.
      commonName: `${cluster}-rw`,
      dnsNames: serviceDnsNames(cluster, namespace),
      usage: "server",
    });
    const secret = new k8s.core.v1.Secret(
      `${name}-server-tls`,
      {
        metadata: {
          name: serverTlsSecretName(cluster),
          namespace,
          labels: { ...this.s.labels, "cnpg.io/reload": "true" },
        },
        type: "kubernetes.io/tls",
        stringData: { "tls.crt": server.certPem, "tls.key": server.privateKeyPem, "ca.crt": ca.certPem },
      },
      { parent: this, dependsOn },
    );
    for (const ns of this.s.clientNamespaces) {
      this.s.caConfigMaps.set(
        ns,
        new k8s.core.v1.ConfigMap(
          `${name}-ca-${ns}`,
          {
            metadata: { name: caConfigMapName(cluster), namespace: ns, labels: this.s.labels },
            data: { "ca.crt": ca.certPem },
          },
          { parent: this, dependsOn },
        ),
      );
    }
    return { caCertPem: ca.certPem, secret };
  }

  /** One login role per database, owning it; its password in a basic-auth Secret the operator reads. */
  private roleSecrets(): k8s.core.v1.Secret[] {
    const name = this.s.componentName;
    return this.s.config.databases.map((database) => {
      const password = new random.RandomPassword(
        `${name}-${database.name}-password`,
        // Letters and digits only: the password sits unescaped in a connection URI.
        { length: 40, special: false },
        { parent: this },
      );
      this.s.passwords.set(database.name, password);
      return new k8s.core.v1.Secret(
        `${name}-${database.name}-role`,
        {
          metadata: {
            name: roleSecretName(this.clusterName, database),
            namespace: this.namespace,
            labels: { ...this.s.labels, "cnpg.io/reload": "true" },
          },
          type: "kubernetes.io/basic-auth",
          stringData: { username: roleOf(database), password: password.result },
        },
        { parent: this, dependsOn: this.s.args.dependsOn ?? [] },
      );
    });
  }

  /** Backups: the cluster is a workload of the backup bucket, written to through the plugin's ObjectStore. */
  private backups(): BackupParts {
    const { backupBucket } = this.s.args;
    if (!this.s.config.backup.enabled || !backupBucket) return { projectedSources: [], egress: [] };
    const cluster = this.clusterName;
    const identity: WorkloadIdentity = {
      // CloudNativePG runs the instances under a ServiceAccount named after the cluster.
      workload: {
        name: cluster,
        team: PLATFORM_OWNER,
        namespace: this.namespace,
        serviceAccountName: cluster,
      },
      serviceAccountAnnotations: {},
      dependencies: [],
    };
    const grant = backupBucket.grantAccess(identity, "readwrite", { parent: this });
    const settings = barmanBackupSettings({
      where: `CnpgPostgres ${this.s.componentName}`,
      bucket: backupBucket,
      grant,
      retentionDays: this.s.config.backup.retentionDays,
      sidecarResources: this.s.args.backupSidecarResources ?? DEFAULT_BACKUP_SIDECAR_RESOURCES,
    });
    const store = new ObjectStore(
      `${this.s.componentName}-backup-store`,
      {
        metadata: { name: backupStoreName(cluster), namespace: this.namespace, labels: this.s.labels },
        spec: settings.objectStoreSpec,
      },
      { parent: this, dependsOn: [...(this.s.args.dependsOn ?? []), ...grant.dependsOn] },
    );
    return {
      store,
      destination: backupBucket.url(`${cluster}/`),
      projectedSources: [...settings.projectedSources],
      egress: [...grant.egress],
    };
  }

  private createCluster(
    tlsSecret: k8s.core.v1.Secret,
    roleSecrets: k8s.core.v1.Secret[],
    backup: BackupParts,
  ): k8s.apiextensions.CustomResource {
    const { ctx, config } = this.s.args;
    const cluster = this.clusterName;
    return new Cluster(
      `${this.s.componentName}-cluster`,
      {
        metadata: { name: cluster, namespace: this.namespace, labels: this.s.labels },
        spec: clusterSpec({
          ctx,
          config,
          image: this.s.args.imageName ?? cnpgImage(config.version),
          tlsSecretName: serverTlsSecretName(cluster),
          labels: this.s.labels,
          postgresUid: this.s.args.postgresUid,
          postgresGid: this.s.args.postgresGid,
          projectedSources: backup.projectedSources,
          backupObjectStore: backup.store ? backupStoreName(cluster) : undefined,
        }),
      },
      {
        parent: this,
        dependsOn: [
          ...(this.s.args.dependsOn ?? []),
          tlsSecret,
          ...roleSecrets,
          ...(backup.store ? [backup.store] : []),
        ],
        // The Cluster owns its volumes: deleting it deletes the data.
        protect: ctx.protect,
        retainOnDelete: ctx.protect,
      },
    );
  }

  private createDatabase(database: PostgresConfig["databases"][number]): k8s.apiextensions.CustomResource {
    const cluster = this.clusterName;
    return new Database(
      `${this.s.componentName}-${database.name}-database`,
      {
        metadata: {
          name: `${cluster}-${kebab(database.name)}`,
          namespace: this.namespace,
          labels: this.s.labels,
        },
        spec: databaseSpec(cluster, database),
      },
      { parent: this, dependsOn: [this.cluster], protect: this.s.args.ctx.protect },
    );
  }

  private scheduledBackup(): void {
    const cluster = this.clusterName;
    new ScheduledBackup(
      `${this.s.componentName}-scheduled-backup`,
      {
        metadata: { name: `${cluster}-scheduled`, namespace: this.namespace, labels: this.s.labels },
        spec: scheduledBackupSpec(cluster, this.s.config.backup.schedule),
      },
      { parent: this, dependsOn: [this.cluster] },
    );
  }

  /** The instances' NetworkPolicy, and on Cilium their API-server egress, which an ipBlock cannot open there. */
  private networkPolicies(objectStoreEgress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[]): void {
    const { network } = this.s.args;
    const cluster = this.clusterName;
    new k8s.networking.v1.NetworkPolicy(
      `${this.s.componentName}-instances`,
      {
        metadata: { name: `${cluster}-instances`, namespace: this.namespace, labels: this.s.labels },
        spec: instancesNetworkPolicy({
          cluster,
          clientNamespaces: this.s.clientNamespaces,
          operatorNamespace: this.s.args.operatorNamespace,
          network,
          monitoring: this.s.args.monitoring,
          objectStoreEgress,
        }),
      },
      { parent: this, dependsOn: this.s.args.dependsOn ?? [] },
    );
    ciliumApiServerPolicy(
      `${this.s.componentName}-instances-cilium`,
      network.cni,
      {
        name: `${cluster}-instances-apiserver`,
        namespace: this.namespace,
        labels: this.s.labels,
        pods: { matchLabels: { [CNPG_CLUSTER_LABEL]: cluster } },
        egress: true,
      },
      this,
    );
  }

  /** `spec.monitoring.enablePodMonitor` is deprecated since CloudNativePG 1.28: the PodMonitor is ours. */
  private podMonitor(): void {
    const cluster = this.clusterName;
    new PodMonitor(
      `${this.s.componentName}-pod-monitor`,
      {
        metadata: {
          name: cluster,
          namespace: this.namespace,
          labels: monitorObjectLabels(this.s.labels, this.s.args.network.monitorLabels),
        },
        spec: {
          selector: { matchLabels: { [CNPG_CLUSTER_LABEL]: cluster, "cnpg.io/podRole": "instance" } },
          podMetricsEndpoints: [{ port: "metrics" }],
        },
      },
      { parent: this, dependsOn: [this.cluster] },
    );
  }
}

function serverTlsSecretName(cluster: string): string {
  return `${cluster}-server-tls`;
}

function backupStoreName(cluster: string): string {
  return `${cluster}-backups`;
}
