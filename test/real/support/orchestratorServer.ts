/**
 * The orchestrator (Prefect) started the way the rendered pods start it: the `Orchestrator`
 * component is rendered under the mock runtime with a CloudNativePG-shaped database grant, and
 * the server container's args and env (with every `secretKeyRef` resolved from the rendered
 * Secrets or the grant's own Secret, and `$(VAR)` expanded, as the kubelet does) are run from
 * Prefect's PyPI package (orchestratorEnv.ts) against a real PostgreSQL (postgres.ts).
 *
 * API:
 *   startOrchestrator({ postgres, database, mlflowTrackingUri }): Promise<OrchestratorServer>
 *     runs the server pod's migration (its init container's args), then the server
 *   OrchestratorServer:
 *     apiUrl, authString      http://127.0.0.1:<port>/api and the rendered credential
 *     clientEnv()             PREFECT_API_URL / PREFECT_API_AUTH_STRING for a flow or worker
 *     baseJobTemplateFile     the rendered work pool template, written to a file
 *     workerConfigDir         a folder holding the rendered worker prefect.toml
 *     workPool                the rendered pipeline's pool name
 *     run(args, env)          runs a `prefect …` command of the rendered pods with the client env
 *     stop()
 *
 * What differs from the pod, on purpose: `--host 127.0.0.1` and a free port; `PGHOST` is
 * `localhost` (there is no cluster DNS on loopback; the test server's certificate also names
 * `localhost`, so host-name checking stays on), `PGPORT` the test server's, `PGSSLROOTCERT` its CA;
 * PREFECT_HOME is a temp folder. The processes run as the test's user.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { WorkloadAccess } from "../../../components/identity/contract";
import { PREFECT_IMAGE } from "../../../components/orchestrator/image";
import { Orchestrator } from "../../../components/orchestrator/Orchestrator";
import { MIGRATE_ARGS, serverArgs } from "../../../components/orchestrator/prefectCommands";
import { render, Rendered } from "../../support/render";
import { orchestratorEnv } from "./orchestratorEnv";
import { freePort, LOOPBACK } from "./ports";
import type { PostgresServer } from "./postgres";
import { RunningProcess, startProcess, waitUntil } from "./processes";

/** The grant's Secret (CloudNativePG's per-role Secret) and where the CA bundle is mounted. */
const DATABASE_SECRET = "postgres-orchestrator";
const CA_PATH = "/etc/mlstack/postgres-ca/ca.crt";
const START_TIMEOUT_MS = 3 * 60_000;
export const PIPELINE = "fraud-retrain";

export interface OrchestratorDatabase {
  user: string;
  password: string;
  database: string;
}

export interface OrchestratorServer {
  readonly apiUrl: string;
  readonly authString: string;
  readonly baseJobTemplateFile: string;
  /** The rendered worker folder's prefect.toml, written into a folder of its own. */
  readonly workerConfigDir: string;
  readonly workPool: string;
  readonly process: RunningProcess;
  clientEnv(): Record<string, string>;
  run(args: string[], env?: Record<string, string>): { status: number | null; output: string };
  stop(): Promise<void>;
}

/** What CloudNativePG's `grantDatabase` hands the orchestrator (see components/postgres/CnpgPostgres.ts). */
function cnpgGrant(db: OrchestratorDatabase): WorkloadAccess {
  return {
    env: [
      { name: "PGHOST", value: "postgres-rw.ml-staging-platform.svc" },
      { name: "PGPORT", value: "5432" },
      { name: "PGDATABASE", value: db.database },
      { name: "PGUSER", value: db.user },
      { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: DATABASE_SECRET, key: "password" } } },
      { name: "PGSSLMODE", value: "verify-full" },
      { name: "PGSSLROOTCERT", value: CA_PATH },
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: DATABASE_SECRET, key: "uri" } } },
    ],
    volumes: [{ name: "postgres-ca", configMap: { name: "postgres-ca" } }],
    volumeMounts: [{ name: "postgres-ca", mountPath: "/etc/mlstack/postgres-ca", readOnly: true }],
    egress: [],
    dependsOn: [],
  };
}

async function renderOrchestrator(db: OrchestratorDatabase, mlflowTrackingUri: string): Promise<Rendered> {
  const resources = { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } };
  return render(() => {
    new Orchestrator("orchestrator", {
      ctx: {
        environment: "staging",
        target: "openshift",
        flavor: "openshift",
        protect: false,
        highAvailability: true,
        project: "mlstack",
        stack: "staging",
      },
      config: {
        image: PREFECT_IMAGE,
        workerImage: `${PREFECT_IMAGE}-kubernetes`,
        runImage: PREFECT_IMAGE,
        database: db.database,
        resources,
        pipelines: [
          {
            name: PIPELINE,
            team: "payments-risk",
            buckets: [],
            readTopics: [],
            writeTopics: [],
            runResources: resources,
          },
        ],
      },
      namespace: "ml-staging-platform",
      serviceAccountName: "orchestrator",
      database: cnpgGrant(db),
      mlflowTrackingUri,
      pipelines: [
        {
          name: PIPELINE,
          namespace: "ml-staging-payments-risk",
          workerServiceAccountName: `${PIPELINE}-worker`,
          runServiceAccountName: PIPELINE,
          access: { env: [], volumes: [], volumeMounts: [], egress: [], dependsOn: [] },
        },
      ],
      apiServerCidrs: ["10.0.0.1/32"],
      ingressFrom: [],
    });
  });
}

