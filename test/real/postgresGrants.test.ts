/**
 * The SQL mlstack's Postgres components cause, run on a real PostgreSQL 15: each workload can do
 * what its grant says and nothing more.
 *
 * - In-cluster (dev stack, CloudNativePG): the Cluster's managed roles and the Database resources
 *   become the statements the operator issues (support/postgresProvisioning.ts), on a server with
 *   the Cluster's pg_hba rules; each workload connects with the URI from its rendered grant Secret.
 * - Managed (prod-aws RDS, prod-gcp Cloud SQL): the `@pulumi/postgresql` Role, Database and Grant
 *   resources become the statements the provider issues, on a server that, like RDS with
 *   rds.force_ssl and Cloud SQL with ENCRYPTED_ONLY, lets any role try any database over TLS only:
 *   what keeps a workload out of another team's database there is the Grant (no CONNECT for
 *   PUBLIC), which is what this proves. RDS authenticates `rds_iam` members with IAM tokens, which
 *   a stock server cannot verify: there the test gives each role a password first (ALTER ROLE, as
 *   the superuser), a stand-in for the token only.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { PostgresServer, startPostgres } from "./support/postgres";
import {
  cnpgStatements,
  providerStatements,
  ProviderResource,
  sqlIdentifier,
  sqlLiteral,
} from "./support/postgresProvisioning";
import { postgresBinDir } from "./support/prerequisites";
import { inputsOf, renderedCnpgCluster, RenderedCnpgCluster, renderedStack } from "./support/renderedStack";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

interface Workload {
  role: string;
  database: string;
  /** A connection URI as the workload gets it, pointed at the test server. */
  uri(database?: string, sslmode?: string): string;
}

