/**
 * The serving runtimes, for real: `mlflow models serve` (the MLflow image) and MLServer with
 * `mlserver-mlflow` (the seldonio/mlserver image), each run from what `ModelServing` renders for it
 * (command, args, env, mounts, probes, the pod's non-root UID, read-only root with only the
 * emptyDir mounts writable; support/podProcesses.ts), serving a model logged with the MLflow
 * image's environment.
 *
 * What stands in for what a pod has:
 * - the object store is moto's S3 API (support/s3.ts): the model is logged to the rendered
 *   `s3://<bucket>/<path>` by MLflow's S3 artifact repository, the rendered endpoint becomes moto's,
 *   and the bucket's credentials Secret holds moto's keys; the model URIs themselves run unchanged;
 * - the servers listen on free loopback ports instead of the rendered ones, and MLServer gets
 *   MLSERVER_HOST=127.0.0.1 (its default host is every interface);
 * - the images are the Python environments of support/mlflowImageEnv.ts and support/mlserverEnv.ts.
 *
 * The model takes LOAD_SECONDS to load (support/save_slow_model.py) and prints a marker when done:
 * the readiness probe is polled from the moment the process starts and must not answer 200 before
 * the marker is in the log. Before the MLServer fix (only MLSERVER_MODEL_NAME), MLServer loaded no
 * model and answered its old readiness path `/v2/health/ready` with 200; the last test shows that
 * server and that the model-level readiness path refuses it.
 *
 * Triton cannot be installed here (no wheel of the server on PyPI): it is covered by the contract
 * tests in test/components/serving only.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ModelServing } from "../../components/serving/ModelServing";
import { RESERVED_PORTS } from "../../components/serving/runtime";
import {
  configWithModel,
  MODEL_URI,
  podSpec,
  S3_ENDPOINT,
  servingArgs,
} from "../components/serving/fixtures";
import { render } from "../support/render";
import { mlflowImageEnv, mlflowImageProcessEnv } from "./support/mlflowImageEnv";
import { mountFetchProgram } from "./support/fetchModelVolume";
import { mlserverImageEnv } from "./support/mlserverEnv";
import {
  containerProcessSpec,
  ContainerProcessSpec,
  PodSandbox,
  podSandbox,
  runInitContainer,
  sealVolume,
  startContainer,
} from "./support/podProcesses";
import { LOOPBACK } from "./support/ports";
import { RunningProcess } from "./support/processes";
import { PythonEnv } from "./support/pythonEnv";
import { S3Server, startS3 } from "./support/s3";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered pod specs are untyped JSON */

const SAVE_MODEL = path.join(__dirname, "support", "save_slow_model.py");
/** Printed by the model's load_context when it has loaded (save_slow_model.py). */
const LOADED_MARKER = "mlstack-test-model: loaded";
/** Long enough for several probe polls while the model loads. */
const LOAD_SECONDS = 6;
const START_TIMEOUT_MS = 4 * 60_000;
/** The bucket grant's credentials Secret (the ObjectBucketClaim's, `bucketGrant()` in the fixtures). */
const BUCKET_SECRET = "fraud-models";

let mlflowImage: PythonEnv;
let mlserverImage: PythonEnv;
let work: string;
let s3: S3Server;
const sandboxes: PodSandbox[] = [];
const processes: RunningProcess[] = [];

/** The rendered object-store endpoint becomes moto's. */
function toMoto(value: string): string {
  return value.split(S3_ENDPOINT).join(s3.endpoint);
}

/** What the kubelet would read from the bucket grant's Secret. */
function secrets(): Record<string, Record<string, string>> {
  return {
    [BUCKET_SECRET]: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
  };
}

/** Runs a program of the MLflow image's environment as the test runner; throws with its stderr. */
function runMlflowImage(args: string[], extraEnv: Record<string, string>): void {
  const result = spawnSync(args[0], args.slice(1), {
    encoding: "utf8",
    cwd: work,
    env: mlflowImageProcessEnv(mlflowImage, { HOME: path.join(work, "home"), ...extraEnv }),
  });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
}

