/** Runs .github/scripts as the runner does, with local stand-ins for GitHub, Pulumi Cloud and the OIDC endpoint; shared by the scripts.*.test.ts files. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { parseEnvironmentFile } from "./environmentFile";

export const ROOT = path.resolve(__dirname, "../..");
export const SCRIPTS = path.join(ROOT, ".github/scripts");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Node script with only the given environment (plus PATH), as a step would, with `stdin`
 * (empty by default) as its standard input.
 */
export function runNodeScript(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  opts: { cwd?: string; stdin?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

/** Runs one of `.github/scripts/` from the repository root. */
export function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runNodeScript(path.join(SCRIPTS, script), args, env);
}

export interface Request {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface FakeServer {
  url: string;
  requests: Request[];
  close(): Promise<void>;
}

/** A local HTTP server answering with `reply(request)` and recording every request. */
export async function fakeServer(reply: (request: Request) => Reply): Promise<FakeServer> {
  const requests: Request[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body,
      };
      requests.push(request);
      const { status, body: out } = reply(request);
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(out === undefined ? "" : JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-ci-"));

/** The entries a later step would see, read as the runner reads the file. */
export function readOutputs(file: string): Record<string, string> {
  return parseEnvironmentFile(fs.readFileSync(file, "utf8"));
}

/** An unsigned JWT with the given claims (the scripts read claims, they do not verify signatures). */
export function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** The Actions OIDC endpoint: hands out `token` to the bearer `request-token`. */
export function oidcEndpoint(token: string) {
  return (request: Request): Reply | undefined =>
    request.url.startsWith("/oidc?") && request.authorization === "Bearer request-token"
      ? { status: 200, body: { value: token } }
      : undefined;
}