function psql(uri: string, sql: string) {
  const result = spawnSync(
    path.join(postgresBinDir(), "psql"),
    ["--no-psqlrc", "--tuples-only", "--no-align", "--set", "ON_ERROR_STOP=1", uri, "-c", sql],
    { encoding: "utf8", env: { PATH: process.env.PATH, HOME: os.tmpdir() } },
  );
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

function withDatabase(uri: string, database: string, sslmode?: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  if (sslmode) url.searchParams.set("sslmode", sslmode);
  return url.toString();
}

/** What every workload may do in its own database, and the privileges it must not hold. */
function ownDatabaseBehaviour(workloads: () => Workload[]) {
  it("connects to its own database over TLS and creates, writes and reads a table there", () => {
    for (const w of workloads()) {
      const result = psql(
        w.uri(),
        "CREATE TABLE grant_probe (id int PRIMARY KEY, note text); " +
          "INSERT INTO grant_probe VALUES (1, 'written'); " +
          "SELECT current_user || ':' || current_database() || ':' || note || ':' || " +
          "(SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()) FROM grant_probe",
      );
      expect({ role: w.role, ...result }).toEqual({
        role: w.role,
        status: 0,
        stdout: expect.stringContaining(`${w.role}:${w.database}:written:true`),
        stderr: "",
      });
    }
  });

  it("holds no superuser, CREATEDB, CREATEROLE, replication or RLS-bypass attribute", () => {
    for (const w of workloads()) {
      const result = psql(
        w.uri(),
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user",
      );
      expect({ role: w.role, ...result }).toEqual({
        role: w.role,
        status: 0,
        stdout: "f|f|f|f|f",
        stderr: "",
      });
    }
  });

  it("is refused CREATE DATABASE, CREATE ROLE and reading pg_authid", () => {
    for (const w of workloads()) {
      expect(psql(w.uri(), "CREATE DATABASE escape_hatch").stderr).toContain(
        "permission denied to create database",
      );
      expect(psql(w.uri(), "CREATE ROLE escape_hatch").stderr).toContain("permission denied to create role");
      expect(psql(w.uri(), "SELECT rolpassword FROM pg_authid").stderr).toContain(
        "permission denied for table pg_authid",
      );
    }
  });
}

describe("in-cluster: CloudNativePG managed roles and Database resources (dev stack)", () => {
  let cluster: RenderedCnpgCluster;
  let postgres: PostgresServer;
  let statements: string[];
  let workloads: Workload[] = [];

  beforeAll(async () => {
    cluster = await renderedCnpgCluster("dev");
    postgres = await startPostgres({
      hbaRules: cluster.hbaRules,
      parameters: cluster.parameters,
      serverNames: cluster.serverNames,
    });
    statements = cnpgStatements(cluster);
    for (const statement of statements) postgres.superuser(statement);
    // Each owner's grant Secret, as CnpgPostgres.grantDatabase renders it into the workload's namespace.
    const plan = await renderedStack("dev");
    const grants = plan.resources
      .filter((r) => r.type === "kubernetes:core/v1:Secret")
      .map(inputsOf)
      .filter(
        (s: any) => s.stringData?.uri && s.stringData?.host === `${cluster.name}-rw.${cluster.namespace}.svc`,
      );
    workloads = cluster.databases.map((database) => {
      const grant = grants.find((s: any) => s.stringData.dbname === database.name);
      if (!grant) throw new Error(`no rendered grant Secret for database ${database.name}`);
      expect(grant.stringData.username).toBe(database.owner);
      const uri = postgres.retargetUri(grant.stringData.uri);
      return {
        role: database.owner,
        database: database.name,
        uri: (db = database.name, sslmode?: string) => withDatabase(uri, db, sslmode),
      };
    });
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it("derives one owner role and one database per configured database, with the operator's SQL", () => {
    expect(cluster.databases.map((d) => d.name).sort()).toEqual(["fraud_features", "mlflow"]);
    expect(statements).toContainEqual(
      `CREATE ROLE "mlflow"  NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT LOGIN NOREPLICATION NOSUPERUSER CONNECTION LIMIT -1 PASSWORD ${sqlLiteral(
        cluster.roles.find((r) => r.name === "mlflow")?.password ?? "",
      )}`,
    );
    expect(statements).toContainEqual(`CREATE DATABASE "fraud_features"  OWNER "fraud_features"`);
    expect(workloads.map((w) => w.role).sort()).toEqual(["fraud_features", "mlflow"]);
  });

  ownDatabaseBehaviour(() => workloads);

  it("refuses each workload another team's database (pg_hba admits a role to its own database only)", () => {
    for (const w of workloads) {
      for (const other of workloads.filter((o) => o.database !== w.database)) {
        expect(psql(w.uri(other.database), "SELECT 1").stderr).toContain(
          `pg_hba.conf rejects connection for host "127.0.0.1", user "${w.role}", database "${other.database}", SSL encryption`,
        );
      }
      expect(psql(w.uri("postgres"), "SELECT 1").stderr).toContain(`database "postgres", SSL encryption`);
    }
  });

  it("refuses each workload without TLS, even to its own database", () => {
    for (const w of workloads) {
      expect(psql(w.uri(w.database, "disable"), "SELECT 1").stderr).toContain(
        `user "${w.role}", database "${w.database}", no encryption`,
      );
    }
  });

  it("refuses the superuser over the network (only the operator's local peer rule admits it)", () => {
    const result = psql(
      postgres.connectionUri({ user: "postgres", password: "anything", database: "postgres" }),
      "SELECT 1",
    );
    expect(result.stderr).toContain(`pg_hba.conf rejects connection for host "127.0.0.1", user "postgres"`);
  });
});

/** The hba of a managed server: TLS only, any role may try any database (RDS force_ssl, Cloud SQL ENCRYPTED_ONLY). */
const MANAGED_HBA = ["hostnossl all all all reject", "hostssl all all all scram-sha-256"];
const MANAGED_HOST = "postgres.managed.test";

describe.each([
  ["prod-aws", "RDS"],
  ["prod-gcp", "Cloud SQL"],
])("managed (%s, %s): @pulumi/postgresql Role, Database and Grant resources", (stack) => {
  let postgres: PostgresServer;
  let resources: ProviderResource[];
  let statements: string[];
  let workloads: Workload[] = [];

  beforeAll(async () => {
    const plan = await renderedStack(stack);
    resources = plan.resources
      .filter((r) => r.type.startsWith("postgresql:index/"))
      .map((r) => ({ type: r.type, inputs: inputsOf(r) }));
    postgres = await startPostgres({ hbaRules: MANAGED_HBA, parameters: {}, serverNames: [MANAGED_HOST] });
    const locales = spawnSync("locale", ["-a"], { encoding: "utf8" }).stdout.split("\n");
    statements = providerStatements(resources).map((statement) =>
      // Cloud SQL's images carry en_US.UTF8; a minimal Debian has only C.UTF-8 unless the
      // `locales` package generated more. Collation is not what this test is about.
      statement.replace(/'(en_US\.UTF-?8)'/gi, (whole, locale: string) =>
        locales.some((l) => l.toLowerCase().replace("-", "") === locale.toLowerCase().replace("-", ""))
          ? whole
          : "'C.UTF-8'",
      ),
    );
    for (const statement of statements) postgres.superuser(statement);
    const databases = resources
      .filter((r) => r.type === "postgresql:index/database:Database")
      .map((r) => r.inputs);
    workloads = databases.map((database: any) => {
      const role = resources.find(
        (r) => r.type === "postgresql:index/role:Role" && r.inputs.name === database.owner,
      );
      if (!role)
        throw new Error(
          `${stack}: database ${database.name} is owned by ${database.owner}, which is no rendered Role`,
        );
      let password: string = role.inputs.password;
      if (!password) {
        // An rds_iam member: a password stands in for the IAM token RDS would check.
        password = `iam-token-stand-in-${database.owner}`;
        postgres.superuser(`ALTER ROLE ${sqlIdentifier(database.owner)} PASSWORD ${sqlLiteral(password)}`);
      }
      return {
        role: database.owner,
        database: database.name,
        uri: (db = database.name, sslmode?: string) =>
          postgres.connectionUri({
            user: database.owner,
            password,
            database: db,
            sslmode,
            hostname: MANAGED_HOST,
          }),
      };
    });
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it("derives a login role, an owned database and a PUBLIC CONNECT revocation per database", () => {
    expect(workloads.map((w) => w.database).sort()).toEqual(["fraud_features", "mlflow"]);
    for (const w of workloads) {
      expect(statements).toContainEqual(
        `REVOKE ALL PRIVILEGES ON DATABASE ${sqlIdentifier(w.database)} FROM "public"`,
      );
      expect(
        statements.some(
          (s) => s.startsWith(`CREATE ROLE ${sqlIdentifier(w.role)} WITH `) && s.includes(" LOGIN"),
        ),
      ).toBe(true);
    }
  });

  ownDatabaseBehaviour(() => workloads);

  it("refuses each workload another team's database: the Grant left PUBLIC no CONNECT", () => {
    for (const w of workloads) {
      for (const other of workloads.filter((o) => o.database !== w.database)) {
        const result = psql(w.uri(other.database), "SELECT 1");
        expect(result.stderr).toContain(`permission denied for database "${other.database}"`);
        expect(result.stderr).toContain("User does not have CONNECT privilege.");
      }
    }
  });

  it("refuses each workload without TLS", () => {
    for (const w of workloads) {
      expect(psql(w.uri(w.database, "disable"), "SELECT 1").stderr).toContain("no encryption");
    }
  });
});
