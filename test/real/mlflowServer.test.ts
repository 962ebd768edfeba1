/**
 * The MLflow tracking server for real: started by the image's entrypoint with the arguments and
 * environment of the dev stack's rendered Deployment (support/mlflowServer.ts), as its non-root
 * user on a read-only tree, against PostgreSQL 15 with the TLS and pg_hba rules CloudNativePG
 * gets from mlstack (support/postgres.ts) and moto's S3 API (support/s3.ts).
 *
 * Two servers start at once on one empty database, as two replicas of a first rollout do: the
 * entrypoint's PostgreSQL advisory lock lets one create the schema and the admin user while the
 * other waits and then finds nothing to do. Before requirements.txt listed psycopg, SQLAlchemy
 * 2.1's driver for `postgresql://`, both servers exited on their first connection.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mlflowImageEnv, mlflowImageProcessEnv } from "./support/mlflowImageEnv";
import { MlflowServer, startMlflowServer } from "./support/mlflowServer";
import { PostgresServer, startPostgres } from "./support/postgres";
import { postgresBinDir } from "./support/prerequisites";
import { PythonEnv } from "./support/pythonEnv";
import { renderedCnpgCluster, RenderedCnpgCluster } from "./support/renderedStack";
import { S3Server, startS3 } from "./support/s3";

const ROUNDTRIP = path.join(__dirname, "support", "mlflow_client_roundtrip.py");

let cluster: RenderedCnpgCluster;
let postgres: PostgresServer;
let s3: S3Server;
let image: PythonEnv;
let servers: MlflowServer[] = [];

beforeAll(async () => {
  image = mlflowImageEnv();
  cluster = await renderedCnpgCluster("dev");
  [postgres, s3] = await Promise.all([
    startPostgres({
      hbaRules: cluster.hbaRules,
      parameters: cluster.parameters,
      serverNames: cluster.serverNames,
    }),
    startS3(),
  ]);
  // Two replicas on one empty database, started together.
  servers = await Promise.all([startMlflowServer({ postgres, s3 }), startMlflowServer({ postgres, s3 })]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all([s3?.stop(), postgres?.stop()]);
});

function mlflowRole() {
  const role = cluster.roles.find((r) => r.name === "mlflow");
  if (!role) throw new Error("the dev stack renders no mlflow role");
  return role;
}

function psql(uri: string, sql: string) {
  return spawnSync(
    path.join(postgresBinDir(), "psql"),
    ["--no-psqlrc", "--tuples-only", "--no-align", uri, "-c", sql],
    {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: os.tmpdir() },
    },
  );
}

describe("PostgreSQL as CloudNativePG runs it for mlstack", () => {
  it("accepts MLflow's role over TLS 1.3, verifying the server as the rendered -rw Service name", () => {
    const role = mlflowRole();
    const result = psql(
      postgres.connectionUri({ user: role.name, password: role.password, database: "mlflow" }),
      "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("t|TLSv1.3");
  });

  it("refuses a connection without TLS, even with the right password", () => {
    const role = mlflowRole();
    const result = psql(
      postgres.connectionUri({
        user: role.name,
        password: role.password,
        database: "mlflow",
        sslmode: "disable",
      }),
      "SELECT 1",
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `pg_hba.conf rejects connection for host "127.0.0.1", user "mlflow", database "mlflow", no encryption`,
    );
  });
});

describe("two MLflow servers started at once on one empty database", () => {
  it("both come up healthy", async () => {
    for (const server of servers) expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("migrated the schema exactly once: one server created it under the advisory lock, the other found it current", () => {
    const logs = servers.map((s) => fs.readFileSync(s.logFile, "utf8"));
    for (const log of logs) expect(log).toContain("mlflow-entrypoint: waiting for the schema migration lock");
    const created = logs.filter((l) => l.includes("mlflow-entrypoint: creating the tracking schema"));
    const upgraded = logs.filter((l) =>
      l.includes("mlflow-entrypoint: upgrading the tracking schema (no-op when current)"),
    );
    expect([created.length, upgraded.length]).toEqual([1, 1]);
    // MLflow's own log line when it creates the tables (mlflow/store/db/utils.py
    // `_initialize_tables`; Alembic's per-revision lines are below MLflow's log level): once.
    const creation = "INFO mlflow.store.db.utils: Creating initial MLflow database tables...";
    expect(created[0]).toContain(creation);
    expect(upgraded[0]).not.toContain(creation);
    expect(logs.filter((l) => l.includes("creating the admin user"))).toHaveLength(1);
    expect(postgres.superuser("SELECT count(*) FROM alembic_version", "mlflow")).toBe("1");
    expect(postgres.superuser("SELECT count(*) FROM alembic_version_auth", "mlflow")).toBe("1");
    expect(postgres.superuser("SELECT count(*) FROM users WHERE is_admin", "mlflow")).toBe("1");
  });

  it("the schema belongs to MLflow's own role, not the superuser", () => {
    expect(
      postgres.superuser(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        "mlflow",
      ),
    ).toBe("mlflow");
  });
});

describe("basic auth", () => {
  const search = (server: MlflowServer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/2.0/mlflow/experiments/search?max_results=1`, { headers });
  const basic = (user: string, password: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
  });

  it("answers 401 without credentials", async () => {
    expect((await search(servers[0])).status).toBe(401);
  });

  it("answers 401 to a wrong password", async () => {
    expect((await search(servers[0], basic(servers[0].admin.username, "not-the-password"))).status).toBe(401);
  });

  it("lets the generated admin in, on either replica", async () => {
    for (const server of servers) {
      expect((await search(server, basic(server.admin.username, server.admin.password))).status).toBe(200);
    }
  });

  it("keeps the admin password out of the server's environment (it is only in the rendered ini)", () => {
    const pid = servers[0].process.child.pid as number;
    // The entrypoint exec()s mlflow in place: the pid is the server's.
    const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    expect(environ.some((e) => e.startsWith("MLSTACK_AUTH_ADMIN_PASSWORD="))).toBe(false);
    const ini = path.join(servers[0].scratchDir, "mlflow-auth", "basic_auth.ini");
    expect(fs.statSync(ini).mode & 0o777).toBe(0o600);
  });
});

/** Command lines of every live descendant of `pid`, read from /proc. */
function descendantCommands(pid: number): string[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command (which may hold spaces).
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // The process ended while the table was read.
    }
  }
  const found: string[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      try {
        found.push(fs.readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").join(" "));
      } catch {
        continue;
      }
      walk(child);
    }
  };
  walk(pid);
  return found;
}

