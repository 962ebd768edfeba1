/**
 * The MLflow tracking server, started the way the rendered Deployment starts it: the image's
 * entrypoint (images/mlflow/mlflow-entrypoint.py) with the container's args and environment taken
 * from the rendered `mlflow` container of a shipped stack (renderedStack.ts), in the image's
 * Python environment (mlflowImageEnv.ts), as the container's non-root user, against a real
 * PostgreSQL (postgres.ts) and a real S3 API (s3.ts).
 *
 * API (stable; the stream-consumer and serving tests use it):
 *   startMlflowServer({ postgres, s3, stack?, port? }): Promise<MlflowServer>
 *     Provisions the rendered Cluster's roles and databases on `postgres` first (the SQL
 *     CloudNativePG issues, postgresProvisioning.ts; once per server and process) and creates the
 *     artifact bucket on `s3`. Call it twice on one PostgreSQL for two replicas.
 *   startMlflowStack(stack?): Promise<MlflowStack>  PostgreSQL + S3 + one server, and stop() for all
 *   MlflowServer:
 *     url                      http://127.0.0.1:<port>
 *     admin                    { username, password } of the generated basic-auth admin (the
 *                              rendered admin Secret)
 *     clientEnv()              MLFLOW_TRACKING_URI / _USERNAME / _PASSWORD for an MLflow client
 *     artifactBucket           the bucket of `--artifacts-destination`
 *     logFile, process         the server's log and process (processes.ts)
 *     scratchDir               the folder standing in for the pod's /tmp emptyDir
 *     stop()
 *
 * What is the pod's and what differs, on purpose:
 *   - command and args: the container's, with the entrypoint's path in the repository, `--host`
 *     127.0.0.1 (loopback only) and a free `--port`;
 *   - environment: the image's ENV (Dockerfile), then the container's env with every
 *     `secretKeyRef` resolved from the rendered Secret, as the kubelet does. Endpoints are the only
 *     values rewritten: the database URIs keep the rendered host name (verify-full checks it against
 *     the server certificate, which carries the rendered Service names) and get this server's port
 *     and `hostaddr=127.0.0.1`; the rendered object-store endpoint becomes moto's;
 *   - filesystem: every volume mount is a folder of its own (the emptyDir writable by the
 *     container's user, ConfigMaps and Secrets written from the rendered objects — except the
 *     PostgreSQL CA ConfigMap, which holds the test server's CA) and paths in env and args are
 *     rewritten to them. Everything else is read-only to the server's user: it runs as the
 *     container's `runAsUser`/`runAsGroup` (via setpriv when the tests run as root), with its
 *     working directory and HOME in a folder it cannot write, and TMPDIR in the /tmp emptyDir.
 *     That is stricter than the image, whose HOME and WORKDIR are /tmp: a write to either fails
 *     here.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MLFLOW_IMAGE_DIR, mlflowImageEnv, mlflowImageProcessEnv } from "./mlflowImageEnv";
import { freePort, LOOPBACK } from "./ports";
import { PostgresServer, startPostgres } from "./postgres";
import { cnpgStatements } from "./postgresProvisioning";
import { requireCommand } from "./prerequisites";
import { RunningProcess, startProcess, waitUntil } from "./processes";
import { renderedCnpgCluster, renderedMlflowContainer, RenderedMlflowContainer } from "./renderedStack";
import { S3Server, startS3 } from "./s3";

const ENTRYPOINT = path.join(MLFLOW_IMAGE_DIR, "mlflow-entrypoint.py");
/** Migrations on an empty database and the first start of uvicorn's workers take a while on two cores. */
const START_TIMEOUT_MS = 5 * 60_000;

export interface MlflowServerOptions {
  postgres: PostgresServer;
  s3: S3Server;
  /** The shipped stack whose rendered Deployment is started. Default `dev`. */
  stack?: string;
  /**
   * Its port, reserved by the caller with freePort() when another server needs MLflow's URL
   * before this one answers (so both can start side by side). Default: a free port.
   */
  port?: number;
}

export interface MlflowServer {
  readonly url: string;
  readonly admin: { username: string; password: string };
  readonly artifactBucket: string;
  readonly logFile: string;
  readonly process: RunningProcess;
  readonly scratchDir: string;
  clientEnv(): Record<string, string>;
  stop(): Promise<void>;
}

export interface MlflowStack {
  postgres: PostgresServer;
  s3: S3Server;
  mlflow: MlflowServer;
  stop(): Promise<void>;
}

const provisioned = new WeakMap<PostgresServer, Map<string, Promise<void>>>();

/** Runs the SQL CloudNativePG would run for the stack's Cluster, once per server and stack. */
export function provisionCnpgCluster(postgres: PostgresServer, stack = "dev"): Promise<void> {
  let byStack = provisioned.get(postgres);
  if (!byStack) provisioned.set(postgres, (byStack = new Map()));
  let done = byStack.get(stack);
  if (!done) {
    done = renderedCnpgCluster(stack).then((cluster) => {
      for (const statement of cnpgStatements(cluster)) postgres.superuser(statement);
    });
    byStack.set(stack, done);
  }
  return done;
}

