import { largeStackConfig } from "../../cli/bench/largeConfig";
import { parseConfig, platformKeys } from "../../stacks/config";

const encode = (doc: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));

describe("the benchmark's generated large stack", () => {
  it.each([25, 50, 100])("is a valid config with 20 teams, %i models and 50 topics", (models) => {
    const config = parseConfig(platformKeys(encode(largeStackConfig(20, models, 50))), {
      project: "mlstack",
      stack: "large",
    });
    expect(config.teams).toHaveLength(20);
    expect(config.serving.models).toHaveLength(models);
    expect(config.kafka.topics).toHaveLength(50);
    expect(config.serving.models.filter((m) => m.kafka).length).toBeGreaterThan(0);
  });
});
