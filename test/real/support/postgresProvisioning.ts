/**
 * The SQL mlstack causes on a PostgreSQL server, translated from rendered resources the way the
 * programs that act on them translate them, so the real-process tests can run it on a real server.
 *
 * API:
 *   cnpgStatements(cluster): string[]
 *     What the CloudNativePG instance manager runs for the Cluster's `spec.managed.roles` and the
 *     `Database` resources (renderedStack.ts `renderedCnpgCluster()`), in that order:
 *       - roles (internal/management/controller/roles/postgres.go, `Create` +
 *         `appendRoleOptions` + `appendPasswordOption`, cloudnative-pg/cloudnative-pg):
 *         CREATE ROLE "<name>"  BYPASSRLS|NOBYPASSRLS CREATEDB|NOCREATEDB CREATEROLE|NOCREATEROLE
 *         INHERIT|NOINHERIT LOGIN|NOLOGIN REPLICATION|NOREPLICATION SUPERUSER|NOSUPERUSER
 *         CONNECTION LIMIT <n> PASSWORD '<password>', then COMMENT ON ROLE "<name>" IS '<comment>';
 *       - databases (internal/management/controller/database_controller_sql.go, `createDatabase`):
 *         CREATE DATABASE "<name>"  OWNER "<owner>" (the operator sets nothing else on them: PUBLIC
 *         keeps PostgreSQL's default CONNECT and TEMP, and pg_hba is what keeps other roles out).
 *   providerStatements(resources): string[]
 *     What the `@pulumi/postgresql` provider (the Terraform provider cyrilgdn/
 *     terraform-provider-postgresql, which it bridges) runs for rendered `postgresql:index/…`
 *     resources, in dependency order (roles, databases, grants):
 *       - Role (postgresql/resource_postgresql_role.go, `resourcePostgreSQLRoleCreate`):
 *         CREATE ROLE "<name>" WITH [ENCRYPTED PASSWORD '<p>'] VALID UNTIL 'infinity'
 *         CONNECTION LIMIT -1 SUPERUSER|NOSUPERUSER CREATEDB|… CREATEROLE|… INHERIT|…
 *         LOGIN|… BYPASSRLS|… REPLICATION|…, then `grantRoles`: GRANT "<role>" TO "<name>";
 *       - Database (postgresql/resource_postgresql_database.go, `createDatabase`):
 *         CREATE DATABASE "<name>" OWNER "<owner>" TEMPLATE "<template0>" ENCODING '<UTF8>'
 *         [LC_COLLATE '<c>'] [LC_CTYPE '<c>'] ALLOW_CONNECTIONS <true> CONNECTION LIMIT <-1>
 *         IS_TEMPLATE <false>;
 *       - Grant on a database (postgresql/resource_postgresql_grant.go: revoke, then grant):
 *         REVOKE ALL PRIVILEGES ON DATABASE "<db>" FROM "<role>", then
 *         GRANT <privileges> ON DATABASE "<db>" TO "<role>" when any are listed.
 *     Attributes the rendered resources leave unset take the provider schema's defaults
 *     (inherit true, bypass_row_level_security false, connection_limit -1, valid_until
 *     'infinity'). RDS's built-in `rds_iam` role does not exist on a stock server: providerStatements
 *     creates it (NOLOGIN) when a rendered role is granted it.
 *   cnpgExtensionStatements(cluster): DatabaseStatement[]
 *     What the instance manager runs, as the superuser connected to the database, for each
 *     `Database.spec.extensions[]` entry with `ensure: present` that is not installed yet
 *     (internal/management/controller/database_controller_sql.go, `createDatabaseExtension`,
 *     CloudNativePG >= 1.26): CREATE EXTENSION "<name>"  [VERSION "<v>"] [SCHEMA "<s>"].
 *   providerExtensionStatements(resources): DatabaseStatement[]
 *     What the provider runs for a rendered `postgresql:index/extension:Extension`, in a transaction
 *     on the extension's database with the provider's (admin) connection
 *     (postgresql/resource_postgresql_extension.go, `resourcePostgreSQLExtensionCreate`):
 *     CREATE EXTENSION IF NOT EXISTS "<name>" [SCHEMA "<s>"] [VERSION "<v>"].
 *   sqlIdentifier(name), sqlLiteral(text): quoting as pgx/pq do it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */
import type { RenderedCnpgCluster } from "./renderedStack";

export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function flag(value: boolean, enabled: string): string {
  return value ? enabled : `NO${enabled}`;
}

export function cnpgStatements(cluster: RenderedCnpgCluster): string[] {
  const statements: string[] = [];
  for (const role of cluster.roles) {
    statements.push(
      `CREATE ROLE ${sqlIdentifier(role.name)}  ${[
        flag(role.bypassrls, "BYPASSRLS"),
        flag(role.createdb, "CREATEDB"),
        flag(role.createrole, "CREATEROLE"),
        flag(role.inherit, "INHERIT"),
        flag(role.login, "LOGIN"),
        flag(role.replication, "REPLICATION"),
        flag(role.superuser, "SUPERUSER"),
      ].join(" ")} CONNECTION LIMIT ${role.connectionLimit} PASSWORD ${sqlLiteral(role.password)}`,
    );
    if (role.comment)
      statements.push(`COMMENT ON ROLE ${sqlIdentifier(role.name)} IS ${sqlLiteral(role.comment)}`);
  }
  for (const database of cluster.databases) {
    statements.push(
      `CREATE DATABASE ${sqlIdentifier(database.name)}  OWNER ${sqlIdentifier(database.owner)}`,
    );
  }
  return statements;
}

