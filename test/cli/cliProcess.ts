/**
 * Test helpers for the `mlstack` command as users run it: a real `node bin/mlstack.js` process,
 * and a throwaway copy of the project (its Pulumi files plus files a user would have) to point
 * `mlstack plan` at, so a test can prove what survives.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../..");
export const BIN = path.join(ROOT, "bin", "mlstack.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliRun {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A stack trace frame (`    at fn (file:1:2)`): no refusal may print one. */
export const STACK_FRAME = /\n\s{4}at /;

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Files a user keeps in a project, with their contents, to compare after a refused plan. */
const USER_FILES: Record<string, string> = {
  "README.md": "# my platform\n",
  ".git/HEAD": "ref: refs/heads/main\n",
  "src/app.ts": "export const answer = 42;\n",
};

/** A project copy: the real Pulumi.yaml and Pulumi.dev.yaml, extra stack files, and user files. */
export function projectCopy(extraStacks: Record<string, string> = {}): string {
  const dir = tempDir("mlstack-project-");
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml"])
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  for (const [stack, text] of Object.entries(extraStacks))
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  for (const [file, text] of Object.entries(USER_FILES)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** Every file under `dir` (relative path → content), to prove nothing changed. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(path.relative(dir, full), fs.readFileSync(full, "utf8"));
    }
  };
  walk(dir);
  return out;
}
