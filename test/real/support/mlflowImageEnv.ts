/**
 * The Python environment of the mlstack MLflow image (images/mlflow), built for the
 * real-process tests from exactly what its Dockerfile installs.
 *
 * API (stable; the stream-consumer and serving tests use it):
 *   mlflowImageEnv(): PythonEnv
 *       A cached virtual environment (test/real/support/pythonEnv.ts) with
 *       `mlflow[auth]==<MLFLOW_VERSION>` (the Dockerfile's ARG) and `-r images/mlflow/requirements.txt`,
 *       wheels only as in the image (PIP_ONLY_BINARY=:all:), plus what the Dockerfile copies into
 *       site-packages (the RDS IAM hook mlstack_rds_iam.py and mlstack-rds-iam.pth). Keyed by the
 *       hash of the Dockerfile, the requirements and those two files: editing any of them rebuilds.
 *       Console scripts are in `env.bin` (`mlflow`, `uvicorn`, ...).
 *   mlflowImageVersion(): string
 *       The MLflow version the Dockerfile installs (its MLFLOW_VERSION build argument).
 *   mlflowImageProcessEnv(env: PythonEnv, overrides?): NodeJS.ProcessEnv
 *       The environment a process of the image starts with: the runtime stage's ENV lines
 *       (HOME=/tmp, PYTHONUNBUFFERED, PYTHONDONTWRITEBYTECODE, MLFLOW_DISABLE_TELEMETRY, ...) with
 *       PATH led by the venv's bin folder instead of /opt/mlflow/bin, then `overrides`. Nothing from
 *       the test runner's own environment leaks in except PATH and the locale.
 *   MLFLOW_IMAGE_DIR: the images/mlflow folder.
 *
 * What differs from the image: the interpreter is Debian's /usr/bin/python3 (3.11 on bookworm, here
 * and in .ci/run; the image's base is CPython 3.12) — the system one, not a pyenv or user install,
 * because the tests run the image's processes as its non-root UID 10001, which must be able to
 * execute it; and the RDS CA bundle is not downloaded (no test talks to RDS).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensurePythonEnv, PythonEnv, REPO_ROOT } from "./pythonEnv";

/** Debian's interpreter (packages python3 and python3-venv), executable by any user. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

export const MLFLOW_IMAGE_DIR = path.join(REPO_ROOT, "images", "mlflow");
const DOCKERFILE = path.join(MLFLOW_IMAGE_DIR, "Dockerfile");
const REQUIREMENTS = path.join(MLFLOW_IMAGE_DIR, "requirements.txt");
/** Files the Dockerfile copies into the venv's site-packages (its second build RUN). */
const SITE_PACKAGES_FILES = ["mlstack_rds_iam.py", "mlstack-rds-iam.pth"];

/** The Dockerfile with line continuations joined, one instruction per entry. */
function dockerfileInstructions(): string[] {
  return fs
    .readFileSync(DOCKERFILE, "utf8")
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

export function mlflowImageVersion(): string {
  const versions = new Set(
    dockerfileInstructions()
      .map((line) => /^ARG\s+MLFLOW_VERSION=(\S+)$/.exec(line)?.[1])
      .filter((v): v is string => v !== undefined),
  );
  if (versions.size !== 1) {
    throw new Error(
      `${DOCKERFILE}: expected one MLFLOW_VERSION default shared by every stage, found ` +
        `${versions.size === 0 ? "none" : [...versions].join(", ")}`,
    );
  }
  return [...versions][0];
}

/** `ENV` of the last stage (the runtime image), as name → value. */
function runtimeStageEnv(): Record<string, string> {
  const instructions = dockerfileInstructions();
  const lastFrom = instructions.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  const env: Record<string, string> = {};
  for (const line of instructions.slice(lastFrom)) {
    const match = /^ENV\s+(.*)$/.exec(line);
    if (!match) continue;
    for (const pair of match[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env[pair[1]] = pair[2].replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

function sitePackages(env: PythonEnv): string {
  const lib = path.join(env.dir, "lib");
  const python = fs.readdirSync(lib).find((name) => name.startsWith("python"));
  if (!python) throw new Error(`${lib}: no pythonX.Y folder`);
  return path.join(lib, python, "site-packages");
}

function systemPython(): string {
  const venvModule = spawnSync(SYSTEM_PYTHON, ["-c", "import ensurepip, venv"], { encoding: "utf8" });
  if (venvModule.status !== 0) {
    throw new Error(
      `the real-process tests need ${SYSTEM_PYTHON} with the venv module, which is not installed: ` +
        "apt-get install -y python3 python3-venv (.ci/run does this)",
    );
  }
  return SYSTEM_PYTHON;
}

export function mlflowImageEnv(): PythonEnv {
  const env = ensurePythonEnv({
    name: "mlflow-image",
    interpreter: systemPython(),
    pipArgs: [
      // The Dockerfile's PIP_ONLY_BINARY=:all:: the image never compiles anything, nor do we.
      "--only-binary=:all:",
      `mlflow[auth]==${mlflowImageVersion()}`,
      "-r",
      path.relative(REPO_ROOT, REQUIREMENTS),
    ],
    inputs: [DOCKERFILE, REQUIREMENTS, ...SITE_PACKAGES_FILES.map((f) => path.join(MLFLOW_IMAGE_DIR, f))],
  });
  // What the Dockerfile copies into site-packages. The files are part of the key, so the copy
  // never changes under a running process; written atomically because several test processes
  // may reach this point at once.
  const target = sitePackages(env);
  for (const file of SITE_PACKAGES_FILES) {
    const source = fs.readFileSync(path.join(MLFLOW_IMAGE_DIR, file));
    const destination = path.join(target, file);
    if (fs.existsSync(destination) && fs.readFileSync(destination).equals(source)) continue;
    const temporary = `${destination}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, source);
    fs.renameSync(temporary, destination);
  }
  return env;
}

export function mlflowImageProcessEnv(
  env: PythonEnv,
  overrides: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const image = runtimeStageEnv();
  const result: NodeJS.ProcessEnv = {};
  for (const name of ["LANG", "LC_ALL"]) if (process.env[name]) result[name] = process.env[name];
  for (const [name, value] of Object.entries(image)) {
    result[name] =
      name === "PATH"
        ? value.replace("/opt/mlflow/bin", env.bin).replace("${PATH}", process.env.PATH ?? "")
        : value;
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}
