/**
 * `mlstack:orchestrator` through the config layer and the pre-flight step: refused before anything
 * registers, each problem named by its config key.
 */
import * as path from "path";
import { mermaidDiagram } from "../../../cli/plan/diagram";
import { loadStackConfig } from "../../../cli/plan/stackConfig";
import { ConfigError, parseConfig, platformKeys } from "../../../stacks/config";
import { preflightProblems } from "../../../stacks/preflight";
import { Json, baseRawConfig } from "../../support/config";

const IDENTITY = { project: "mlstack", stack: "test" };

function withOrchestrator(orchestrator: Json): Json {
  return { ...baseRawConfig(), orchestrator };
}

function configProblems(raw: Json): string[] {
  try {
    parseConfig(raw, IDENTITY);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

const PIPELINE = { name: "fraud-retrain", team: "fraud", buckets: ["fraud-models"] };

describe("mlstack:orchestrator", () => {
  it("is optional: no section, no orchestrator", () => {
    expect(parseConfig(baseRawConfig(), IDENTITY).orchestrator).toBeUndefined();
  });

  it("declares its database with owner orchestrator and passes the pre-flight step", () => {
    const config = parseConfig(
      withOrchestrator({ database: "orchestrator", pipelines: [PIPELINE] }),
      IDENTITY,
    );
    expect(config.postgres.databases).toContainEqual({ name: "orchestrator", owner: "orchestrator" });
    expect(config.orchestrator?.pipelines[0]).toMatchObject({
      name: "fraud-retrain",
      team: "fraud",
      buckets: ["fraud-models"],
    });
    expect(preflightProblems(config)).toEqual([]);
  });

  it("refuses an orchestrator with no database, naming the key", () => {
    const problems = configProblems(withOrchestrator({ pipelines: [PIPELINE] }));
    expect(problems).toEqual([expect.stringMatching(/^mlstack:orchestrator\.database: .*is required/)]);
  });

  it("refuses a database another workload owns", () => {
    const raw = withOrchestrator({ database: "fraud_features" });
    raw.postgres = { databases: [{ name: "fraud_features", owner: "fraud-detector" }] };
    expect(configProblems(raw)).toEqual([
      expect.stringMatching(/^mlstack:orchestrator\.database: .*fraud-detector/),
    ]);
  });

  it("refuses buckets and topics outside the pipeline's team's grants", () => {
    const problems = configProblems(
      withOrchestrator({
        database: "orchestrator",
        pipelines: [
          {
            name: "quote-retrain",
            team: "pricing",
            buckets: ["fraud-models"],
            writeTopics: ["fraud-scores"],
          },
        ],
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^mlstack:orchestrator\.pipelines\[0\]\.buckets\[0\]: .*belongs to fraud/),
      expect.stringMatching(
        /^mlstack:orchestrator\.pipelines\[0\]\.writeTopics\[0\]: .*may not be written by team pricing/,
      ),
    ]);
  });

  it("refuses an unknown team and a pipeline named like a model", () => {
    const problems = configProblems(
      withOrchestrator({ database: "orchestrator", pipelines: [{ name: "fraud-detector", team: "risk" }] }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^mlstack:orchestrator\.pipelines\[0\]\.team: "risk" is not a team/),
      expect.stringMatching(/^mlstack:orchestrator\.pipelines\[0\]\.name: .*already a workload/),
    ]);
  });

  it("names the config key of a component refusal in the pre-flight step", () => {
    const name = "a-pipeline-name-that-is-longer-than-forty-chars";
    const config = parseConfig(
      withOrchestrator({ database: "orchestrator", pipelines: [{ ...PIPELINE, name }] }),
      IDENTITY,
    );
    expect(preflightProblems(config)).toEqual([
      expect.stringMatching(/^mlstack:orchestrator\.pipelines\[0\]\.name: .*at most 40 characters/),
    ]);
  });

  it.each(["staging", "prod"])(
    "ships a pipeline in %s, drawn in the diagram with its connections",
    (stack) => {
      const { project, config: raw } = loadStackConfig(path.resolve(__dirname, "../../.."), stack);
      const config = parseConfig(platformKeys(raw), { project, stack });
      expect(config.orchestrator?.pipelines.map((p) => p.name)).toEqual(["fraud-retrain"]);
      expect(preflightProblems(config)).toEqual([]);
      const diagram = mermaidDiagram(config);
      expect(diagram).toContain('orchestrator["Prefect orchestrator<br/>auth: basic"]');
      expect(diagram).toContain("orchestrator -->|metadata| postgres");
      expect(diagram).toContain("pipeline_fraud_retrain -->|polls| orchestrator");
      expect(diagram).toContain("pipeline_fraud_retrain -->|reads/writes| bucket_payments_risk_models");
      expect(diagram).toContain("kafka -->|card-transactions| pipeline_fraud_retrain");
    },
  );
});
