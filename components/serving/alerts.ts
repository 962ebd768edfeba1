/**
 * The alerting rules of one served model: availability always, p99 latency and error rate where
 * the runtime exports request metrics, and consumer lag for streaming models.
 *
 * Series sources: kube-state-metrics (`kube_deployment_status_replicas_available`) and the runtime's
 * own metrics scraped by this component's ServiceMonitor / PodMonitor (which attach `namespace`
 * and `service` / `pod`). Consumer lag too comes from the stream consumer itself
 * (`mlstack_stream_consumer_lag{topic, partition}`, from librdkafka's statistics), not from KEDA's
 * operator metrics: OpenShift's user-workload rule evaluation cannot see the KEDA operator's
 * series, GCP scales streaming models on CPU without any KEDA scaler, and the consumer's own
 * series live in the model's namespace on every target.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ModelConfig } from "./settings";
import { vllmQueries } from "./vllm";

/** Which request metrics a runtime exports (see runtime.ts). */
export type RequestMetricsKind = "mlserver" | "triton" | "vllm" | "stream";

export interface AlertThresholds {
  /** p99 latency above which `ModelHighLatency` fires, in seconds. Default 1. */
  p99LatencySeconds: number;
  /** Share of failed requests (5xx / failed inferences / records not scored) above which `ModelHighErrorRate` fires. Default 0.05. */
  errorRatio: number;
  /** vLLM: p99 time to first token above which `ModelSlowFirstToken` fires, in seconds. Default 2. */
  timeToFirstTokenSeconds: number;
  /** vLLM: requests waiting for a slot (all replicas) above which `ModelRequestQueueHigh` fires. Default 50. */
  requestsWaiting: number;
}

/**
 * An LLM's end-to-end latency is the whole generated answer (tens of seconds), so its latency
 * alert uses the generation-length-independent time to first token instead of the 1 s p99.
 */
export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  p99LatencySeconds: 1,
  errorRatio: 0.05,
  timeToFirstTokenSeconds: 2,
  requestsWaiting: 50,
};

export interface ModelAlertArgs {
  model: ModelConfig;
  namespace: pulumi.Input<string>;
  /** Deployment whose available replicas count (the model's, or KServe's `<name>-predictor`). */
  deploymentName: string;
  /** Request metrics the runtime exports, and the label matcher that selects this model's series. */
  requestMetrics?: { kind: RequestMetricsKind; selector: "service" | "pod"; name: string };
  /**
   * Streaming: the lag (records behind, summed over the input topic's partitions) at which the
   * consumers are saturated. Needs `requestMetrics` of kind `stream`, whose series carry the lag.
   */
  lag?: { saturationLag: number };
  thresholds: AlertThresholds;
}

