/**
 * A Mermaid flowchart of the platform: namespaces as subgraphs, the backing services, MLflow and
 * each model, and the connections config declares (database, buckets, topics consumed/produced).
 */
import type { PlatformConfig } from "../../stacks/config";

const id = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");

/** What an in-cluster target's object store is, by `objectStore.provider`. */
const inClusterStore: Record<PlatformConfig["objectStore"]["provider"], string> = {
  obc: "ObjectBucketClaims",
  external: "S3 endpoint",
  seaweedfs: "SeaweedFS (in-cluster)",
};

export function mermaidDiagram(config: PlatformConfig): string {
  const serviceKind: Record<string, [string, string, string]> = {
    kubernetes: ["Strimzi Kafka", "CloudNativePG", inClusterStore[config.objectStore.provider]],
    openshift: ["Strimzi Kafka", "CloudNativePG", inClusterStore[config.objectStore.provider]],
    aws: ["Amazon MSK", "Amazon RDS PostgreSQL", "Amazon S3"],
    gcp: ["Managed Kafka", "Cloud SQL PostgreSQL", "Cloud Storage"],
  };
  const [kafkaKind, pgKind, storeKind] = serviceKind[config.target];
  const lines = ["flowchart LR"];
  lines.push(`  subgraph ${id(config.platformNamespace)}["${config.platformNamespace}"]`);
  lines.push(`    mlflow["MLflow tracking server<br/>auth: ${config.mlflow.auth}"]`);
  if (config.orchestrator) lines.push(`    orchestrator["Prefect orchestrator<br/>auth: basic"]`);
  if (config.target === "kubernetes" || config.target === "openshift") {
    lines.push(`    kafka[("${kafkaKind}<br/>${config.kafka.brokers} broker(s)")]`);
    lines.push(`    postgres[("${pgKind}<br/>${config.postgres.instances} instance(s)")]`);
  }
  lines.push("  end");
  if (config.target === "aws" || config.target === "gcp") {
    lines.push(`  subgraph managed["${config.target.toUpperCase()} managed services"]`);
    lines.push(`    kafka[("${kafkaKind}")]`);
    lines.push(`    postgres[("${pgKind}")]`);
    lines.push("  end");
  }
  lines.push(`  subgraph store["${storeKind}"]`);
  for (const bucket of config.objectStore.buckets)
    lines.push(`    bucket_${id(bucket.name)}[("${bucket.name}")]`);
  lines.push("  end");
  for (const team of config.teams) {
    lines.push(`  subgraph ${id(team.namespace)}["${team.namespace}"]`);
    for (const model of config.serving.models.filter((m) => m.team === team.name)) {
      lines.push(
        `    model_${id(model.name)}["${model.name}<br/>${model.engine} / ${model.runtime}${model.gpu.count ? ` / ${model.gpu.count} GPU` : ""}"]`,
      );
    }
    const pipelines = (config.orchestrator?.pipelines ?? []).filter((p) => p.team === team.name);
    for (const pipeline of pipelines)
      lines.push(`    pipeline_${id(pipeline.name)}["${pipeline.name}<br/>Prefect worker + flow-run Jobs"]`);
    if (!config.serving.models.some((m) => m.team === team.name) && pipelines.length === 0)
      lines.push(`    ${id(team.namespace)}_empty[" "]`);
    lines.push("  end");
  }
  lines.push(`  mlflow -->|backend| postgres`);
  lines.push(`  mlflow -->|artifacts| bucket_${id(config.mlflow.artifactBucket)}`);
  if (config.postgres.backup.enabled && (config.target === "kubernetes" || config.target === "openshift")) {
    lines.push(`  postgres -->|backups| bucket_${id(config.postgres.backup.bucket)}`);
  }
  for (const model of config.serving.models) {
    if (model.source?.bucket !== undefined)
      lines.push(`  model_${id(model.name)} -->|reads model| bucket_${id(model.source.bucket)}`);
    if (model.source?.registry !== undefined)
      lines.push(
        `  model_${id(model.name)} -->|follows ${model.source.registry}@${model.source.alias}| mlflow`,
      );
    if (model.kafka) {
      lines.push(`  kafka -->|${model.kafka.inputTopic}| model_${id(model.name)}`);
      lines.push(`  model_${id(model.name)} -->|${model.kafka.outputTopic}| kafka`);
    }
    if (model.exposure === "external") lines.push(`  internet((clients)) -->|TLS| model_${id(model.name)}`);
  }
  if (config.mlflow.hostname) lines.push(`  users((users)) -->|TLS| mlflow`);
  if (config.orchestrator) {
    lines.push(`  orchestrator -->|metadata| postgres`);
    for (const p of config.orchestrator.pipelines) {
      const node = `pipeline_${id(p.name)}`;
      lines.push(`  ${node} -->|polls| orchestrator`, `  ${node} -->|logs runs| mlflow`);
      for (const b of p.buckets) lines.push(`  ${node} -->|reads/writes| bucket_${id(b)}`);
      for (const t of p.readTopics) lines.push(`  kafka -->|${t}| ${node}`);
      for (const t of p.writeTopics) lines.push(`  ${node} -->|${t}| kafka`);
    }
    if (config.orchestrator.hostname) lines.push(`  users((users)) -->|TLS| orchestrator`);
  }
  return lines.join("\n") + "\n";
}
