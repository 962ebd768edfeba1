/** `mlstack:postgres`: the cluster, its backups and one database per workload. */
import type { Static } from "@sinclair/typebox";
import { POSTGRES_EXTENSIONS } from "../../components/postgres/extensions";
import { ResourcesSchema, parseResources } from "./containerResources";
import { DEFAULT_POSTGRES_VERSION, defaultResources, ENVIRONMENT_DEFAULTS } from "./defaults";
import { DATABASE_NAME, DATABASE_RULE } from "./mlflow";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import { Bool, Int, List, OneOf, Opt, Quantity, Str, Strict, Text } from "./schemaKinds";
import { MLFLOW_WORKLOAD } from "./types";
import type { Environment, MlflowConfig, ModelConfig, PostgresConfig } from "./types";

export const PostgresDatabaseSchema = Strict({
  name: Str(DATABASE_NAME, DATABASE_RULE),
  owner: Text("the workload that owns it: mlflow, orchestrator or a model's name"),
  extensions: Opt(List(OneOf(POSTGRES_EXTENSIONS), { uniqueItems: true })),
});

export const PostgresSchema = Strict({
  name: Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { default: "postgres" })),
  version: Opt(Int(14, 18, { default: DEFAULT_POSTGRES_VERSION })),
  instances: Opt(Int(1, 9, { description: "default per environment; at least 2 in prod" })),
  storageSize: Opt(Quantity({ description: "default per environment" })),
  storageClass: Opt(Str("storage-class")),
  resources: Opt(ResourcesSchema),
  backup: Opt(
    Strict({
      enabled: Opt(Bool({ description: "default: on outside dev; always on in prod" })),
      retentionDays: Opt(Int(1, 3650, { description: "default per environment" })),
      schedule: Opt(Str("seconds-cron", undefined, { default: "0 0 2 * * *" })),
      bucket: Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { default: "postgres-backups" })),
    }),
  ),
  databases: Opt(List(PostgresDatabaseSchema)),
});

export function parsePostgres(
  r: Reader,
  value: Static<typeof PostgresSchema> | undefined,
  environment: Environment,
  models: ModelConfig[],
  mlflow: MlflowConfig,
): PostgresConfig {
  const env = ENVIRONMENT_DEFAULTS[environment].postgres;
  const path = "postgres";
  const obj = value ?? {};
  const backup = obj.backup ?? {};
  const backupEnabled = backup.enabled ?? env.backup;
  if (environment === "prod" && !backupEnabled)
    r.fail(`${path}.backup.enabled`, false, "cannot be false in prod");
  const instances = obj.instances ?? env.instances;
  if (environment === "prod" && instances < 2)
    r.fail(`${path}.instances`, instances, "is below 2, which prod does not allow (no failover otherwise)");

  const workloads = [MLFLOW_WORKLOAD, ...models.map((m) => m.name)];
  const databases = (obj.databases ?? []).map((d, i) => {
    const dpath = `${path}.databases[${i}]`;
    const database = {
      name: d.name ?? "",
      owner: d.owner ?? "",
      ...(d.extensions && d.extensions.length > 0 ? { extensions: [...new Set(d.extensions)] } : {}),
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
    name: obj.name ?? "postgres",
    version: obj.version ?? DEFAULT_POSTGRES_VERSION,
    instances,
    storageSize: obj.storageSize ?? env.storageSize,
    storageClass: obj.storageClass,
    resources: parseResources(
      obj.resources,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("1", "4Gi", "2", "4Gi"),
    ),
    backup: {
      enabled: backupEnabled,
      retentionDays: backup.retentionDays ?? env.retentionDays,
      schedule: backup.schedule ?? "0 0 2 * * *",
      bucket: backup.bucket ?? "postgres-backups",
    },
    databases,
  };
}
