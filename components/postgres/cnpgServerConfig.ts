/**
 * The `spec.postgresql` section of a CloudNativePG Cluster: server parameters, host-based
 * authentication and synchronous replication, derived from the config.
 *
 * Host-based authentication. CloudNativePG writes its own fixed rules first (local peer for the
 * instance manager, certificate auth for `streaming_replica` and the pooler) and ends the file
 * with `host all all all scram-sha-256`, which would accept plain-text TCP. The rules here come in
 * between and make the operator's default unreachable:
 *
 *   hostnossl all all all reject                      # no unencrypted connection, ever
 *   hostssl "<db>" "<role>" all scram-sha-256         # each owner role into its own database only
 *   host all all all reject                           # anything else over TCP
 *
 * Names are quoted so a database called like a keyword (`replication`, `sameuser`) stays a name.
 * TLS versions and ciphers are fixed by the operator (TLS 1.3 minimum by default) and cannot be
 * set here.
 */
import { memoryBytes } from "../kube/quantity";
import type { PostgresDatabaseConfig } from "./settings";

export interface SynchronousReplication {
  method: "any";
  number: number;
  dataDurability: "required" | "preferred";
}

const MIB = 1024 * 1024;

/** Bytes in a Kubernetes memory quantity (`4Gi`, `512Mi`, `1.5G`, `1073741824`), or undefined (one shared parser). */
export function quantityBytes(quantity: string): number | undefined {
  return memoryBytes(quantity.trim());
}

/**
 * Server parameters for production: log what an auditor and an on-call engineer need (who
 * connected and for how long, lock waits, checkpoints, big temp files, slow autovacuum), cut idle
 * transactions that would hold back vacuum, and size memory from the container's limit.
 *
 * Not set on purpose: `log_statement` (DDL logging would write the passwords of the operator's
 * `ALTER ROLE … PASSWORD` statements to the log) and `log_min_duration_statement` (query text
 * and parameters carry business data).
 */
export function postgresParameters(memoryLimit: string): Record<string, string> {
  const parameters: Record<string, string> = {
    log_connections: "on",
    log_disconnections: "on",
    log_lock_waits: "on",
    log_checkpoints: "on",
    // Temporary files of 10 MB and more: queries spilling out of work_mem.
    log_temp_files: "10240",
    log_autovacuum_min_duration: "10s",
    idle_in_transaction_session_timeout: "10min",
    password_encryption: "scram-sha-256",
  };
  const bytes = quantityBytes(memoryLimit);
  if (bytes !== undefined) {
    // A quarter of the container's memory for shared buffers (PostgreSQL's own guidance), and the
    // planner told half of it is cache; never below PostgreSQL's 128 MB default.
    parameters.shared_buffers = `${Math.max(128, Math.floor(bytes / 4 / MIB))}MB`;
    parameters.effective_cache_size = `${Math.max(128, Math.floor(bytes / 2 / MIB))}MB`;
  }
  return parameters;
}

/** The host-based authentication rules described at the top of this file. */
export function hbaRules(
  databases: PostgresDatabaseConfig[],
  roleOf: (database: PostgresDatabaseConfig) => string,
): string[] {
  return [
    "hostnossl all all all reject",
    ...databases.map((d) => `hostssl "${d.name}" "${roleOf(d)}" all scram-sha-256`),
    "host all all all reject",
  ];
}

/**
 * Quorum-based synchronous replication once there is a standby to wait for: with three or more
 * instances a commit waits for one standby (no committed transaction is lost on failover, and one
 * standby may be down); with two, `preferred` durability falls back to asynchronous while the only
 * standby is unavailable rather than stopping writes.
 */
export function synchronousReplication(instances: number): SynchronousReplication | undefined {
  if (instances >= 3) return { method: "any", number: 1, dataDurability: "required" };
  if (instances === 2) return { method: "any", number: 1, dataDurability: "preferred" };
  return undefined;
}
