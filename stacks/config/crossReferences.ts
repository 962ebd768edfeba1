/** Checks that need the whole model: who may read or write what, and what exposure needs. */
import { Reader } from "./reader";
import type { PlatformConfig } from "./types";

/** Checks that need the whole model: who may read or write what, and what exposure needs. */
export function checkCrossReferences(r: Reader, config: PlatformConfig): void {
  const topics = new Map(config.kafka.topics.map((t) => [t.name, t]));
  const buckets = new Map(config.objectStore.buckets.map((b) => [b.name, b]));
  const topicNames = [...topics.keys()];
  config.serving.models.forEach((model, i) => {
    const mpath = `serving.models[${i}]`;
    if (model.source?.bucket) {
      const bucket = buckets.get(model.source.bucket);
      const teamBuckets = config.objectStore.buckets.filter((b) => b.owner === model.team).map((b) => b.name);
      if (!bucket)
        r.fail(
          `${mpath}.source.bucket`,
          model.source.bucket,
          `is not a declared bucket (buckets of team ${model.team}: ${teamBuckets.join(", ") || "none"})`,
        );
      else if (bucket.owner !== model.team)
        r.fail(
          `${mpath}.source.bucket`,
          model.source.bucket,
          `belongs to ${bucket.owner}, not to the model's team ${model.team} (its buckets: ${teamBuckets.join(", ") || "none"})`,
        );
    }
    if (model.kafka) {
      const input = topics.get(model.kafka.inputTopic);
      const output = topics.get(model.kafka.outputTopic);
      if (model.kafka.inputTopic && !input)
        r.fail(
          `${mpath}.kafka.inputTopic`,
          model.kafka.inputTopic,
          `is not a declared topic (declared: ${topicNames.join(", ") || "none"})`,
        );
      else if (input && input.owner !== model.team && !input.readers.includes(model.team)) {
        r.fail(
          `${mpath}.kafka.inputTopic`,
          model.kafka.inputTopic,
          `may not be read by team ${model.team} (owner ${input.owner}, readers: ${input.readers.join(", ") || "none"}); add the team to the topic's readers`,
        );
      }
      if (model.kafka.outputTopic && !output)
        r.fail(
          `${mpath}.kafka.outputTopic`,
          model.kafka.outputTopic,
          `is not a declared topic (declared: ${topicNames.join(", ") || "none"})`,
        );
      else if (output && output.owner !== model.team && !output.writers.includes(model.team)) {
        r.fail(
          `${mpath}.kafka.outputTopic`,
          model.kafka.outputTopic,
          `may not be written by team ${model.team} (owner ${output.owner}, writers: ${output.writers.join(", ") || "none"}); add the team to the topic's writers`,
        );
      }
    }
    if (model.exposure === "external" && !model.hostname && !config.ingress.domain) {
      r.fail(
        `${mpath}.exposure`,
        "external",
        "needs a hostname: set this model's hostname or mlstack:ingress.domain",
      );
    }
  });
  if (config.serving.models.some((m) => m.gpu.count > 0)) {
    config.serving.models.forEach((model, i) => {
      const team = config.teams.find((t) => t.name === model.team);
      if (team && model.gpu.count > 0 && team.quota.gpu < model.gpu.count * model.minReplicas) {
        r.fail(
          `serving.models[${i}].gpu.count`,
          model.gpu.count,
          `needs ${model.gpu.count * model.minReplicas} GPU(s) at minReplicas but team ${team.name}'s quota.gpu is ${team.quota.gpu}; raise mlstack:teams quota.gpu`,
        );
      }
    });
  }
  const external =
    config.serving.models.some((m) => m.exposure === "external") || config.mlflow.hostname !== undefined;
  if (
    external &&
    config.target !== "openshift" &&
    !config.ingress.clusterIssuer &&
    !config.ingress.tlsSecretName
  ) {
    r.fail(
      "ingress",
      config.ingress,
      "needs clusterIssuer or tlsSecretName: external endpoints are served over TLS only",
    );
  }
  if (config.teams.length === 0) r.fail("teams", [], "must declare at least one team");
}
