/**
 * register_model_versions.py (beside this file) run in the MLflow image's Python environment as
 * the real server's admin: registers versions of a tiny model carrying a marker file with their
 * label, or moves an alias. Used by the registry-alias tests (mlflowRegistry: modelFetchTests,
 * workloadUsersTests).
 *
 * API: registerModelVersions(image, server, cwd, args): string  — the script's last stdout line
 *   (for a registration, JSON label -> version number).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { mlflowImageProcessEnv } from "./mlflowImageEnv";
import type { MlflowServer } from "./mlflowServer";
import type { PythonEnv } from "./pythonEnv";

const REGISTER = path.join(__dirname, "register_model_versions.py");

/** The Default experiment, where register_model_versions.py logs its runs. */
export const REGISTRATION_EXPERIMENT_ID = "0";

export function registerModelVersions(
  image: PythonEnv,
  server: MlflowServer,
  cwd: string,
  args: string[],
): string {
  const result = spawnSync(image.python, [REGISTER, ...args], {
    encoding: "utf8",
    cwd,
    env: mlflowImageProcessEnv(image, { HOME: cwd, ...server.clientEnv() }),
  });
  if (result.status !== 0) throw new Error(`register_model_versions.py failed:\n${result.stderr}`);
  return result.stdout.trim().split("\n").pop() as string;
}