export interface AlertRule {
  alert: string;
  expr: pulumi.Output<string>;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function modelAlertRules(a: ModelAlertArgs): AlertRule[] {
  const { model, thresholds } = a;
  const labels = (severity: string) => ({ severity, team: model.team, model: model.name });
  const ns = pulumi.output(a.namespace);
  const percent = `${Math.round(thresholds.errorRatio * 10_000) / 100}%`;
  const rules: AlertRule[] = [
    {
      alert: "ModelUnavailable",
      expr: pulumi.interpolate`max(kube_deployment_status_replicas_available{namespace="${ns}", deployment="${a.deploymentName}"}) < 1`,
      for: "5m",
      labels: labels("critical"),
      annotations: {
        summary: `Model ${model.name} has no ready replica`,
        description: `No replica of ${model.name} has been ready for 5 minutes: it serves nothing. Check its pods' events, the model download and the readiness probe.`,
      },
    },
  ];
  if (a.requestMetrics?.kind === "vllm") {
    rules.push(
      ...llmAlertRules(model.name, vllmQueries(seriesSelector(ns, a.requestMetrics)), thresholds, labels),
    );
  } else if (a.requestMetrics) {
    const { kind } = a.requestMetrics;
    const q = requestQueries(kind, seriesSelector(ns, a.requestMetrics));
    rules.push(
      {
        alert: "ModelHighLatency",
        expr: pulumi.interpolate`${q.p99Seconds} > ${thresholds.p99LatencySeconds}`,
        for: "10m",
        labels: labels("warning"),
        annotations: {
          summary: `Model ${model.name} p99 latency above ${thresholds.p99LatencySeconds}s`,
          description: `The 99th percentile of ${model.name}'s ${kind === "stream" ? "per-record scoring time" : "request latency"} has been above ${thresholds.p99LatencySeconds}s for 10 minutes.`,
        },
      },
      {
        alert: "ModelHighErrorRate",
        expr: pulumi.interpolate`${q.errorRatio} > ${thresholds.errorRatio}`,
        for: "10m",
        labels: labels("critical"),
        annotations: {
          summary: `Model ${model.name} error rate above ${percent}`,
          description: `More than ${percent} of ${model.name}'s ${q.what} have failed for 10 minutes.`,
        },
      },
    );
  }
  if (a.lag && model.kafka && a.requestMetrics?.kind === "stream") {
    const sel = seriesSelector(ns, a.requestMetrics);
    rules.push({
      alert: "ModelConsumerLagHigh",
      // Each partition is reported by the consumer it is assigned to; during a rebalance two pods may
      // both report one, so take the larger report per partition before summing.
      expr: pulumi.interpolate`sum(max by (topic, partition) (mlstack_stream_consumer_lag{${sel}})) >= ${a.lag.saturationLag}`,
      for: "15m",
      labels: labels("warning"),
      annotations: {
        summary: `Model ${model.name} is not keeping up with its input topic`,
        description: `Consumer group lag of ${model.name} has stayed at or above ${a.lag.saturationLag} records (lagThreshold ${model.kafka.lagThreshold} per consumer at the most useful number of consumers) for 15 minutes: autoscaling cannot absorb it. Raise maxReplicas or the input topic's partitions, or speed up the model.`,
      },
    });
  }
  return rules;
}

/** The label matchers of the model's own series: by Service (ServiceMonitor) or by pod name (PodMonitor). */
function seriesSelector(
  ns: pulumi.Output<string>,
  metrics: NonNullable<ModelAlertArgs["requestMetrics"]>,
): pulumi.Output<string> {
  return metrics.selector === "service"
    ? pulumi.interpolate`namespace="${ns}", service="${metrics.name}"`
    : pulumi.interpolate`namespace="${ns}", pod=~"${metrics.name}-.*"`;
}

/** An LLM server's alerts: time to first token, queue length, stalled generation and HTTP errors. */
function llmAlertRules(
  modelName: string,
  q: ReturnType<typeof vllmQueries>,
  thresholds: AlertThresholds,
  labels: (severity: string) => Record<string, string>,
): AlertRule[] {
  const percent = `${Math.round(thresholds.errorRatio * 10_000) / 100}%`;
  return [
    {
      alert: "ModelSlowFirstToken",
      expr: pulumi.interpolate`${q.timeToFirstTokenP99} > ${thresholds.timeToFirstTokenSeconds}`,
      for: "10m",
      labels: labels("warning"),
      annotations: {
        summary: `Model ${modelName} p99 time to first token above ${thresholds.timeToFirstTokenSeconds}s`,
        description: `The 99th percentile of ${modelName}'s time to first token has been above ${thresholds.timeToFirstTokenSeconds}s for 10 minutes: prompts wait for a slot or prefill is saturated. Add replicas (maxReplicas) or GPUs.`,
      },
    },
    {
      alert: "ModelRequestQueueHigh",
      expr: pulumi.interpolate`${q.queueLength} > ${thresholds.requestsWaiting}`,
      for: "10m",
      labels: labels("warning"),
      annotations: {
        summary: `Model ${modelName} has more than ${thresholds.requestsWaiting} requests waiting`,
        description: `More than ${thresholds.requestsWaiting} requests have waited for a slot on ${modelName} for 10 minutes: autoscaling cannot absorb the load. Raise maxReplicas or the team's GPU quota.`,
      },
    },
    {
      alert: "ModelGenerationStalled",
      expr: pulumi.interpolate`${q.running} > 0 and ${q.tokensPerSecond} == 0`,
      for: "5m",
      labels: labels("critical"),
      annotations: {
        summary: `Model ${modelName} generates no tokens`,
        description: `${modelName} has requests running but has generated no token (vllm:generation_tokens_total) for 5 minutes: the engine is stuck. Check the GPU and the pod's logs.`,
      },
    },
    {
      alert: "ModelHighErrorRate",
      expr: pulumi.interpolate`${q.errorRatio} > ${thresholds.errorRatio}`,
      for: "10m",
      labels: labels("critical"),
      annotations: {
        summary: `Model ${modelName} error rate above ${percent}`,
        description: `More than ${percent} of ${modelName}'s HTTP requests (5xx) have failed for 10 minutes.`,
      },
    },
  ];
}

function requestQueries(
  kind: Exclude<RequestMetricsKind, "vllm">,
  sel: pulumi.Output<string>,
): { p99Seconds: pulumi.Output<string>; errorRatio: pulumi.Output<string>; what: string } {
  switch (kind) {
    case "mlserver":
      return {
        p99Seconds: pulumi.interpolate`histogram_quantile(0.99, sum by (le) (rate(rest_server_request_duration_seconds_bucket{${sel}}[5m])))`,
        errorRatio: pulumi.interpolate`sum(rate(rest_server_requests_total{${sel}, status_code=~"5.."}[5m])) / sum(rate(rest_server_requests_total{${sel}}[5m]))`,
        what: "HTTP requests (5xx)",
      };
    case "triton":
      return {
        p99Seconds: pulumi.interpolate`max(nv_inference_request_summary_us{${sel}, quantile="0.99"}) / 1e6`,
        errorRatio: pulumi.interpolate`sum(rate(nv_inference_request_failure{${sel}}[5m])) / (sum(rate(nv_inference_request_success{${sel}}[5m])) + sum(rate(nv_inference_request_failure{${sel}}[5m])))`,
        what: "inference requests",
      };
    case "stream":
      return {
        p99Seconds: pulumi.interpolate`histogram_quantile(0.99, sum by (le) (rate(mlstack_stream_record_duration_seconds_bucket{${sel}}[5m])))`,
        errorRatio: pulumi.interpolate`sum(rate(mlstack_stream_records_total{${sel}, outcome="error"}[5m])) / sum(rate(mlstack_stream_records_total{${sel}}[5m]))`,
        what: "input records",
      };
  }
}
