/** `mlstack:postgres`: the cluster, its backups and one database per workload. */
import { SECONDS_CRON_SCHEDULE_RULE, isSecondsCronSchedule } from "../../components/kube/cron";
import { isPostgresExtension, POSTGRES_EXTENSIONS } from "../../components/postgres/extensions";
import type { PostgresExtension } from "../../components/postgres/extensions";
import { isDns1123Subdomain } from "../../components/kube/names";
import { STORAGE_CLASS_RULE } from "./reader";
import { parseResources } from "./containerResources";
import { DEFAULT_POSTGRES_VERSION, defaultResources, ENVIRONMENT_DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import { MLFLOW_WORKLOAD } from "./types";
import type { Environment, MlflowConfig, ModelConfig, PostgresConfig } from "./types";

export function parsePostgres(
  r: Reader,
  value: unknown,
  environment: Environment,
  models: ModelConfig[],
  mlflow: MlflowConfig,
): PostgresConfig {
  const env = ENVIRONMENT_DEFAULTS[environment].postgres;
  const path = "postgres";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "name",
    "version",
    "instances",
    "storageSize",
    "storageClass",
    "resources",
    "backup",
    "databases",
  ]);
  const backup = r.object(obj.backup, `${path}.backup`);
  r.knownKeys(backup, `${path}.backup`, ["enabled", "retentionDays", "schedule", "bucket"]);
  const backupEnabled = r.boolean(backup, "enabled", `${path}.backup`, env.backup);
  if (environment === "prod" && !backupEnabled)
    r.fail(`${path}.backup.enabled`, false, "cannot be false in prod");
  const instances = r.integer(obj, "instances", path, env.instances, 1, 9);
  if (environment === "prod" && instances < 2)
    r.fail(`${path}.instances`, instances, "is below 2, which prod does not allow (no failover otherwise)");

  const workloads = [MLFLOW_WORKLOAD, ...models.map((m) => m.name)];
  const databases = r.array(obj.databases, `${path}.databases`).map((item, i) => {
    const dpath = `${path}.databases[${i}]`;
    const d = r.object(item, dpath);
    r.knownKeys(d, dpath, ["name", "owner", "extensions"]);
    if (d.name === undefined) r.fail(`${dpath}.name`, undefined, "is required");
    if (d.owner === undefined)
      r.fail(`${dpath}.owner`, undefined, `is required (one of the workloads: ${workloads.join(", ")})`);
    const database = {
      name: r.string(
        d,
        "name",
        dpath,
        "",
        /^[a-z_][a-z0-9_]{0,62}$/,
        "a database name: lowercase letters, digits and '_'",
      ),
      owner: r.string(d, "owner", dpath, ""),
      ...parseExtensions(r, d.extensions, `${dpath}.extensions`),
    };
    if (database.owner && !workloads.includes(database.owner)) {
      r.fail(`${dpath}.owner`, database.owner, `is not a workload (workloads: ${workloads.join(", ")})`);
    }
    if (["postgres", "template0", "template1", "app"].includes(database.name))
      r.fail(
        `${dpath}.name`,
        database.name,
        "is reserved by PostgreSQL / CloudNativePG; choose another name",
      );
    return database;
  });
  // MLflow's own database is always there; declaring it again is allowed only with owner mlflow.
  const mlflowDb = databases.find((d) => d.name === mlflow.database);
  if (mlflowDb && mlflowDb.owner !== MLFLOW_WORKLOAD) {
    r.fail(
      `${path}.databases`,
      mlflowDb,
      `uses "${mlflow.database}", the MLflow database (mlstack:mlflow.database); give it owner "mlflow" or another name`,
    );
  }
  if (!mlflowDb) databases.unshift({ name: mlflow.database, owner: MLFLOW_WORKLOAD });
  r.unique(databases, `${path}.databases`, "database");
  const owners = new Map<string, string>();
  databases.forEach((d) => {
    const previous = owners.get(d.owner);
    if (previous && d.owner !== MLFLOW_WORKLOAD)
      r.fail(
        `${path}.databases`,
        d.name,
        `gives workload "${d.owner}" a second database (it owns "${previous}"); one database per workload`,
      );
    owners.set(d.owner, d.name);
  });

  return {
    name: r.string(obj, "name", path, "postgres", DNS_LABEL, DNS_LABEL_RULE),
    version: r.integer(obj, "version", path, DEFAULT_POSTGRES_VERSION, 14, 18),
    instances,
    storageSize: r.quantity(obj, "storageSize", path, env.storageSize),
    storageClass: r.optionalString(obj, "storageClass", path, isDns1123Subdomain, STORAGE_CLASS_RULE),
    resources: parseResources(
      r,
      obj.resources,
      `${path}.resources`,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("1", "4Gi", "2", "4Gi"),
    ),
    backup: {
      enabled: backupEnabled,
      retentionDays: r.integer(backup, "retentionDays", `${path}.backup`, env.retentionDays, 1, 3650),
      schedule: r.string(
        backup,
        "schedule",
        `${path}.backup`,
        "0 0 2 * * *",
        isSecondsCronSchedule,
        SECONDS_CRON_SCHEDULE_RULE,
      ),
      bucket: r.string(backup, "bucket", `${path}.backup`, "postgres-backups", DNS_LABEL, DNS_LABEL_RULE),
    },
    databases,
  };
}

/** `databases[].extensions`: names from the allow-list, each once; absent when none are asked for. */
function parseExtensions(r: Reader, value: unknown, path: string): { extensions?: PostgresExtension[] } {
  const extensions: PostgresExtension[] = [];
  r.array(value, path).forEach((item, i) => {
    if (!isPostgresExtension(item))
      r.fail(
        `${path}[${i}]`,
        item,
        `is not an extension mlstack can create (allowed: ${POSTGRES_EXTENSIONS.join(", ")})`,
      );
    else if (extensions.includes(item)) r.fail(`${path}[${i}]`, item, "is listed twice");
    else extensions.push(item);
  });
  return extensions.length > 0 ? { extensions } : {};
}
