/**
 * `ModelServing`: one served model, written against the contracts only (it never learns which
 * cloud or Kafka it runs on). See README.md beside this file for the runtime and engine matrix.
 *
 * engine `deployment` (deploymentWorkload.ts): Deployment + Service + HPA on CPU (HTTP models), on
 * the request queue (vLLM) or KEDA ScaledObject on consumer lag (streaming models).
 * engine `kserve` (kserveWorkload.ts): a RawDeployment InferenceService (KServe makes the
 * Deployment, Service and HPA), Pulumi waiting for it to be Ready, and the namespaced
 * ServingRuntime it needs.
 * Both: the fetch-model step where the server reads a local copy (modelFetch.ts), a
 * PodDisruptionBudget, a NetworkPolicy, and when monitoring is on a ServiceMonitor / PodMonitor and
 * a PrometheusRule.
 */
import { monitorMeta } from "../kube/monitorLabels";
import { PodMonitor, PrometheusRule } from "../crds/monitoring.coreos.com/v1";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubeLabels, selectorLabels } from "../kube/labels";
import { DEFAULT_ALERT_THRESHOLDS, modelAlertRules } from "./alerts";
import { deploymentWorkload } from "./deploymentWorkload";
import { kservePredictorName } from "./inferenceService";
import { kserveWorkload } from "./kserveWorkload";
import { FetchStep, fetchesModel, fetchModelConfigMapData, fetchStep } from "./modelFetch";
import type { ModelServingArgs } from "./modelServingArgs";
import { MetaFor, MODEL_ALIAS_LABEL, ServedWorkload } from "./servedWorkload";
import { validateModelServingArgs } from "./validation";

export type { KafkaLagTrigger, ModelKafkaArgs } from "./kafkaScaler";
export type { AlertThresholds } from "./alerts";
export type { ModelRegistryAccess } from "./modelFetch";
export { MODEL_CONTAINER } from "./modelServingArgs";
export type { ModelServingArgs } from "./modelServingArgs";
export { looksLikeSecretName, validateModelServingArgs } from "./validation";

type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

/**
 * The served workload lives beside the instance, not in a field: Pulumi's component analyzer
 * publishes every field as a schema output and has no type for Deployment | CustomResource (a
 * union, and a CustomResource has no Pulumi type token), which kept ModelServing out of the plugin.
 */
const workloads = new WeakMap<ModelServing, k8s.apps.v1.Deployment | k8s.apiextensions.CustomResource>();

export class ModelServing extends pulumi.ComponentResource {
  /** The ClusterIP Service in front of the model (KServe's `<name>-predictor` on engine kserve). */
  public readonly serviceName: pulumi.Output<string>;
  /** Port of that Service (the model's port; 80 for KServe, which forwards to the runtime's 8080). */
  public readonly servicePort: number;
  /** `http://<service>.<namespace>.svc.cluster.local[:port]`. */
  public readonly url: pulumi.Output<string>;
  /** The Deployment (engine deployment) or the InferenceService (engine kserve). */
  public get workload(): k8s.apps.v1.Deployment | k8s.apiextensions.CustomResource {
    return workloads.get(this) as k8s.apps.v1.Deployment | k8s.apiextensions.CustomResource;
  }

  constructor(name: string, args: ModelServingArgs, opts?: pulumi.ComponentResourceOptions) {
    validateModelServingArgs(args);
    super("mlstack:serving:ModelServing", name, {}, opts);

    const { ctx, model } = args;
    const labels = {
      ...kubeLabels({
        name: model.name,
        component: "model-serving",
        environment: ctx.environment,
        team: model.team,
      }),
      ...(model.source?.alias !== undefined ? { [MODEL_ALIAS_LABEL]: model.source.alias } : {}),
    };
    const selector = selectorLabels({ name: model.name });
    const meta: MetaFor = (objectName) => ({ name: objectName, namespace: args.namespace, labels });

    const fetch = fetchesModel(model) ? this.fetchStep(name, args, meta) : undefined;
    const served =
      model.engine === "kserve"
        ? kserveWorkload(this, name, args, meta, selector, fetch)
        : deploymentWorkload(this, name, args, meta, selector, fetch, opts?.dependsOn);
    workloads.set(this, served.workload);
    this.serviceName = served.serviceName;
    this.servicePort = served.servicePort;

    this.disruptionBudget(name, args, meta, selector);
    this.networkPolicy(name, args, meta, selector, served.servingPort, served.metricsPort);
    if (args.monitoring) this.monitoring(name, args, meta, selector, served);

    const portSuffix = this.servicePort === 80 ? "" : `:${this.servicePort}`;
    this.url = pulumi.interpolate`http://${this.serviceName}.${args.namespace}.svc.cluster.local${portSuffix}`;
    this.registerOutputs({
      serviceName: this.serviceName,
      servicePort: this.servicePort,
      url: this.url,
      workload: this.workload,
    });
  }