interface Account {
  uid: number;
  gid: number;
}

/** The container's user; under root the server is started as it, otherwise as the current user. */
function containerAccount(container: any): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const context = container.securityContext ?? {};
  if (typeof context.runAsUser !== "number") {
    throw new Error(
      "the rendered mlflow container sets no securityContext.runAsUser; refusing to run it as root",
    );
  }
  return { uid: context.runAsUser, gid: typeof context.runAsGroup === "number" ? context.runAsGroup : 0 };
}

/**
 * The bucket provisioner (Rook) creates an ObjectBucketClaim's Secret with the bucket's key pair
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, objectbucket.io's contract); here moto's stand in.
 */
function provisionerCredentials(key: string, s3: S3Server): string | undefined {
  if (key === "AWS_ACCESS_KEY_ID") return s3.accessKeyId;
  if (key === "AWS_SECRET_ACCESS_KEY") return s3.secretAccessKey;
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

interface Filesystem {
  /** Pod path → local path, for every volume mount. */
  mounts: Array<{ podPath: string; localPath: string }>;
  scratch: string;
  readOnlyHome: string;
}

/** Materialises the container's volume mounts under `root`. */
function materialiseMounts(
  root: string,
  rendered: RenderedMlflowContainer,
  caConfigMap: string,
  postgres: PostgresServer,
  account: Account | undefined,
): Filesystem {
  const mounts: Filesystem["mounts"] = [];
  let scratch: string | undefined;
  for (const mount of rendered.container.volumeMounts ?? []) {
    const volume = rendered.volumes.find((v: any) => v.name === mount.name);
    if (!volume)
      throw new Error(
        `the rendered mlflow container mounts volume ${mount.name}, which the pod does not declare`,
      );
    const local = path.join(root, "mounts", mount.name);
    fs.mkdirSync(local, { recursive: true });
    if (volume.emptyDir) {
      if (account) fs.chownSync(local, account.uid, account.gid);
      fs.chmodSync(local, 0o770);
      if (mount.mountPath === "/tmp") scratch = local;
    } else if (volume.configMap || volume.secret) {
      const data: Record<string, string> =
        volume.configMap?.name === caConfigMap
          ? { "ca.crt": fs.readFileSync(postgres.caFile, "utf8") }
          : volume.configMap
            ? rendered.configMap(volume.configMap.name)
            : rendered.secret(volume.secret.secretName);
      const items: Array<{ key: string; path: string }> =
        (volume.configMap ?? volume.secret).items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        if (data[item.key] === undefined)
          throw new Error(`volume ${mount.name}: no key ${item.key} in its source`);
        fs.mkdirSync(path.dirname(path.join(local, item.path)), { recursive: true });
        fs.writeFileSync(path.join(local, item.path), data[item.key], { mode: 0o444 });
      }
      fs.chmodSync(local, 0o555);
    } else {
      throw new Error(`volume ${mount.name}: no local stand-in for ${Object.keys(volume).join(", ")}`);
    }
    mounts.push({ podPath: mount.mountPath, localPath: local });
  }
  if (!scratch) throw new Error("the rendered mlflow container mounts no /tmp emptyDir");
  const readOnlyHome = path.join(root, "readonly");
  fs.mkdirSync(readOnlyHome, { mode: 0o555 });
  // Longest first: /etc/x/y before /etc/x.
  mounts.sort((a, b) => b.podPath.length - a.podPath.length);
  return { mounts, scratch, readOnlyHome };
}

/** Pod paths under a mount → local paths, in one pass (a local path may itself start with /tmp). */
function rewritePaths(value: string, mounts: Filesystem["mounts"]): string {
  if (mounts.length === 0) return value;
  const pattern = new RegExp(
    `(?<![\\w.-])(${mounts.map((m) => escapeRegExp(m.podPath)).join("|")})(?=/|$|&|\\s|,)`,
    "g",
  );
  return value.replace(pattern, (podPath) => mounts.find((m) => m.podPath === podPath)?.localPath ?? podPath);
}

/** A rendered `postgresql://` URI for `host` pointed at the test server, host name kept for verify-full. */
function rewriteDatabaseUri(uri: string, host: string, postgres: PostgresServer): string {
  const match = /^(postgres(?:ql)?:\/\/[^@/]*@)([^:/?]+)(?::(\d+))?(\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!match || match[2] !== host) return uri;
  const query = new URLSearchParams((match[5] ?? "").replace(/^\?/, ""));
  query.set("hostaddr", postgres.host);
  return `${match[1]}${match[2]}:${postgres.port}${match[4] ?? ""}?${query.toString()}`;
}