beforeAll(async () => {
  mlflowImage = mlflowImageEnv();
  mlserverImage = mlserverImageEnv();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-serving-"));
  fs.mkdirSync(path.join(work, "home"));
  s3 = await startS3();
  const bucket = new URL(MODEL_URI).host;
  await s3.createBucket(bucket);
  // The model is saved and logged to the rendered model URI by the MLflow image's environment.
  runMlflowImage(
    [mlflowImage.python, SAVE_MODEL, path.join(work, "model"), String(LOAD_SECONDS), MODEL_URI],
    {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_DEFAULT_REGION: s3.region,
      MLFLOW_S3_ENDPOINT_URL: s3.endpoint,
    },
  );
  const prefix = `${new URL(MODEL_URI).pathname.slice(1)}/`;
  expect(await s3.listKeys(bucket, prefix)).toContain(`${prefix}MLmodel`);
}, 30 * 60_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await s3?.stop();
  for (const sandbox of sandboxes) sandbox.remove();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The pod spec ModelServing renders for a model of `runtime` named `model` on port 8080. */
async function renderedPod(runtime: "mlflow" | "mlserver"): Promise<any> {
  const r = await render(() => {
    new ModelServing("model", servingArgs(configWithModel({ runtime })));
  });
  return podSpec(r);
}

async function sandboxFor(pod: any, runtime: "mlflow" | "mlserver"): Promise<PodSandbox> {
  const sandbox = await podSandbox(pod, Object.keys(RESERVED_PORTS[runtime]).map(Number));
  sandboxes.push(sandbox);
  return sandbox;
}

function start(spec: ContainerProcessSpec, name: string): RunningProcess {
  const running = startContainer(spec, path.join(work, `${name}.log`));
  processes.push(running);
  return running;
}

/** HTTP status of a GET, or "refused" when nothing answers (which a kubelet counts as a failure). */
async function statusOf(url: string): Promise<number | "refused"> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return "refused";
  }
}

interface ProbeSample {
  readiness: number | "refused";
  liveness: number | "refused";
  /** Whether the model's loaded marker was in the log when the readiness answer came back. */
  loaded: boolean;
}

