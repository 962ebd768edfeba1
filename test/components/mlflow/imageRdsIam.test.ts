/**
 * AWS RDS IAM authentication in the MLflow image (images/mlflow/mlstack_rds_iam.py, loaded into
 * every interpreter by mlstack-rds-iam.pth) and the build step that bakes in the RDS CA bundle
 * (images/mlflow/fetch-rds-ca-bundle.py).
 *
 * The hook runs under the machine's python3 with stand-ins for SQLAlchemy and boto3 (PyPI is not
 * reachable here; the image build runs check-rds-iam.py against the real ones). The stand-ins
 * model exactly what the hook relies on: `event.listen(Engine, "do_connect", fn)` registers a
 * class-level listener; every new DBAPI connection of an engine calls the listeners with the
 * engine's own connect-arguments dict, then the DBAPI's connect(**cparams); and
 * `boto3.client("rds").generate_db_auth_token(...)` returns a distinct token per call.
 */
import { execFileSync, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const IMAGE = path.resolve(__dirname, "../../../images/mlflow");
const FETCH_BUNDLE = path.join(IMAGE, "fetch-rds-ca-bundle.py");
const PYTHON = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
  encoding: "utf-8",
}).trim();

const HOST = "mlflow-db.c9akciq32.eu-west-1.rds.amazonaws.com";
const URL = `postgresql://mlflow@${HOST}:5432/mlflow?sslmode=require`;

const STAND_INS: Record<string, string> = {
  "fakelog.py": `
import json, os
def log(*event):
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(json.dumps(list(event)) + "\\n")
`,
  "sqlalchemy/__init__.py": `
from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine
`,
  "sqlalchemy/event.py": `
_listeners = {}
def listen(target, identifier, fn):
    _listeners.setdefault((target, identifier), []).append(fn)
def listeners(target, identifier):
    return list(_listeners.get((target, identifier), []))
`,
  "sqlalchemy/engine.py": `
from urllib.parse import parse_qsl, urlsplit
from fakelog import log
from sqlalchemy import event
DEFAULT_DRIVERS = {"postgresql": "psycopg2", "sqlite": "pysqlite"}
class Dialect:
    def __init__(self, name, driver):
        self.name, self.driver = name, driver
class Engine:
    def __init__(self, dialect, cparams):
        self.dialect, self.cparams = dialect, cparams
    def connect(self):
        for listener in event.listeners(Engine, "do_connect"):
            listener(self.dialect, None, [], self.cparams)
        log("dbapi-connect", dict(self.cparams))
def create_engine(url):
    parts = urlsplit(url)
    name, _, driver = parts.scheme.partition("+")
    cparams = {"host": parts.hostname, "port": parts.port, "user": parts.username, "dbname": parts.path.lstrip("/")}
    cparams = {key: value for key, value in cparams.items() if value}
    cparams.update(parse_qsl(parts.query))
    return Engine(Dialect(name, driver or DEFAULT_DRIVERS[name]), cparams)
`,
  "boto3/__init__.py": `
import os
from fakelog import log
_signed = 0
class _Rds:
    def generate_db_auth_token(self, DBHostname, Port, DBUsername, Region=None):
        global _signed
        if os.environ.get("FAKE_SIGNING_FAILS"):
            raise RuntimeError("Unable to locate credentials")
        _signed += 1
        log("sign", DBHostname, Port, DBUsername, Region)
        return f"{DBHostname}:{Port}/?Action=connect&DBUser={DBUsername}&X-Amz-Signature=sig{_signed}"
def client(service, region_name=None):
    log("client", service, region_name)
    return _Rds()
`,
};

/**
 * Starts like an interpreter of the image: the image folder is processed as a site directory
 * (so mlstack-rds-iam.pth runs), then the program creates an engine and connects `connects`
 * times, printing what it saw as JSON.
 */
