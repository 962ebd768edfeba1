/**
 * `network.monitorLabels` reach every ServiceMonitor, PodMonitor and PrometheusRule mlstack renders,
 * so a stock kube-prometheus-stack (which selects `release: <its release>`) finds them.
 */
import * as pulumi from "@pulumi/pulumi";
import { strimziMetrics } from "../../../components/kafka/strimziMetrics";
import { ModelServing } from "../../../components/serving/ModelServing";
import { render } from "../../support/render";
import { configWithModel, servingArgs } from "../serving/fixtures";

const RELEASE = { release: "kube-prometheus-stack" };
const MONITORING = /^kubernetes:monitoring\.coreos\.com\/v1:(ServiceMonitor|PodMonitor|PrometheusRule)$/;

class Parent extends pulumi.ComponentResource {
  constructor() {
    super("test:index:Parent", "parent", {});
  }
}

it("a served model's ServiceMonitor and PrometheusRule carry the release label beside the platform's labels", async () => {
  const config = configWithModel({ runtime: "mlserver" });
  const r = await render(() => {
    new ModelServing("model", servingArgs(config, { monitoring: true, monitorLabels: RELEASE }));
  });
  const monitors = r.resources.filter((x) => MONITORING.test(x.type));
  expect(monitors.map((m) => m.type.split(":").pop()).sort()).toEqual(["PrometheusRule", "ServiceMonitor"]);
  for (const m of monitors)
    expect(r.inputs(m).metadata.labels).toMatchObject({ ...RELEASE, "app.kubernetes.io/name": "model" });
});

it("a KServe predictor's PodMonitor carries it too", async () => {
  const config = configWithModel({ engine: "kserve", runtime: "mlflow" });
  const r = await render(() => {
    new ModelServing("model", servingArgs(config, { monitoring: true, monitorLabels: RELEASE }));
  });
  expect(r.inputs(r.one("kubernetes:monitoring.coreos.com/v1:PodMonitor")).metadata.labels).toMatchObject(
    RELEASE,
  );
});

it("Strimzi's PodMonitor carries it, and the ConfigMap beside it does not", async () => {
  const r = await render(() => {
    strimziMetrics(
      "kafka",
      {
        cluster: "kafka",
        namespace: "ml",
        labels: { "app.kubernetes.io/name": "kafka" },
        monitoringNamespace: "monitoring",
        monitorLabels: RELEASE,
      },
      new Parent(),
    );
  });
  expect(r.inputs(r.one("kubernetes:monitoring.coreos.com/v1:PodMonitor")).metadata.labels).toEqual({
    ...RELEASE,
    "app.kubernetes.io/name": "kafka",
  });
  expect(r.inputs(r.one("kubernetes:core/v1:ConfigMap")).metadata.labels).not.toHaveProperty("release");
});

it("without monitor labels the monitors keep the platform's labels only", async () => {
  const config = configWithModel({ runtime: "mlserver" });
  const r = await render(() => {
    new ModelServing("model", servingArgs(config, { monitoring: true }));
  });
  for (const m of r.resources.filter((x) => MONITORING.test(x.type)))
    expect(r.inputs(m).metadata.labels).not.toHaveProperty("release");
});