export async function startMlflowServer(options: MlflowServerOptions): Promise<MlflowServer> {
  const stack = options.stack ?? "dev";
  const { postgres, s3 } = options;
  const image = mlflowImageEnv();
  const [rendered, cluster] = await Promise.all([renderedMlflowContainer(stack), renderedCnpgCluster(stack)]);
  await provisionCnpgCluster(postgres, stack);
  const container = rendered.container;
  const account = containerAccount(container);

  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-mlflow-"));
  fs.chmodSync(root, 0o755);
  const fsLayout = materialiseMounts(root, rendered, `${cluster.name}-server-ca`, postgres, account);
  const logFile = path.join(root, "mlflow.log");

  // --- environment: the kubelet's view of the container's env -------------------------------
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
    else if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      const value = rendered.objectBucketClaim(ref.name)
        ? provisionerCredentials(ref.key, s3)
        : rendered.secret(ref.name)[ref.key];
      if (value === undefined) throw new Error(`env ${entry.name}: Secret ${ref.name} has no key ${ref.key}`);
      env[entry.name] = value;
    } else throw new Error(`env ${entry.name}: no local stand-in for ${JSON.stringify(entry.valueFrom)}`);
  }
  const databaseHost = env.PGHOST;
  const objectStoreEndpoint = env.AWS_ENDPOINT_URL;
  for (const [name, value] of Object.entries(env)) {
    let rewritten = rewritePaths(value, fsLayout.mounts);
    if (databaseHost) rewritten = rewriteDatabaseUri(rewritten, databaseHost, postgres);
    if (objectStoreEndpoint && rewritten === objectStoreEndpoint) rewritten = s3.endpoint;
    env[name] = rewritten;
  }
  if (databaseHost) {
    env.PGPORT = String(postgres.port);
    env.PGHOSTADDR = postgres.host;
  }

  // --- args: the container's, on loopback at a free port -----------------------------------
  const port = options.port ?? (await freePort());
  const args: string[] = (container.args ?? []).map((arg: any) => rewritePaths(String(arg), fsLayout.mounts));
  const setArg = (flag: string, value: string) => {
    const at = args.indexOf(flag);
    if (at < 0 || at + 1 >= args.length) throw new Error(`the rendered mlflow args have no ${flag}`);
    args[at + 1] = value;
  };
  setArg("--host", LOOPBACK);
  setArg("--port", String(port));
  const destination = args[args.indexOf("--artifacts-destination") + 1] ?? "";
  const bucket = /^s3:\/\/([^/]+)/.exec(destination)?.[1];
  if (!bucket)
    throw new Error(`--artifacts-destination ${destination} is not an s3:// URL; only S3 runs here`);
  await s3.createBucket(bucket);

  const command = (container.command ?? []) as string[];
  if (command.length !== 1 || path.basename(command[0]) !== "mlflow-entrypoint") {
    throw new Error(
      `the rendered mlflow container runs ${JSON.stringify(command)}, not the image's mlflow-entrypoint`,
    );
  }
  const processEnv = {
    ...mlflowImageProcessEnv(image),
    ...env,
    HOME: fsLayout.readOnlyHome,
    TMPDIR: fsLayout.scratch,
  };
  const prefix = account
    ? [
        requireCommand("setpriv", "util-linux"),
        `--reuid=${account.uid}`,
        `--regid=${account.gid}`,
        "--clear-groups",
        "--",
      ]
    : [];
  const [program, ...programArgs] = [...prefix, image.python, ENTRYPOINT, ...args];
  const server = startProcess(program, programArgs, { logFile, cwd: fsLayout.readOnlyHome, env: processEnv });

  const url = `http://${LOOPBACK}:${port}`;
  const healthPath: string = container.readinessProbe?.httpGet?.path ?? "/health";
  await waitUntil(
    `MLflow server on ${url} (log: ${logFile})`,
    async () => ((await fetch(`${url}${healthPath}`)).status === 200 ? true : undefined),
    START_TIMEOUT_MS,
    500,
    server,
  );

  const admin = {
    username: env.MLSTACK_AUTH_ADMIN_USERNAME ?? "",
    password: env.MLSTACK_AUTH_ADMIN_PASSWORD ?? "",
  };
  return {
    url,
    admin,
    artifactBucket: bucket,
    logFile,
    process: server,
    scratchDir: fsLayout.scratch,
    clientEnv: () => ({
      MLFLOW_TRACKING_URI: url,
      ...(admin.username
        ? { MLFLOW_TRACKING_USERNAME: admin.username, MLFLOW_TRACKING_PASSWORD: admin.password }
        : {}),
    }),
    async stop() {
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function startMlflowStack(stack = "dev"): Promise<MlflowStack> {
  const cluster = await renderedCnpgCluster(stack);
  const [postgres, s3] = await Promise.all([
    startPostgres({
      hbaRules: cluster.hbaRules,
      parameters: cluster.parameters,
      serverNames: cluster.serverNames,
    }),
    startS3(),
  ]);
  try {
    const mlflow = await startMlflowServer({ postgres, s3, stack });
    return {
      postgres,
      s3,
      mlflow,
      async stop() {
        await mlflow.stop();
        await Promise.all([s3.stop(), postgres.stop()]);
      },
    };
  } catch (error) {
    await Promise.all([s3.stop(), postgres.stop()]);
    throw error;
  }
}
