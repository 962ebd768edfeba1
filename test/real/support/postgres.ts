/**
 * A throwaway PostgreSQL 15 server for the real-process tests, configured the way CloudNativePG
 * configures an instance of the Cluster mlstack renders.
 *
 * API (stable; other real-process tests use it):
 *   startPostgres(options?): Promise<PostgresServer>
 *     options.hbaRules      the Cluster's `spec.postgresql.pg_hba` (see renderedStack.ts:
 *                           `renderedCnpgCluster()`), placed where CloudNativePG places them;
 *                           default: the shipped dev stack's rendered rules.
 *     options.parameters    the Cluster's `spec.postgresql.parameters` (default: the dev stack's).
 *     options.serverNames   DNS names the server certificate carries (default: the dev stack's
 *                           `-rw`/`-ro`/`-r` Service names), besides `localhost` and 127.0.0.1.
 *   PostgresServer:
 *     host ("127.0.0.1"), port            where it listens (TCP, loopback only)
 *     caFile                              the CA that signed the server certificate (PEM): clients
 *                                         verify the server with sslmode=verify-full against it
 *     serverNames                         names in the certificate
 *     dataDir, logFile                    the cluster's folder and its server log
 *     superuser(sql, database?)           runs SQL as the `postgres` superuser over the Unix socket
 *                                         (peer authentication, CloudNativePG's `local` rule —
 *                                         the only way in for the superuser, as in the operator's
 *                                         pods) with psql; returns psql's unaligned output, throws
 *                                         with psql's error otherwise
 *     connectionUri({user, password, database, sslmode?, hostname?})
 *                                         a libpq URI to this server; `hostname` (default the
 *                                         first server name) is what verify-full checks, while
 *                                         `hostaddr=127.0.0.1` says where to connect
 *     retargetUri(uri)                    a rendered `postgresql://` URI (a grant's) pointed at this
 *                                         server: host name kept (verify-full checks it), this
 *                                         server's port, `hostaddr=127.0.0.1`, and `sslrootcert`
 *                                         (when present) this server's CA
 *     stop()                              stops the server and deletes its folder
 *
 * How it runs: `initdb` and `pg_ctl` from Debian's postgresql-15 (/usr/lib/postgresql/15/bin),
 * never as root. Under root the server runs as Debian's `postgres` system account (created by
 * the postgresql-common package, which postgresql-15 depends on) through `setpriv`; otherwise as
 * the current user. The data folder is a fresh temp folder; fsync is off (a throwaway cluster).
 *
 * TLS and authentication, as CloudNativePG writes them (pkg/postgres/configuration.go,
 * cloudnative-pg/cloudnative-pg, `hbaTemplateString`, `identTemplateString` and
 * `CnpgConfigurationSettings`): `ssl = on` with a server certificate and key and a client CA,
 * TLS 1.3 only; pg_hba.conf = the operator's fixed rules (local peer with the `local` ident map,
 * certificate auth for streaming_replica and the pooler), then the Cluster's own rules, then the
 * operator's default `host all all all scram-sha-256`. The CA and server certificate are made
 * with openssl (EC P-256, as @pulumi/tls makes the CertificateAuthority's keys in mlstack).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, LOOPBACK, waitForPort } from "./ports";
import { postgresBinDir, requireCommand } from "./prerequisites";
import { renderedCnpgCluster } from "./renderedStack";

export interface PostgresOptions {
  hbaRules?: string[];
  parameters?: Record<string, string>;
  serverNames?: string[];
}

export interface ConnectionSettings {
  user: string;
  password: string;
  database: string;
  /** Default `verify-full`. */
  sslmode?: string;
  /** The name the client asks for and verifies (default: the first server name). */
  hostname?: string;
}

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  readonly serverNames: string[];
  readonly dataDir: string;
  readonly logFile: string;
  superuser(sql: string, database?: string): string;
  connectionUri(settings: ConnectionSettings): string;
  retargetUri(uri: string): string;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL system account (postgresql-common). */
const SERVER_ACCOUNT = "postgres";
/** The superuser initdb creates, as in CloudNativePG's images. */
const SUPERUSER = "postgres";

interface Account {
  uid: number;
  gid: number;
  name: string;
}

function serverAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = spawnSync("getent", ["passwd", SERVER_ACCOUNT], { encoding: "utf8" });
  const fields = entry.stdout.trim().split(":");
  if (entry.status !== 0 || fields.length < 4) {
    throw new Error(
      `the real-process tests run PostgreSQL as the '${SERVER_ACCOUNT}' system account, which does not exist: ` +
        "apt-get install -y postgresql-15 (its postgresql-common package creates it; .ci/run does this)",
    );
  }
  return { name: SERVER_ACCOUNT, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** The command prefix that runs a program as the server account (nothing when not root). */
function asAccount(account: Account | undefined): string[] {
  if (!account) return [];
  return [
    requireCommand("setpriv", "util-linux"),
    `--reuid=${account.uid}`,
    `--regid=${account.gid}`,
    "--init-groups",
    "--",
  ];
}

/** Runs `command` (as the server account under root) with a minimal environment; returns stdout. */
function run(
  account: Account | undefined,
  home: string,
  command: string,
  args: string[],
  input?: string,
): string {
  const [program, ...rest] = [...asAccount(account), command, ...args];
  const result = spawnSync(program, rest, {
    encoding: "utf8",
    cwd: home,
    input,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LC_ALL: "C.UTF-8" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} ${args.join(" ")} failed (exit ${result.status}): ${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(requireCommand("openssl", "openssl"), args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

/** A CA and a server certificate for `names` + localhost + 127.0.0.1, in `dir`. */
function makeCertificates(dir: string, names: string[]): { ca: string; cert: string; key: string } {
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-sha256",
      "-days",
      "2",
      "-subj",
      "/CN=mlstack real-process test postgres CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      "ca.crt",
    ],
    dir,
  );
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key"], dir);
  const sans = [...names, "localhost"].map((n) => `DNS:${n}`).concat("IP:127.0.0.1");
  fs.writeFileSync(
    path.join(dir, "server.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${sans.join(",")}`,
    ].join("\n") + "\n",
  );
  openssl(
    ["req", "-new", "-key", "server.key", "-subj", `/CN=${names[0] ?? "localhost"}`, "-out", "server.csr"],
    dir,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-sha256",
      "-extfile",
      "server.ext",
      "-out",
      "server.crt",
    ],
    dir,
  );
  return {
    ca: path.join(dir, "ca.crt"),
    cert: path.join(dir, "server.crt"),
    key: path.join(dir, "server.key"),
  };
}

/** pg_hba.conf as CloudNativePG's hbaTemplateString lays it out around the Cluster's rules. */
export function cnpgHbaFile(userRules: string[]): string {
  return [
    "# FIXED RULES (CloudNativePG)",
    "local all all peer map=local",
    "hostssl postgres streaming_replica all cert map=cnpg_streaming_replica",
    "hostssl replication streaming_replica all cert map=cnpg_streaming_replica",
    "hostssl all cnpg_pooler_pgbouncer all cert map=cnpg_pooler_pgbouncer",
    "# USER-DEFINED RULES (the Cluster's spec.postgresql.pg_hba)",
    ...userRules,
    "# DEFAULT RULES (CloudNativePG)",
    "host all all all scram-sha-256",
    "",
  ].join("\n");
}

/** pg_ident.conf as CloudNativePG's identTemplateString lays it out for OS user `osUser`. */
function cnpgIdentFile(osUser: string): string {
  return [
    `local ${osUser} ${SUPERUSER}`,
    "cnpg_streaming_replica streaming_replica streaming_replica",
    "cnpg_pooler_pgbouncer cnpg_pooler_pgbouncer cnpg_pooler_pgbouncer",
    "",
  ].join("\n");
}

/** A value in postgresql.conf syntax. */
function confValue(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  // Everything this needs from the machine, checked before anything is started or written.
  const bin = postgresBinDir();
  requireCommand("psql", "postgresql-client-15", [bin]);
  requireCommand("openssl", "openssl");
  const account = serverAccount();
  if (account) requireCommand("setpriv", "util-linux");
  const osUser = account?.name ?? os.userInfo().username;
  const rendered =
    options.hbaRules && options.parameters && options.serverNames ? undefined : await renderedCnpgCluster();
  const hbaRules = options.hbaRules ?? (rendered as NonNullable<typeof rendered>).hbaRules;
  const parameters = options.parameters ?? (rendered as NonNullable<typeof rendered>).parameters;
  const serverNames = options.serverNames ?? (rendered as NonNullable<typeof rendered>).serverNames;

  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-postgres-"));
  // The server account must reach its folders through the temp root.
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, "data");
  const socketDir = path.join(root, "run");
  const tlsDir = path.join(root, "tls");
  const logFile = path.join(root, "postgres.log");
  fs.mkdirSync(socketDir, { mode: 0o700 });
  fs.mkdirSync(tlsDir, { mode: 0o700 });
  const certs = makeCertificates(tlsDir, serverNames);
  fs.chmodSync(certs.key, 0o600);
  fs.chmodSync(certs.ca, 0o644);
  fs.writeFileSync(logFile, "");
  if (account) {
    for (const p of [socketDir, tlsDir, certs.key, certs.cert, certs.ca, logFile])
      fs.chownSync(p, account.uid, account.gid);
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.chownSync(dataDir, account.uid, account.gid);
  }
  // Clients (the test runner, the MLflow server's user) read the CA from a copy outside tls/.
  const caFile = path.join(root, "ca.crt");
  fs.copyFileSync(certs.ca, caFile);
  fs.chmodSync(caFile, 0o644);

  run(account, root, path.join(bin, "initdb"), [
    "--pgdata",
    dataDir,
    "--username",
    SUPERUSER,
    "--auth-local",
    "peer",
    "--auth-host",
    "reject",
    "--encoding",
    "UTF8",
    "--data-checksums",
    "--no-instructions",
  ]);
  const port = await freePort();
  const conf = {
    ...parameters,
    // What CloudNativePG fixes (MandatorySettings / GlobalDefaultSettings), with loopback and
    // temp paths in place of the pod's.
    listen_addresses: LOOPBACK,
    port: String(port),
    unix_socket_directories: socketDir,
    ssl: "on",
    ssl_cert_file: certs.cert,
    ssl_key_file: certs.key,
    ssl_ca_file: certs.ca,
    ssl_min_protocol_version: "TLSv1.3",
    ssl_max_protocol_version: "TLSv1.3",
    hba_file: path.join(dataDir, "pg_hba.conf"),
    ident_file: path.join(dataDir, "pg_ident.conf"),
    // A throwaway cluster: durability buys nothing here and costs seconds on a shared disk.
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
  };
  const write = (file: string, content: string) => {
    fs.writeFileSync(file, content);
    if (account) fs.chownSync(file, account.uid, account.gid);
  };
  write(
    path.join(dataDir, "postgresql.auto.conf"),
    Object.entries(conf)
      .map(([k, v]) => `${k} = ${confValue(v)}`)
      .join("\n") + "\n",
  );
  write(path.join(dataDir, "pg_hba.conf"), cnpgHbaFile(hbaRules));
  write(path.join(dataDir, "pg_ident.conf"), cnpgIdentFile(osUser));

  const pgCtl = path.join(bin, "pg_ctl");
  const serverLog = (error: unknown) =>
    new Error(
      `${(error as Error).message}\nlast 40 lines of ${logFile}:\n` +
        fs.readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n"),
    );
  try {
    run(account, root, pgCtl, ["--pgdata", dataDir, "--log", logFile, "--wait", "--timeout", "60", "start"]);
  } catch (error) {
    throw serverLog(error);
  }
  let stopped = false;
  const stopServer = () => {
    if (stopped) return;
    stopped = true;
    const [program, ...args] = [
      ...asAccount(account),
      pgCtl,
      "--pgdata",
      dataDir,
      "--mode",
      "immediate",
      "--wait",
      "stop",
    ];
    spawnSync(program, args, { stdio: "ignore", cwd: root });
  };
  // Never outlive the test process.
  process.once("exit", stopServer);
  await waitForPort(port, 30_000).catch((error) => {
    throw serverLog(error);
  });

  const psql = path.join(bin, "psql");
  const server: PostgresServer = {
    host: LOOPBACK,
    port,
    caFile,
    serverNames,
    dataDir,
    logFile,
    superuser(sql, database = "postgres") {
      return run(
        account,
        root,
        psql,
        [
          "--no-psqlrc",
          "--no-align",
          "--tuples-only",
          "--set",
          "ON_ERROR_STOP=1",
          "--host",
          socketDir,
          "--port",
          String(port),
          "--username",
          SUPERUSER,
          "--dbname",
          database,
          // From stdin, not --command: each statement runs on its own (CREATE DATABASE cannot
          // run inside the single transaction --command wraps several statements in).
          "--file",
          "-",
        ],
        sql,
      ).trim();
    },
    connectionUri(settings) {
      const hostname = settings.hostname ?? serverNames[0] ?? "localhost";
      const query = new URLSearchParams({
        hostaddr: LOOPBACK,
        sslmode: settings.sslmode ?? "verify-full",
        sslrootcert: caFile,
      });
      return (
        `postgresql://${encodeURIComponent(settings.user)}:${encodeURIComponent(settings.password)}` +
        `@${hostname}:${port}/${encodeURIComponent(settings.database)}?${query.toString()}`
      );
    },
    retargetUri(uri) {
      const url = new URL(uri);
      if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
        throw new Error(`not a PostgreSQL URI: ${url.protocol}//…`);
      }
      url.port = String(port);
      url.searchParams.set("hostaddr", LOOPBACK);
      if (url.searchParams.has("sslrootcert")) url.searchParams.set("sslrootcert", caFile);
      return url.toString();
    },
    async stop() {
      stopServer();
      process.removeListener("exit", stopServer);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return server;
}
