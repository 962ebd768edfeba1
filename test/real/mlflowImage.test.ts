/**
 * The MLflow image's Python environment, built for real from what the Dockerfile installs
 * (support/mlflowImageEnv.ts), can run every mlstack program the image runs: the same
 * check-imports.py the image build runs, here also reading the sources of the entrypoint, the RDS
 * IAM hook and the stream consumer so that none of them imports something the check does not
 * cover. Before requirements.txt listed confluent-kafka, aws-msk-iam-sasl-signer-python and
 * google-auth, this failed on the stream consumer's imports.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  MLFLOW_IMAGE_DIR,
  mlflowImageEnv,
  mlflowImageProcessEnv,
  mlflowImageVersion,
} from "./support/mlflowImageEnv";
import { PythonEnv, REPO_ROOT } from "./support/pythonEnv";

const CHECK = path.join(MLFLOW_IMAGE_DIR, "check-imports.py");
/** The mlstack programs that run in the image, besides MLflow's own. */
const PROGRAMS = [
  path.join(MLFLOW_IMAGE_DIR, "mlflow-entrypoint.py"),
  path.join(MLFLOW_IMAGE_DIR, "mlstack_rds_iam.py"),
  path.join(REPO_ROOT, "components", "serving", "streamConsumer.py"),
];

let env: PythonEnv;

beforeAll(() => {
  env = mlflowImageEnv();
});

function check(args: string[]) {
  return spawnSync(env.python, [CHECK, ...args], {
    encoding: "utf8",
    env: mlflowImageProcessEnv(env),
    cwd: os.tmpdir(),
  });
}

it("imports everything the tracking server, entrypoint, RDS IAM hook, stream consumer and `mlflow models serve` import", () => {
  const result = check(["--mlflow-version", mlflowImageVersion(), "--programs", ...PROGRAMS]);
  expect({
    status: result.status,
    stderr: result.stderr.split("\n").filter((l) => l.includes("FAILED")),
  }).toEqual({
    status: 0,
    stderr: [],
  });
  for (const program of [
    "tracking server",
    "entrypoint",
    "RDS IAM hook",
    "stream consumer",
    "model server",
  ]) {
    expect(result.stdout).toContain(`ok: ${program}`);
  }
});

it("fails, naming the file and the statement, when a program imports a module the check does not list", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-check-imports-"));
  try {
    const program = path.join(dir, "consumer.py");
    fs.writeFileSync(
      program,
      "import json\n\ndef run():\n    from kafka_client_nobody_ships import Consumer\n",
    );
    const result = check(["--no-imports", "--programs", program]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${program}:4: \`from kafka_client_nobody_ships import Consumer\` is not in check-imports.py's PROGRAMS`,
    );
    expect(result.stderr).not.toContain("import json");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it("fails when the installed MLflow is not the Dockerfile's MLFLOW_VERSION", () => {
  const result = check(["--no-imports", "--mlflow-version", "0.0.1"]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`MLflow is ${mlflowImageVersion()}, expected 0.0.1 (MLFLOW_VERSION)`);
});

it("installs the RDS IAM hook into the environment the way the Dockerfile does (.pth loaded at interpreter start)", () => {
  const result = spawnSync(
    env.python,
    [
      "-c",
      "import sys; loaded = 'mlstack_rds_iam' in sys.modules; import mlstack_rds_iam; " +
        "print(loaded); print(mlstack_rds_iam.__file__); print('sqlalchemy' in sys.modules)",
    ],
    { encoding: "utf8", env: mlflowImageProcessEnv(env, { DATABASE_AUTH_METHOD: "aws-rds-iam" }) },
  );
  // With the method set but its variables missing, activate() keeps the refusal for connect time
  // and never imports SQLAlchemy at start.
  expect(result.status).toBe(0);
  const [hookLoaded, file, sqlalchemyLoaded] = result.stdout.trim().split("\n");
  expect(hookLoaded).toBe("True");
  expect(file.startsWith(env.dir)).toBe(true);
  expect(sqlalchemyLoaded).toBe("False");
});
