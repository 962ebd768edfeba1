/**
 * Things the real-process tests cannot install themselves (`.ci/run` installs them). Each is
 * checked up front, with one message that names the Debian package to install.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Finds an executable on PATH or in the given extra folders; throws naming the package. */
export function requireCommand(command: string, debianPackage: string, extraDirs: string[] = []): string {
  const dirs = [...extraDirs, ...(process.env.PATH ?? "").split(path.delimiter)];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  throw new Error(
    `the real-process tests need '${command}', which is not installed: ` +
      `apt-get install -y ${debianPackage} (.ci/run does this)`,
  );
}

/** The folder of PostgreSQL 15's server binaries (initdb, pg_ctl, postgres). */
export function postgresBinDir(): string {
  const candidates = ["/usr/lib/postgresql/15/bin"];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "pg_ctl"))) return dir;
  }
  return path.dirname(requireCommand("pg_ctl", "postgresql-15"));
}

/** Major version of the `java` on PATH; throws naming the package when there is none. */
export function javaMajorVersion(): number {
  const java = requireCommand("java", "openjdk-17-jre-headless");
  const result = spawnSync(java, ["-XshowSettings:properties", "-version"], { encoding: "utf8" });
  const match = /java\.specification\.version = (\d+)/.exec(`${result.stderr}${result.stdout}`);
  return match ? Number(match[1]) : 0;
}
