/**
 * Monitoring: scrape targets where the runtime exports metrics, and alerting rules on
 * availability, p99 latency, error rate and consumer lag.
 */
import { ModelServing } from "../../../components/serving/ModelServing";
import { render } from "../../support/render";
import { configWithModel, NAMESPACE, scramKafkaArgs, servingArgs } from "./fixtures";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";

async function renderMonitored(
  model: Record<string, unknown>,
  extra: Parameters<typeof servingArgs>[1] = {},
) {
  const config = configWithModel(model);
  const r = await render(() => {
    new ModelServing("model", servingArgs(config, { monitoring: true, ...extra }));
  });
  const rules = r.ofType(RULE).length ? (r.inputs(r.one(RULE)).spec.groups[0].rules as Inputs[]) : [];
  return { ...r, rules, rule: (alert: string) => rules.find((x) => x.alert === alert) as Inputs };
}

describe("scrape targets", () => {
  it("scrapes MLServer's metrics port through a ServiceMonitor", async () => {
    const r = await renderMonitored({ runtime: "mlserver" });
    const sm = r.inputs(r.one(SERVICE_MONITOR));
    expect(sm.metadata).toMatchObject({ name: "model", namespace: NAMESPACE });
    expect(sm.spec.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": "model",
      "app.kubernetes.io/part-of": "mlstack",
    });
    expect(sm.spec.endpoints).toEqual([
      { port: "metrics", path: "/metrics", interval: "30s", scheme: "http" },
    ]);
  });

  it("scrapes Triton's metrics port", async () => {
    const r = await renderMonitored({ runtime: "triton" });
    expect(r.inputs(r.one(SERVICE_MONITOR)).spec.endpoints[0].port).toBe("metrics");
  });

  it("scrapes the stream consumer on its serving port", async () => {
    const r = await renderMonitored({ kafka: { inputTopic: "transactions", outputTopic: "fraud-scores" } });
    expect(r.inputs(r.one(SERVICE_MONITOR)).spec.endpoints[0].port).toBe("http");
  });

  it("scrapes nothing for `mlflow models serve` and custom images, which export no metrics", async () => {
    expect((await renderMonitored({ runtime: "mlflow" })).ofType(SERVICE_MONITOR)).toHaveLength(0);
    expect(
      (await renderMonitored({ runtime: "custom", image: "ghcr.io/acme/scorer:1.4.2" })).ofType(
        SERVICE_MONITOR,
      ),
    ).toHaveLength(0);
  });

  it("scrapes KServe predictors through a PodMonitor on their named metrics port", async () => {
    const r = await renderMonitored({ engine: "kserve", runtime: "mlflow" });
    const pm = r.inputs(r.one(POD_MONITOR));
    expect(pm.spec.podMetricsEndpoints).toEqual([
      { port: "metrics", path: "/metrics", interval: "30s", scheme: "http" },
    ]);
    expect(
      r.inputs(r.one("kubernetes:serving.kserve.io/v1beta1:InferenceService")).spec.predictor.model.ports,
    ).toContainEqual({
      name: "metrics",
      containerPort: 8082,
      protocol: "TCP",
    });
    expect(r.ofType(SERVICE_MONITOR)).toHaveLength(0);
  });

  it("creates no monitoring objects when monitoring is off", async () => {
    const r = await renderMonitored({ runtime: "mlserver" }, { monitoring: false });
    expect(r.ofType(RULE)).toHaveLength(0);
    expect(r.ofType(SERVICE_MONITOR)).toHaveLength(0);
  });
});

