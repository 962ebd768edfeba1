/**
 * Free loopback ports for servers the real-process tests start. The kernel picks the port
 * (bind to 0); the socket is closed before the server binds it. Test files run two at a time,
 * so a port handed out is also reserved for the rest of the run with an exclusively created file
 * under the run's temp folder (test/support/tempRoot.js), which every jest worker shares: two
 * workers can never be handed the same port, even when the kernel offers it twice.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const LOOPBACK = "127.0.0.1";

/** A port no other worker of this run has been handed, reserved for the rest of the run. */
export async function freePort(): Promise<number> {
  const reservations = path.join(os.tmpdir(), "mlstack-ports");
  fs.mkdirSync(reservations, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = await kernelPort();
    try {
      fs.writeFileSync(path.join(reservations, String(port)), String(process.pid), { flag: "wx" });
      return port;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 100) throw error;
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
