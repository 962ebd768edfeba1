/**
 * MLflow workload users for registry aliases under basic auth, for real: the `mlflow-users` Job as
 * `MlflowWorkloadUsers` renders it (mlflow_users.py from its ConfigMap, the passwords from its
 * Secret, the admin's credentials by `secretKeyRef` from the rendered admin Secret's values), run
 * as the pod's non-root user in the MLflow image's Python environment (support/podProcesses.ts)
 * against the real MLflow tracking server (support/mlflowServer.ts: the dev stack's rendered
 * Deployment with basic auth, PostgreSQL, moto's S3). Then the model's fetch-model initContainer,
 * rendered with the credentials Secret the component hands the workload, resolves the alias as
 * that user.
 *
 * What is checked: the first run creates the user and grants exactly READ on the registered model
 * and on the experiment of its runs; a grant the Job does not want is revoked; a re-run changes
 * nothing; a workload that is gone loses its user and its grants, and its fetch step is refused.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MLFLOW_PORT } from "../../../components/mlflow/Mlflow";
import {
  MlflowWorkloadUsers,
  WorkloadUserSpec,
  workloadUsername,
} from "../../../components/mlflow/workloadUsers";
import { ModelServing } from "../../../components/serving/ModelServing";
import {
  configWithModel,
  contextFor,
  podSpec,
  servingArgs,
  TRACKING_URI,
} from "../../components/serving/fixtures";
import { render, Rendered } from "../../support/render";
import { mountFetchProgram } from "./fetchModelVolume";
import { mlflowImageEnv, mlflowImageProcessEnv } from "./mlflowImageEnv";
import { REGISTRATION_EXPERIMENT_ID, registerModelVersions } from "./registerModelVersions";
import type { MlflowStack } from "./mlflowServer";
import { containerProcessSpec, PodSandbox, podSandbox, runInitContainer } from "./podProcesses";
import { PythonEnv } from "./pythonEnv";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered objects are untyped JSON */

/**
 * Its own registered model: the model-fetch tests on the same server register `fraud-detector`
 * and move its `champion` alias (mlflowRegistry.test.ts).
 */
const MODEL = "fraud-detector-users";
const NAMESPACE = "ml-test-fraud";
const ADMIN_SECRET = "mlflow-admin";
const TIMEOUT_MS = 5 * 60_000;

let stack: MlflowStack;
let image: PythonEnv;
let work: string;
let versions: Record<string, string>;
const sandboxes: PodSandbox[] = [];

function runImage(args: string[]): string {
  return registerModelVersions(image, stack.mlflow, work, args);
}

