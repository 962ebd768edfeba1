/**
 * The tests that need the dev stack's MLflow tracking server with registered models, on one such
 * server (startMlflowStack: the rendered Deployment with basic auth, PostgreSQL and moto's S3):
 * starting it is the slow part (PostgreSQL, moto, then the server's migrations and Python imports),
 * and each suite works on its own registered model, users and files, so neither sees the other's.
 *
 *   - models by registry alias: the fetch-model initContainer as a workload's own MLflow user
 *     (support/modelFetchTests.ts);
 *   - MLflow workload users: the `mlflow-users` Job creating, correcting and deleting users and
 *     their grants (support/workloadUsersTests.ts).
 */
import { MlflowStack, startMlflowStack } from "./support/mlflowServer";
import { modelFetchTests } from "./support/modelFetchTests";
import { workloadUsersTests } from "./support/workloadUsersTests";

let stack: MlflowStack | undefined;

function sharedStack(): MlflowStack {
  if (!stack) throw new Error("the MLflow stack did not start (see the beforeAll error above)");
  return stack;
}

beforeAll(async () => {
  stack = await startMlflowStack("dev");
}, 30 * 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe("models by registry alias", () => modelFetchTests(sharedStack));

describe("MLflow workload users", () => workloadUsersTests(sharedStack));
