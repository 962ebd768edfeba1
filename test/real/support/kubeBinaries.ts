/**
 * `kube-apiserver` and `etcd` for the cluster tests, built from their Go modules with the local Go
 * toolchain and cached under `.cache/kube/<kubernetes version>-<hash>/` (git-ignored). The wrapper
 * modules in `tools/kube/` pin the versions (see their go.mod for where each came from); the hash
 * covers both modules' go.mod and go.sum and the `go version`, so a second run reuses the binaries
 * and a version bump rebuilds them. Go's own caches (GOMODCACHE, GOCACHE) stay at their defaults,
 * shared with every other Go build on the machine.
 *
 * Several jest workers may ask at once: the first takes a lock (an atomic mkdir), the others wait
 * for the `.complete` marker.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildOnce } from "./buildOnce";
import { requireCommand } from "./prerequisites";
import { CACHE_ROOT, REPO_ROOT } from "./pythonEnv";

export const KUBE_TOOLS_DIR = path.join(REPO_ROOT, "tools", "kube");
const APISERVER_MODULE = path.join(KUBE_TOOLS_DIR, "apiserver");
const ETCD_MODULE = path.join(KUBE_TOOLS_DIR, "etcd");

export interface KubeBinaries {
  dir: string;
  kubeApiServer: string;
  etcd: string;
  /** The Kubernetes release, e.g. `v1.37.2` (from tools/kube/apiserver/go.mod). */
  kubernetesVersion: string;
  /** The etcd release, e.g. `v3.7.0` (from tools/kube/etcd/go.mod). */
  etcdVersion: string;
}

/** The version a wrapper module requires of `module` (its go.mod is the one place it is pinned). */
export function requiredVersion(moduleDir: string, module: string): string {
  const goMod = fs.readFileSync(path.join(moduleDir, "go.mod"), "utf8");
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, "m").exec(goMod);
  if (!match) throw new Error(`${path.join(moduleDir, "go.mod")} does not require ${module}`);
  return match[1];
}

function goCommand(): string {
  return requireCommand("go", "golang-go (Go 1.26 or newer, which Kubernetes 1.37 requires)", [
    "/usr/local/go/bin",
  ]);
}

export function kubeBinariesKey(): string {
  const go = goCommand();
  const hash = crypto.createHash("sha256");
  hash.update(spawnSync(go, ["version"], { encoding: "utf8" }).stdout);
  for (const dir of [APISERVER_MODULE, ETCD_MODULE])
    for (const file of ["go.mod", "go.sum"]) hash.update(fs.readFileSync(path.join(dir, file)));
  return `${requiredVersion(APISERVER_MODULE, "k8s.io/kubernetes")}-${hash.digest("hex").slice(0, 12)}`;
}

function goBuild(moduleDir: string, output: string, pkg: string, ldflags: string, log: string): void {
  const started = Date.now();
  const result = spawnSync(goCommand(), ["build", "-ldflags", ldflags, "-o", output, pkg], {
    cwd: moduleDir,
    // -mod=mod: the wrapper's go.sum is committed, but a Go toolchain newer than the one that
    // wrote it may want to add a line; that must not fail the build.
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  fs.appendFileSync(log, `go build ${pkg}: ${Math.round((Date.now() - started) / 1000)} s\n${result.stderr}`);
  if (result.status !== 0)
    throw new Error(
      `go build ${pkg} in ${moduleDir} failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`,
    );
}

/** Builds (or reuses) the binaries; synchronous so it can run in a beforeAll. */
export function ensureKubeBinaries(timeoutMs = 60 * 60_000): KubeBinaries {
  const kubernetesVersion = requiredVersion(APISERVER_MODULE, "k8s.io/kubernetes");
  const etcdVersion = requiredVersion(ETCD_MODULE, "go.etcd.io/etcd/server/v3");
  const dir = path.join(CACHE_ROOT, "kube", kubeBinariesKey());
  const binaries = {
    dir,
    kubeApiServer: path.join(dir, "kube-apiserver"),
    etcd: path.join(dir, "etcd"),
    kubernetesVersion,
    etcdVersion,
  };
  buildOnce(dir, timeoutMs, () => {
    fs.mkdirSync(dir, { recursive: true });
    const log = path.join(dir, "build.log");
    const [major, minor] = kubernetesVersion.replace(/^v/, "").split(".");
    // The version the server reports (/version, kubectl's skew warning); a plain `go build` leaves
    // it at v0.0.0-master. These are the variables hack/lib/version.sh sets.
    const versionFlags = [
      `-X k8s.io/component-base/version.gitVersion=${kubernetesVersion}`,
      `-X k8s.io/component-base/version.gitMajor=${major}`,
      `-X k8s.io/component-base/version.gitMinor=${minor}`,
    ].join(" ");
    goBuild(ETCD_MODULE, binaries.etcd, "go.etcd.io/etcd/server/v3", "-s -w", log);
    goBuild(
      APISERVER_MODULE,
      binaries.kubeApiServer,
      "k8s.io/kubernetes/cmd/kube-apiserver",
      `-s -w ${versionFlags}`,
      log,
    );
  });
  return binaries;
}
