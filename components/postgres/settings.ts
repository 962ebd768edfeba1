/** What a PostgreSQL service is asked to be (`mlstack:postgres`): shared by every Postgres backend. */
import type { ContainerResources } from "../kube/containerResources";

export interface PostgresDatabaseConfig {
  /** Database name (also its owning role's name). */
  name: string;
  /** Owning workload: `mlflow` or a model name from `mlstack:serving.models`. */
  owner: string;
  /**
   * Extensions created in this database (allow-list: `vector`, `POSTGRES_EXTENSIONS`; anything
   * else is refused before anything registers). Created by the platform's privileged connection
   * (CloudNativePG's instance manager, or the provider's admin role), so the owner needs no
   * superuser to use them. Plain strings, not the `PostgresExtension` type: a one-value literal
   * type has no form in a Pulumi package schema, which the Postgres components must fit.
   */
  extensions?: string[];
}

/** Backups of a PostgreSQL service (`mlstack:postgres.backup`). */
export interface PostgresBackupConfig {
  /** Default false in dev, true elsewhere. */
  enabled: boolean;
  /** Days of base backups + WAL kept. Default dev 7, staging 14, prod 35. */
  retentionDays: number;
  /** Cron schedule (six fields, seconds first, as CloudNativePG expects). Default daily 02:00. */
  schedule: string;
  /** Logical bucket holding backups. Default `postgres-backups` (declared automatically). */
  bucket: string;
}

export interface PostgresConfig {
  /** Cluster name. Default `postgres`. */
  name: string;
  /** PostgreSQL major version. Default 17. */
  version: number;
  /** Instances: dev 1, staging 2, prod 3. */
  instances: number;
  /** Volume size. Default dev 5Gi, staging 50Gi, prod 200Gi. */
  storageSize: string;
  storageClass?: string;
  resources: ContainerResources;
  backup: PostgresBackupConfig;
  databases: PostgresDatabaseConfig[];
}
