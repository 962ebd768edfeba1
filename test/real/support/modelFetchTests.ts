/**
 * Models by registry alias, for real: the fetch-model initContainer as `ModelServing` renders it for
 * a model with `source: {registry, alias}` (fetch_model.py from its ConfigMap, in the MLflow image's
 * environment, as the pod's non-root user with only its emptyDir mounts writable;
 * support/podProcesses.ts) against the real MLflow tracking server of the real-process layer
 * (support/mlflowServer.ts: the dev stack's rendered Deployment with basic auth, PostgreSQL, moto's
 * S3 behind `--serve-artifacts`).
 *
 * The workload authenticates as an MLflow user of its own that holds READ on the registered model
 * only (created here through MLflow's admin API, as a per-workload user would be); the rendered
 * tracking URI is the in-cluster one and becomes the test server's. Each registered version carries
 * a marker file with its label, so a download of the wrong version fails the test.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ModelServing } from "../../../components/serving/ModelServing";
import { configWithModel, podSpec, servingArgs, TRACKING_URI } from "../../components/serving/fixtures";
import { render } from "../../support/render";
import { mountFetchProgram } from "./fetchModelVolume";
import { mlflowImageEnv, mlflowImageProcessEnv } from "./mlflowImageEnv";
import { REGISTRATION_EXPERIMENT_ID, registerModelVersions } from "./registerModelVersions";
import type { MlflowStack } from "./mlflowServer";
import { containerProcessSpec, PodSandbox, podSandbox, runInitContainer } from "./podProcesses";
import { PythonEnv } from "./pythonEnv";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered pod specs are untyped JSON */

const NAME = "fraud-detector";
const WORKLOAD = { username: "model-fraud-detector", password: "workload-password-0123456789" };
const OUTSIDER = { username: "other-team-model", password: "outsider-password-0123456789" };
const TIMEOUT_MS = 5 * 60_000;

let stack: MlflowStack;
let image: PythonEnv;
let work: string;
let versions: Record<string, string>;
const sandboxes: PodSandbox[] = [];

function runImage(args: string[]): string {
  return registerModelVersions(image, stack.mlflow, work, args);
}

/** A call to MLflow's REST API as the basic-auth admin. */
async function asAdmin(endpoint: string, body: Record<string, string>): Promise<void> {
  const { username, password } = stack.mlflow.admin;
  const response = await fetch(`${stack.mlflow.url}${endpoint}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${endpoint}: ${response.status} ${await response.text()}`);
}

/** Registers the tests on `sharedStack()`, the real-process MLflow stack the test file started. */
export function modelFetchTests(sharedStack: () => MlflowStack): void {
  beforeAll(async () => {
    image = mlflowImageEnv();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-model-fetch-"));
    stack = sharedStack();
    versions = JSON.parse(runImage([NAME, "first", "second"]));
    runImage(["--set-alias", NAME, "champion", versions.first]);
    for (const user of [WORKLOAD, OUTSIDER]) await asAdmin("/api/2.0/mlflow/users/create", user);
    // MLflow 3.17's per-user grant API (mlflow/server/auth/routes.py GRANT_USER_PERMISSION): READ on
    // the registered model (the alias) and on the experiment of its runs (MLflow authorizes artifact
    // downloads by experiment). The outsider gets the experiment but not the model.
    for (const [user, types] of [
      [WORKLOAD, ["registered_model", "experiment"]],
      [OUTSIDER, ["experiment"]],
    ] as const) {
      for (const resourceType of types)
        await asAdmin("/api/3.0/mlflow/users/permissions/grant", {
          username: user.username,
          resource_type: resourceType,
          resource_id: resourceType === "experiment" ? REGISTRATION_EXPERIMENT_ID : NAME,
          permission: "READ",
        });
    }
  }, 30 * 60_000);

  afterAll(async () => {
    for (const sandbox of sandboxes) sandbox.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** Renders the model following `alias`, runs its fetch-model initContainer as `user`; returns the filled folder. */
  async function fetchAs(
    alias: string,
    user: { username: string; password: string },
  ): Promise<{ dir: string; run: Promise<void> }> {
    const config = configWithModel(
      { runtime: "mlserver", source: { registry: NAME, alias } },
      { mlflow: { auth: "none" } },
    );
    const rendered = await render(() => {
      new ModelServing("model", servingArgs(config));
    });
    const pod = podSpec(rendered);
    const container = pod.initContainers.find((c: any) => c.name === "fetch-model");
    const env = new Map<string, any>(container.env.map((e: any) => [e.name, e]));
    // The pod asks the in-cluster tracking server; here that is the test server.
    expect(env.get("MLFLOW_TRACKING_URI").value).toBe(TRACKING_URI);
    const sandbox = await podSandbox(pod);
    sandboxes.push(sandbox);
    mountFetchProgram(sandbox);
    const spec = containerProcessSpec(sandbox, pod, container, {
      image,
      baseEnv: mlflowImageProcessEnv(image),
      overrides: {
        MLFLOW_TRACKING_URI: stack.mlflow.url,
        MLFLOW_TRACKING_USERNAME: user.username,
        MLFLOW_TRACKING_PASSWORD: user.password,
      },
    });
    const dir = sandbox.volumes.get("model") as string;
    const log = path.join(work, `fetch-${alias}-${user.username}-${sandboxes.length}.log`);
    return { dir, run: runInitContainer(spec, log, TIMEOUT_MS) };
  }

  function fetchedLabel(dir: string): string {
    const markers = fs.readdirSync(path.join(dir, "artifacts"));
    expect(markers).toHaveLength(1);
    return fs.readFileSync(path.join(dir, "artifacts", markers[0]), "utf8");
  }

  it(
    "resolves the alias as the workload's own MLflow user and downloads exactly that version into /mnt/models",
    async () => {
      const { dir, run } = await fetchAs("champion", WORKLOAD);
      await run;
      expect(fs.existsSync(path.join(dir, "MLmodel"))).toBe(true);
      expect(fetchedLabel(dir)).toBe("first");
      const record = JSON.parse(fs.readFileSync(path.join(dir, ".mlstack-model.json"), "utf8"));
      expect(record).toMatchObject({ name: NAME, alias: "champion", version: versions.first });
      // Nothing of the download's staging is left beside the model.
      expect(fs.readdirSync(dir).filter((f) => f.startsWith(".fetch-"))).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    "follows the alias when it moves: the next pod gets the version it points at now",
    async () => {
      runImage(["--set-alias", NAME, "champion", versions.second]);
      const { dir, run } = await fetchAs("champion", WORKLOAD);
      await run;
      expect(fetchedLabel(dir)).toBe("second");
      expect(JSON.parse(fs.readFileSync(path.join(dir, ".mlstack-model.json"), "utf8")).version).toBe(
        versions.second,
      );
    },
    TIMEOUT_MS,
  );

  it(
    "serves nothing rather than a wrong model: an unknown alias and a user without READ both fail the step",
    async () => {
      const unknown = await fetchAs("challenger", WORKLOAD);
      await expect(unknown.run).rejects.toThrow(/exited with 3[\s\S]*has no alias 'challenger'/);
      expect(fs.readdirSync(unknown.dir)).toEqual([]);

      const outsider = await fetchAs("champion", OUTSIDER);
      await expect(outsider.run).rejects.toThrow(/refused this workload's credentials \(403\)/);
      expect(fs.readdirSync(outsider.dir)).toEqual([]);
    },
    TIMEOUT_MS,
  );
}