/** The container's env as the kubelet resolves it: secretKeyRefs from `secrets`, then `$(VAR)` expansion. */
export function kubeletEnv(
  env: any[],
  secrets: Record<string, Record<string, string>>,
  overrides: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env) {
    let value: string;
    if (entry.valueFrom?.secretKeyRef) {
      const { name, key } = entry.valueFrom.secretKeyRef;
      const secret = secrets[name];
      if (secret?.[key] === undefined) throw new Error(`env ${entry.name}: no Secret ${name} key ${key}`);
      value = secret[key];
    } else if (typeof entry.value === "string") {
      value = entry.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole: string, name: string) =>
        name in out ? out[name] : whole,
      );
    } else {
      throw new Error(`env ${entry.name}: no local stand-in for ${JSON.stringify(entry.valueFrom)}`);
    }
    out[entry.name] = overrides[entry.name] ?? value;
  }
  // An override of a grant entry must reach what was expanded from it.
  return out;
}

export async function startOrchestrator(options: {
  postgres: PostgresServer;
  database: OrchestratorDatabase;
  mlflowTrackingUri: string;
}): Promise<OrchestratorServer> {
  const { postgres, database } = options;
  const python = orchestratorEnv();
  const rendered = await renderOrchestrator(database, options.mlflowTrackingUri);
  const inputs = rendered.resources.map((r) => ({ type: r.type, value: rendered.inputs(r) }));
  const secrets: Record<string, Record<string, string>> = {
    [DATABASE_SECRET]: { password: database.password, uri: "unused-by-prefect" },
  };
  for (const s of inputs.filter((r) => r.type === "kubernetes:core/v1:Secret"))
    secrets[s.value.metadata.name] = s.value.stringData;
  const deployment = (name: string): any => {
    const found = inputs.find(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && r.value.metadata.name === name,
    );
    if (!found) throw new Error(`the rendered orchestrator has no Deployment ${name}`);
    return found.value;
  };
  const server = deployment("orchestrator-server").spec.template.spec.containers[0];
  const migrate = deployment("orchestrator-server").spec.template.spec.initContainers[0];
  const template = inputs.find(
    (r) => r.type === "kubernetes:core/v1:Secret" && r.value.metadata.name === `${PIPELINE}-worker-config`,
  )?.value.stringData["base-job-template.json"];
  // The pod's args, and the migration's, are what the component renders.
  if (JSON.stringify(migrate.args) !== JSON.stringify(MIGRATE_ARGS))
    throw new Error("the rendered server's init container does not migrate");

  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-orchestrator-"));
  const home = path.join(root, "prefect-home");
  fs.mkdirSync(home);
  const overrides = {
    // The grant's entries the pod expands into Prefect's settings, pointed at the test server.
    PGHOST: "localhost",
    PGPORT: String(postgres.port),
    PGSSLROOTCERT: postgres.caFile,
    PREFECT_HOME: home,
    HOME: home,
  };
  // Resolve twice: the overrides first replace the grant's entries, then the expansions see them.
  const env = kubeletEnv(
    server.env.map((e: any) =>
      e.name in overrides ? { name: e.name, value: (overrides as any)[e.name] } : e,
    ),
    secrets,
    overrides,
  );
  const baseEnv = { PATH: `${python.bin}:${process.env.PATH}`, LANG: "C.UTF-8" };
  const processEnv = { ...baseEnv, ...env };
  const port = await freePort();
  const apiUrl = `http://${LOOPBACK}:${port}/api`;
  const authString = env.PREFECT_SERVER_API_AUTH_STRING;

  const migration = spawnSync(python.bin + "/prefect", MIGRATE_ARGS.slice(1), {
    env: processEnv,
    encoding: "utf8",
    timeout: START_TIMEOUT_MS,
  });
  if (migration.status !== 0)
    throw new Error(
      `prefect database upgrade failed (${migration.status}):\n${migration.stdout}\n${migration.stderr}`,
    );

  const args = serverArgs(LOOPBACK, port);
  const proc = startProcess(path.join(python.bin, args[0]), args.slice(1), {
    env: processEnv,
    cwd: root,
    logFile: path.join(root, "server.log"),
  });
  await waitUntil(
    "the Prefect API to answer /api/health",
    async () => ((await fetch(`${apiUrl}/health`)).ok ? true : undefined),
    START_TIMEOUT_MS,
    500,
    proc,
  );

  const baseJobTemplateFile = path.join(root, "base-job-template.json");
  fs.writeFileSync(baseJobTemplateFile, template);
  const workerConfigDir = path.join(root, "worker-config");
  fs.mkdirSync(workerConfigDir);
  fs.writeFileSync(
    path.join(workerConfigDir, "prefect.toml"),
    secrets[`${PIPELINE}-worker-config`]["prefect.toml"],
  );
  const clientEnv = () => ({
    ...baseEnv,
    PREFECT_API_URL: apiUrl,
    PREFECT_API_AUTH_STRING: authString,
    PREFECT_HOME: home,
    HOME: home,
  });
  return {
    apiUrl,
    authString,
    baseJobTemplateFile,
    workerConfigDir,
    workPool: PIPELINE,
    process: proc,
    clientEnv,
    run(commandArgs, extra = {}) {
      const result = spawnSync(path.join(python.bin, commandArgs[0]), commandArgs.slice(1), {
        env: { ...clientEnv(), ...extra },
        encoding: "utf8",
        timeout: START_TIMEOUT_MS,
        cwd: root,
      });
      return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
    },
    async stop() {
      await proc.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