const PROGRAM = `
import json, os, site, sys
if os.environ.get("IMPORT_SQLALCHEMY_FIRST"):
    import sqlalchemy
site.addsitedir(sys.argv[1])
report = {"sqlalchemyImportedAtStart": "sqlalchemy" in sys.modules and not os.environ.get("IMPORT_SQLALCHEMY_FIRST")}
import sqlalchemy
report["listeners"] = len(sqlalchemy.event.listeners(sqlalchemy.Engine, "do_connect"))
engine = sqlalchemy.create_engine(os.environ["TEST_URL"])
try:
    for _ in range(int(os.environ.get("TEST_CONNECTS", "1"))):
        engine.connect()
except Exception as error:
    report["error"] = [type(error).__name__, str(error)]
print(json.dumps(report))
`;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mlflow-rds-iam-"));
}

function standIns(): string {
  const dir = tempDir();
  for (const [file, source] of Object.entries(STAND_INS)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), source);
  }
  return dir;
}

/** A file standing in for the image's RDS CA bundle (the hook only needs it to exist). */
function caBundle(): string {
  const file = path.join(tempDir(), "global-bundle.pem");
  fs.writeFileSync(file, "-----BEGIN CERTIFICATE-----\n");
  return file;
}

/** What the grant (components/postgres/rds.ts) puts in the pod with workloadAuthentication iam. */
function grantEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    DATABASE_AUTH_METHOD: "aws-rds-iam",
    AWS_REGION: "eu-west-1",
    PGHOST: HOST,
    PGPORT: "5432",
    PGUSER: "mlflow",
    PGDATABASE: "mlflow",
    PGSSLMODE: "require",
    PGSSLROOTCERT: caBundle(),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

interface Run {
  report: {
    sqlalchemyImportedAtStart: boolean;
    listeners: number;
    error?: [string, string];
  };
  events: unknown[][];
  output: string;
}

