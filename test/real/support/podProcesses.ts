/**
 * Runs the containers of a rendered pod as local processes, as close to the kubelet as a machine
 * without a container engine gets:
 *
 * - the process runs as the pod's `runAsUser` / `runAsGroup` (through `setpriv` when the tests run
 *   as root; as the current user otherwise), in a working directory it cannot write: the root
 *   filesystem is read-only in every mlstack pod;
 * - every `emptyDir` volume is a folder of the sandbox, shared by the containers that mount it and
 *   writable by that user; a mount marked `readOnly` is sealed (owned by root, no write bits) once
 *   the containers that fill it have run;
 * - the container's `env` is taken as rendered: literal values, `$(NAME)` references expanded the
 *   way the kubelet expands them, every mounted path rewritten to its folder (and TMPDIR pointed at
 *   the folder mounted on /tmp); `secretKeyRef` entries are resolved from the Secrets the caller
 *   hands over (as the kubelet resolves them), other `valueFrom` entries are left to the caller;
 * - the container's ports (and any extra fixed ports the runtime opens) are mapped to free loopback
 *   ports, in `env` values and `args` alike, and `0.0.0.0` in `args` becomes 127.0.0.1: the tests
 *   never listen beyond loopback;
 * - probes are read from the container and turned into loopback URLs.
 *
 * Nothing of the test runner's own environment reaches the process except PATH (led by the
 * image's Python environment) and the locale.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, LOOPBACK } from "./ports";
import { requireCommand } from "./prerequisites";
import { RunningProcess, startProcess } from "./processes";
import type { PythonEnv } from "./pythonEnv";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered pod specs are untyped JSON */

export interface Account {
  uid: number;
  gid: number;
}

export interface PodSandbox {
  /** The sandbox folder (removed by `remove`). */
  root: string;
  /** The working directory of every container: not writable by the account. */
  cwd: string;
  /** emptyDir volume name → its folder. */
  volumes: Map<string, string>;
  /** Rendered container port → the free loopback port that stands in for it. */
  ports: Map<number, number>;
  /** Who the containers run as; undefined when the tests do not run as root. */
  account?: Account;
  remove(): void;
}