async function call(
  method: string,
  endpoint: string,
  user: { username: string; password: string },
  body?: Record<string, string>,
): Promise<{ status: number; json: any }> {
  const response = await fetch(`${stack.mlflow.url}${endpoint}`, {
    method,
    headers: {
      "content-type": "application/json",
      authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
}

/** The user's direct grants, as [resource_type, resource_id, permission], sorted. */
async function grantsOf(username: string): Promise<string[][]> {
  const { status, json } = await call(
    "GET",
    `/api/3.0/mlflow/users/permissions/list?username=${encodeURIComponent(username)}`,
    stack.mlflow.admin,
  );
  expect(status).toBe(200);
  return json.permissions
    .map((p: any) => [p.resource_type, p.resource_pattern, p.permission])
    .sort((a: string[], b: string[]) => a.join().localeCompare(b.join()));
}

/** Renders the component for `users` (secret values as the mocks resolve them). */
async function renderUsers(users: WorkloadUserSpec[], withModel: boolean): Promise<Rendered> {
  const config = configWithModel({ runtime: "mlserver", source: { registry: MODEL, alias: "champion" } });
  return render(() => {
    const component = new MlflowWorkloadUsers("mlflow-users", {
      ctx: contextFor(config),
      namespace: "ml-test-platform",
      trackingUri: TRACKING_URI,
      adminSecretName: ADMIN_SECRET,
      mlflowName: "mlflow",
      mlflowPort: MLFLOW_PORT,
      image: "ghcr.io/mlstack/mlflow:3.17.2-3",
      users,
    });
    if (withModel) {
      new ModelServing(
        "model",
        servingArgs(config, { registry: { trackingUri: TRACKING_URI, access: component.access("model") } }),
      );
    }
  });
}

function secretData(rendered: Rendered, name: string): Record<string, string> {
  const secret = rendered
    .ofType("kubernetes:core/v1:Secret")
    .map((r) => rendered.inputs(r))
    .find((s) => s.metadata.name === name);
  if (!secret) throw new Error(`no rendered Secret ${name}`);
  return secret.stringData;
}

/** Writes a rendered ConfigMap's or Secret's data as the kubelet's volume, readable by the pod's user. */
function fillVolume(sandbox: PodSandbox, volume: string, data: Record<string, string>): void {
  const dir = path.join(sandbox.root, "volumes", volume);
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  for (const [file, text] of Object.entries(data)) {
    fs.writeFileSync(path.join(dir, file), text);
    fs.chmodSync(path.join(dir, file), 0o444);
  }
  sandbox.volumes.set(volume, dir);
}

/** Runs the rendered Job's container once; returns what it says it changed. */
async function runJob(rendered: Rendered): Promise<Record<string, unknown[]>> {
  const job = rendered.inputs(rendered.one("kubernetes:batch/v1:Job"));
  const pod = job.spec.template.spec;
  const container = pod.containers[0];
  const sandbox = await podSandbox(pod);
  sandboxes.push(sandbox);
  const configMap = rendered.inputs(rendered.one("kubernetes:core/v1:ConfigMap", "script"));
  fillVolume(sandbox, "script", configMap.data);
  fillVolume(sandbox, "passwords", secretData(rendered, "mlflow-users-passwords") ?? {});
  const spec = containerProcessSpec(sandbox, pod, container, {
    image,
    baseEnv: mlflowImageProcessEnv(image),
    secrets: { [ADMIN_SECRET]: stack.mlflow.admin },
    // The Job asks the in-cluster tracking server; here that is the test server.
    overrides: { MLFLOW_TRACKING_URI: stack.mlflow.url },
  });
  const log = path.join(work, `job-${sandboxes.length}.log`);
  await runInitContainer(spec, log, TIMEOUT_MS);
  const lines = fs.readFileSync(log, "utf8").trim().split("\n");
  const last = [...lines].reverse().find((l) => l.startsWith("{"));
  if (!last) throw new Error(`the Job printed no summary:\n${lines.join("\n")}`);
  return JSON.parse(last);
}

/** Runs the model's rendered fetch step with the credentials Secret the component rendered. */
async function fetchWith(rendered: Rendered, credentials: Record<string, string>) {
  const pod = podSpec(rendered);
  const container = pod.initContainers.find((c: any) => c.name === "fetch-model");
  const sandbox = await podSandbox(pod);
  sandboxes.push(sandbox);
  mountFetchProgram(sandbox);
  const spec = containerProcessSpec(sandbox, pod, container, {
    image,
    baseEnv: mlflowImageProcessEnv(image),
    secrets: { "model-mlflow-user": credentials },
    overrides: { MLFLOW_TRACKING_URI: stack.mlflow.url },
  });
  const dir = sandbox.volumes.get("model") as string;
  return { dir, run: runInitContainer(spec, path.join(work, `fetch-${sandboxes.length}.log`), TIMEOUT_MS) };
}

const WORKLOAD: WorkloadUserSpec = { name: "model", namespace: NAMESPACE, registeredModel: MODEL };
const USERNAME = workloadUsername(WORKLOAD);

/** Registers the tests on `sharedStack()`, the real-process MLflow stack the test file started. */
export function workloadUsersTests(sharedStack: () => MlflowStack): void {
  beforeAll(async () => {
    image = mlflowImageEnv();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-mlflow-users-"));
    stack = sharedStack();
    versions = JSON.parse(runImage([MODEL, "first"]));
    runImage(["--set-alias", MODEL, "champion", versions.first]);
  }, 30 * 60_000);

  afterAll(async () => {
    for (const sandbox of sandboxes) sandbox.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it(
    "creates the workload's user with exactly READ on its model and its runs' experiment; a re-run is a no-op; the fetch step resolves as that user",
    async () => {
      const rendered = await renderUsers([WORKLOAD], true);
      const credentials = secretData(rendered, "model-mlflow-user");
      expect(credentials.username).toBe(USERNAME);

      const first = await runJob(rendered);
      expect(first).toEqual({
        created: [USERNAME],
        passwordReset: [],
        granted: [
          [USERNAME, "experiment", REGISTRATION_EXPERIMENT_ID],
          [USERNAME, "registered_model", MODEL],
        ],
        revoked: [],
        deleted: [],
      });
      expect(await grantsOf(USERNAME)).toEqual([
        ["experiment", REGISTRATION_EXPERIMENT_ID, "READ"],
        ["registered_model", MODEL, "READ"],
      ]);

      // A grant someone added by hand, and a wider one on the model, are not the Job's desired state.
      await call("POST", "/api/3.0/mlflow/users/permissions/revoke", stack.mlflow.admin, {
        username: USERNAME,
        resource_type: "registered_model",
        resource_id: MODEL,
      });
      for (const [type, id, permission] of [
        ["registered_model", MODEL, "MANAGE"],
        ["registered_model", "someone-elses-model", "READ"],
      ]) {
        const granted = await call("POST", "/api/3.0/mlflow/users/permissions/grant", stack.mlflow.admin, {
          username: USERNAME,
          resource_type: type,
          resource_id: id,
          permission,
        });
        expect(granted.status).toBe(200);
      }
      const second = await runJob(rendered);
      expect(second.revoked).toEqual([
        [USERNAME, "registered_model", MODEL, "MANAGE"],
        [USERNAME, "registered_model", "someone-elses-model", "READ"],
      ]);
      expect(second.granted).toEqual([[USERNAME, "registered_model", MODEL]]);
      expect(await grantsOf(USERNAME)).toEqual([
        ["experiment", REGISTRATION_EXPERIMENT_ID, "READ"],
        ["registered_model", MODEL, "READ"],
      ]);

      const third = await runJob(rendered);
      expect(third).toEqual({ created: [], passwordReset: [], granted: [], revoked: [], deleted: [] });

      const { dir, run } = await fetchWith(rendered, credentials);
      await run;
      const record = JSON.parse(fs.readFileSync(path.join(dir, ".mlstack-model.json"), "utf8"));
      expect(record).toMatchObject({ name: MODEL, alias: "champion", version: versions.first });
    },
    TIMEOUT_MS,
  );

  it(
    "a workload that is gone loses its user and its grants, and its fetch step is refused",
    async () => {
      const before = await renderUsers([WORKLOAD], true);
      const credentials = secretData(before, "model-mlflow-user");
      const after = await renderUsers([], false);
      // A different desired state is a different Job (a new run); the same one keeps its name.
      const jobName = (r: Rendered) => r.inputs(r.one("kubernetes:batch/v1:Job")).metadata.name;
      expect(jobName(after)).not.toBe(jobName(before));
      expect(jobName(await renderUsers([WORKLOAD], true))).toBe(jobName(before));

      expect(await runJob(after)).toEqual({
        created: [],
        passwordReset: [],
        granted: [],
        revoked: [],
        deleted: [USERNAME],
      });
      const gone = await call("GET", `/api/2.0/mlflow/users/get?username=${USERNAME}`, stack.mlflow.admin);
      expect(gone.status).toBe(404);
      // A user of that name made again starts with no grants at all.
      await call("POST", "/api/2.0/mlflow/users/create", stack.mlflow.admin, {
        username: USERNAME,
        password: credentials.password,
      });
      expect(await grantsOf(USERNAME)).toEqual([]);
      const { dir, run } = await fetchWith(before, credentials);
      await expect(run).rejects.toThrow(/refused this workload's credentials \(403\)/);
      expect(fs.readdirSync(dir)).toEqual([]);
    },
    TIMEOUT_MS,
  );
}
