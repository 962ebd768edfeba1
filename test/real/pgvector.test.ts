/**
 * `postgres.databases[].extensions: [vector]` on a real PostgreSQL 15 with pgvector: the extension is
 * created by the SQL mlstack's own path issues, then the database's owner — the workload's role,
 * over TLS, with no superuser — keeps embeddings in a `vector(3)` column, indexes them with HNSW
 * and runs a nearest-neighbour query; another team's role cannot use the database.
 *
 * - In-cluster (dev stack, CloudNativePG): the Database resource's `spec.extensions` becomes the
 *   instance manager's `CREATE EXTENSION` in that database (support/postgresProvisioning.ts).
 * - Managed (RDS, as Cloud SQL renders the same provider resource): the `postgresql.Extension` an
 *   RdsPostgres with a vector database renders becomes the provider's `CREATE EXTENSION IF NOT
 *   EXISTS`, run after its Role, Database and Grant statements.
 *
 * Needs Debian's `postgresql-15-pgvector` beside `postgresql-15` (checked up front by name).
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { RdsPostgres } from "../../components/postgres/rds";
import { awsConfig, rawAwsBlock, rdsArgs } from "../aws/fixtures";
import { render } from "../support/render";
import { PostgresServer, startPostgres } from "./support/postgres";
import {
  cnpgExtensionStatements,
  cnpgStatements,
  DatabaseStatement,
  providerExtensionStatements,
  providerStatements,
  ProviderResource,
  sqlIdentifier,
  sqlLiteral,
} from "./support/postgresProvisioning";
import { postgresBinDir } from "./support/prerequisites";
import { inputsOf, renderedCnpgCluster, RenderedCnpgCluster, renderedStack } from "./support/renderedStack";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

function psql(uri: string, sql: string) {
  const result = spawnSync(
    path.join(postgresBinDir(), "psql"),
    ["--no-psqlrc", "--quiet", "--tuples-only", "--no-align", "--set", "ON_ERROR_STOP=1", uri, "-c", sql],
    { encoding: "utf8", env: { PATH: process.env.PATH, HOME: os.tmpdir() } },
  );
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Throws, naming the install step, when the server cannot offer pgvector. */
function requirePgvector(postgres: PostgresServer): void {
  const available = postgres.superuser("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'");
  if (available.trim() !== "1") {
    throw new Error(
      `the pgvector test needs the vector extension in PostgreSQL 15, which is not installed: ` +
        `run test/real/support/install-pgvector.sh as root (needs postgresql-server-dev-15 and Go; ` +
        `.ci/run does this). Debian bookworm's archive carries no postgresql-15-pgvector.`,
    );
  }
}

function apply(postgres: PostgresServer, statements: string[], extensions: DatabaseStatement[]): void {
  for (const statement of statements) postgres.superuser(statement);
  for (const { database, sql } of extensions) postgres.superuser(sql, database);
}

/** Embeddings and the query vector: by L2 distance from [1,1,1] the order is near, mid, far, opposite. */
const EMBEDDINGS: Array<[string, string]> = [
  ["far", "[5,5,5]"],
  ["near", "[1,1,1.1]"],
  ["opposite", "[-4,-4,-4]"],
  ["mid", "[2,2,2]"],
];

/**
 * As the owner: a vector(3) column, an HNSW index on it, embeddings, then (a separate `-c`, run with --quiet so the SET leaves no status line)
 * who is connected and the nearest neighbours.
 */
function ownerUsesVectors(uri: string) {
  const rows = EMBEDDINGS.map(([label, v]) => `(${sqlLiteral(label)}, ${sqlLiteral(v)})`).join(", ");
  const setup = psql(
    uri,
    "CREATE TABLE items (id bigserial PRIMARY KEY, label text NOT NULL, embedding vector(3) NOT NULL); " +
      "CREATE INDEX items_embedding_hnsw ON items USING hnsw (embedding vector_l2_ops); " +
      `INSERT INTO items (label, embedding) VALUES ${rows}`,
  );
  const who = psql(
    uri,
    "SELECT (SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()) || ':' || " +
      "(SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user) || ':' || current_user",
  );
  // A four-row table is scanned sequentially unless the planner is told not to: this makes the
  // query go through the HNSW index, which is what has to work for the owner.
  const nearest = psql(
    uri,
    "SET enable_seqscan = off; " +
      "SELECT string_agg(label, ',') FROM (SELECT label FROM items ORDER BY embedding <-> '[1,1,1]' LIMIT 3) nearest",
  );
  return {
    setup: setup.stderr || setup.status,
    who: who.stderr || who.stdout,
    nearest: nearest.stderr || nearest.stdout,
  };
}

function usesHnswIndex(uri: string): string {
  return psql(
    uri,
    "SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT label FROM items ORDER BY embedding <-> '[1,1,1]' LIMIT 3",
  ).stdout;
}

