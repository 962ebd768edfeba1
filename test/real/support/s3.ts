/**
 * A real S3 API for the real-process tests: moto in server mode (PyPI `moto[server]`), in its own
 * cached virtual environment, on 127.0.0.1 at a free port. moto implements S3's REST API
 * (buckets, objects, multipart uploads, ListObjectsV2) in memory; boto3 in the MLflow image talks
 * to it as it talks to an ObjectBucketClaim's RGW endpoint.
 *
 * API (stable):
 *   startS3(): Promise<S3Server>
 *   S3Server:
 *     endpoint                     http://127.0.0.1:<port> (AWS_ENDPOINT_URL / MLFLOW_S3_ENDPOINT_URL)
 *     region, accessKeyId, secretAccessKey
 *                                  credentials to hand to clients (moto accepts any; these are fixed
 *                                  so logs are readable)
 *     createBucket(name)           creates a bucket (idempotent)
 *     listKeys(bucket, prefix?)    every object key under the prefix (ListObjectsV2, paginated)
 *     logFile                      moto's log
 *     stop()                       stops the server (its state is in memory and goes with it)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, LOOPBACK } from "./ports";
import { startProcess, waitUntil } from "./processes";
import { ensurePythonEnv, type PythonEnv } from "./pythonEnv";

/** moto 5.2.5, the newest release on PyPI when pinned (`pip index versions moto`, 2026-12-02). */
const MOTO = "moto[server]==5.2.5";

export interface S3Server {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly logFile: string;
  createBucket(name: string): Promise<void>;
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** moto's server environment, built once under .cache/python/ (also by the CI prebuild). */
export function motoEnv(): PythonEnv {
  return ensurePythonEnv({ name: "moto-server", pipArgs: ["--only-binary=:all:", MOTO], inputs: [] });
}

export async function startS3(): Promise<S3Server> {
  const env = motoEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-s3-"));
  const port = await freePort();
  const logFile = path.join(dir, "moto.log");
  const server = startProcess(path.join(env.bin, "moto_server"), ["-H", LOOPBACK, "-p", String(port)], {
    logFile,
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir },
  });
  const endpoint = `http://${LOOPBACK}:${port}`;
  await waitUntil(
    "moto S3 server",
    async () => ((await fetch(`${endpoint}/`)).ok ? true : undefined),
    60_000,
    200,
    server,
  );

  return {
    endpoint,
    region: "us-east-1",
    accessKeyId: "mlstack-test-access-key",
    secretAccessKey: "mlstack-test-secret-key",
    logFile,
    async createBucket(name) {
      const response = await fetch(`${endpoint}/${encodeURIComponent(name)}`, { method: "PUT" });
      if (!response.ok && response.status !== 409) {
        throw new Error(
          `creating bucket ${name} on ${endpoint}: HTTP ${response.status} ${await response.text()}`,
        );
      }
    },
    async listKeys(bucket, prefix = "") {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const query = new URLSearchParams({ "list-type": "2", prefix });
        if (token) query.set("continuation-token", token);
        const response = await fetch(`${endpoint}/${encodeURIComponent(bucket)}?${query.toString()}`);
        const body = await response.text();
        if (!response.ok) throw new Error(`listing ${bucket}/${prefix}: HTTP ${response.status} ${body}`);
        for (const match of body.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescapeXml(match[1]));
        token = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(body)?.[1];
      } while (token);
      return keys;
    },
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
