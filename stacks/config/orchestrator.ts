/**
 * `mlstack:orchestrator`: the Python pipeline orchestrator (Prefect) and its pipelines. Absent =
 * no orchestrator. When present, `database` is required (no default on purpose: the metadata
 * store is a decision, and Prefect's fallback is a per-pod SQLite file); the database is declared
 * in `postgres.databases` with owner `orchestrator`, as MLflow's is. Pipelines name their team,
 * buckets and topics, which must exist.
 */
import { PREFECT_IMAGE } from "../../components/orchestrator/image";
import { ORCHESTRATOR_WORKLOAD, OrchestratorConfig } from "../../components/orchestrator/settings";
import { parseResources } from "./containerResources";
import { defaultResources } from "./defaults";
import { IMAGE, IMAGE_RULE } from "./images";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Reader } from "./reader";
import type { Environment, PlatformConfig } from "./types";

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const DATABASE_RULE = "a database name: lowercase letters, digits and '_'";

export function parseOrchestrator(
  r: Reader,
  value: unknown,
  environment: Environment,
): OrchestratorConfig | undefined {
  if (value === undefined) return undefined;
  const path = "orchestrator";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "image",
    "workerImage",
    "runImage",
    "database",
    "hostname",
    "resources",
    "pipelines",
  ]);
  if (obj.database === undefined || obj.database === "") {
    r.fail(
      `${path}.database`,
      obj.database,
      `is required: the orchestrator keeps its runs in its own PostgreSQL database (${DATABASE_RULE}, ` +
        `e.g. "orchestrator"); it is declared in postgres.databases with owner "${ORCHESTRATOR_WORKLOAD}"`,
    );
  }
  const image = r.string(obj, "image", path, PREFECT_IMAGE, IMAGE, IMAGE_RULE);
  const runResources = defaultResources("500m", "1Gi", "2", "4Gi");
  const pipelines = r.array(obj.pipelines, `${path}.pipelines`).map((item, i) => {
    const ppath = `${path}.pipelines[${i}]`;
    const p = r.object(item, ppath);
    r.knownKeys(p, ppath, [
      "name",
      "team",
      "buckets",
      "readTopics",
      "writeTopics",
      "consumerGroup",
      "runResources",
    ]);
    if (p.name === undefined) r.fail(`${ppath}.name`, undefined, "is required");
    if (p.team === undefined) r.fail(`${ppath}.team`, undefined, "is required (one of mlstack:teams)");
    return {
      name: r.string(p, "name", ppath, "", DNS_LABEL, DNS_LABEL_RULE),
      team: r.string(p, "team", ppath, ""),
      buckets: r.stringList(p, "buckets", ppath, [], DNS_LABEL, DNS_LABEL_RULE),
      readTopics: r.stringList(p, "readTopics", ppath, []),
      writeTopics: r.stringList(p, "writeTopics", ppath, []),
      consumerGroup: r.optionalString(p, "consumerGroup", ppath, DNS_LABEL, DNS_LABEL_RULE),
      runResources: parseResources(r, p.runResources, `${ppath}.runResources`, runResources),
    };
  });
  r.unique(pipelines, `${path}.pipelines`, "pipeline");
  return {
    image,
    workerImage: r.string(obj, "workerImage", path, `${PREFECT_IMAGE}-kubernetes`, IMAGE, IMAGE_RULE),
    runImage: r.string(obj, "runImage", path, image, IMAGE, IMAGE_RULE),
    database: r.string(obj, "database", path, "", DATABASE_NAME, DATABASE_RULE),
    hostname: r.optionalString(obj, "hostname", path, HOSTNAME, "a fully qualified hostname"),
    resources: parseResources(
      r,
      obj.resources,
      `${path}.resources`,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("500m", "1Gi", "2", "2Gi"),
    ),
    pipelines,
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
