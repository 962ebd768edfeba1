/**
 * `mlstack:orchestrator`: the Python pipeline orchestrator (Prefect) and its pipelines. Absent =
 * no orchestrator. When present, `database` is required (no default on purpose: the metadata
 * store is a decision, and Prefect's fallback is a per-pod SQLite file); the database is declared
 * in `postgres.databases` with owner `orchestrator`, as MLflow's is. Pipelines name their team,
 * buckets and topics, which must exist.
 */
import type { Static } from "@sinclair/typebox";
import { PREFECT_IMAGE } from "../../components/orchestrator/image";
import { ORCHESTRATOR_WORKLOAD, OrchestratorConfig } from "../../components/orchestrator/settings";
import { ResourcesSchema, parseResources } from "./containerResources";
import { defaultResources } from "./defaults";
import { IMAGE, IMAGE_RULE } from "./images";
import { DATABASE_NAME, DATABASE_RULE } from "./mlflow";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Reader } from "./reader";
import { List, Opt, Str, Strict, Text } from "./schemaKinds";
import type { Environment, PlatformConfig } from "./types";

const DATABASE_REQUIRED =
  `the orchestrator keeps its runs in its own PostgreSQL database (${DATABASE_RULE}, ` +
  `e.g. "orchestrator"); it is declared in postgres.databases with owner "${ORCHESTRATOR_WORKLOAD}"`;

export const PipelineSchema = Strict({
  name: Str(DNS_LABEL, DNS_LABEL_RULE),
  team: Text("one of mlstack:teams"),
  buckets: Opt(List(Str(DNS_LABEL, DNS_LABEL_RULE, { description: "a bucket of the pipeline's team" }))),
  readTopics: Opt(List(Text("a topic the team may read"))),
  writeTopics: Opt(List(Text("a topic the team may write"))),
  consumerGroup: Opt(Str(DNS_LABEL, DNS_LABEL_RULE)),
  runResources: Opt(ResourcesSchema),
});

export const OrchestratorSchema = Strict({
  image: Opt(Str(IMAGE, IMAGE_RULE, { default: PREFECT_IMAGE })),
  workerImage: Opt(Str(IMAGE, IMAGE_RULE, { default: `${PREFECT_IMAGE}-kubernetes` })),
  runImage: Opt(Str(IMAGE, IMAGE_RULE, { description: "default: image" })),
  database: Str(DATABASE_NAME, DATABASE_RULE, { description: DATABASE_REQUIRED }),
  hostname: Opt(Str(HOSTNAME, "a fully qualified hostname")),
  resources: Opt(ResourcesSchema),
  pipelines: Opt(List(PipelineSchema)),
});

export function parseOrchestrator(
  value: Static<typeof OrchestratorSchema> | undefined,
  environment: Environment,
): OrchestratorConfig | undefined {
  if (value === undefined) return undefined;
  const image = value.image ?? PREFECT_IMAGE;
  const runResources = defaultResources("500m", "1Gi", "2", "4Gi");
  return {
    image,
    workerImage: value.workerImage ?? `${PREFECT_IMAGE}-kubernetes`,
    runImage: value.runImage ?? image,
    database: value.database ?? "",
    hostname: value.hostname,
    resources: parseResources(
      value.resources,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("500m", "1Gi", "2", "2Gi"),
    ),
    pipelines: (value.pipelines ?? []).map((p) => ({
      name: p.name ?? "",
      team: p.team ?? "",
      buckets: p.buckets ?? [],
      readTopics: p.readTopics ?? [],
      writeTopics: p.writeTopics ?? [],
      consumerGroup: p.consumerGroup,
      runResources: parseResources(p.runResources, runResources),
    })),
  };
}

/**
 * Cross-references of the orchestrator with the rest of the config, and its database declared
 * (owner `orchestrator`) in `postgres.databases`. Runs after every section is parsed.
 */
export function checkOrchestrator(r: Reader, config: PlatformConfig): void {
  const orchestrator = config.orchestrator;
  if (!orchestrator) return;
  const path = "orchestrator";
  if (orchestrator.database) {
    const declared = config.postgres.databases.find((d) => d.name === orchestrator.database);
    if (declared && declared.owner !== ORCHESTRATOR_WORKLOAD) {
      r.fail(
        `${path}.database`,
        orchestrator.database,
        `is already the database of workload "${declared.owner}" (postgres.databases); choose another name`,
      );
    } else if (!declared) {
      config.postgres.databases.push({ name: orchestrator.database, owner: ORCHESTRATOR_WORKLOAD });
    }
  }
  r.unique(orchestrator.pipelines, `${path}.pipelines`, "pipeline");
  const teams = config.teams.map((t) => t.name);
  const buckets = config.objectStore.buckets.map((b) => b.name);
  const topics = config.kafka.topics.map((t) => t.name);
  const models = config.serving.models.map((m) => m.name);
  orchestrator.pipelines.forEach((pipeline, i) => {
    const ppath = `${path}.pipelines[${i}]`;
    if (pipeline.team && !teams.includes(pipeline.team))
      r.fail(`${ppath}.team`, pipeline.team, `is not a team (teams: ${teams.join(", ") || "none"})`);
    if (
      models.includes(pipeline.name) ||
      pipeline.name === ORCHESTRATOR_WORKLOAD ||
      pipeline.name === "mlflow"
    )
      r.fail(
        `${ppath}.name`,
        pipeline.name,
        "is already a workload's name (a model, mlflow or orchestrator)",
      );
    // Same ownership rules as a model's: the team's own buckets, topics it owns or was named on.
    pipeline.buckets.forEach((name, k) => {
      const bucket = config.objectStore.buckets.find((b) => b.name === name);
      if (!bucket)
        r.fail(
          `${ppath}.buckets[${k}]`,
          name,
          `is not declared in objectStore.buckets (${buckets.join(", ")})`,
        );
      else if (bucket.owner !== pipeline.team)
        r.fail(
          `${ppath}.buckets[${k}]`,
          name,
          `belongs to ${bucket.owner}, not to the pipeline's team ${pipeline.team}`,
        );
    });
    for (const key of ["readTopics", "writeTopics"] as const) {
      pipeline[key].forEach((name, k) => {
        const topic = config.kafka.topics.find((t) => t.name === name);
        const allowed = key === "readTopics" ? topic?.readers : topic?.writers;
        if (!topic)
          r.fail(
            `${ppath}.${key}[${k}]`,
            name,
            `is not declared in kafka.topics (${topics.join(", ") || "none"})`,
          );
        else if (topic.owner !== pipeline.team && !(allowed ?? []).includes(pipeline.team))
          r.fail(
            `${ppath}.${key}[${k}]`,
            name,
            `may not be ${key === "readTopics" ? "read" : "written"} by team ${pipeline.team} (owner ${topic.owner}); ` +
              `add the team to the topic's ${key === "readTopics" ? "readers" : "writers"}`,
          );
      });
    }
  });
}