/** The account a container runs as: its own securityContext first, then the pod's. */
function accountOf(pod: any, container: any): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  const gid = container.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup ?? uid;
  if (uid === undefined) {
    // OpenShift pods leave the UID to the SCC, which assigns an arbitrary one in group 0.
    return { uid: 1000690000, gid: 0 };
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A sandbox for `pod`: a folder per emptyDir volume and a free loopback port for every container
 * port of every container plus `extraPorts`.
 */
export async function podSandbox(pod: any, extraPorts: number[] = []): Promise<PodSandbox> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-pod-"));
  // mkdtemp makes 0700 folders; the pod's user must be able to reach its volumes.
  fs.chmodSync(root, 0o755);
  const cwd = path.join(root, "workdir");
  fs.mkdirSync(cwd, { mode: 0o555 });
  fs.chmodSync(cwd, 0o555);
  const account = accountOf(pod, pod.containers[0]);
  const volumes = new Map<string, string>();
  for (const volume of pod.volumes ?? []) {
    if (!volume.emptyDir) continue;
    const dir = path.join(root, "volumes", volume.name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (account) fs.chownSync(dir, account.uid, account.gid);
    volumes.set(volume.name, dir);
  }
  fs.chmodSync(path.join(root, "volumes"), 0o755);
  const ports = new Map<number, number>();
  const containerPorts = [...(pod.initContainers ?? []), ...pod.containers].flatMap((c: any) =>
    (c.ports ?? []).map((p: any) => Number(p.containerPort)),
  );
  for (const port of [...containerPorts, ...extraPorts]) {
    if (!ports.has(port)) ports.set(port, await freePort());
  }
  return {
    root,
    cwd,
    volumes,
    ports,
    account,
    remove: () => {
      // The sealed folders have no write bits; root removes them regardless, others restore them first.
      if (!account) makeWritable(root);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function makeWritable(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      fs.chmodSync(p, 0o755);
      makeWritable(p);
    }
  }
  fs.chmodSync(dir, 0o755);
}

/** Makes a volume read-only for the containers that mount it `readOnly` (after it was filled). */
export function sealVolume(sandbox: PodSandbox, volumeName: string): void {
  const dir = sandbox.volumes.get(volumeName);
  if (!dir) throw new Error(`the pod has no emptyDir volume '${volumeName}'`);
  const seal = (p: string) => {
    const stat = fs.lstatSync(p);
    if (stat.isSymbolicLink()) return;
    if (sandbox.account) fs.chownSync(p, 0, 0);
    fs.chmodSync(p, stat.isDirectory() ? 0o555 : 0o444);
    if (stat.isDirectory()) for (const name of fs.readdirSync(p)) seal(path.join(p, name));
  };
  seal(dir);
}

/** A container of the pod, resolved into what a local process needs. */
export interface ContainerProcessSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  account?: Account;
  /** Container path → host folder, for each of the container's mounts. */
  mounts: Map<string, string>;
  /** Loopback URL of each HTTP probe the container declares. */
  probes: { readiness?: string; liveness?: string; startup?: string };
}

/**
 * Rewrites the container paths of `mounts` inside a string, in one pass (longest path first), so a
 * folder that replaced one mount path is never taken for another.
 */
function rewritePaths(value: string, mounts: Map<string, string>): string {
  if (mounts.size === 0) return value;
  const escape = (p: string) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const alternatives = [...mounts.keys()].sort((a, b) => b.length - a.length).map(escape);
  const pattern = new RegExp(`(^|[=:,\\s])(${alternatives.join("|")})(?=$|[/:,\\s])`, "g");
  return value.replace(pattern, (_m, lead: string, mountPath: string) => `${lead}${mounts.get(mountPath)}`);
}

/** `$(NAME)` references to variables defined earlier in the list, as the kubelet expands them. */
function expandReferences(value: string, env: Record<string, string>): string {
  return value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}

export interface ContainerProcessOptions {
  /** The Python environment standing in for the container image (its `bin` leads PATH). */
  image: PythonEnv;
  /** Applied to every rendered env value and arg first (e.g. an s3:// URI → a local folder). */
  substitute?: (value: string) => string;
  /** The image's ENV lines (container paths are rewritten); the rendered env wins. */
  baseEnv?: Record<string, string | undefined>;
  /**
   * Secret name → its data, for the rendered `secretKeyRef`s (each must be found). Without it,
   * `valueFrom` entries are skipped and the caller supplies them through `baseEnv` / `overrides`.
   */
  secrets?: Record<string, Record<string, string>>;
  /** Variables set after the rendered env: deviations a test must name (e.g. loopback hosts). */
  overrides?: Record<string, string>;
}

export function containerProcessSpec(
  sandbox: PodSandbox,
  pod: any,
  container: any,
  options: ContainerProcessOptions,
): ContainerProcessSpec {
  const substitute = options.substitute ?? ((v: string) => v);
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const dir = sandbox.volumes.get(mount.name);
    if (dir) mounts.set(mount.mountPath, dir);
  }
  const mapPort = (value: string) => {
    const port = Number(value);
    return /^\d+$/.test(value) && sandbox.ports.has(port) ? String(sandbox.ports.get(port)) : value;
  };
  const env: Record<string, string> = {};
  for (const name of ["LANG", "LC_ALL"]) if (process.env[name]) env[name] = process.env[name] as string;
  for (const [name, value] of Object.entries(options.baseEnv ?? {}))
    if (value !== undefined) env[name] = rewritePaths(value, mounts);
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (ref && options.secrets) {
      const value = options.secrets[ref.name]?.[ref.key];
      if (value === undefined && !ref.optional) {
        throw new Error(
          `${container.name}: env ${entry.name} reads Secret ${ref.name}/${ref.key}, which the test does not provide`,
        );
      }
      if (value !== undefined) env[entry.name] = value;
      continue;
    }
    if (entry.value === undefined) continue;
    const raw = expandReferences(substitute(String(entry.value)), env);
    env[entry.name] = mapPort(rewritePaths(raw, mounts));
  }
  if (mounts.has("/tmp")) env.TMPDIR = mounts.get("/tmp") as string;
  env.PATH = [options.image.bin, "/usr/bin", "/bin"].join(path.delimiter);
  Object.assign(env, options.overrides ?? {});

  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a: string) =>
    mapPort(rewritePaths(expandReferences(substitute(String(a)), env), mounts)).replace(
      /^0\.0\.0\.0$/,
      LOOPBACK,
    ),
  );
  if (argv.length === 0) throw new Error(`container '${container.name}' keeps its image's entrypoint`);
  const [program, ...args] = argv;
  const command = program.includes("/") ? program : path.join(options.image.bin, program);

  const namedPorts = new Map<string, number>(
    (container.ports ?? []).map((p: any) => [p.name, Number(p.containerPort)]),
  );
  const probeUrl = (probe: any): string | undefined => {
    if (!probe?.httpGet) return undefined;
    const declared = probe.httpGet.port;
    const port = typeof declared === "string" ? namedPorts.get(declared) : Number(declared);
    if (port === undefined) throw new Error(`probe port '${declared}' is not a port of '${container.name}'`);
    const host = sandbox.ports.get(port);
    if (host === undefined) throw new Error(`container port ${port} has no loopback port`);
    return `http://${LOOPBACK}:${host}${probe.httpGet.path}`;
  };
  return {
    command,
    args,
    env,
    cwd: sandbox.cwd,
    account: accountOf(pod, container),
    mounts,
    probes: {
      readiness: probeUrl(container.readinessProbe),
      liveness: probeUrl(container.livenessProbe),
      startup: probeUrl(container.startupProbe),
    },
  };
}

/** argv that runs `spec` as its account (setpriv under root). */
function argvOf(spec: ContainerProcessSpec): [string, string[]] {
  if (!spec.account) return [spec.command, spec.args];
  return [
    requireCommand("setpriv", "util-linux"),
    [
      `--reuid=${spec.account.uid}`,
      `--regid=${spec.account.gid}`,
      "--clear-groups",
      "--",
      spec.command,
      ...spec.args,
    ],
  ];
}

/** Starts a long-running container (the serving container). */
export function startContainer(spec: ContainerProcessSpec, logFile: string): RunningProcess {
  const [command, args] = argvOf(spec);
  return startProcess(command, args, { cwd: spec.cwd, env: spec.env, logFile });
}

/** Runs an init container to completion; throws with its log when it exits non-zero. */
export async function runInitContainer(
  spec: ContainerProcessSpec,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const running = startContainer(spec, logFile);
  const timer = setTimeout(() => running.kill("SIGKILL"), timeoutMs);
  const exit = await running.exited;
  clearTimeout(timer);
  if (exit !== 0) {
    throw new Error(
      `init container ${spec.command} ${spec.args.join(" ")} exited with ${exit}\n${running.tail()}`,
    );
  }
}
