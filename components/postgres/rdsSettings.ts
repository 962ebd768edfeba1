/** What an RDS / Aurora PostgreSQL service is asked to be (`mlstack:aws.postgres`). */

/*
 * The string enums here are `as const` objects as well as types (values unchanged): Pulumi's
 * component analyzer reads this pattern, not a bare string union, as a schema enum (@pulumi/pulumi
 * 3.270.0, provider/experimental/analyzer.js), so RdsPostgres fits a package schema.
 */

/** RDS for PostgreSQL, or Aurora PostgreSQL. */
export const RdsEngine = { rds: "rds", aurora: "aurora" } as const;
export type RdsEngine = (typeof RdsEngine)[keyof typeof RdsEngine];

/** How workloads log in: IAM database authentication, or a generated password. */
export const PostgresWorkloadAuthentication = { iam: "iam", password: "password" } as const;
export type PostgresWorkloadAuthentication =
  (typeof PostgresWorkloadAuthentication)[keyof typeof PostgresWorkloadAuthentication];

/** PostgreSQL's `log_statement`. */
export const PostgresLogStatement = { none: "none", ddl: "ddl", mod: "mod", all: "all" } as const;
export type PostgresLogStatement = (typeof PostgresLogStatement)[keyof typeof PostgresLogStatement];

/** libpq `sslmode` of the runner's admin connection: `require`, or `verify-full` with the RDS CA bundle. */
export const RdsAdminSslMode = { require: "require", verifyFull: "verify-full" } as const;
export type RdsAdminSslMode = (typeof RdsAdminSslMode)[keyof typeof RdsAdminSslMode];

export interface AwsPostgresConfig {
  /** `rds` (default): RDS for PostgreSQL, Multi-AZ when `postgres.instances` ≥ 2. `aurora`: one cluster instance per `postgres.instances`. */
  engine: RdsEngine;
  /** Instance class. Default dev `db.t4g.medium`, else `db.r7g.large`. */
  instanceClass: string;
  /** RDS only: gp3 storage from `mlstack:postgres.storageSize`, at least 20 GiB. */
  allocatedStorageGiB: number;
  /** RDS only: storage autoscaling ceiling. Default twice the allocated storage. */
  maxAllocatedStorageGiB: number;
  /** From `mlstack:postgres.backup.retentionDays` (dev 7, staging 14, prod 35); RDS allows 7..35 here. */
  backupRetentionDays: number;
  /** Master user; its password is generated, rotated and kept by RDS in Secrets Manager. Default `mlstack_admin`. */
  masterUsername: string;
  /**
   * How workloads log in. `iam` (default): IAM database authentication; the role has `rds_iam`, the
   * workload's IAM role `rds-db:connect` for exactly that user, and no password exists. `password`:
   * a generated password per role, delivered as a Secret.
   */
  workloadAuthentication: PostgresWorkloadAuthentication;
  /** `log_statement`. Default `ddl` (schema changes, not data: `all` would log values into CloudWatch). */
  logStatement: PostgresLogStatement;
  /** `log_min_duration_statement` in ms: statements slower than this are logged. Default 1000. */
  logMinDurationMs: number;
  /** Performance Insights retention. Default 7 days (the free tier); 7, 31..731 allowed. */
  performanceInsightsRetentionDays: number;
  /**
   * Security groups besides the cluster's node group admitted on 5432, for the runner that manages
   * roles and databases when it does not run inside the cluster. Default none.
   */
  adminSecurityGroupIds: string[];
  /** TLS mode of the runner's connection (`@pulumi/postgresql`). Default `require`; `verify-full` needs `adminSslRootCert`. */
  adminSslMode: RdsAdminSslMode;
  /** Path on the runner to the RDS CA bundle (global-bundle.pem) for `verify-full`. */
  adminSslRootCert?: string;
  /** Explicit engine version (e.g. `17.4`); default the major version `mlstack:postgres.version` (RDS picks the minor). */
  engineVersion: string;
  preferredBackupWindow?: string;
  preferredMaintenanceWindow?: string;
}