  /** The fetch-model step's ConfigMap (its program) and what the pod gains from it. */
  private fetchStep(name: string, args: ModelServingArgs, meta: MetaFor): FetchStep {
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-fetch-model`,
      { metadata: meta(`${args.model.name}-fetch-model`), data: fetchModelConfigMapData() },
      { parent: this },
    );
    return fetchStep({
      flavor: args.ctx.flavor,
      model: args.model,
      image: args.modelDownloaderImage as string,
      modelUri: args.modelUri,
      modelStoreEndpoint: args.modelStoreEndpoint,
      access: args.access,
      registry: args.registry,
      configMapName: configMap.metadata.name,
    });
  }

  /**
   * Never a budget that blocks node drains: one pod may always go, and with two or more replicas
   * one must stay.
   */
  private disruptionBudget(
    name: string,
    args: ModelServingArgs,
    meta: MetaFor,
    selector: Record<string, string>,
  ): void {
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: meta(args.model.name),
        spec: {
          selector: { matchLabels: selector },
          ...(args.model.minReplicas >= 2 ? { minAvailable: 1 } : { maxUnavailable: 1 }),
        },
      },
      { parent: this },
    );
  }

  /** PodMonitor (KServe predictors, whose Service KServe owns) and the model's alert rules. */
  private monitoring(
    name: string,
    args: ModelServingArgs,
    meta: MetaFor,
    selector: Record<string, string>,
    served: ServedWorkload,
  ): void {
    const { model } = args;
    const kserve = model.engine === "kserve";
    if (kserve && served.metricsPort !== undefined) {
      const port = served.metricsPort === served.servingPort ? "http" : "metrics";
      new PodMonitor(
        `${name}-podmonitor`,
        {
          metadata: monitorMeta(meta(model.name), args.monitorLabels),
          spec: {
            selector: { matchLabels: selector },
            podMetricsEndpoints: [{ port, path: "/metrics", interval: "30s", scheme: "http" }],
          },
        },
        { parent: this },
      );
    }
    const rules = modelAlertRules({
      model,
      namespace: args.namespace,
      deploymentName: served.deploymentName,
      requestMetrics: served.requestMetrics && {
        kind: served.requestMetrics,
        selector: kserve ? "pod" : "service",
        name: kserve ? kservePredictorName(model) : model.name,
      },
      // From the consumer's own lag metric: alerts on every target, with or without a KEDA lag trigger.
      lag:
        args.kafka && model.kafka
          ? {
              saturationLag:
                model.kafka.lagThreshold * Math.min(args.kafka.inputPartitions, model.maxReplicas),
            }
          : undefined,
      thresholds: { ...DEFAULT_ALERT_THRESHOLDS, ...args.alertThresholds },
    });
    new PrometheusRule(
      `${name}-rules`,
      {
        metadata: monitorMeta(meta(model.name), args.monitorLabels),
        spec: { groups: [{ name: `mlstack-model-${model.name}`, rules }] },
      },
      { parent: this },
    );
  }

  /** Ingress: callers on the serving port (HTTP models), Prometheus on the metrics port; egress: the grants'. */
  private networkPolicy(
    name: string,
    args: ModelServingArgs,
    meta: MetaFor,
    selector: Record<string, string>,
    servingPort: number,
    metricsPort: number | undefined,
  ): void {
    const ingress: NetworkPolicyIngressRule[] = [];
    if (!args.model.kafka)
      ingress.push({ from: args.ingressFrom, ports: [{ protocol: "TCP", port: servingPort }] });
    if (args.monitoring && metricsPort !== undefined) {
      ingress.push({
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace } } },
        ],
        ports: [{ protocol: "TCP", port: metricsPort }],
      });
    }
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: meta(args.model.name),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          ingress,
          egress: [...args.access.egress, ...(args.registry?.access.egress ?? [])],
        },
      },
      { parent: this },
    );
  }
}
