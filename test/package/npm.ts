/**
 * Runs a command for the package tests (npm, tsc, node) and fails with its whole output, so a
 * failed `npm install` or type check says why.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function sh(cwd: string, command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: process.env });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} in ${cwd} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`,
    );
  }
}

/** `npm install` from the npm cache where it can (the registry only for what the cache lacks). */
export function npmInstall(cwd: string, ...packages: string[]): Promise<string> {
  return sh(cwd, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...packages]);
}
