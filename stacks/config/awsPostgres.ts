/**
 * `mlstack:aws.postgres`: RDS or Aurora PostgreSQL sized from `mlstack:postgres` (storage, backups,
 * instances), with the AWS-only choices (engine, instance class, IAM or password logins, logging,
 * Performance Insights, the runner's admin access).
 */
import type { Static } from "@sinclair/typebox";
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
import { Int, List, OneOf, Opt, Str, Strict, Text } from "./schemaKinds";
import type { PlatformConfig } from "./types";

export const AwsPostgresSchema = Strict({
  engine: Opt(OneOf<RdsEngine>(["rds", "aurora"], { default: "rds" })),
  instanceClass: Opt(
    Str(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, "an RDS instance class such as db.r7g.large", {
      description: "default per environment",
    }),
  ),
  maxAllocatedStorageGiB: Opt(
    Int(20, 65536, {
      description: "storage autoscaling ceiling; default twice the storage, at least the storage",
    }),
  ),
  masterUsername: Opt(
    Str(
      /^[a-z][a-z0-9_]{0,15}$/,
      "a PostgreSQL user name: lowercase letters, digits and '_', at most 16 characters",
      {
        default: "mlstack_admin",
      },
    ),
  ),
  workloadAuthentication: Opt(OneOf<PostgresWorkloadAuthentication>(["iam", "password"], { default: "iam" })),
  logStatement: Opt(OneOf<PostgresLogStatement>(["none", "ddl", "mod", "all"], { default: "ddl" })),
  logMinDurationMs: Opt(Int(-1, 3_600_000, { default: 1000 })),
  performanceInsightsRetentionDays: Opt(
    Int(7, 731, { default: 7, description: "7, a multiple of 31 up to 713, or 731" }),
  ),
  adminSecurityGroupIds: Opt(List(Str(SG, "a security group id such as sg-0123456789abcdef0"))),
  adminSslMode: Opt(OneOf(["require", "verify-full"] as const, { default: "require" })),
  adminSslRootCert: Opt(Text("the RDS CA bundle's path on the runner")),
  engineVersion: Opt(
    Str(/^[0-9]+(\.[0-9]+)?$/, "a PostgreSQL engine version such as 16.4", {
      description: "must match mlstack:postgres.version; default that major",
    }),
  ),
  preferredBackupWindow: Opt(
    Str(/^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$/, "a UTC window such as 02:00-03:00"),
  ),
  preferredMaintenanceWindow: Opt(
    Str(
      /^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$/,
      "a UTC window such as sun:04:00-sun:05:00",
    ),
  ),
});

export function parseAwsPostgres(
  r: Reader,
  obj: Static<typeof AwsPostgresSchema>,
  path: string,
  config: PlatformConfig,
  env: { dbClass: string },
): AwsPostgresConfig {
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
  let maxAllocatedStorageGiB = obj.maxAllocatedStorageGiB ?? Math.min(65536, allocatedStorageGiB * 2);
  if (maxAllocatedStorageGiB < allocatedStorageGiB) {
    r.fail(
      `${path}.maxAllocatedStorageGiB`,
      maxAllocatedStorageGiB,
      `is not a whole number from ${allocatedStorageGiB} to 65536 (it may not be below the allocated storage)`,
    );
    maxAllocatedStorageGiB = Math.min(65536, allocatedStorageGiB * 2);
  }
  const masterUsername = obj.masterUsername ?? "mlstack_admin";
  if (["rdsadmin", "rds_iam", "rds_superuser", "public"].includes(masterUsername))
    r.fail(`${path}.masterUsername`, masterUsername, "is reserved by RDS or PostgreSQL");
  const owned = config.postgres.databases.find((d) => d.name === masterUsername);
  if (owned)
    r.fail(
      `${path}.masterUsername`,
      masterUsername,
      `is also the role of database "${owned.name}" (each database's owner role has the database's name); choose another master user`,
    );
  const adminSslMode = obj.adminSslMode ?? "require";
  const adminSslRootCert = obj.adminSslRootCert;
  if (adminSslMode === "verify-full" && !adminSslRootCert)
    r.fail(
      `${path}.adminSslRootCert`,
      undefined,
      "is required with adminSslMode verify-full (the path of the RDS CA bundle on the runner)",
    );
  const performanceInsightsRetentionDays = obj.performanceInsightsRetentionDays ?? 7;
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
  const major = String(config.postgres.version);
  let engineVersion = obj.engineVersion ?? major;
  if (engineVersion !== major && !engineVersion.startsWith(`${major}.`)) {
    r.fail(
      `${path}.engineVersion`,
      engineVersion,
      `is not a PostgreSQL ${major} engine version such as ${major}.4 (it must match mlstack:postgres.version)`,
    );
    engineVersion = major;
  }
  return {
    engine: obj.engine ?? "rds",
    instanceClass: obj.instanceClass ?? env.dbClass,
    allocatedStorageGiB,
    maxAllocatedStorageGiB,
    backupRetentionDays: retention,
    masterUsername,
    workloadAuthentication: obj.workloadAuthentication ?? "iam",
    logStatement: obj.logStatement ?? "ddl",
    logMinDurationMs: obj.logMinDurationMs ?? 1000,
    performanceInsightsRetentionDays,
    adminSecurityGroupIds: obj.adminSecurityGroupIds ?? [],
    adminSslMode,
    adminSslRootCert,
    engineVersion: withDatabaseExtensions(r, `${path}.engineVersion`, config, engineVersion),
    preferredBackupWindow: obj.preferredBackupWindow,
    preferredMaintenanceWindow: obj.preferredMaintenanceWindow,
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