describe("alerts", () => {
  it("alerts when no replica is ready, for every runtime", async () => {
    for (const runtime of ["mlflow", "custom"]) {
      const r = await renderMonitored(
        runtime === "custom" ? { runtime, image: "ghcr.io/acme/scorer:1.4.2" } : { runtime },
      );
      const rule = r.rule("ModelUnavailable");
      expect(rule.expr).toBe(
        `max(kube_deployment_status_replicas_available{namespace="${NAMESPACE}", deployment="model"}) < 1`,
      );
      expect(rule.for).toBe("5m");
      expect(rule.labels).toEqual({ severity: "critical", team: "fraud", model: "model" });
      expect(r.rules.map((x) => x.alert)).toEqual(["ModelUnavailable"]);
    }
  });

  it("alerts on MLServer's p99 latency and 5xx ratio from its own series", async () => {
    const r = await renderMonitored({ runtime: "mlserver" });
    const sel = `namespace="${NAMESPACE}", service="model"`;
    expect(r.rule("ModelHighLatency").expr).toBe(
      `histogram_quantile(0.99, sum by (le) (rate(rest_server_request_duration_seconds_bucket{${sel}}[5m]))) > 1`,
    );
    expect(r.rule("ModelHighErrorRate").expr).toBe(
      `sum(rate(rest_server_requests_total{${sel}, status_code=~"5.."}[5m])) / sum(rate(rest_server_requests_total{${sel}}[5m])) > 0.05`,
    );
  });

  it("alerts on Triton's p99 latency summary and failed inferences", async () => {
    const r = await renderMonitored({ runtime: "triton" });
    expect(r.rule("ModelHighLatency").expr).toBe(
      `max(nv_inference_request_summary_us{namespace="${NAMESPACE}", service="model", quantile="0.99"}) / 1e6 > 1`,
    );
    expect(r.rule("ModelHighErrorRate").expr).toContain("nv_inference_request_failure");
  });

  it("uses the configured thresholds", async () => {
    const r = await renderMonitored(
      { runtime: "mlserver" },
      { alertThresholds: { p99LatencySeconds: 0.25, errorRatio: 0.01 } },
    );
    expect(r.rule("ModelHighLatency").expr).toMatch(/ > 0.25$/);
    expect(r.rule("ModelHighErrorRate").expr).toMatch(/ > 0.01$/);
  });

  it("selects a KServe predictor's series by pod and its availability by KServe's Deployment", async () => {
    const r = await renderMonitored({ engine: "kserve", runtime: "mlflow" });
    expect(r.rule("ModelUnavailable").expr).toContain('deployment="model-predictor"');
    expect(r.rule("ModelHighLatency").expr).toContain(`namespace="${NAMESPACE}", pod=~"model-predictor-.*"`);
  });

  it("alerts when consumer lag stays at the level autoscaling cannot absorb, and on the consumer's latency and errors", async () => {
    const kafka = { inputTopic: "transactions", outputTopic: "fraud-scores", lagThreshold: 100 };
    const r = await renderMonitored(
      { kafka, minReplicas: 1, maxReplicas: 6 },
      { kafka: scramKafkaArgs({ inputPartitions: 3 }) },
    );
    const lag = r.rule("ModelConsumerLagHigh");
    expect(lag.expr).toBe(
      `sum(max by (topic, partition) (mlstack_stream_consumer_lag{namespace="${NAMESPACE}", service="model"})) >= 300`,
    );
    expect(lag.for).toBe("15m");
    expect(r.rule("ModelHighLatency").expr).toContain("mlstack_stream_record_duration_seconds_bucket");
    expect(r.rule("ModelHighErrorRate").expr).toContain('outcome="error"');
  });

  it("bounds the lag alert by maxReplicas when the topic has more partitions than replicas", async () => {
    const kafka = { inputTopic: "transactions", outputTopic: "fraud-scores", lagThreshold: 100 };
    const r = await renderMonitored(
      { kafka, minReplicas: 1, maxReplicas: 2 },
      { kafka: scramKafkaArgs({ inputPartitions: 12 }) },
    );
    expect(r.rule("ModelConsumerLagHigh").expr).toMatch(/>= 200$/);
  });

  it("has no lag alert for HTTP models", async () => {
    const r = await renderMonitored({ runtime: "mlserver" });
    expect(r.rule("ModelConsumerLagHigh")).toBeUndefined();
  });
});
