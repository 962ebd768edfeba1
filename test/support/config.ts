/** A small but complete raw config (two teams, a streaming and an HTTP model) for tests to vary. */
import { parseConfig, PlatformConfig } from "../../stacks/config";

/** Loosely typed JSON for tests that build or inspect raw documents. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export function baseRawConfig(): Json {
  return {
    target: "kubernetes",
    environment: "dev",
    teams: [
      { name: "fraud", groups: ["ml-fraud"], quota: { gpu: 2 } },
      { name: "pricing", groups: ["ml-pricing"] },
    ],
    kafka: {
      topics: [
        { name: "transactions", owner: "fraud", readers: ["pricing"] },
        { name: "fraud-scores", owner: "fraud" },
      ],
    },
    objectStore: {
      buckets: [
        { name: "fraud-models", owner: "fraud" },
        { name: "pricing-models", owner: "pricing" },
      ],
    },
    serving: {
      models: [
        {
          name: "fraud-detector",
          team: "fraud",
          source: { bucket: "fraud-models", path: "fraud-detector/3" },
          kafka: { inputTopic: "transactions", outputTopic: "fraud-scores" },
        },
        {
          name: "price-quoter",
          team: "pricing",
          runtime: "mlserver",
          source: { bucket: "pricing-models", path: "quoter/12" },
        },
      ],
    },
  };
}

export function baseConfig(overrides: Record<string, unknown> = {}): PlatformConfig {
  return parseConfig({ ...baseRawConfig(), ...overrides }, { project: "mlstack", stack: "test" });
}
