/**
 * A real SeaweedFS for the real-process tests: `weed` built from its Go module with the local Go
 * toolchain (the pseudo-version the Go module proxy serves, pinned in tools/seaweedfs/go.mod) and
 * cached under `.cache/seaweedfs/<version>-<hash>/` (git-ignored), then started as `weed mini` on
 * 127.0.0.1 at free ports in a temp folder, with the command line and S3 identities file the
 * component renders (only the data folder, the config path and the ports are the test's own).
 *
 * Cost, measured 2026-12-02 on the 2-core CI machine shared with other builds (load average ~17):
 * the cold build, module downloads included, took 2340 s; with Go's build cache warm, 48 s; the test
 * file then runs in about 25 s.
 *
 * API:
 *   ensureWeed(timeoutMs?): { weed: string; version: string; buildSeconds?: number }
 *       Builds (or reuses) the binary; `buildSeconds` is set on the run that built it.
 *   startSeaweedFs({ args, s3Config }): Promise<SeaweedFsServer>
 *       `args` are the container's args (`mini ...`) as rendered; `s3Config` the identities file.
 *   SeaweedFsServer: endpoint (http://127.0.0.1:<s3 port>), logFile, stop()
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildOnce } from "./buildOnce";
import { requiredVersion } from "./kubeBinaries";
import { freePort, LOOPBACK } from "./ports";
import { requireCommand } from "./prerequisites";
import { startProcess, waitUntil } from "./processes";
import { CACHE_ROOT, REPO_ROOT } from "./pythonEnv";

const MODULE_DIR = path.join(REPO_ROOT, "tools", "seaweedfs");
const MODULE = "github.com/seaweedfs/seaweedfs";

function goCommand(): string {
  return requireCommand("go", "golang-go (Go 1.26 or newer, which SeaweedFS's go.mod requires)", [
    "/usr/local/go/bin",
  ]);
}

export function ensureWeed(timeoutMs = 90 * 60_000): {
  weed: string;
  version: string;
  buildSeconds?: number;
} {
  const version = requiredVersion(MODULE_DIR, MODULE);
  const go = goCommand();
  const hash = crypto.createHash("sha256");
  hash.update(spawnSync(go, ["version"], { encoding: "utf8" }).stdout);
  for (const file of ["go.mod", "go.sum"]) {
    const p = path.join(MODULE_DIR, file);
    if (fs.existsSync(p)) hash.update(fs.readFileSync(p));
  }
  const dir = path.join(CACHE_ROOT, "seaweedfs", `${version}-${hash.digest("hex").slice(0, 12)}`);
  const weed = path.join(dir, "weed");
  let buildSeconds: number | undefined;
  buildOnce(dir, timeoutMs, () => {
    fs.mkdirSync(dir, { recursive: true });
    const started = Date.now();
    const result = spawnSync(go, ["build", "-ldflags", "-s -w", "-o", weed, `${MODULE}/weed`], {
      cwd: MODULE_DIR,
      // -mod=mod: a newer Go toolchain may want to add a go.sum line; that must not fail the build.
      env: { ...process.env, GOFLAGS: "-mod=mod" },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    buildSeconds = Math.round((Date.now() - started) / 1000);
    fs.writeFileSync(
      path.join(dir, "build.log"),
      `go build ${MODULE}/weed: ${buildSeconds} s\n${result.stderr}`,
    );
    if (result.status !== 0)
      throw new Error(
        `go build ${MODULE}/weed failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`,
      );
  });
  return { weed, version, buildSeconds };
}

export interface SeaweedFsServer {
  readonly endpoint: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Replaces `-flag=value` in `args`, or appends it. */
function withFlag(args: string[], flag: string, value: string | number): string[] {
  const rest = args.filter((a) => !a.startsWith(`${flag}=`));
  return [...rest, `${flag}=${value}`];
}

export async function startSeaweedFs(opts: { args: string[]; s3Config: string }): Promise<SeaweedFsServer> {
  const { weed } = ensureWeed();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-seaweedfs-"));
  const data = path.join(dir, "data");
  fs.mkdirSync(data);
  const configPath = path.join(dir, "s3.json");
  fs.writeFileSync(configPath, opts.s3Config, { mode: 0o600 });
  const ports: Record<string, number> = {};
  // Every listener at a free port; gRPC ports explicitly, since their default (HTTP port + 10000)
  // can fall outside the port range.
  for (const server of ["-s3", "-master", "-volume", "-filer"])
    for (const flag of [`${server}.port`, `${server}.port.grpc`]) ports[flag] = await freePort();
  let args = withFlag(opts.args, "-dir", data);
  args = withFlag(args, "-s3.config", configPath);
  args = withFlag(args, "-ip.bind", LOOPBACK);
  for (const [flag, port] of Object.entries(ports)) args = withFlag(args, flag, port);
  const logFile = path.join(dir, "weed.log");
  const server = startProcess(weed, args, {
    logFile,
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir },
  });
  const endpoint = `http://${LOOPBACK}:${ports["-s3.port"]}`;
  // Ready once the S3 gateway answers and every bucket it was asked to create exists (an unsigned
  // HEAD is refused with 403 for an existing bucket, 404 for a missing one).
  const buckets = (opts.args.find((a) => a.startsWith("-bucket=")) ?? "-bucket=").slice("-bucket=".length);
  await waitUntil(
    "SeaweedFS S3 gateway and its buckets",
    async () => {
      for (const bucket of buckets.split(",").filter(Boolean)) {
        const response = await fetch(`${endpoint}/${bucket}`, { method: "HEAD" }).catch(() => undefined);
        if (!response || response.status === 404 || response.status >= 500) return undefined;
      }
      // The buckets exist before the volume server has registered with the master, and before it
      // has grown a volume for each bucket's collection (the S3 gateway writes a bucket's objects to
      // the collection named after it): until then a PUT to that bucket fails (a cold clean-clone
      // CI run saw it). The master's /dir/assign hands out a file id for a collection only once a
      // writable volume of that collection exists, and asking grows one.
      for (const collection of buckets.split(",").filter(Boolean)) {
        const assign = await fetch(
          `http://${LOOPBACK}:${ports["-master.port"]}/dir/assign?collection=${encodeURIComponent(collection)}`,
        )
          .then((r) => r.json() as Promise<{ fid?: string }>)
          .catch(() => undefined);
        if (!assign?.fid) return undefined;
      }
      return true;
    },
    180_000,
    500,
    server,
  );
  return {
    endpoint,
    logFile,
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
