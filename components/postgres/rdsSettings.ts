/** What an RDS / Aurora PostgreSQL service is asked to be (`mlstack:aws.postgres`). */

export type RdsEngine = "rds" | "aurora";

export type PostgresWorkloadAuthentication = "iam" | "password";

export type PostgresLogStatement = "none" | "ddl" | "mod" | "all";

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
  adminSslMode: "require" | "verify-full";
  /** Path on the runner to the RDS CA bundle (global-bundle.pem) for `verify-full`. */
  adminSslRootCert?: string;
  /** Explicit engine version (e.g. `17.4`); default the major version `mlstack:postgres.version` (RDS picks the minor). */
  engineVersion: string;
  preferredBackupWindow?: string;
  preferredMaintenanceWindow?: string;
}