/** Polls the readiness (and liveness) probe from process start until readiness answers 200. */
async function pollUntilReady(running: RunningProcess, spec: ContainerProcessSpec): Promise<ProbeSample[]> {
  const samples: ProbeSample[] = [];
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const readiness = await statusOf(spec.probes.readiness as string);
    const loaded = fs.readFileSync(running.logFile, "utf8").includes(LOADED_MARKER);
    const liveness = await statusOf(spec.probes.liveness as string);
    samples.push({ readiness, liveness, loaded });
    if (readiness === 200) return samples;
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(`the server exited before it was ready\n${running.tail(60)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`not ready within ${START_TIMEOUT_MS} ms\n${running.tail(60)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The loopback URL of a rendered container port. */
function portUrl(sandbox: PodSandbox, containerPort: number, urlPath: string): string {
  return `http://${LOOPBACK}:${sandbox.ports.get(containerPort)}${urlPath}`;
}

describe("MLServer (runtime mlserver, engine deployment)", () => {
  it("serves the model the initContainer copied, answers not-ready until it has loaded, and predicts", async () => {
    const pod = await renderedPod("mlserver");
    const sandbox = await sandboxFor(pod, "mlserver");
    const [fetchModel] = pod.initContainers;
    const modelContainer = pod.containers.find((c: any) => c.name === "model");

    // The initContainer, as rendered, in the MLflow image.
    mountFetchProgram(sandbox);
    const init = containerProcessSpec(sandbox, pod, fetchModel, {
      image: mlflowImage,
      substitute: toMoto,
      secrets: secrets(),
      baseEnv: mlflowImageProcessEnv(mlflowImage),
    });
    await runInitContainer(init, path.join(work, "fetch-model.log"), START_TIMEOUT_MS);
    for (const mount of modelContainer.volumeMounts.filter((m: any) => m.readOnly))
      sealVolume(sandbox, mount.name);

    const spec = containerProcessSpec(sandbox, pod, modelContainer, {
      image: mlserverImage,
      substitute: toMoto,
      secrets: secrets(),
      overrides: { MLSERVER_HOST: LOOPBACK },
    });
    const running = start(spec, "mlserver");
    const samples = await pollUntilReady(running, spec);
    // Never ready before the model had loaded ...
    expect(samples.filter((s) => s.readiness === 200 && !s.loaded)).toEqual([]);
    // ... while the server itself was up and alive and said so: the probe waits for the model.
    expect(
      samples.some((s) => s.liveness === 200 && typeof s.readiness === "number" && s.readiness !== 200),
    ).toBe(true);

    // The folder MLServer was told to load is where the initContainer put the MLflow model.
    expect(fs.existsSync(path.join(spec.env.MLSERVER_MODEL_URI ?? "(unset)", "MLmodel"))).toBe(true);

    const name = spec.env.MLSERVER_MODEL_NAME;
    const inference = await fetch(portUrl(sandbox, 8080, `/v2/models/${name}/infer`), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: [{ name: "x", shape: [3], datatype: "FP64", data: [1.5, 2.5, -1] }] }),
    });
    expect(inference.status).toBe(200);
    const body = (await inference.json()) as any;
    expect(body.outputs[0].data).toEqual([3, 5, -2]);

    // Prometheus metrics on the rendered metrics port, their multiprocess folder on the /tmp mount.
    expect(await statusOf(portUrl(sandbox, 8082, "/metrics"))).toBe(200);
    expect(fs.statSync(spec.env.MLSERVER_METRICS_DIR).isDirectory()).toBe(true);
    expect(spec.env.MLSERVER_METRICS_DIR.startsWith(spec.mounts.get("/tmp") as string)).toBe(true);
    // Written by the pod's UID (when the tests can switch to it), nothing in the working directory.
    if (spec.account) expect(fs.statSync(spec.env.MLSERVER_METRICS_DIR).uid).toBe(spec.account.uid);
    expect(fs.readdirSync(sandbox.cwd)).toEqual([]);
    await running.stop();
  });

  it("stays not-ready on the model-level probe when MLServer loads no model, which its server-level /v2/health/ready hid", async () => {
    const pod = await renderedPod("mlserver");
    const sandbox = await sandboxFor(pod, "mlserver");
    const modelContainer = pod.containers.find((c: any) => c.name === "model");
    // What the runtime rendered before the fix: the model's name and ports, no implementation, no URI.
    const before = {
      ...modelContainer,
      env: modelContainer.env.filter(
        (e: any) => e.name !== "MLSERVER_MODEL_IMPLEMENTATION" && e.name !== "MLSERVER_MODEL_URI",
      ),
    };
    const spec = containerProcessSpec(sandbox, pod, before, {
      image: mlserverImage,
      substitute: toMoto,
      secrets: secrets(),
      overrides: { MLSERVER_HOST: LOOPBACK },
    });
    const running = start(spec, "mlserver-no-model");
    const deadline = Date.now() + START_TIMEOUT_MS;
    while ((await statusOf(portUrl(sandbox, 8080, "/v2/health/ready"))) !== 200) {
      if (running.child.exitCode !== null) throw new Error(`MLServer exited\n${running.tail(60)}`);
      if (Date.now() > deadline) throw new Error(`MLServer did not start\n${running.tail(60)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const index = await fetch(portUrl(sandbox, 8080, "/v2/repository/index"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await index.json()).toEqual([]);
    expect(await statusOf(spec.probes.readiness as string)).toBe(404);
    await running.stop();
  });
});

describe("mlflow models serve (runtime mlflow, engine deployment)", () => {
  it("serves the model from its bucket URI, answers not-ready until it has loaded, and predicts", async () => {
    const pod = await renderedPod("mlflow");
    const sandbox = await sandboxFor(pod, "mlflow");
    const modelContainer = pod.containers.find((c: any) => c.name === "model");
    expect(pod.initContainers).toBeUndefined();
    const spec = containerProcessSpec(sandbox, pod, modelContainer, {
      image: mlflowImage,
      substitute: toMoto,
      secrets: secrets(),
      baseEnv: mlflowImageProcessEnv(mlflowImage),
    });

    const running = start(spec, "mlflow-serve");
    const samples = await pollUntilReady(running, spec);
    expect(samples.filter((s) => s.readiness === 200 && !s.loaded)).toEqual([]);
    expect(samples[0].readiness).not.toBe(200);

    const inference = await fetch(portUrl(sandbox, 8080, "/invocations"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ dataframe_split: { columns: ["x"], data: [[1.5], [2.5], [-1]] } }),
    });
    expect(inference.status).toBe(200);
    expect(((await inference.json()) as any).predictions).toEqual([{ x: 3 }, { x: 5 }, { x: -2 }]);
    expect(fs.readdirSync(sandbox.cwd)).toEqual([]);
    await running.stop();
  });
});