export interface ProviderResource {
  type: string;
  inputs: any;
}

const ROLE = "postgresql:index/role:Role";
const DATABASE = "postgresql:index/database:Database";
const GRANT = "postgresql:index/grant:Grant";
const EXTENSION = "postgresql:index/extension:Extension";
/** RDS's built-in role that makes the server accept IAM tokens for a member. */
const RDS_IAM = "rds_iam";

export function providerStatements(resources: ProviderResource[]): string[] {
  // Extensions run inside their database, not on the admin connection's: providerExtensionStatements.
  const known = new Set([ROLE, DATABASE, GRANT, EXTENSION]);
  const unknown = resources.filter((r) => r.type.startsWith("postgresql:") && !known.has(r.type));
  if (unknown.length > 0) {
    throw new Error(
      `no translation to SQL for ${[...new Set(unknown.map((r) => r.type))].join(", ")}; add it to postgresProvisioning.ts`,
    );
  }
  const statements: string[] = [];
  const roles = resources.filter((r) => r.type === ROLE).map((r) => r.inputs);
  if (roles.some((role) => (role.roles ?? []).includes(RDS_IAM))) {
    statements.push(`CREATE ROLE ${sqlIdentifier(RDS_IAM)} NOLOGIN`);
  }
  for (const role of roles) {
    const options = [
      ...(role.password ? ["ENCRYPTED", `PASSWORD ${sqlLiteral(role.password)}`] : []),
      `VALID UNTIL ${sqlLiteral(role.validUntil ?? "infinity")}`,
      `CONNECTION LIMIT ${role.connectionLimit ?? -1}`,
      flag(role.superuser ?? false, "SUPERUSER"),
      flag(role.createDatabase ?? false, "CREATEDB"),
      flag(role.createRole ?? false, "CREATEROLE"),
      flag(role.inherit ?? true, "INHERIT"),
      flag(role.login ?? false, "LOGIN"),
      flag(role.bypassRowLevelSecurity ?? false, "BYPASSRLS"),
      flag(role.replication ?? false, "REPLICATION"),
    ];
    statements.push(`CREATE ROLE ${sqlIdentifier(role.name)} WITH ${options.join(" ")}`);
    for (const member of role.roles ?? [])
      statements.push(`GRANT ${sqlIdentifier(member)} TO ${sqlIdentifier(role.name)}`);
  }
  for (const database of resources.filter((r) => r.type === DATABASE).map((r) => r.inputs)) {
    const template = database.template ?? "template0";
    const options = [
      ...(database.owner ? [`OWNER ${sqlIdentifier(database.owner)}`] : []),
      template.toUpperCase() === "DEFAULT" ? "TEMPLATE DEFAULT" : `TEMPLATE ${sqlIdentifier(template)}`,
      `ENCODING ${sqlLiteral(database.encoding ?? "UTF8")}`,
      ...(database.lcCollate ? [`LC_COLLATE ${sqlLiteral(database.lcCollate)}`] : []),
      ...(database.lcCtype ? [`LC_CTYPE ${sqlLiteral(database.lcCtype)}`] : []),
      `ALLOW_CONNECTIONS ${database.allowConnections ?? true}`,
      `CONNECTION LIMIT ${database.connectionLimit ?? -1}`,
      `IS_TEMPLATE ${database.isTemplate ?? false}`,
    ];
    statements.push(`CREATE DATABASE ${sqlIdentifier(database.name)} ${options.join(" ")}`);
  }
  for (const grant of resources.filter((r) => r.type === GRANT).map((r) => r.inputs)) {
    if (grant.objectType !== "database") {
      throw new Error(
        `no translation to SQL for a Grant on ${grant.objectType}; add it to postgresProvisioning.ts`,
      );
    }
    statements.push(
      `REVOKE ALL PRIVILEGES ON DATABASE ${sqlIdentifier(grant.database)} FROM ${sqlIdentifier(grant.role)}`,
    );
    if ((grant.privileges ?? []).length > 0) {
      statements.push(
        `GRANT ${grant.privileges.join(",")} ON DATABASE ${sqlIdentifier(grant.database)} TO ${sqlIdentifier(grant.role)}`,
      );
    }
  }
  return statements;
}

/** A statement and the database whose connection runs it. */
export interface DatabaseStatement {
  database: string;
  sql: string;
}

export function cnpgExtensionStatements(cluster: RenderedCnpgCluster): DatabaseStatement[] {
  return cluster.databases.flatMap((database) =>
    database.extensions.map((name) => ({
      database: database.name,
      sql: `CREATE EXTENSION ${sqlIdentifier(name)} `,
    })),
  );
}

export function providerExtensionStatements(resources: ProviderResource[]): DatabaseStatement[] {
  return resources
    .filter((r) => r.type === EXTENSION)
    .map((r) => r.inputs)
    .map((extension) => ({
      database: extension.database,
      sql: [
        `CREATE EXTENSION IF NOT EXISTS ${sqlIdentifier(extension.name)}`,
        ...(extension.schema ? [`SCHEMA ${sqlIdentifier(extension.schema)}`] : []),
        ...(extension.version ? [`VERSION ${sqlIdentifier(extension.version)}`] : []),
      ].join(" "),
    }));
}
