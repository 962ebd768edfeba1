/**
 * The model the stream consumer loads, put where a team puts it: logged to the real MLflow
 * tracking server (startMlflowStack: the rendered MLflow Deployment on PostgreSQL and an S3 API),
 * then its files published to the location the model's `source` renders as MODEL_URI
 * (`s3://<bucket>/<path>`) on that S3 API. The consumer then loads MODEL_URI itself, with
 * `mlflow.pyfunc.load_model`, as the Deployment does.
 *
 * The model (stream_model.py) doubles each row's `amount` and fails on a row without one.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mlflowImageProcessEnv } from "./mlflowImageEnv";
import { startMlflowStack } from "./mlflowServer";
import type { PythonEnv } from "./pythonEnv";
import type { ModelSource } from "./streamConsumerFixture";

const SCRIPT = path.join(__dirname, "stream_model.py");

function run(python: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [SCRIPT, ...args],
      { env, cwd, encoding: "utf8", timeout: 10 * 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`stream_model.py ${args[0]} failed: ${error.message}\n${stderr}`));
        else resolve(stdout.trim().split("\n").pop() ?? "");
      },
    );
  });
}

export async function trackedModelSource(modelUri: string, image: PythonEnv): Promise<ModelSource> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(modelUri);
  if (!match) throw new Error(`MODEL_URI ${modelUri}: the tests publish models to s3:// locations only`);
  const stack = await startMlflowStack("dev");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-model-"));
  try {
    await stack.s3.createBucket(match[1]);
    const objectStore = {
      AWS_ENDPOINT_URL: stack.s3.endpoint,
      MLFLOW_S3_ENDPOINT_URL: stack.s3.endpoint,
      AWS_ACCESS_KEY_ID: stack.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey,
    };
    const env = mlflowImageProcessEnv(image, {
      ...stack.mlflow.clientEnv(),
      ...objectStore,
      AWS_DEFAULT_REGION: stack.s3.region,
      HOME: home,
      TMPDIR: home,
    });
    const logged = JSON.parse(await run(image.python, ["log"], env, home)) as { model_uri: string };
    await run(image.python, ["publish", logged.model_uri, modelUri], env, home);
    return {
      overrides: objectStore,
      async stop() {
        await stack.stop();
        fs.rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stack.stop();
    fs.rmSync(home, { recursive: true, force: true });
    throw error;
  }
}