describe("the server's processes", () => {
  it("runs no job runner: the rendered env turns MLflow 3.17's default job execution off", () => {
    const commands = descendantCommands(servers[0].process.child.pid as number);
    // uvicorn's workers are there; Huey's job runner and consumers (about 7 × ~240 MB when on) are not.
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((c) => /huey|job_runner|_job_runner|jobs\._/.test(c))).toEqual([]);
  });
});

describe("the MLflow client against the real server", () => {
  let result: {
    run_id: string;
    experiment_id: string;
    artifact_uri: string;
    params: Record<string, string>;
    loss_history: Array<[number, number]>;
    artifact_matches: boolean;
    artifacts: string[];
    model_name: string;
    model_versions: string[];
    predictions: number[];
  };

  beforeAll(() => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-mlflow-client-"));
    try {
      // Logged through one replica: the other serves the same database and bucket.
      const run = spawnSync(image.python, [ROUNDTRIP, work], {
        encoding: "utf8",
        cwd: work,
        env: mlflowImageProcessEnv(image, { ...servers[0].clientEnv(), HOME: work, TMPDIR: work }),
        timeout: 5 * 60_000,
      });
      if (run.status !== 0) throw new Error(`the MLflow client failed (exit ${run.status}):\n${run.stderr}`);
      result = JSON.parse(run.stdout.trim().split("\n").pop() as string);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("reads back the run's params and metric history", () => {
    expect(result.params).toEqual({ alpha: "0.5", solver: "lbfgs" });
    expect(result.loss_history).toEqual([
      [0, 0.9],
      [1, 0.7],
      [2, 0.4],
    ]);
  });

  it("proxies the artifact to the bucket of --artifacts-destination and serves it back", async () => {
    expect(result.artifact_uri).toMatch(/^mlflow-artifacts:\//);
    expect(result.artifacts).toEqual(["docs/notes.txt"]);
    expect(result.artifact_matches).toBe(true);
    const keys = await s3.listKeys(servers[0].artifactBucket);
    expect(keys).toContain(`${result.experiment_id}/${result.run_id}/artifacts/docs/notes.txt`);
  });

  it("registers the model, stores it in the bucket and loads it back from models:/", async () => {
    expect(result.model_versions).toEqual(["1"]);
    expect(result.predictions).toEqual([2, 3]);
    const keys = await s3.listKeys(servers[0].artifactBucket);
    expect(keys.some((k) => k.endsWith("/MLmodel"))).toBe(true);
  });

  it("sees the run from the other replica too", async () => {
    const other = servers[1];
    const response = await fetch(`${other.url}/api/2.0/mlflow/runs/get?run_id=${result.run_id}`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${other.admin.username}:${other.admin.password}`).toString("base64")}`,
      },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      run: { data: { params: Array<{ key: string; value: string }> } };
    };
    expect(body.run.data.params).toEqual(
      expect.arrayContaining([
        { key: "alpha", value: "0.5" },
        { key: "solver", value: "lbfgs" },
      ]),
    );
  });
});
