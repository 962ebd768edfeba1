/** Runs the CI scripts as a workflow step does, with runner files and a local stand-in server; shared by the ci.*.test.ts files. */
import * as fs from "fs";
import * as http from "http";
import { createRequire } from "module";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { parseEnvironmentFile } from "../workflows/environmentFile";
import { runNodeScript } from "../workflows/scriptRunner";

export const ROOT = path.resolve(__dirname, "../..");
export const SCRIPTS = path.join(ROOT, ".github/scripts");
/**
 * Loads a CI script module the way the scripts load each other: they are plain CommonJS outside the
 * TypeScript project, with no type declarations to import.
 */
export const loadScript = createRequire(__filename);

/** A stack trace frame (`    at fn (file:1:2)`): no refusal may print one. */
export const STACK_FRAME = /\n\s+at .+:\d+:\d+/;

import type { Run } from "../workflows/scriptRunner";
export type { Run };

export function run(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
  cwd = ROOT,
) {
  return runNodeScript(path.join(SCRIPTS, script), args, env, { cwd, stdin });
}

export const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-hostile-ci-"));

/** Fresh, empty runner files ($GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_STEP_SUMMARY) in a temp folder. */
export function runnerFiles() {
  const dir = tmp();
  const files = {
    GITHUB_OUTPUT: path.join(dir, "output"),
    GITHUB_ENV: path.join(dir, "env"),
    GITHUB_STEP_SUMMARY: path.join(dir, "summary"),
  };
  for (const f of Object.values(files)) fs.writeFileSync(f, "");
  const read = (name: keyof typeof files) => fs.readFileSync(files[name], "utf8");
  return { files, read, entries: (name: "GITHUB_OUTPUT" | "GITHUB_ENV") => parseEnvironmentFile(read(name)) };
}

export function expectNoTrace(r: Run) {
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stdout).not.toMatch(STACK_FRAME);
}

export interface Request {
  method: string;
  url: string;
  body: string;
}

export async function fakeServer(reply: (request: Request) => { status: number; body?: unknown }) {
  const requests: Request[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", body };
      requests.push(request);
      const out = reply(request);
      res.writeHead(out.status, { "Content-Type": "application/json" });
      res.end(out.body === undefined ? "" : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A throwaway copy of the project whose CI scripts read a hostile stack file: the scripts are copied
 * (Node resolves a linked main module to its real folder), the rest is linked.
 */
export function projectWithStack(stack: string, stackFile: string): string {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, ".github"));
  fs.cpSync(SCRIPTS, path.join(dir, ".github/scripts"), { recursive: true });
  for (const entry of [
    "cli",
    "components",
    "stacks",
    "policies",
    "node_modules",
    "Pulumi.yaml",
    "package.json",
  ]) {
    fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
  }
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackFile);
  return dir;
}
