/**
 * `mlstack:aws.postgres`: RDS or Aurora PostgreSQL sized from `mlstack:postgres` (storage, backups,
 * instances), with the AWS-only choices (engine, instance class, IAM or password logins, logging,
 * Performance Insights, the runner's admin access).
 */
import type {
  AwsPostgresConfig,
  PostgresLogStatement,
  PostgresWorkloadAuthentication,
  RdsEngine,
} from "../../components/postgres/rdsSettings";
import { quantityGiB } from "../../components/kube/quantity";
import { rdsExtensionProblem, requestedExtensions } from "../../components/postgres/extensions";
import { SG } from "./awsIds";
import type { Reader } from "./reader";
import type { PlatformConfig } from "./types";

export function parseAwsPostgres(
  r: Reader,
  value: unknown,
  path: string,
  config: PlatformConfig,
  env: { dbClass: string },
): AwsPostgresConfig {
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "engine",
    "instanceClass",
    "maxAllocatedStorageGiB",
    "masterUsername",
    "workloadAuthentication",
    "logStatement",
    "logMinDurationMs",
    "performanceInsightsRetentionDays",
    "adminSecurityGroupIds",
    "adminSslMode",
    "adminSslRootCert",
    "engineVersion",
    "preferredBackupWindow",
    "preferredMaintenanceWindow",
  ]);
  const retention = config.postgres.backup.retentionDays;
  if (retention < 7 || retention > 35) {
    r.fail(
      "postgres.backup.retentionDays",
      retention,
      "must be 7..35 on aws (RDS keeps automated backups at most 35 days, and fewer than 7 is not allowed)",
    );
  }
  const allocatedStorageGiB = Math.max(20, quantityGiB(config.postgres.storageSize));
  if (allocatedStorageGiB > 65536)
    r.fail("postgres.storageSize", config.postgres.storageSize, "is more than RDS's 65536 GiB");
  const maxAllocatedStorageGiB = r.integer(
    obj,
    "maxAllocatedStorageGiB",
    path,
    Math.min(65536, allocatedStorageGiB * 2),
    allocatedStorageGiB,
    65536,
  );
  const masterUsername = r.string(
    obj,
    "masterUsername",
    path,
    "mlstack_admin",
    /^[a-z][a-z0-9_]{0,15}$/,
    "a PostgreSQL user name: lowercase letters, digits and '_', at most 16 characters",
  );
  if (["rdsadmin", "rds_iam", "rds_superuser", "public"].includes(masterUsername))
    r.fail(`${path}.masterUsername`, masterUsername, "is reserved by RDS or PostgreSQL");
  const owned = config.postgres.databases.find((d) => d.name === masterUsername);
  if (owned)
    r.fail(
      `${path}.masterUsername`,
      masterUsername,
      `is also the role of database "${owned.name}" (each database's owner role has the database's name); choose another master user`,
    );
  const adminSslMode = r.oneOf(obj, "adminSslMode", path, ["require", "verify-full"] as const, "require");
  const adminSslRootCert = r.optionalString(obj, "adminSslRootCert", path);
  if (adminSslMode === "verify-full" && !adminSslRootCert)
    r.fail(
      `${path}.adminSslRootCert`,
      undefined,
      "is required with adminSslMode verify-full (the path of the RDS CA bundle on the runner)",
    );
  const performanceInsightsRetentionDays = r.integer(
    obj,
    "performanceInsightsRetentionDays",
    path,
    7,
    7,
    731,
  );
  if (
    performanceInsightsRetentionDays !== 7 &&
    (performanceInsightsRetentionDays % 31 !== 0 || performanceInsightsRetentionDays > 713) &&
    performanceInsightsRetentionDays !== 731
  ) {
    r.fail(
      `${path}.performanceInsightsRetentionDays`,
      performanceInsightsRetentionDays,
      "is not a Performance Insights retention (7, a multiple of 31 up to 713, or 731)",
    );
  }
  const window = /^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$/;
  const maintenance =
    /^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$/;
  return {
    engine: r.oneOf<RdsEngine>(obj, "engine", path, ["rds", "aurora"], "rds"),
    instanceClass: r.string(
      obj,
      "instanceClass",
      path,
      env.dbClass,
      /^db\.[a-z0-9-]+\.[a-z0-9]+$/,
      "an RDS instance class such as db.r7g.large",
    ),
    allocatedStorageGiB,
    maxAllocatedStorageGiB,
    backupRetentionDays: retention,
    masterUsername,
    workloadAuthentication: r.oneOf<PostgresWorkloadAuthentication>(
      obj,
      "workloadAuthentication",
      path,
      ["iam", "password"],
      "iam",
    ),
    logStatement: r.oneOf<PostgresLogStatement>(
      obj,
      "logStatement",
      path,
      ["none", "ddl", "mod", "all"],
      "ddl",
    ),
    logMinDurationMs: r.integer(obj, "logMinDurationMs", path, 1000, -1, 3_600_000),
    performanceInsightsRetentionDays,
    adminSecurityGroupIds: r.stringList(
      obj,
      "adminSecurityGroupIds",
      path,
      [],
      SG,
      "a security group id such as sg-0123456789abcdef0",
    ),
    adminSslMode,
    adminSslRootCert,
    engineVersion: withDatabaseExtensions(
      r,
      `${path}.engineVersion`,
      config,
      r.string(
        obj,
        "engineVersion",
        path,
        String(config.postgres.version),
        new RegExp(`^${config.postgres.version}(\\.[0-9]+)?$`),
        `a PostgreSQL ${config.postgres.version} engine version such as ${config.postgres.version}.4 (it must match mlstack:postgres.version)`,
      ),
    ),
    preferredBackupWindow: r.optionalString(
      obj,
      "preferredBackupWindow",
      path,
      window,
      "a UTC window such as 02:00-03:00",
    ),
    preferredMaintenanceWindow: r.optionalString(
      obj,
      "preferredMaintenanceWindow",
      path,
      maintenance,
      "a UTC window such as sun:04:00-sun:05:00",
    ),
  };
}

/** The engine version, refused (naming the database) when it lacks an extension a database asks for. */
function withDatabaseExtensions(
  r: Reader,
  key: string,
  config: PlatformConfig,
  engineVersion: string,
): string {
  for (const extension of requestedExtensions(config.postgres.databases)) {
    const problem = rdsExtensionProblem(extension, engineVersion);
    if (problem) {
      const asking = config.postgres.databases
        .filter((d) => d.extensions?.includes(extension))
        .map((d) => d.name);
      r.fail(
        key,
        engineVersion,
        `${problem} (postgres.databases ${asking.join(", ")} ask for "${extension}")`,
      );
    }
  }
  return engineVersion;
}
