/**
 * The specs of the CloudNativePG resources a `CnpgPostgres` writes, as pure functions of its
 * config, typed by the pinned operator's CRDs (`components/crds/postgresql.cnpg.io/v1.ts`,
 * generated): a field CloudNativePG does not have, or a value outside its enums, is a type error.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterSpec, DatabaseSpec, ScheduledBackupSpec } from "../crds/postgresql.cnpg.io/v1";
import type { PlatformContext } from "../context";
import type { PostgresConfig, PostgresDatabaseConfig } from "./settings";
import { BARMAN_CLOUD_PLUGIN } from "./cnpgBackup";
import { CNPG_CLUSTER_LABEL, roleOf, roleSecretName } from "./cnpgConventions";
import { hbaRules, postgresParameters, synchronousReplication } from "./cnpgServerConfig";

/** The UID/GID of `postgres` in the CloudNativePG community images. */
const CNPG_IMAGE_POSTGRES_ID = 26;

export interface ClusterSpecInputs {
  ctx: PlatformContext;
  config: PostgresConfig;
  image: string;
  /** The Secret with the server certificate, its key and the CA. */
  tlsSecretName: string;
  labels: Record<string, string>;
  postgresUid?: number;
  postgresGid?: number;
  /** Sources of the instances' projected volume (the backup endpoint's CA). */
  projectedSources: k8s.types.input.core.v1.VolumeProjection[];
  /** The Barman Cloud plugin's ObjectStore, when backups are on. */
  backupObjectStore?: string;
}

/** One managed login role per database, owning it, its password in a basic-auth Secret. */
function managedRoles(cluster: string, databases: PostgresDatabaseConfig[]) {
  return databases.map((database) => ({
    name: roleOf(database),
    ensure: "present" as const,
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
  }));
}

/** The Cluster: instances, TLS, roles, updates, spreading and backups as the header of CnpgPostgres.ts says. */
export function clusterSpec(p: ClusterSpecInputs): ClusterSpec {
  const { ctx, config } = p;
  const cluster = config.name;
  const instances = config.instances;
  const ha = instances > 1;
  const kubernetesIds =
    ctx.flavor === "kubernetes"
      ? {
          postgresUID: p.postgresUid ?? CNPG_IMAGE_POSTGRES_ID,
          postgresGID: p.postgresGid ?? CNPG_IMAGE_POSTGRES_ID,
        }
      : {};
  const synchronous = synchronousReplication(instances);
  return {
    description: `mlstack ${ctx.environment} platform database`,
    instances,
    imageName: p.image,
    imagePullPolicy: "IfNotPresent",
    enableSuperuserAccess: false,
    bootstrap: { initdb: { database: "app", owner: "app", dataChecksums: true, encoding: "UTF8" } },
    storage: {
      size: config.storageSize,
      ...(config.storageClass ? { storageClass: config.storageClass } : {}),
      resizeInUseVolumes: true,
    },
    // Spread: CloudNativePG's resources are maps, and an interface carries no index signature.
    resources: { requests: { ...config.resources.requests }, limits: { ...config.resources.limits } },
    postgresql: {
      parameters: postgresParameters(config.resources.limits.memory),
      pg_hba: hbaRules(config.databases, roleOf),
      ...(synchronous ? { synchronous } : {}),
    },
    certificates: { serverCASecret: p.tlsSecretName, serverTLSSecret: p.tlsSecretName },
    managed: { roles: managedRoles(cluster, config.databases) },
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
    inheritedMetadata: { labels: p.labels },
    ...(p.projectedSources.length > 0 ? { projectedVolumeTemplate: { sources: p.projectedSources } } : {}),
    ...(p.backupObjectStore
      ? {
          plugins: [
            {
              name: BARMAN_CLOUD_PLUGIN,
              isWALArchiver: true,
              parameters: { barmanObjectName: p.backupObjectStore },
            },
          ],
        }
      : {}),
  };
}

/** A database owned by its role; never dropped when the resource goes. */
export function databaseSpec(cluster: string, database: PostgresDatabaseConfig): DatabaseSpec {
  return {
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
            ensure: "present" as const,
          })),
        }
      : {}),
  };
}

/** Base backups on the configured schedule through the Barman Cloud plugin, from a standby when there is one. */
export function scheduledBackupSpec(cluster: string, schedule: string): ScheduledBackupSpec {
  return {
    cluster: { name: cluster },
    schedule,
    method: "plugin",
    pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
    // A first base backup right away: WAL archiving alone cannot restore anything.
    immediate: true,
    backupOwnerReference: "self",
    target: "prefer-standby",
  };
}
