/**
 * The consumer-lag alert reads the stream consumer's own metric (`mlstack_stream_consumer_lag`,
 * exported per assigned partition by components/serving/streamConsumer.py), never KEDA's operator
 * metrics: OpenShift's user-workload rule evaluation cannot see KEDA's series, and on GCP no KEDA
 * scaler exists at all.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_ALERT_THRESHOLDS, modelAlertRules } from "../../../components/serving/alerts";
import { ModelServing } from "../../../components/serving/ModelServing";
import { render } from "../../support/render";
import { configWithModel, modelOf, NAMESPACE, scramKafkaArgs, servingArgs } from "./fixtures";
import type { ModelKafkaArgs } from "../../../components/serving/kafkaScaler";

const KAFKA = { inputTopic: "transactions", outputTopic: "fraud-scores", lagThreshold: 100 };

function resolved(value: pulumi.Output<string>): Promise<string> {
  return new Promise((resolve) => value.apply((v) => resolve(v)));
}

describe("ModelConsumerLagHigh", () => {
  const model = modelOf(configWithModel({ kafka: KAFKA, minReplicas: 1, maxReplicas: 6 }));
  const stream = { kind: "stream" as const, selector: "service" as const, name: "model" };
  /** The model's rules with a saturation lag of 300, its series scraped as a stream consumer's unless told otherwise. */
  const streamRules = (scraped = true) =>
    modelAlertRules({
      model,
      namespace: NAMESPACE,
      deploymentName: "model",
      requestMetrics: scraped ? stream : undefined,
      lag: { saturationLag: 300 },
      thresholds: DEFAULT_ALERT_THRESHOLDS,
    });

  it("sums the consumer's own per-partition lag, taking the larger report of a partition two pods both hold during a rebalance", async () => {
    const [lag] = streamRules().filter((r) => r.alert === "ModelConsumerLagHigh");
    expect(await resolved(lag.expr)).toBe(
      `sum(max by (topic, partition) (mlstack_stream_consumer_lag{namespace="${NAMESPACE}", service="model"})) >= 300`,
    );
    expect(lag.for).toBe("15m");
  });

  it("never queries KEDA's metrics", async () => {
    const rules = streamRules();
    const exprs = await Promise.all(rules.map((r) => resolved(r.expr)));
    expect(exprs.join("\n")).not.toContain("keda_");
  });

  it("has no lag rule when the series that carry the lag are not scraped (no stream metrics)", () => {
    const rules = streamRules(false);
    expect(rules.map((r) => r.alert)).not.toContain("ModelConsumerLagHigh");
  });

  it("alerts on lag where the model scales on CPU without a KEDA lag trigger (GCP)", async () => {
    const config = configWithModel({ kafka: KAFKA, minReplicas: 1, maxReplicas: 6 });
    const args = servingArgs(config, { monitoring: true, kafka: scramKafkaArgs({ inputPartitions: 3 }) });
    const r = await render(() => {
      new ModelServing("model", {
        ...args,
        kafka: { ...(args.kafka as ModelKafkaArgs), lagTrigger: undefined },
      });
    });
    const rules = r.inputs(r.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule")).spec.groups[0].rules;
    const lag = rules.find((x: { alert: string }) => x.alert === "ModelConsumerLagHigh");
    expect(lag?.expr).toContain("mlstack_stream_consumer_lag");
    expect(lag?.expr).toMatch(/>= 300$/);
  });
});
