/**
 * A generated large stack for the benchmark: `teams` teams, `models` models spread over them
 * (every fifth one streaming), `topics` topics. Valid config, realistic shapes.
 */
export function largeStackConfig(teams: number, models: number, topics: number): Record<string, unknown> {
  const teamNames = Array.from({ length: teams }, (_, i) => `team-${String(i + 1).padStart(2, "0")}`);
  const topicList = Array.from({ length: topics }, (_, i) => ({
    name: `topic-${String(i + 1).padStart(3, "0")}`,
    owner: teamNames[i % teams],
    partitions: 6,
  }));
  const modelList = Array.from({ length: models }, (_, i) => {
    const team = teamNames[i % teams];
    // Streaming: every fifth model consumes a topic its team owns and produces to the next one.
    const owned = topicList.filter((t) => t.owner === team);
    const streaming = i % 5 === 0 && owned.length >= 2;
    const model: Record<string, unknown> = {
      name: `model-${String(i + 1).padStart(3, "0")}`,
      team,
      // Streaming runs on the mlflow runtime (MLServer cannot consume Kafka securely).
      runtime: !streaming && i % 3 === 0 ? "mlserver" : "mlflow",
      source: { bucket: `${team}-models`, path: `model-${i + 1}/1` },
    };
    if (streaming) model.kafka = { inputTopic: owned[0].name, outputTopic: owned[1].name };
    return model;
  });
  return {
    "mlstack:target": "kubernetes",
    "mlstack:environment": "staging",
    "mlstack:teams": teamNames.map((name) => ({ name, groups: [`ml-${name}`] })),
    "mlstack:kafka": { topics: topicList },
    "mlstack:objectStore": { buckets: teamNames.map((name) => ({ name: `${name}-models`, owner: name })) },
    "mlstack:serving": { models: modelList },
  };
}
