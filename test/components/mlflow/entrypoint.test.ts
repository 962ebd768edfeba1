/**
 * The image entrypoint (images/mlflow/mlflow-entrypoint.py) renders the basic-auth ini the
 * component's env describes. These tests run it with the machine's python3 (standard library
 * only on this path, plus the image's mlstack_rds_iam module, which the image installs in
 * site-packages and these tests put on PYTHONPATH) and read the result back the way MLflow does:
 * `configparser.ConfigParser()` with its default interpolation.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const IMAGE = path.resolve(__dirname, "../../../images/mlflow");
const ENTRYPOINT = path.join(IMAGE, "mlflow-entrypoint.py");
/** The interpreter behind `python3` (resolved once: version-manager shims are slow to start). */
const PYTHON = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
  encoding: "utf-8",
}).trim();

/** Reads an ini as MLflow's read_auth_config does, printing the [mlflow] section as JSON. */
const READ_AS_MLFLOW = `
import configparser, json, sys
c = configparser.ConfigParser()
c.read(sys.argv[1])
print(json.dumps({k: c["mlflow"][k] for k in c["mlflow"]}))
`;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mlflow-entrypoint-"));
}

/**
 * Runs the entrypoint with `env`, exec-ing into a python snippet that prints its environment.
 * `modules`: directories searched before the image folder (stand-ins for SQLAlchemy and MLflow).
 */
