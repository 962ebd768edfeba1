/**
 * Real-process test of the pipeline orchestrator: Prefect from PyPI (the release the component's
 * image is pinned to) keeps its metadata in the real PostgreSQL over verified TLS, in its own
 * database and role made as CloudNativePG makes them for mlstack's grants; the rendered server
 * refuses clients without the rendered credential; the rendered work pool template is accepted by
 * Prefect's Kubernetes worker type; and a small training flow runs against the server and logs
 * its parameters and metrics to the real MLflow tracking server with its rendered credentials.
 *
 * Not covered here: the worker creating Jobs (needs an API server and a kubelet).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { createWorkPoolArgs } from "../../components/orchestrator/prefectCommands";
import { hbaRules } from "../../components/postgres/cnpgServerConfig";
import { MlflowServer, provisionCnpgCluster, startMlflowServer } from "./support/mlflowServer";
import { orchestratorEnv } from "./support/orchestratorEnv";
import { OrchestratorServer, startOrchestrator } from "./support/orchestratorServer";
import { freePort, LOOPBACK } from "./support/ports";
import { PostgresServer, startPostgres } from "./support/postgres";
import { cnpgStatements } from "./support/postgresProvisioning";
import { renderedCnpgCluster } from "./support/renderedStack";
import { S3Server, startS3 } from "./support/s3";

/* eslint-disable @typescript-eslint/no-explicit-any -- REST answers are untyped JSON */

jest.setTimeout(20 * 60_000);

const PIPELINE_SCRIPT = path.join(__dirname, "support", "orchestrator_pipeline.py");
const DATABASE = {
  user: "orchestrator",
  database: "orchestrator",
  password: crypto.randomBytes(24).toString("hex"),
};

let postgres: PostgresServer;
let s3: S3Server;
let mlflow: MlflowServer;
let orchestrator: OrchestratorServer;

/**
 * fetch, retried when the server closed a kept-alive connection that undici reused (uvicorn drops
 * idle connections after 5 s, which a long CLI call between two requests exceeds). Retried more
 * than once: undici's pool may hold several such connections (a loaded machine's run failed on the
 * second), and each failure discards the one it used.
 */
async function request(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= 5 || !String((error as { cause?: unknown }).cause).includes("other side closed"))
        throw error;
    }
  }
}

beforeAll(async () => {
  const started = Date.now();
  orchestratorEnv();
  console.log(`orchestrator venv ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const cluster = await renderedCnpgCluster("dev");
  // The cluster's rules with the orchestrator's database among them, as CnpgPostgres renders them
  // for every declared database (its owner role into it, over TLS only), before the final reject.
  const orchestratorRule = hbaRules([{ name: DATABASE.database, owner: DATABASE.user }], (d) => d.owner)[1];
  const rules = [...cluster.hbaRules.slice(0, -1), orchestratorRule, ...cluster.hbaRules.slice(-1)];
  [postgres, s3] = await Promise.all([
    startPostgres({
      hbaRules: rules,
      parameters: cluster.parameters,
      // `localhost` too: asyncpg has no `hostaddr`, so the orchestrator verifies the name it dials.
      serverNames: [...cluster.serverNames, "localhost"],
    }),
    startS3(),
  ]);
  // The cluster's roles first, as startMlflowServer would provision them, then the orchestrator's.
  await provisionCnpgCluster(postgres, "dev");
  // The orchestrator's role and database as CloudNativePG creates every grant's owner role (the
  // rendered cluster's managed-role attributes) and its Database.
  const template = cluster.roles.find((r) => r.name === "mlflow");
  if (!template) throw new Error("the dev cluster renders no managed role for mlflow");
  for (const statement of cnpgStatements({
    ...cluster,
    roles: [{ ...template, name: DATABASE.user, password: DATABASE.password, comment: undefined }],
    databases: [{ name: DATABASE.database, owner: DATABASE.user, extensions: [] }],
  }))
    postgres.superuser(statement);
  // MLflow and Prefect start side by side (each takes tens of seconds): the orchestrator needs
  // only MLflow's URL, known once its port is reserved.
  const mlflowPort = await freePort();
  const [startedMlflow, startedOrchestrator] = await Promise.allSettled([
    startMlflowServer({ postgres, s3, port: mlflowPort }),
    startOrchestrator({
      postgres,
      database: DATABASE,
      mlflowTrackingUri: `http://${LOOPBACK}:${mlflowPort}`,
    }),
  ]);
  // Whatever started is stopped by afterAll, also when the other failed.
  if (startedMlflow.status === "fulfilled") mlflow = startedMlflow.value;
  if (startedOrchestrator.status === "fulfilled") orchestrator = startedOrchestrator.value;
  if (startedMlflow.status === "rejected") throw startedMlflow.reason;
  if (startedOrchestrator.status === "rejected") throw startedOrchestrator.reason;
  expect(mlflow.url).toBe(`http://${LOOPBACK}:${mlflowPort}`);
});

afterAll(async () => {
  await orchestrator?.stop();
  await mlflow?.stop();
  await Promise.all([s3?.stop(), postgres?.stop()]);
});

