/**
 * Extra labels for the Prometheus Operator objects mlstack renders (ServiceMonitor, PodMonitor,
 * PrometheusRule), so a Prometheus that selects its monitors by label finds them: a stock
 * kube-prometheus-stack selects `release: <its Helm release>`: with its default
 * `prometheus.prometheusSpec.{serviceMonitor,podMonitor,rule}SelectorNilUsesHelmValues: true`, the
 * Prometheus it creates selects only monitors and rules carrying the release label
 * (prometheus-community/helm-charts `charts/kube-prometheus-stack/values.yaml`; the chart tag was
 * not pinned when this was read, and these defaults have held across its releases).
 */
import { LABEL_KEY_RULE, LABEL_VALUE_RULE, isLabelKey, isLabelValue } from "./names";

/** Prefixes of the platform's own labels, which selectors and policies rely on: never overridden. */
const RESERVED_PREFIXES = ["app.kubernetes.io/", "mlstack.io/"];

/** Why these labels cannot go on monitors (undefined when they can), naming the offending key. */
export function monitorLabelsProblem(
  labels: Record<string, unknown>,
): { key: string; value: unknown; allowed: string } | undefined {
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) return { key, value: key, allowed: `is not ${LABEL_KEY_RULE}` };
    if (RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix)))
      return {
        key,
        value: key,
        allowed: `is one of the platform's own labels (${RESERVED_PREFIXES.map((p) => `${p}*`).join(", ")}); choose another key`,
      };
    if (typeof value !== "string" || !isLabelValue(value))
      return { key, value, allowed: `is not ${LABEL_VALUE_RULE}` };
  }
  return undefined;
}

/** A monitor's labels: the platform's, plus the configured extras (which cannot override them). */
export function monitorObjectLabels(
  platformLabels: Record<string, string>,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  return { ...(extra ?? {}), ...platformLabels };
}

/** Object metadata with the configured extras added to its labels (see `monitorObjectLabels`). */
export function monitorMeta<M extends { labels: Record<string, string> }>(
  metadata: M,
  extra: Record<string, string> | undefined,
): M {
  return { ...metadata, labels: monitorObjectLabels(metadata.labels, extra) };
}
