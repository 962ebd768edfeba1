/**
 * Child processes of the real-process tests: started with their output in a log file (shown
 * when a test fails to start them), stopped with SIGTERM then SIGKILL, and all stopped when the
 * test process exits so that no server outlives its test file.
 */
import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** File that receives stdout and stderr. */
  logFile: string;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** The last `lines` lines of the log, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has ended. */
  stop(graceMs?: number): Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const child of running) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  };
  process.on("exit", killAll);
  // A jest run stopped with Ctrl-C or killed by CI's timeout must not leave servers behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

export function startProcess(command: string, args: string[], options: StartOptions): RunningProcess {
  installExitHook();
  const log = fs.openSync(options.logFile, "a");
  // detached: the child leads its own process group, so stop() reaches the workers it forks
  // (uvicorn, gunicorn, the JVM's helpers) as well.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", log, log],
    detached: true,
  });
  fs.closeSync(log);
  running.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
    child.once("error", (error) => {
      running.delete(child);
      fs.appendFileSync(options.logFile, `\nspawn failed: ${error.message}\n`);
      resolve("spawn-error");
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  return {
    child,
    logFile: options.logFile,
    exited,
    tail(lines = 40) {
      try {
        return fs.readFileSync(options.logFile, "utf8").split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
    kill: signalGroup,
    async stop(graceMs = 10_000) {
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
  failEarly?: RunningProcess,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (failEarly && (failEarly.child.exitCode !== null || failEarly.child.signalCode !== null)) {
      throw new Error(`${what}: the process exited early\n${failEarly.tail()}`);
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(
        `${what}: not ready within ${timeoutMs} ms${detail}${failEarly ? `\n${failEarly.tail()}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
