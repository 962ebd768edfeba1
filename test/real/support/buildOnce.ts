/**
 * One build of a cached folder under `.cache/`, however many test processes ask for it at once:
 * the first takes a lock (an atomic mkdir beside the folder) and builds; the others wait for the
 * folder's `.complete` marker. The lock holds its owner's pid: a lock whose owner is no longer
 * running (a killed run, a CI prebuild stopped early) is taken over at once, and any lock older
 * than the timeout too. The marker is written only after the build returns, so a failed or
 * interrupted build is started again from scratch next time.
 */
import * as fs from "node:fs";
import * as path from "node:path";

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** False only when the lock names its owner and that process is gone (a lock being created has no owner yet). */
function ownerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lock, "owner"), "utf8"));
  } catch {
    return true;
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Runs `build` (which fills `dir`) unless `dir` is already complete; synchronous, for a beforeAll. */
export function buildOnce(dir: string, timeoutMs: number, build: () => void): void {
  const complete = path.join(dir, ".complete");
  if (fs.existsSync(complete)) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, "owner"), String(process.pid));
      break;
    } catch {
      if (fs.existsSync(complete)) return;
      const held = fs.statSync(lock, { throwIfNoEntry: false });
      if (held && (Date.now() - held.mtimeMs > timeoutMs || !ownerAlive(lock)))
        fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${lock} (remove it if no build is running)`);
      sleep(1000);
    }
  }
  try {
    if (fs.existsSync(complete)) return;
    build();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(complete, new Date().toISOString());
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
