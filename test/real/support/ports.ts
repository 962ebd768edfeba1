/**
 * Free loopback ports for servers the real-process tests start. The kernel picks the port
 * (bind to 0); the socket is closed before the server binds it. A port handed out is reserved
 * for the rest of the run with an exclusively created file, so nothing else asking here can be
 * handed it, even when the kernel offers it twice (it does: the port is free again between our
 * close and the server's bind, and while a test has a server stopped to restart it).
 *
 * The reservations are machine-wide (portsDir(), beside the runs' temp folders, not inside one):
 * two jest runs on one machine (a developer's run beside CI's, several checkouts) each start
 * dozens of servers, and a port one run had reserved but not yet bound, or a stopped Kafka
 * broker's port, could go to the other run's server, whose start then failed with "address
 * already in use" (or the broker never came back). A reservation names the run's temp folder
 * (test/support/tempRoot.js); once that folder is gone (the run ended, or was killed and its
 * folder removed) the reservation is stale and is taken over. Global teardown removes the run's
 * own reservations.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const LOOPBACK = "127.0.0.1";
/** Set by test/support/tempRoot.js to the temp folder of the run. */
const RUN_ROOT_KEY = "MLSTACK_TEST_TMP_ROOT";

/** Where every run on this machine reserves its ports: beside the runs' temp folders. */
export function portsDir(): string {
  const root = process.env[RUN_ROOT_KEY];
  return path.join(root ? path.dirname(root) : os.tmpdir(), "mlstack-test-ports");
}

/** The run a reservation belongs to: its temp folder (the process outside a jest run). */
function owner(): string {
  return process.env[RUN_ROOT_KEY] ?? `pid:${process.pid}`;
}

/** Whether the run that wrote a reservation is over, so its port may be handed out again. */
function stale(file: string): boolean {
  let holder: string;
  try {
    holder = fs.readFileSync(file, "utf8");
  } catch {
    return false;
  }
  if (holder.startsWith("pid:")) {
    try {
      process.kill(Number(holder.slice(4)), 0);
      return false;
    } catch {
      return true;
    }
  }
  // A reservation being written reads empty: not stale.
  return holder !== "" && !fs.existsSync(holder);
}

/** A port no other worker of this run, and no other run on this machine, has been handed. */
export async function freePort(): Promise<number> {
  const reservations = portsDir();
  fs.mkdirSync(reservations, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = await kernelPort();
    const file = path.join(reservations, String(port));
    try {
      fs.writeFileSync(file, owner(), { flag: "wx" });
      return port;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 100) throw error;
      // Taken over once its run is gone; a run racing us for it makes one of us try another port.
      if (stale(file)) fs.rmSync(file, { force: true });
    }
  }
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the bound port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, host = LOOPBACK): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
