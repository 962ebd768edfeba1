/**
 * Python virtual environments for the real-process tests, built from exactly the pip arguments
 * an image installs and cached under `.cache/python/<name>-<hash>` (git-ignored), keyed by the
 * hash of those arguments, the contents of every input file and the interpreter's version, so a
 * second run reuses them and any change to an image's requirements rebuilds.
 *
 * Several jest workers may ask for the same environment at once: the first takes a lock (an
 * atomic mkdir), the others wait for its `.complete` marker.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildOnce } from "./buildOnce";
import { requireCommand } from "./prerequisites";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const CACHE_ROOT = path.join(REPO_ROOT, ".cache");

export interface PythonEnvSpec {
  /** Short name, part of the folder name (e.g. "mlflow-image"). */
  name: string;
  /** Arguments after `pip install` (package specs, `-r file`, ...). */
  pipArgs: string[];
  /** Files whose contents change what is installed (requirements files, constraint files). */
  inputs: string[];
  /**
   * The interpreter to build the environment from. Default: `python3` on PATH. An environment
   * that runs as another user (the MLflow image's UID 10001) needs one that user can execute.
   */
  interpreter?: string;
}

export interface PythonEnv {
  /** The folder of the environment. */
  dir: string;
  /** Its python executable. */
  python: string;
  /** Its bin folder (console scripts such as `mlflow`, `mlserver`). */
  bin: string;
}

function interpreter(spec?: PythonEnvSpec): string {
  return spec?.interpreter ?? requireCommand("python3", "python3 python3-venv");
}

export function pythonEnvKey(spec: PythonEnvSpec): string {
  const hash = crypto.createHash("sha256");
  const version = spawnSync(interpreter(spec), ["--version"], { encoding: "utf8" });
  hash.update(`${version.stdout}${version.stderr}\n`);
  hash.update(JSON.stringify(spec.pipArgs));
  for (const input of spec.inputs) hash.update(fs.readFileSync(input));
  return `${spec.name}-${hash.digest("hex").slice(0, 16)}`;
}

/** Builds (or reuses) the environment; synchronous so it can run in a beforeAll or a script. */
export function ensurePythonEnv(spec: PythonEnvSpec, timeoutMs = 20 * 60_000): PythonEnv {
  const dir = path.join(CACHE_ROOT, "python", pythonEnvKey(spec));
  const env: PythonEnv = { dir, python: path.join(dir, "bin", "python"), bin: path.join(dir, "bin") };
  buildOnce(dir, timeoutMs, () => {
    fs.rmSync(dir, { recursive: true, force: true });
    execFileSync(interpreter(spec), ["-m", "venv", dir], { stdio: "inherit" });
    const log = path.join(CACHE_ROOT, "python", `${path.basename(dir)}.pip.log`);
    const result = spawnSync(
      env.python,
      [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        ...spec.pipArgs,
      ],
      { encoding: "utf8", cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
    );
    fs.writeFileSync(log, `${result.stdout}\n${result.stderr}`);
    if (result.status !== 0) {
      throw new Error(
        `pip install for the '${spec.name}' environment failed (exit ${result.status}); see ${log}\n` +
          `${result.stderr}`.split("\n").slice(-30).join("\n"),
      );
    }
  });
  return env;
}
