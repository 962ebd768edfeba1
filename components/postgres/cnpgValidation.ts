/**
 * The checks of `CnpgPostgres`'s arguments: `validateCnpgPostgresSettings` needs no other resource,
 * so the stack's pre-flight runs it before anything registers; `validateCnpgPostgres` adds the
 * backup bucket's and runs in the constructor.
 */
import { refusal } from "../argumentProblem";
import { SECONDS_CRON_SCHEDULE_RULE, isSecondsCronSchedule } from "../kube/cron";
import { DNS1123_SUBDOMAIN_RULE, isDns1123Label, isDns1123Subdomain } from "../kube/names";
import type { CnpgPostgresArgs } from "./CnpgPostgres";
import { roleOf } from "./cnpgConventions";
import { cnpgImage, imageMajor } from "./cnpgImages";
import {
  cnpgImageExtensionProblem,
  isPostgresExtension,
  POSTGRES_EXTENSIONS,
  requestedExtensions,
} from "./extensions";

/** CloudNativePG rejects longer cluster names (its pod, job and PVC names append suffixes). */
const CNPG_MAX_CLUSTER_NAME = 50;

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

/** Everything the constructor can check before registering anything. */
export function validateCnpgPostgres(where: string, args: CnpgPostgresArgs): void {
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
    } else if (typeof args.backupBucket.grantAccess !== "function") {
      // The package schema carries a Bucket's fields, not its methods: a program in another language
      // can pass the fields only.
      fail(
        "backupBucket",
        args.backupBucket.logicalName,
        "is not a bucket of an mlstack object store (it has no grantAccess); pass the store's bucket from TypeScript, or set config.backup.enabled false",
      );
    }
  }
  if (args.certificateAuthority && typeof args.certificateAuthority.issue !== "function") {
    fail(
      "certificateAuthority",
      "(no issue method)",
      "is not a CertificateAuthority; leave it unset for a CA of this cluster's own",
    );
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
