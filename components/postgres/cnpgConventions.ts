/**
 * The names and ports CloudNativePG and `CnpgPostgres` agree on: the Cluster's Services, the label
 * on its pods, the role and Secret names derived from a database.
 */
import type { PostgresDatabaseConfig } from "./settings";

export const POSTGRES_PORT = 5432;
/** The instance manager's status endpoint, polled by the operator and by peer instances. */
export const CNPG_STATUS_PORT = 8000;
/** The instance's Prometheus exporter. */
export const CNPG_METRICS_PORT = 9187;
/** Label CloudNativePG puts on every pod of a cluster (instances and their jobs). */
export const CNPG_CLUSTER_LABEL = "cnpg.io/cluster";

/** The role owning a database is named like it (`postgres.databases[].name`). */
export function roleOf(database: PostgresDatabaseConfig): string {
  return database.name;
}

export function kebab(name: string): string {
  return name.replace(/_/g, "-");
}

export function roleSecretName(cluster: string, database: PostgresDatabaseConfig): string {
  return `${cluster}-role-${kebab(database.name)}`;
}

export function caConfigMapName(cluster: string): string {
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
