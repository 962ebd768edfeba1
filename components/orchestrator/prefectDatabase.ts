/**
 * How the Postgres grant becomes Prefect's metadata-store settings.
 *
 * The grant (`PostgresService.grantDatabase`) hands over libpq variables (`PGHOST`, `PGPORT`,
 * `PGDATABASE`, `PGUSER`, `PGPASSWORD` as a `secretKeyRef`, `PGSSLMODE`, `PGSSLROOTCERT`) and a
 * libpq `DATABASE_URL`. Prefect's server talks to PostgreSQL through asyncpg, which takes neither
 * libpq's URL query (`sslmode`, `sslrootcert` are refused, PrefectHQ/prefect-helm#199) nor its
 * variables, so the connection is rebuilt from Prefect's own component settings
 * (`prefect.settings.models.server.database`, Prefect 3.9.1): the values by Kubernetes `$(VAR)`
 * expansion of the grant's entries, the password by copying its `secretKeyRef`, never a value.
 * TLS: `..._TLS_ENABLED` with the grant's CA and host-name checking, i.e. libpq's `verify-full`.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess } from "../identity/contract";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** The grant entries the mapping needs; refused (validation.ts) when one is missing. */
export const REQUIRED_DATABASE_ENV = [
  "PGHOST",
  "PGPORT",
  "PGDATABASE",
  "PGUSER",
  "PGPASSWORD",
  "PGSSLROOTCERT",
];

/** asyncpg, the PostgreSQL driver Prefect's server ships with. */
export const PREFECT_DATABASE_DRIVER = "postgresql+asyncpg";

export function findEnv(env: EnvVar[], name: string): EnvVar | undefined {
  return env.find((e) => e.name === name);
}

/** True when the entry is a `secretKeyRef` (or an Output that cannot be inspected before deployment). */
export function isSecretReference(entry: EnvVar): boolean {
  if (entry.value !== undefined || entry.valueFrom === undefined) return false;
  if (pulumi.Output.isInstance(entry.valueFrom)) return true;
  return (entry.valueFrom as k8s.types.input.core.v1.EnvVarSource).secretKeyRef !== undefined;
}

/**
 * Prefect's database settings from the grant. Follows the grant's own entries in the container's
 * env (Kubernetes expands `$(PGHOST)` only from entries listed before it).
 */
export function prefectDatabaseEnv(database: WorkloadAccess): EnvVar[] {
  const password = findEnv(database.env, "PGPASSWORD") as EnvVar;
  return [
    { name: "PREFECT_SERVER_DATABASE_DRIVER", value: PREFECT_DATABASE_DRIVER },
    { name: "PREFECT_SERVER_DATABASE_HOST", value: "$(PGHOST)" },
    { name: "PREFECT_SERVER_DATABASE_PORT", value: "$(PGPORT)" },
    { name: "PREFECT_SERVER_DATABASE_NAME", value: "$(PGDATABASE)" },
    { name: "PREFECT_SERVER_DATABASE_USER", value: "$(PGUSER)" },
    { name: "PREFECT_SERVER_DATABASE_PASSWORD", valueFrom: password.valueFrom },
    { name: "PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TLS_ENABLED", value: "true" },
    { name: "PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TLS_CA_FILE", value: "$(PGSSLROOTCERT)" },
    { name: "PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TLS_CHECK_HOSTNAME", value: "true" },
  ];
}