describe("Prefect orchestrator on the platform's PostgreSQL, logging to MLflow", () => {
  it("keeps its schema in its own database, owned by its own role, over TLS", () => {
    const owner = postgres.superuser(
      "SELECT tableowner FROM pg_tables WHERE tablename = 'flow_run'",
      DATABASE.database,
    );
    expect(owner.trim()).toBe(DATABASE.user);
    const connections = postgres.superuser(
      `SELECT count(*) FILTER (WHERE NOT s.ssl) || '/' || count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = '${DATABASE.user}'`,
    );
    const [plain, total] = connections.trim().split("/").map(Number);
    expect(total).toBeGreaterThan(0);
    expect(plain).toBe(0);
  });

  it("refuses API clients without the rendered credential", async () => {
    const body = JSON.stringify({});
    const headers = { "content-type": "application/json" };
    const anonymous = await request(`${orchestrator.apiUrl}/flow_runs/filter`, {
      method: "POST",
      body,
      headers,
    });
    expect(anonymous.status).toBe(401);
    const wrong = await request(`${orchestrator.apiUrl}/flow_runs/filter`, {
      method: "POST",
      body,
      headers: { ...headers, authorization: `Basic ${Buffer.from("admin:wrong").toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
    const admin = await request(`${orchestrator.apiUrl}/flow_runs/filter`, {
      method: "POST",
      body,
      headers: {
        ...headers,
        authorization: `Basic ${Buffer.from(orchestrator.authString).toString("base64")}`,
      },
    });
    expect(admin.status).toBe(200);
  });

  it("accepts the rendered base job template for the pipeline's Kubernetes work pool", async () => {
    const args = createWorkPoolArgs(orchestrator.workPool).map((a) =>
      a === "/etc/prefect/base-job-template.json" ? orchestrator.baseJobTemplateFile : a,
    );
    const created = orchestrator.run(args);
    expect(created.output).not.toMatch(/Traceback/);
    expect(created.status).toBe(0);
    const pool = await request(`${orchestrator.apiUrl}/work_pools/${orchestrator.workPool}`, {
      headers: { authorization: `Basic ${Buffer.from(orchestrator.authString).toString("base64")}` },
    });
    expect(pool.status).toBe(200);
    const stored = (await pool.json()) as any;
    expect(stored.type).toBe("kubernetes");
    expect(stored.base_job_template.job_configuration.namespace).toBe("ml-staging-payments-risk");
    expect(
      stored.base_job_template.job_configuration.job_manifest.spec.template.spec.serviceAccountName,
    ).toBe("fraud-retrain");
    // Run again, as every worker restart does: the template is replaced, not refused.
    expect(orchestrator.run(args).status).toBe(0);
  });

  it("has the worker hand the credential to Jobs by reference: prefect-kubernetes reads the rendered prefect.toml", () => {
    const read = spawnSync(
      orchestratorEnv().python,
      [
        "-c",
        "from prefect_kubernetes.settings import KubernetesSettings as S; w = S().worker; " +
          "print(w.api_auth_string_secret_name, w.api_auth_string_secret_key)",
      ],
      { cwd: orchestrator.workerConfigDir, env: orchestrator.clientEnv(), encoding: "utf8" },
    );
    expect(read.stderr).not.toMatch(/Traceback/);
    expect(read.stdout.trim()).toBe("orchestrator-auth auth-string");
  });

  it("runs a training flow recorded in its metadata database, with its run, params and metrics in MLflow", async () => {
    const python = orchestratorEnv().python;
    const started = Date.now();
    const result = spawnSync(python, [PIPELINE_SCRIPT], {
      env: { ...orchestrator.clientEnv(), ...mlflow.clientEnv() },
      encoding: "utf8",
      timeout: 10 * 60_000,
    });
    if (result.status !== 0)
      throw new Error(`flow failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    console.log(`flow ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const output = JSON.parse(result.stdout.trim().split("\n").pop() as string);

    const row = postgres.superuser(
      `SELECT f.name || '|' || r.state_type FROM flow_run r JOIN flow f ON f.id = r.flow_id WHERE r.id = '${output.flow_run_id}'`,
      DATABASE.database,
    );
    expect(row.trim()).toBe("train-linear-model|COMPLETED");
    const tasks = postgres.superuser(
      `SELECT count(*) FROM task_run WHERE flow_run_id = '${output.flow_run_id}' AND state_type = 'COMPLETED'`,
      DATABASE.database,
    );
    expect(Number(tasks.trim())).toBe(3);

    const auth = mlflow.clientEnv();
    const response = await request(`${mlflow.url}/api/2.0/mlflow/runs/get?run_id=${output.mlflow_run_id}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${auth.MLFLOW_TRACKING_USERNAME}:${auth.MLFLOW_TRACKING_PASSWORD}`).toString("base64")}`,
      },
    });
    expect(response.status).toBe(200);
    const run = ((await response.json()) as any).run;
    const metrics = Object.fromEntries(
      run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]),
    );
    const params = Object.fromEntries(
      run.data.params.map((p: { key: string; value: string }) => [p.key, p.value]),
    );
    expect(run.info.status).toBe("FINISHED");
    expect(metrics.rmse).toBeCloseTo(output.rmse, 10);
    expect(metrics.rmse).toBeLessThan(0.2);
    expect(metrics.slope).toBeCloseTo(3, 0);
    expect(params.prefect_flow_run_id).toBe(output.flow_run_id);
  });
});