function run(env: Record<string, string>, url = URL, connects = 1): Run {
  const modules = standIns();
  const logFile = path.join(modules, "events.jsonl");
  const result = spawnSync(PYTHON, ["-c", PROGRAM, IMAGE], {
    env: {
      PATH: process.env.PATH ?? "",
      PYTHONPATH: modules,
      // Imports from the image folder must not leave __pycache__ in the checkout.
      PYTHONDONTWRITEBYTECODE: "1",
      FAKE_LOG: logFile,
      TEST_URL: url,
      TEST_CONNECTS: String(connects),
      ...env,
    },
    encoding: "utf-8",
  });
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
  const events = fs.existsSync(logFile)
    ? fs
        .readFileSync(logFile, "utf-8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown[])
    : [];
  return { report: JSON.parse(result.stdout), events, output: result.stdout + result.stderr };
}

const connections = (r: Run) =>
  r.events.filter((e) => e[0] === "dbapi-connect").map((e) => e[1] as Record<string, unknown>);
const named = (r: Run, name: string) => r.events.filter((e) => e[0] === name);

describe("mlflow image: RDS IAM authentication", () => {
  it("signs a fresh token for every new connection and hands it to libpq as the password", () => {
    const env = grantEnv();
    const r = run(env, URL, 3);
    expect(r.report.error).toBeUndefined();
    expect(named(r, "client")).toEqual([["client", "rds", "eu-west-1"]]);
    expect(named(r, "sign")).toEqual([
      ["sign", HOST, 5432, "mlflow", "eu-west-1"],
      ["sign", HOST, 5432, "mlflow", "eu-west-1"],
      ["sign", HOST, 5432, "mlflow", "eu-west-1"],
    ]);
    expect(connections(r).map((c) => c.password)).toEqual(
      [1, 2, 3].map((n) => `${HOST}:5432/?Action=connect&DBUser=mlflow&X-Amz-Signature=sig${n}`),
    );
    for (const c of connections(r)) {
      expect(c).toMatchObject({ host: HOST, port: 5432, user: "mlflow", dbname: "mlflow" });
    }
  });

  it("verifies the server: require becomes verify-full against the CA bundle", () => {
    const env = grantEnv();
    const [c] = connections(run(env));
    expect(c.sslmode).toBe("verify-full");
    expect(c.sslrootcert).toBe(env.PGSSLROOTCERT);
  });

  it("keeps verify-ca and verify-full, and a root certificate the URL names", () => {
    const own = caBundle();
    const ca = connections(run(grantEnv(), `postgresql://mlflow@${HOST}:5432/mlflow?sslmode=verify-ca`))[0];
    expect(ca.sslmode).toBe("verify-ca");
    const full = connections(
      run(grantEnv(), `postgresql://mlflow@${HOST}:5432/mlflow?sslmode=verify-full&sslrootcert=${own}`),
    )[0];
    expect(full).toMatchObject({ sslmode: "verify-full", sslrootcert: own });
  });

  it("signs for the connection's own host, port and user, falling back to PGHOST, PGPORT and PGUSER", () => {
    const other = "replica.c9akciq32.eu-west-1.rds.amazonaws.com";
    const fromUrl = run(grantEnv(), `postgresql://reporting@${other}:6432/mlflow?sslmode=require`);
    expect(named(fromUrl, "sign")).toEqual([["sign", other, 6432, "reporting", "eu-west-1"]]);
    const fromEnv = run(grantEnv(), "postgresql:///mlflow");
    expect(named(fromEnv, "sign")).toEqual([["sign", HOST, 5432, "mlflow", "eu-west-1"]]);
    expect(connections(fromEnv)[0].sslmode).toBe("verify-full");
  });

  it("stays out of the way until SQLAlchemy is imported (health probes never load it)", () => {
    const r = run(grantEnv());
    expect(r.report.sqlalchemyImportedAtStart).toBe(false);
    expect(r.report.listeners).toBe(1);
  });

  it("installs at once when SQLAlchemy was imported before the hook", () => {
    const r = run({ ...grantEnv(), IMPORT_SQLALCHEMY_FIRST: "1" });
    expect(r.report.listeners).toBe(1);
    expect(named(r, "sign")).toHaveLength(1);
  });

  it.each([
    ["unset", { DATABASE_AUTH_METHOD: undefined }],
    ["empty", { DATABASE_AUTH_METHOD: "" }],
    ["password", { DATABASE_AUTH_METHOD: "password", AWS_REGION: undefined }],
  ])("does nothing when DATABASE_AUTH_METHOD is %s", (_what, overrides) => {
    const r = run(grantEnv(overrides));
    expect(r.report.listeners).toBe(0);
    expect(named(r, "client")).toEqual([]);
    expect(connections(r)).toEqual([
      { host: HOST, port: 5432, user: "mlflow", dbname: "mlflow", sslmode: "require" },
    ]);
  });

  it("leaves engines of other databases alone", () => {
    const r = run(grantEnv(), "sqlite:///tmp/mlflow.db");
    expect(named(r, "sign")).toEqual([]);
    expect(connections(r)[0].password).toBeUndefined();
  });

  const NEEDS = "DATABASE_AUTH_METHOD=aws-rds-iam needs AWS_REGION, PGHOST, PGPORT, PGUSER";
  it.each([
    [{ AWS_REGION: undefined }, `${NEEDS}; missing or empty: AWS_REGION`],
    [{ PGHOST: "" }, `${NEEDS}; missing or empty: PGHOST`],
    [{ PGPORT: undefined, PGUSER: undefined }, `${NEEDS}; missing or empty: PGPORT, PGUSER`],
    [{ PGPORT: "54x2" }, "PGPORT is '54x2'; expected a TCP port number (1-65535)"],
    [
      { DATABASE_AUTH_METHOD: "aws-iam" },
      "DATABASE_AUTH_METHOD is 'aws-iam'; allowed: 'aws-rds-iam', 'password' or unset",
    ],
    [{ PGSSLMODE: "prefer" }, "PGSSLMODE is 'prefer', which may send the IAM token unencrypted"],
  ])(
    "refuses every connection, naming the setting, when the environment is wrong (%o)",
    (overrides, message) => {
      const r = run(grantEnv(overrides), "postgresql:///mlflow", 2);
      expect(r.report.error).toEqual(["ConfigurationError", expect.stringContaining(message)]);
      expect(connections(r)).toEqual([]);
      expect(named(r, "sign")).toEqual([]);
    },
  );

  it.each(["disable", "allow", "prefer"])(
    "refuses sslmode=%s, which could send the token in clear text",
    (mode) => {
      const r = run(grantEnv(), `postgresql://mlflow@${HOST}:5432/mlflow?sslmode=${mode}`);
      expect(r.report.error).toEqual([
        "ConfigurationError",
        `sslmode (database URL or PGSSLMODE) is '${mode}', which may send the IAM token unencrypted; use require, verify-ca or verify-full`,
      ]);
      expect(connections(r)).toEqual([]);
    },
  );

  it("refuses a connection without any sslmode (libpq would fall back to prefer)", () => {
    const r = run(grantEnv({ PGSSLMODE: undefined }), `postgresql://mlflow@${HOST}:5432/mlflow`);
    expect(r.report.error?.[1]).toMatch(/no sslmode in the database URL or PGSSLMODE/);
    expect(connections(r)).toEqual([]);
  });

  it("refuses to connect when the CA bundle is missing", () => {
    const missing = path.join(tempDir(), "absent.pem");
    const r = run(grantEnv({ PGSSLROOTCERT: missing }));
    expect(r.report.error).toEqual([
      "ConfigurationError",
      expect.stringContaining(`CA bundle ${missing} does not exist`),
    ]);
    expect(connections(r)).toEqual([]);
  });

  it("refuses a PostgreSQL driver that does not take libpq's sslmode and password", () => {
    const r = run(grantEnv(), `postgresql+pg8000://mlflow@${HOST}:5432/mlflow`);
    expect(r.report.error?.[1]).toMatch(
      /the postgresql\+pg8000 driver does not take libpq's sslmode and password/,
    );
    expect(connections(r)).toEqual([]);
  });

  it("reports a signing failure with the user, endpoint and region, and never connects without a token", () => {
    const r = run({ ...grantEnv(), FAKE_SIGNING_FAILS: "1" });
    expect(r.report.error).toEqual([
      "TokenError",
      `could not sign an RDS IAM token for mlflow@${HOST}:5432 in eu-west-1 (RuntimeError: Unable to locate credentials); ` +
        "check the pod's IRSA role and its egress to STS",
    ]);
    expect(connections(r)).toEqual([]);
  });

  it("never prints the token", () => {
    const r = run(grantEnv(), URL, 2);
    expect(connections(r)).toHaveLength(2);
    expect(r.output).not.toMatch(/X-Amz-Signature|Action=connect/);
  });
});

/** A CA and a leaf certificate (public parts only), generated once with openssl for these tests. */
const TEST_CA = `-----BEGIN CERTIFICATE-----
MIIBnTCCAUOgAwIBAgIUZCNksif3YEBUMAPdpp/aop0AFLowCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYbWxzdGFjayB0ZXN0IFJEUyByb290IENBMCAXDTI2MTEyNjAw
MzkyMVoYDzIxMjYxMTAyMDAzOTIxWjAjMSEwHwYDVQQDDBhtbHN0YWNrIHRlc3Qg
UkRTIHJvb3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQBzRAzdM/CWfjQ
ksm+nMfPMuKhcXAqihpxukv8g4/TxFcchrjSSk6VQNkNqRGqx8YLZ7AHot3UOurk
cL1ceJC2o1MwUTAdBgNVHQ4EFgQUK9kT3upBznxzLyZyuQdR5PUHNOUwHwYDVR0j
BBgwFoAUK9kT3upBznxzLyZyuQdR5PUHNOUwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiBuvFo+3avfL44xZra/JQVjPLQp5MHG72QY29KmZ27xbAIh
APhZEaCAiLxeTpVMOQqmkCGkvwZR0CN06EWEanDlL7yF
-----END CERTIFICATE-----
`;
const TEST_LEAF = `-----BEGIN CERTIFICATE-----
MIIBjTCCATKgAwIBAgIUUF3ql3VLrymwTIsVGdRsCQNQ4hkwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRbWxzdGFjayB0ZXN0IGxlYWYwIBcNMjYxMTI2MDAzOTIxWhgP
MjEyNjExMDIwMDM5MjFaMBwxGjAYBgNVBAMMEW1sc3RhY2sgdGVzdCBsZWFmMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEcfdEWc75c6fcphSEqmQCYzbc58o/F2U
1HaGmQ6W2WvuT78SNpgUgiBIecZkDiYGBEtelJFjezp+mdSpc+rro6NQME4wHQYD
VR0OBBYEFEX1Kvty0gjtc6naGGI/iuyp1ZRuMB8GA1UdIwQYMBaAFEX1Kvty0gjt
c6naGGI/iuyp1ZRuMAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0EAwIDSQAwRgIhALUS
pDVZtqZZwBABXA4suTTEaOShfosYrRx1hq6J8SeOAiEAwWzDpC4zCcwxPw7pygIk
+3r2EaDj2xGoRtLo+ofBqKs=
-----END CERTIFICATE-----
`;

function fetchBundle(
  content: string,
  sha256?: string,
): { status: number | null; stdout: string; stderr: string; destination: string } {
  const dir = tempDir();
  const source = path.join(dir, "download.pem");
  fs.writeFileSync(source, content);
  const destination = path.join(dir, "share", "rds-ca", "global-bundle.pem");
  const args = [FETCH_BUNDLE, `file://${source}`, destination, ...(sha256 === undefined ? [] : [sha256])];
  const result = spawnSync(PYTHON, args, { encoding: "utf-8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, destination };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("mlflow image build: the RDS CA bundle", () => {
  it("installs a bundle of CA certificates world-readable, printing its digest for pinning", () => {
    const bundle = TEST_CA + TEST_LEAF;
    const r = fetchBundle(bundle);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(r.destination, "utf-8")).toBe(bundle);
    expect(fs.statSync(r.destination).mode & 0o777).toBe(0o644);
    expect(r.stdout).toContain(
      `1 CA certificates, sha256 ${sha256(bundle)} (pin it with --build-arg RDS_CA_BUNDLE_SHA256)`,
    );
  });

  it("accepts the bundle whose digest was pinned, and refuses any other", () => {
    expect(fetchBundle(TEST_CA, sha256(TEST_CA)).stdout).toContain("matches RDS_CA_BUNDLE_SHA256");
    const wrong = fetchBundle(TEST_CA, "0".repeat(64));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`SHA-256 is ${sha256(TEST_CA)}, expected ${"0".repeat(64)}`);
    expect(fs.existsSync(wrong.destination)).toBe(false);
  });

  it.each([
    ["an HTML error page", "<html>Access Denied</html>", "no PEM certificate in the download"],
    [
      "certificates with something else",
      `${TEST_CA}<script>x</script>\n`,
      "holds something besides PEM certificates",
    ],
    ["a corrupted certificate", TEST_CA.replace("MIIBnTCC", "MIIBnTDD"), "OpenSSL rejects the bundle"],
    ["no certificate authority", TEST_LEAF, "no certificate in the bundle is a certificate authority"],
  ])("refuses %s", (_what, content, message) => {
    const r = fetchBundle(content);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(r.destination)).toBe(false);
  });

  it("refuses a bundle fetched in clear text", () => {
    const dir = tempDir();
    const result = spawnSync(
      PYTHON,
      [
        FETCH_BUNDLE,
        "http://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
        path.join(dir, "b.pem"),
      ],
      { encoding: "utf-8" },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("is neither https:// nor file://");
  });
});
