/**
 * Refusals of OrchestratorArgs, as a pure function: the stack's pre-flight step runs it before
 * anything registers (naming each problem by its config key), and the constructor runs it again
 * for library users who skip the stack layer. Every refusal names the argument, the value and what
 * is allowed (components/argumentProblem.ts).
 */
import type * as k8s from "@pulumi/kubernetes";
import { refusal } from "../argumentProblem";
import type { WorkloadAccess } from "../identity/contract";
import { isCidr } from "../kube/cidr";
import { isDns1035Label, isDns1123Label } from "../kube/names";
import type { PlatformContext } from "../context";
import type { OrchestratorArgs } from "./Orchestrator";
import type { OrchestratorConfig } from "./settings";
import { findEnv, isSecretReference, REQUIRED_DATABASE_ENV } from "./prefectDatabase";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Env names that must never carry a literal value (the policy pack's k8s-no-secret-literals-in-env). */
const SECRET_LIKE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|(^|_)KEY($|_)|DATABASE_URL|AUTH_STRING)/i;

/** Longest pipeline name: its worker is `<name>-worker` and Job names get Prefect's suffixes. */
export const MAX_PIPELINE_NAME = 40;

function assertNoLiteralSecrets(fail: ReturnType<typeof refusal>, arg: string, env: EnvVar[]): void {
  env.forEach((entry, i) => {
    if (typeof entry.name !== "string" || typeof entry.value !== "string") return;
    if (SECRET_LIKE_NAME.test(entry.name) || entry.value.includes("-----BEGIN")) {
      fail(`${arg}.env[${i}]`, entry.name, "carries a literal value; secrets must arrive as a secretKeyRef");
    }
  });
}

function checkGrant(fail: ReturnType<typeof refusal>, arg: string, access: WorkloadAccess): void {
  assertNoLiteralSecrets(fail, arg, access.env);
}

/**
 * The checks that need only the configuration (the stack's pre-flight step runs them before any
 * grant exists): the component name, the database, pipelines and the API server CIDRs.
 */
export function validateOrchestratorSettings(
  name: string,
  settings: { ctx: PlatformContext; config: OrchestratorConfig; apiServerCidrs: string[] },
): void {
  const fail = refusal(`Orchestrator ${name}`);
  const { config } = settings;

  if (!isDns1035Label(name) || name.length > 40) {
    fail(
      "name",
      name,
      "names the Service and Deployments, so it must be a DNS-1035 label of at most 40 characters",
    );
  }

  // The metadata store: without a database Prefect falls back to a per-pod SQLite file.
  if (!config.database) {
    fail(
      "config.database",
      config.database,
      "is required: the orchestrator keeps its runs in its own PostgreSQL database " +
        "(a database name: lowercase letters, digits and '_'; it is declared with owner `orchestrator`)",
    );
  }

  if (config.pipelines.length > 0) {
    if (settings.apiServerCidrs.length === 0) {
      fail(
        "apiServerCidrs",
        settings.apiServerCidrs,
        "must name the API server's addresses: each pipeline's worker creates its flow runs' Jobs " +
          "through the API server (network.apiServerCidrs)",
      );
    }
    settings.apiServerCidrs.forEach((cidr, i) => {
      if (!isCidr(cidr)) fail(`apiServerCidrs[${i}]`, cidr, "is not a CIDR (e.g. 10.0.0.1/32)");
    });
  }

  const seen = new Set<string>();
  config.pipelines.forEach((pipeline, i) => {
    if (!isDns1123Label(pipeline.name) || pipeline.name.length > MAX_PIPELINE_NAME) {
      fail(
        `config.pipelines[${i}].name`,
        pipeline.name,
        `must be a DNS label of at most ${MAX_PIPELINE_NAME} characters (it names the work pool, the worker and the Jobs)`,
      );
    }
    if (seen.has(pipeline.name)) {
      fail(`config.pipelines[${i}].name`, pipeline.name, "is declared twice; pipeline names are unique");
    }
    seen.add(pipeline.name);
    if (pipeline.readTopics.length > 0 && !pipeline.consumerGroup) {
      fail(
        `config.pipelines[${i}].consumerGroup`,
        pipeline.consumerGroup,
        "is required when readTopics is not empty (the Kafka grant is for one consumer group)",
      );
    }
  });
}

/** Every check: the settings' (above), then the grants and the per-pipeline wiring. */
export function validateOrchestratorArgs(name: string, args: OrchestratorArgs): void {
  validateOrchestratorSettings(name, args);
  const fail = refusal(`Orchestrator ${name}`);
  const { config } = args;

  if (args.database === undefined) {
    fail(
      "database",
      undefined,
      "is required: pass the WorkloadAccess from PostgresService.grantDatabase for config.database",
    );
  }
  const names = args.database.env.map((e) => e.name);
  for (const required of REQUIRED_DATABASE_ENV) {
    if (!names.includes(required)) {
      fail(
        "database.env",
        names,
        `has no ${required}: Prefect's asyncpg connection is built from the grant's PGHOST, PGPORT, ` +
          "PGDATABASE, PGUSER, PGPASSWORD (password authentication, a secretKeyRef) and PGSSLROOTCERT " +
          "(the server CA, for a verified TLS connection); IAM-token grants are not supported",
      );
    }
  }
  const password = findEnv(args.database.env, "PGPASSWORD") as EnvVar;
  if (!isSecretReference(password)) {
    fail("database.env.PGPASSWORD", "<literal>", "must be a secretKeyRef");
  }
  checkGrant(fail, "database", args.database);

  config.pipelines.forEach((pipeline, i) => {
    const wired = args.pipelines.find((p) => p.name === pipeline.name);
    if (!wired) {
      return fail(
        `pipelines`,
        args.pipelines.map((p) => p.name),
        `has no entry for config.pipelines[${i}] (${pipeline.name}): pass its namespace, ServiceAccounts and grants`,
      );
    }
    if (wired.workerServiceAccountName === wired.runServiceAccountName) {
      fail(
        `pipelines[${i}].workerServiceAccountName`,
        wired.workerServiceAccountName,
        "must differ from runServiceAccountName: only the worker may use the Kubernetes API",
      );
    }
    for (const sa of [wired.workerServiceAccountName, wired.runServiceAccountName]) {
      if (sa === "default" || !isDns1123Label(sa)) {
        fail(
          `pipelines[${i}] ServiceAccount`,
          sa,
          "must be a DNS label other than `default` (one per workload)",
        );
      }
    }
    checkGrant(fail, `pipelines[${i}].access`, wired.access);
  });
}