describe("pgvector in-cluster: the dev stack's CloudNativePG Database with extensions: [vector]", () => {
  let cluster: RenderedCnpgCluster;
  let postgres: PostgresServer;
  let extensions: DatabaseStatement[];
  const uris = new Map<string, string>();

  beforeAll(async () => {
    cluster = await renderedCnpgCluster("dev");
    postgres = await startPostgres({
      hbaRules: cluster.hbaRules,
      parameters: cluster.parameters,
      serverNames: cluster.serverNames,
    });
    requirePgvector(postgres);
    extensions = cnpgExtensionStatements(cluster);
    apply(postgres, cnpgStatements(cluster), extensions);
    // Each owner's grant Secret, as CnpgPostgres.grantDatabase renders it into the workload's namespace.
    const plan = await renderedStack("dev");
    for (const secret of plan.resources.filter((r) => r.type === "kubernetes:core/v1:Secret").map(inputsOf)) {
      const data = (secret as any).stringData;
      if (data?.uri && data.host === `${cluster.name}-rw.${cluster.namespace}.svc`)
        uris.set(data.dbname, postgres.retargetUri(data.uri));
    }
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it("creates vector in fraud_features only, with the instance manager's statement", () => {
    expect(extensions).toEqual([{ database: "fraud_features", sql: 'CREATE EXTENSION "vector" ' }]);
    expect(
      postgres.superuser("SELECT extname FROM pg_extension WHERE extname = 'vector'", "fraud_features"),
    ).toBe("vector");
    expect(postgres.superuser("SELECT count(*) FROM pg_extension WHERE extname = 'vector'", "mlflow")).toBe(
      "0",
    );
  });

  it("lets the owner, over TLS and without superuser, index embeddings with HNSW and find the nearest", () => {
    const uri = uris.get("fraud_features") as string;
    expect(uri).toBeDefined();
    const result = ownerUsesVectors(uri);
    expect(result).toEqual({ setup: 0, who: "true:false:fraud_features", nearest: "near,mid,far" });
    expect(usesHnswIndex(uri)).toContain("Index Scan using items_embedding_hnsw on items");
  });

  it("keeps another team's role out of the vector database", () => {
    const mlflow = uris.get("mlflow") as string;
    expect(mlflow).toBeDefined();
    expect(psql(withDatabase(mlflow, "fraud_features"), "SELECT count(*) FROM items").stderr).toContain(
      'pg_hba.conf rejects connection for host "127.0.0.1", user "mlflow", database "fraud_features", SSL encryption',
    );
  });
});

/** The hba of a managed server: TLS only, any role may try any database (RDS force_ssl). */
const MANAGED_HBA = ["hostnossl all all all reject", "hostssl all all all scram-sha-256"];
const MANAGED_HOST = "postgres.managed.test";

describe("pgvector managed: RdsPostgres's postgresql.Extension for a database with extensions: [vector]", () => {
  let postgres: PostgresServer;
  let extensions: DatabaseStatement[];
  const password = (role: string) => `iam-token-stand-in-${role}`;
  const uri = (role: string, database: string) =>
    postgres.connectionUri({ user: role, password: password(role), database, hostname: MANAGED_HOST });

  beforeAll(async () => {
    const aws = rawAwsBlock();
    const config = awsConfig({
      aws,
      postgres: { databases: [{ name: "fraud_features", owner: "fraud-detector", extensions: ["vector"] }] },
    });
    const rendered = await render(() => void new RdsPostgres("postgres", rdsArgs(config)));
    const resources: ProviderResource[] = rendered.resources
      .filter((r) => r.type.startsWith("postgresql:index/"))
      .map((r) => ({ type: r.type, inputs: rendered.inputs(r) }));
    postgres = await startPostgres({ hbaRules: MANAGED_HBA, parameters: {}, serverNames: [MANAGED_HOST] });
    requirePgvector(postgres);
    extensions = providerExtensionStatements(resources);
    apply(postgres, providerStatements(resources), extensions);
    // rds_iam members: a password stands in for the IAM token RDS would check.
    for (const role of ["fraud_features", "mlflow"])
      postgres.superuser(`ALTER ROLE ${sqlIdentifier(role)} PASSWORD ${sqlLiteral(password(role))}`);
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it("creates vector in fraud_features with the provider's statement", () => {
    expect(extensions).toEqual([
      { database: "fraud_features", sql: 'CREATE EXTENSION IF NOT EXISTS "vector"' },
    ]);
  });

  it("lets the owner, over TLS and without superuser, index embeddings with HNSW and find the nearest", () => {
    const result = ownerUsesVectors(uri("fraud_features", "fraud_features"));
    expect(result).toEqual({ setup: 0, who: "true:false:fraud_features", nearest: "near,mid,far" });
    expect(usesHnswIndex(uri("fraud_features", "fraud_features"))).toContain(
      "Index Scan using items_embedding_hnsw on items",
    );
  });

  it("keeps another team's role out of the vector database (no CONNECT for PUBLIC)", () => {
    expect(psql(uri("mlflow", "fraud_features"), "SELECT 1").stderr).toContain(
      'permission denied for database "fraud_features"',
    );
  });
});