function runEntrypoint(
  env: Record<string, string>,
  modules: string[] = [],
): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const result = spawnSync(
    PYTHON,
    [ENTRYPOINT, PYTHON, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
    {
      env: {
        PATH: process.env.PATH ?? "",
        ...env,
        PYTHONPATH: [...modules, IMAGE].join(path.delimiter),
        // Imports from the image folder must not leave __pycache__ in the checkout.
        PYTHONDONTWRITEBYTECODE: "1",
      },
      encoding: "utf-8",
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function authEnv(dir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    MLFLOW_AUTH_CONFIG_PATH: path.join(dir, "mlflow-auth", "basic_auth.ini"),
    MLSTACK_AUTH_ADMIN_USERNAME: "admin",
    MLSTACK_AUTH_ADMIN_PASSWORD: "p%ss;w0rd#=x",
    MLSTACK_AUTH_DATABASE_URI:
      "postgres://mlflow:s%40cret@postgres-rw.ml-dev-platform.svc:5432/mlflow?sslmode=verify-full",
    MLSTACK_AUTH_DEFAULT_PERMISSION: "NO_PERMISSIONS",
    ...overrides,
  };
}

describe("mlflow-entrypoint", () => {
  it("renders an ini MLflow reads back exactly, '%' included, then execs the command", () => {
    const dir = tempDir();
    const env = authEnv(dir);
    const run = runEntrypoint(env);
    expect(run.stderr).toContain("rendered basic-auth settings");
    expect(run.status).toBe(0);
    const settings = JSON.parse(
      execFileSync(PYTHON, ["-c", READ_AS_MLFLOW, env.MLFLOW_AUTH_CONFIG_PATH], { encoding: "utf-8" }),
    );
    expect(settings).toEqual({
      default_permission: "NO_PERMISSIONS",
      database_uri:
        "postgresql://mlflow:s%40cret@postgres-rw.ml-dev-platform.svc:5432/mlflow?sslmode=verify-full",
      admin_username: "admin",
      admin_password: "p%ss;w0rd#=x",
      authorization_function: "mlflow.server.auth:authenticate_request_basic_auth",
      grant_default_workspace_access: "false",
    });
  });

  it("writes the file for its own user only and keeps the password out of the server's environment", () => {
    const dir = tempDir();
    const env = authEnv(dir);
    const run = runEntrypoint(env);
    const serverEnv = JSON.parse(run.stdout);
    expect(serverEnv.MLSTACK_AUTH_ADMIN_PASSWORD).toBeUndefined();
    expect(serverEnv.MLSTACK_AUTH_ADMIN_USERNAME).toBe("admin");
    expect(fs.statSync(env.MLFLOW_AUTH_CONFIG_PATH).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(env.MLFLOW_AUTH_CONFIG_PATH)).mode & 0o777).toBe(0o700);
  });

  it("rewrites a postgres:// backend URI to the postgresql:// scheme SQLAlchemy accepts", () => {
    const run = runEntrypoint({ MLFLOW_BACKEND_STORE_URI: "postgres://u@h/db" });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).MLFLOW_BACKEND_STORE_URI).toBe("postgresql://u@h/db");
  });

  it("renders nothing and changes nothing without MLFLOW_AUTH_CONFIG_PATH (oauth-proxy, none)", () => {
    const run = runEntrypoint({ MLFLOW_BACKEND_STORE_URI: "postgresql://u@h/db" });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
  });

  it.each([
    [{ MLSTACK_AUTH_ADMIN_PASSWORD: "" }, /MLSTACK_AUTH_ADMIN_PASSWORD is missing or empty/],
    [{ MLSTACK_AUTH_DATABASE_URI: "" }, /MLSTACK_AUTH_DATABASE_URI is missing or empty/],
    [{ MLSTACK_AUTH_ADMIN_PASSWORD: "line1\nadmin_username = root" }, /admin_password contains a line break/],
    [{ MLSTACK_AUTH_ADMIN_PASSWORD: " padded" }, /admin_password starts or ends with whitespace/],
    [{ MLSTACK_AUTH_DEFAULT_PERMISSION: "ALL" }, /MLSTACK_AUTH_DEFAULT_PERMISSION is 'ALL'/],
  ])("refuses to start on a bad setting (%o)", (override, message) => {
    const dir = tempDir();
    const run = runEntrypoint(authEnv(dir, override));
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(message);
    expect(fs.existsSync(path.join(dir, "mlflow-auth", "basic_auth.ini"))).toBe(false);
  });

  it("refuses auth settings without MLFLOW_AUTH_CONFIG_PATH, and migration without a backend URI", () => {
    const orphan = runEntrypoint({ MLSTACK_AUTH_ADMIN_PASSWORD: "x" });
    expect(orphan.status).toBe(64);
    expect(orphan.stderr).toMatch(/MLSTACK_AUTH_ADMIN_PASSWORD set but MLFLOW_AUTH_CONFIG_PATH is not/);
    const migrate = runEntrypoint({ MLSTACK_MIGRATE_DATABASE: "true" });
    expect(migrate.status).toBe(64);
    expect(migrate.stderr).toMatch(/needs MLFLOW_BACKEND_STORE_URI/);
  });

  it("prints usage without a command", () => {
    const result = spawnSync(PYTHON, [ENTRYPOINT], {
      env: { PATH: process.env.PATH ?? "", PYTHONPATH: IMAGE, PYTHONDONTWRITEBYTECODE: "1" },
      encoding: "utf-8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: mlflow-entrypoint COMMAND/);
  });
});

/**
 * Stand-ins for SQLAlchemy, boto3 and MLflow that log every call, so the migration sequence the
 * entrypoint drives (connect, lock, tracking schema, auth schema, admin user, unlock) can be
 * checked without a database or MLflow installed. They model the calls the entrypoint makes,
 * nothing more; a new connection runs the `do_connect` listeners registered on the Engine class
 * with the engine's connect arguments, as SQLAlchemy does.
 */
const FAKES: Record<string, string> = {
  "fakelog.py": `
import json, os
def log(*event):
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(json.dumps([str(e) for e in event]) + "\\n")
`,
  "sqlalchemy/__init__.py": `
import os
from urllib.parse import parse_qsl, urlsplit
from fakelog import log
from sqlalchemy import event, exc, pool
from sqlalchemy.engine import Engine
def text(sql):
    return sql
class _Connection:
    def __enter__(self):
        return self
    def __exit__(self, *a):
        return False
    def execute(self, sql, params=None):
        if "advisory" in sql:
            log("lock" if "unlock" not in sql else "unlock", params["key"])
class _Dialect:
    name = os.environ.get("FAKE_DIALECT", "postgresql")
    driver = "psycopg2"
class _Engine(Engine):
    dialect = _Dialect()
    def __init__(self, uri):
        parts = urlsplit(uri)
        self.cparams = {"host": parts.hostname, "port": parts.port, "user": parts.username}
        self.cparams.update(parse_qsl(parts.query))
    def connect(self):
        for listener in event.listeners(Engine, "do_connect"):
            listener(self.dialect, None, [], self.cparams)
        log("connect", self.cparams.get("password", ""), self.cparams.get("sslmode", ""))
        return _Connection()
    def dispose(self):
        log("dispose")
def create_engine(uri, poolclass=None):
    log("engine", uri)
    return _Engine(uri)
class _Inspector:
    def get_table_names(self):
        return [t for t in os.environ.get("FAKE_TABLES", "").split(",") if t]
def inspect(engine):
    return _Inspector()
`,
  "sqlalchemy/event.py": `
_listeners = {}
def listen(target, identifier, fn):
    _listeners.setdefault((target, identifier), []).append(fn)
def listeners(target, identifier):
    return list(_listeners.get((target, identifier), []))
`,
  "sqlalchemy/engine.py": `
class Engine:
    pass
`,
  "boto3/__init__.py": `
from fakelog import log
class _Rds:
    signed = 0
    def generate_db_auth_token(self, DBHostname, Port, DBUsername, Region=None):
        _Rds.signed += 1
        return f"{DBHostname}:{Port}/?Action=connect&DBUser={DBUsername}&X-Amz-Signature=sig{_Rds.signed}"
def client(service, region_name=None):
    log("client", service, region_name)
    return _Rds()
`,
  "sqlalchemy/exc.py": `
class OperationalError(Exception):
    pass
`,
  "sqlalchemy/pool.py": `
class NullPool:
    pass
`,
  "mlflow/__init__.py": "",
  "mlflow/db.py": `
from fakelog import log
class _Upgrade:
    def main(self, args, standalone_mode):
        log("upgrade-tracking", *args)
upgrade = _Upgrade()
`,
  "mlflow/store/__init__.py": "",
  "mlflow/store/tracking/__init__.py": "",
  "mlflow/store/tracking/sqlalchemy_store.py": `
from fakelog import log
class SqlAlchemyStore:
    def __init__(self, uri, artifact_root):
        log("create-tracking", uri, artifact_root)
`,
  "mlflow/server/__init__.py": "",
  "mlflow/server/auth/__init__.py": "",
  "mlflow/server/auth/sqlalchemy_store.py": `
import os
from fakelog import log
class SqlAlchemyStore:
    def init_db(self, uri):
        log("init-auth", uri)
    def has_user(self, username):
        return os.environ.get("FAKE_ADMIN_EXISTS") == "true"
    def create_user(self, username, password, is_admin=False):
        log("create-user", username, password, is_admin)
`,
};

function fakeModules(): string {
  const dir = tempDir();
  for (const [file, source] of Object.entries(FAKES)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), source);
  }
  return dir;
}

