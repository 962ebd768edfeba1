/**
 * PostgreSQL extensions a database may ask for (`postgres.databases[].extensions`), and whether each
 * target's PostgreSQL can provide them. An allow-list, not a pass-through: every extension here is
 * one mlstack has checked is shipped by every target it renders (or is refused, before anything
 * registers, where it is not), and that the database owner can use once it is created.
 *
 * `vector` (pgvector: the `vector` type, `<->` distance operators, HNSW and IVFFlat indexes). HNSW
 * needs pgvector 0.5.0 or later (https://github.com/pgvector/pgvector/blob/master/CHANGELOG.md).
 * - CloudNativePG: the community `standard` operand images ship pgvector for every major
 *   (cloudnative-pg/postgres-containers, `Dockerfile`: the `standard` stage, `FROM minimal AS
 *   standard`, installs Debian's `postgresql-${PG_MAJOR}-pgvector` from the PostgreSQL apt
 *   repository; `minimal` does not); the pinned images in cnpgImages.ts are all `standard`. A custom
 *   `imageName` that is not a `standard` image is refused, since mlstack cannot know it has pgvector.
 * - RDS / Aurora PostgreSQL: pgvector 0.5.0 (HNSW) is available from 15.4, 14.9 and every later
 *   minor, and on every 16+ release
 *   (https://aws.amazon.com/about-aws/whats-new/2023/10/amazon-rds-postgresql-pgvector-hnsw-indexing/,
 *   https://aws.amazon.com/about-aws/whats-new/2023/10/amazon-aurora-postgresql-pgvector-v0-5-0-hnsw-indexing/,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-extensions.html).
 *   An `engineVersion` of a bare major lets RDS pick the newest minor, which has it.
 * - Cloud SQL for PostgreSQL: `vector` is a supported extension on every version mlstack accepts
 *   (14–18) and can be installed in any database
 *   (https://cloud.google.com/sql/docs/postgres/extensions,
 *   https://cloud.google.com/sql/docs/postgres/work-with-vectors).
 */

/** Extension names accepted in `postgres.databases[].extensions`. */
export const POSTGRES_EXTENSIONS = ["vector"] as const;
export type PostgresExtension = (typeof POSTGRES_EXTENSIONS)[number];

export function isPostgresExtension(value: unknown): value is PostgresExtension {
  return typeof value === "string" && (POSTGRES_EXTENSIONS as readonly string[]).includes(value);
}

/** Per major: the first RDS/Aurora minor whose pgvector has HNSW (0.5.0). Majors absent: every minor. */
const RDS_VECTOR_MINIMUM_MINOR: Record<number, number> = { 14: 9, 15: 4 };

/**
 * Why an RDS/Aurora `engineVersion` (`<major>` or `<major>.<minor>`) cannot provide `extension`,
 * or undefined when it can.
 */
export function rdsExtensionProblem(extension: PostgresExtension, engineVersion: string): string | undefined {
  if (extension !== "vector") return undefined;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(engineVersion);
  if (!match || match[2] === undefined) return undefined;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const minimum = RDS_VECTOR_MINIMUM_MINOR[major];
  if (minimum === undefined || minor >= minimum) return undefined;
  return (
    `lacks pgvector 0.5.0 (the vector extension with HNSW indexes), which RDS/Aurora PostgreSQL ` +
    `${major} ships from ${major}.${minimum}: use ${major}.${minimum} or later, or a bare ${major}`
  );
}

/**
 * Why a CloudNativePG operand image cannot provide `extension`, or undefined when it can: only the
 * community `standard` flavour is known to ship pgvector.
 */
export function cnpgImageExtensionProblem(extension: PostgresExtension, image: string): string | undefined {
  if (extension !== "vector") return undefined;
  if (/-standard-/.test(image.split("@")[0].split(":").slice(1).join(":"))) return undefined;
  return (
    "is not a CloudNativePG community `standard` image (tag `<major>.<minor>-<build>-standard-<distro>`), " +
    "the flavour that ships pgvector; remove imageName to use the pinned standard image, or pin a standard one"
  );
}

/** Cloud SQL ships `vector` on every major mlstack accepts (14–18). */
export function cloudSqlExtensionProblem(extension: PostgresExtension, version: number): string | undefined {
  if (extension !== "vector") return undefined;
  return version >= 14 && version <= 18
    ? undefined
    : `has no vector extension on Cloud SQL (supported: 14–18)`;
}

/**
 * The allow-listed extensions any database asks for, once each, in declaration order (a name off
 * the list is the validation's to refuse, naming the database).
 */
export function requestedExtensions(
  databases: Array<{ extensions?: readonly string[] }>,
): PostgresExtension[] {
  return [...new Set(databases.flatMap((d) => (d.extensions ?? []).filter(isPostgresExtension)))];
}