function migrationEvents(env: Record<string, string>): {
  status: number | null;
  events: string[][];
  stderr: string;
} {
  const modules = fakeModules();
  const logFile = path.join(modules, "events.jsonl");
  const run = runEntrypoint({ ...env, FAKE_LOG: logFile, MLSTACK_MIGRATE_DATABASE: "true" }, [modules]);
  const events = fs.existsSync(logFile)
    ? fs
        .readFileSync(logFile, "utf-8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[])
    : [];
  return { status: run.status, events, stderr: run.stderr };
}

describe("mlflow-entrypoint schema migration", () => {
  const TRACKING = "postgresql://mlflow@postgres-rw/mlflow";

  it("on an empty database: under the lock, creates the tracking schema, the auth schema and the admin, then unlocks", () => {
    const dir = tempDir();
    const { status, events } = migrationEvents({
      ...authEnv(dir, { MLSTACK_AUTH_DATABASE_URI: TRACKING }),
      MLFLOW_BACKEND_STORE_URI: TRACKING,
    });
    expect(status).toBe(0);
    const names = events.map((e) => e[0]);
    expect(names).toEqual([
      "engine",
      "connect",
      "connect",
      "lock",
      "create-tracking",
      "init-auth",
      "create-user",
      "unlock",
      "dispose",
    ]);
    expect(events.find((e) => e[0] === "create-tracking")).toEqual([
      "create-tracking",
      TRACKING,
      "mlflow-artifacts:/",
    ]);
    expect(events.find((e) => e[0] === "create-user")).toEqual([
      "create-user",
      "admin",
      "p%ss;w0rd#=x",
      "True",
    ]);
    expect(events.find((e) => e[0] === "lock")).toEqual(
      events.find((e) => e[0] === "unlock")?.map((v, i) => (i === 0 ? "lock" : v)),
    );
  });

  it("on an existing database: upgrades (a no-op when current) and leaves an existing admin alone", () => {
    const dir = tempDir();
    const { status, events } = migrationEvents({
      ...authEnv(dir, { MLSTACK_AUTH_DATABASE_URI: TRACKING }),
      MLFLOW_BACKEND_STORE_URI: TRACKING,
      FAKE_TABLES: "alembic_version,experiments,runs",
      FAKE_ADMIN_EXISTS: "true",
    });
    expect(status).toBe(0);
    expect(events.map((e) => e[0])).toEqual([
      "engine",
      "connect",
      "connect",
      "lock",
      "upgrade-tracking",
      "init-auth",
      "unlock",
      "dispose",
    ]);
  });

  it("without basic auth: migrates the tracking schema only", () => {
    const { status, events } = migrationEvents({ MLFLOW_BACKEND_STORE_URI: TRACKING });
    expect(status).toBe(0);
    expect(events.map((e) => e[0])).toEqual([
      "engine",
      "connect",
      "connect",
      "lock",
      "create-tracking",
      "unlock",
      "dispose",
    ]);
  });

  it("leaves other databases to MLflow", () => {
    const { status, events, stderr } = migrationEvents({
      MLFLOW_BACKEND_STORE_URI: "sqlite:////tmp/mlflow.db",
      FAKE_DIALECT: "sqlite",
    });
    expect(status).toBe(0);
    expect(events.map((e) => e[0])).toEqual(["engine"]);
    expect(stderr).toMatch(/not PostgreSQL: leaving schema management to MLflow/);
  });
});

describe("mlflow-entrypoint with RDS IAM authentication", () => {
  const HOST = "mlflow-db.c9akciq32.eu-west-1.rds.amazonaws.com";
  const TRACKING = `postgresql://mlflow@${HOST}:5432/mlflow?sslmode=require`;

  function iamEnv(overrides: Record<string, string> = {}): Record<string, string> {
    const bundle = path.join(tempDir(), "global-bundle.pem");
    fs.writeFileSync(bundle, "-----BEGIN CERTIFICATE-----\n");
    return {
      MLFLOW_BACKEND_STORE_URI: TRACKING,
      DATABASE_AUTH_METHOD: "aws-rds-iam",
      AWS_REGION: "eu-west-1",
      PGHOST: HOST,
      PGPORT: "5432",
      PGUSER: "mlflow",
      PGSSLMODE: "require",
      PGSSLROOTCERT: bundle,
      ...overrides,
    };
  }

  it("migrates over connections that each carry a fresh token and verify the server", () => {
    const { status, events, stderr } = migrationEvents(iamEnv());
    expect(status).toBe(0);
    expect(events.filter((e) => e[0] === "client")).toEqual([["client", "rds", "eu-west-1"]]);
    expect(events.filter((e) => e[0] === "connect")).toEqual([
      ["connect", `${HOST}:5432/?Action=connect&DBUser=mlflow&X-Amz-Signature=sig1`, "verify-full"],
      ["connect", `${HOST}:5432/?Action=connect&DBUser=mlflow&X-Amz-Signature=sig2`, "verify-full"],
    ]);
    expect(stderr).toContain(
      "database authentication: AWS RDS IAM as 'mlflow' (eu-west-1), a fresh token per connection, TLS verified",
    );
    expect(stderr).not.toMatch(/X-Amz-Signature/);
  });

  it("migrates without tokens when the grant uses passwords", () => {
    const { status, events } = migrationEvents(iamEnv({ DATABASE_AUTH_METHOD: "password" }));
    expect(status).toBe(0);
    expect(events.filter((e) => e[0] === "connect")).toEqual([
      ["connect", "", "require"],
      ["connect", "", "require"],
    ]);
    expect(events.some((e) => e[0] === "client")).toBe(false);
  });

  it.each([
    [{ AWS_REGION: "" }, /DATABASE_AUTH_METHOD=aws-rds-iam needs .*; missing or empty: AWS_REGION/],
    [
      { DATABASE_AUTH_METHOD: "iam" },
      /DATABASE_AUTH_METHOD is 'iam'; allowed: 'aws-rds-iam', 'password' or unset/,
    ],
    [{ PGSSLMODE: "disable" }, /PGSSLMODE is 'disable', which may send the IAM token unencrypted/],
  ])(
    "refuses to start on a bad database authentication setting (%o), before connecting",
    (override, message) => {
      const { status, events, stderr } = migrationEvents(iamEnv(override));
      expect(status).toBe(64);
      expect(stderr).toMatch(message);
      expect(events).toEqual([]);
    },
  );

  it("refuses to start when the CA bundle to verify RDS with is missing", () => {
    const missing = path.join(tempDir(), "absent.pem");
    const { status, events, stderr } = migrationEvents(iamEnv({ PGSSLROOTCERT: missing }));
    expect(status).toBe(64);
    expect(stderr).toContain(`CA bundle ${missing} does not exist`);
    expect(events.some((e) => e[0] === "connect")).toBe(false);
  });
});
