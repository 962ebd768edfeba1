/**
 * Installs the operators the platform's custom resources need: Strimzi (Kafka), CloudNativePG
 * (Postgres) and, when a model is served through it, KServe.
 *
 * | | kubernetes (also EKS, GKE) | openshift |
 * |---|---|---|
 * | how | Helm v4 Charts, versions pinned by `operators.<name>.version` (version table defaults) | OLM Subscriptions on `operators.<name>.channel`, `startingCSV` from the version table, Manual approval outside dev (`olmInstall.ts`) |
 * | where | `operators.namespace`: PSA restricted, default-deny, DNS, API-server egress, webhook ingress, operand egress, quota | `openshift-operators` (its global OperatorGroup exists); OpenShift AI in `redhat-ods-operator` |
 * | watches | exactly `watchNamespaces` | Strimzi: every namespace (the global OperatorGroup); CloudNativePG: `watchNamespaces` (`WATCH_NAMESPACE` env) |
 * | KServe | upstream charts, raw deployment mode | Red Hat OpenShift AI with KServe in raw deployment mode, other components per `operators.openshiftAi` (default Removed) |
 *
 * Operators are cluster-wide (CRDs, cluster roles, OLM subscriptions are one per cluster): on a
 * cluster shared by several stacks, one stack installs them and the others set
 * `mlstack:operators.install` to false. Construct this component only when that key is true.
 *
 * `ready` lists what a resource using the operators' CRDs (Kafka, Cluster, InferenceService) must
 * `dependsOn`. On OpenShift the Subscriptions are created at once but OLM installs the operator
 * afterwards (and only after approval outside dev, see `olm.ts`), so a first `pulumi up` on a fresh
 * cluster may need a second run once the CSVs have succeeded.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { OperatorsConfig } from "./settings";
import type { ResourceQuotaConfig } from "../namespace/settings";
import type { PlatformContext } from "../context";
import { kubeLabels } from "../kube/labels";
import { TeamNamespace } from "../namespace/TeamNamespace";
import {
  CLOUDNATIVE_PG_CHART,
  CLOUDNATIVE_PG_INSTANCE_LABEL,
  CLOUDNATIVE_PG_OPERATOR_POD_LABELS,
  CLOUDNATIVE_PG_RELEASE,
  CLOUDNATIVE_PG_REPO,
  CLOUDNATIVE_PG_STATUS_PORT,
  CLOUDNATIVE_PG_WEBHOOK_PORT,
  cloudnativePgChartValues,
} from "./cloudnativePg";
import {
  BARMAN_CLOUD_CHART,
  BARMAN_CLOUD_GRPC_PORT,
  BARMAN_CLOUD_POD_LABELS,
  BARMAN_CLOUD_RELEASE,
  barmanCloudChartValues,
} from "./barmanCloud";
import {
  KSERVE_CHART,
  KSERVE_CONTROLLER_POD_LABELS,
  KSERVE_CRD_CHART,
  KSERVE_CRD_RELEASE,
  KSERVE_RELEASE,
  KSERVE_WEBHOOK_PORT,
  kserveChartValues,
} from "./kserve";
import type { OlmPackage } from "./olm";
import { installWithOlm } from "./olmInstall";
import {
  CERT_MANAGER_CHART,
  CERT_MANAGER_RELEASE,
  CERT_MANAGER_REPO,
  CERT_MANAGER_WEBHOOK_PODS,
  CERT_MANAGER_WEBHOOK_PORT,
  certManagerChartValues,
} from "./certManager";
import { installKeda } from "./keda";
import { OperandEgress, WebhookIngress, operatorNetworkPolicies } from "./operatorNetwork";
import { PLATFORM_TEAM, operatorsNamespaceArgs } from "./operatorsNamespace";
import type { ClusterNetworkFacts } from "../kube/clusterNetwork";
import {
  STRIMZI_CHART,
  STRIMZI_KAFKA_POD_LABELS,
  STRIMZI_OPERAND_PORTS,
  STRIMZI_OPERATOR_POD_LABELS,
  STRIMZI_RELEASE,
  strimziChartValues,
} from "./strimzi";
import { validatePlatformOperatorsArgs } from "./validation";

export { OPERATORS_QUOTA } from "./operatorsNamespace";
export { validatePlatformOperatorsArgs } from "./validation";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** Per-operator catalog overrides (OpenShift), merged over the documented defaults. */
export interface OlmOverrides {
  /** Default `strimzi-kafka-operator` from `community-operators`; AMQ Streams: `{ name: "amq-streams", source: "redhat-operators" }`. */
  strimzi?: Partial<OlmPackage>;
  /** Default `cloudnative-pg` from `certified-operators`. */
  cloudnativePg?: Partial<OlmPackage>;
  /** Default `rhods-operator` (Red Hat OpenShift AI) from `redhat-operators`. */
  kserve?: Partial<OlmPackage>;
}

/** Where KEDA goes and which Kafka listener its lag scaler reads. */
export interface KedaInstall {
  /** `mlstack:network.kedaNamespace`: KEDA's own namespace, created restricted and default-deny. */
  namespace: string;
  /** The Kafka brokers' listener port(s) the lag scaler connects to. */
  kafkaPorts: number[];
}

export interface PlatformOperatorsArgs {
  ctx: PlatformContext;
  /** Versions (kubernetes), channels (openshift) and the operators namespace (kubernetes). `install` must be true. */
  operators: OperatorsConfig;
  /** Install Strimzi (in-cluster Kafka). */
  strimzi: boolean;
  /** Install CloudNativePG (in-cluster Postgres). */
  cloudnativePg: boolean;
  /** Install KServe (a model uses `engine: kserve`). */
  kserve: boolean;
  /**
   * Namespaces holding Kafka and Postgres clusters (the platform namespace): Strimzi gets
   * RoleBindings there and CloudNativePG reconciles there, nowhere else (kubernetes). KServe needs
   * no list: its controller and webhooks act on InferenceService objects wherever they are, and
   * only team members and the platform can create those. Unused on OpenShift (global OperatorGroup).
   */
  watchNamespaces: string[];
  /**
   * Resources the watched namespaces' existence hangs on (their `TeamNamespace.ready`): Strimzi's
   * chart creates RoleBindings in them. Default none (the namespaces already exist).
   */
  namespacesReady?: pulumi.Resource[];
  /**
   * Install KEDA (kubernetes): a streaming model scales on consumer lag. `namespace` is
   * `mlstack:network.kedaNamespace` (the Kafka component admits KEDA's operator from there),
   * `kafkaPorts` the brokers' listener the lag scaler connects to. Unset: KEDA is the cluster's.
   */
  keda?: KedaInstall;
  /**
   * Install cert-manager (kubernetes) into the operators namespace: the Barman Cloud plugin and
   * KServe need it for their certificates. Default false (the cluster's).
   */
  certManager?: boolean;
  /** Kubernetes API server CIDRs (`mlstack:network.apiServerCidrs`), for operator egress and webhook ingress. */
  apiServerCidrs: string[];
  /** The cluster's resolver and CNI (`mlstack:network`) for the operators' namespaces; defaults per `ClusterNetworkFacts`. */
  network?: ClusterNetworkFacts;
  /** Budget of the operators namespace (kubernetes; OpenShift AI's namespace on openshift). Default `OPERATORS_QUOTA`. */
  quota?: ResourceQuotaConfig;
  /** Catalog overrides (openshift only). */
  olm?: OlmOverrides;
}

/**
 * Peers other components admit in their NetworkPolicies (the operands' namespaces are
 * default-deny): the Postgres component lets `cloudnativePg` reach instances on 8000; Strimzi's
 * generated policies already admit its operator.
 */
export interface OperatorPods {
  strimzi?: NetworkPolicyPeer;
  cloudnativePg?: NetworkPolicyPeer;
  kserve?: NetworkPolicyPeer;
}

export class PlatformOperators extends pulumi.ComponentResource {
  /** What custom resources of these operators must `dependsOn`. */
  readonly ready: pulumi.Resource[];
  /** Namespace the operators run in (`operators.namespace`, or `openshift-operators`). */
  readonly namespace: pulumi.Output<string>;
  readonly operatorPods: OperatorPods;

  constructor(name: string, args: PlatformOperatorsArgs, opts?: pulumi.ComponentResourceOptions) {
    validatePlatformOperatorsArgs(name, args);
    super("mlstack:operators:PlatformOperators", name, {}, opts);
    const installed =
      args.ctx.flavor === "openshift" ? installWithOlm(this, name, args) : this.withHelm(name, args);
    this.ready = installed.ready;
    this.namespace = installed.namespace;
    this.operatorPods = installed.operatorPods;
    this.registerOutputs({ namespace: this.namespace });
  }

  private withHelm(name: string, args: PlatformOperatorsArgs): Installed {
    const { ctx, operators } = args;
    const ns = new TeamNamespace(`${name}-ns`, operatorsNamespaceArgs(args, operators.namespace), {
      parent: this,
    });
    const namespace = ns.namespaceName;
    const labels = kubeLabels({
      name: operators.namespace,
      component: "operators",
      environment: ctx.environment,
      team: PLATFORM_TEAM,
    });

    const webhooks: WebhookIngress[] = [];
    const operands: OperandEgress[] = [];
    if (args.strimzi) {
      operands.push({
        operator: "strimzi",
        pods: { matchLabels: STRIMZI_OPERATOR_POD_LABELS },
        namespaces: args.watchNamespaces,
        operands: { matchLabels: STRIMZI_KAFKA_POD_LABELS },
        ports: STRIMZI_OPERAND_PORTS,
      });
    }
    if (args.cloudnativePg) {
      webhooks.push({
        operator: "cloudnative-pg",
        pods: { matchLabels: CLOUDNATIVE_PG_OPERATOR_POD_LABELS },
        port: CLOUDNATIVE_PG_WEBHOOK_PORT,
      });
      operands.push({
        operator: "cloudnative-pg",
        pods: { matchLabels: CLOUDNATIVE_PG_OPERATOR_POD_LABELS },
        namespaces: args.watchNamespaces,
        operands: { matchExpressions: [{ key: CLOUDNATIVE_PG_INSTANCE_LABEL, operator: "Exists" }] },
        ports: [CLOUDNATIVE_PG_STATUS_PORT],
      });
    }
    if (args.certManager) {
      webhooks.push({
        operator: "cert-manager",
        pods: { matchLabels: CERT_MANAGER_WEBHOOK_PODS },
        port: CERT_MANAGER_WEBHOOK_PORT,
      });
    }
    if (args.kserve) {
      webhooks.push({
        operator: "kserve",
        pods: { matchLabels: KSERVE_CONTROLLER_POD_LABELS },
        port: KSERVE_WEBHOOK_PORT,
      });
    }
    const policies = operatorNetworkPolicies(
      name,
      { namespace, labels, apiServerCidrs: args.apiServerCidrs, cni: args.network?.cni, webhooks, operands },
      this,
    );
    const dependsOn = [...ns.ready, ...policies];

    const ready: pulumi.Resource[] = [];
    // Certificates for the Barman Cloud plugin and KServe's webhooks: their charts wait for it.
    const certManager = args.certManager
      ? [
          new k8s.helm.v4.Chart(
            `${name}-cert-manager`,
            {
              name: CERT_MANAGER_RELEASE,
              chart: CERT_MANAGER_CHART,
              repositoryOpts: { repo: CERT_MANAGER_REPO },
              version: chartVersion(operators.certManager.version, true),
              namespace,
              values: certManagerChartValues({
                highAvailability: ctx.highAvailability,
                namespace: operators.namespace,
              }),
            },
            { parent: this, dependsOn },
          ),
        ]
      : [];
    const operatorPods: OperatorPods = {};
    const peer = (pods: Record<string, string>): NetworkPolicyPeer => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": operators.namespace } },
      podSelector: { matchLabels: pods },
    });
    if (args.strimzi) {
      ready.push(
        new k8s.helm.v4.Chart(
          `${name}-strimzi`,
          {
            name: STRIMZI_RELEASE,
            chart: STRIMZI_CHART,
            version: chartVersion(operators.strimzi.version, false),
            namespace,
            values: strimziChartValues({
              operatorNamespace: operators.namespace,
              watchNamespaces: args.watchNamespaces,
              highAvailability: ctx.highAvailability,
            }),
          },
          // Strimzi binds its roles inside each watched namespace: they must exist first.
          { parent: this, dependsOn: [...dependsOn, ...(args.namespacesReady ?? [])] },
        ),
      );
      operatorPods.strimzi = peer(STRIMZI_OPERATOR_POD_LABELS);
    }
    if (args.cloudnativePg) {
      ready.push(
        new k8s.helm.v4.Chart(
          `${name}-cloudnative-pg`,
          {
            name: CLOUDNATIVE_PG_RELEASE,
            chart: CLOUDNATIVE_PG_CHART,
            repositoryOpts: { repo: CLOUDNATIVE_PG_REPO },
            version: chartVersion(operators.cloudnativePg.version, false),
            namespace,
            values: cloudnativePgChartValues({
              watchNamespaces: args.watchNamespaces,
              highAvailability: ctx.highAvailability,
            }),
          },
          { parent: this, dependsOn },
        ),
      );
      operatorPods.cloudnativePg = peer(CLOUDNATIVE_PG_OPERATOR_POD_LABELS);
      // Backups: the Barman Cloud plugin beside the operator, reachable only by the operator.
      const pluginIngress = new k8s.networking.v1.NetworkPolicy(
        `${name}-barman-cloud-ingress`,
        {
          metadata: { name: "allow-barman-cloud-from-cnpg", namespace, labels },
          spec: {
            podSelector: { matchLabels: BARMAN_CLOUD_POD_LABELS },
            policyTypes: ["Ingress"],
            ingress: [
              {
                from: [{ podSelector: { matchLabels: CLOUDNATIVE_PG_OPERATOR_POD_LABELS } }],
                ports: [{ protocol: "TCP", port: BARMAN_CLOUD_GRPC_PORT }],
              },
            ],
          },
        },
        { parent: this, dependsOn },
      );
      const pluginEgress = new k8s.networking.v1.NetworkPolicy(
        `${name}-cnpg-to-barman-cloud`,
        {
          metadata: { name: "allow-cnpg-to-barman-cloud", namespace, labels },
          spec: {
            podSelector: { matchLabels: CLOUDNATIVE_PG_OPERATOR_POD_LABELS },
            policyTypes: ["Egress"],
            egress: [
              {
                to: [{ podSelector: { matchLabels: BARMAN_CLOUD_POD_LABELS } }],
                ports: [{ protocol: "TCP", port: BARMAN_CLOUD_GRPC_PORT }],
              },
            ],
          },
        },
        { parent: this, dependsOn },
      );
      ready.push(
        new k8s.helm.v4.Chart(
          `${name}-barman-cloud`,
          {
            name: BARMAN_CLOUD_RELEASE,
            chart: BARMAN_CLOUD_CHART,
            repositoryOpts: { repo: CLOUDNATIVE_PG_REPO },
            version: chartVersion(operators.barmanCloud.version, false),
            namespace,
            values: barmanCloudChartValues(),
          },
          // The plugin's CRD (ObjectStore) and its registration need the operator installed.
          { parent: this, dependsOn: [...dependsOn, ...ready, ...certManager, pluginIngress, pluginEgress] },
        ),
      );
    }
    if (args.kserve) {
      const version = chartVersion(operators.kserve.version, true);
      const crds = new k8s.helm.v4.Chart(
        `${name}-kserve-crd`,
        { name: KSERVE_CRD_RELEASE, chart: KSERVE_CRD_CHART, version, namespace },
        { parent: this, dependsOn: [...dependsOn, ...certManager] },
      );
      ready.push(
        crds,
        new k8s.helm.v4.Chart(
          `${name}-kserve`,
          {
            name: KSERVE_RELEASE,
            chart: KSERVE_CHART,
            version,
            namespace,
            values: kserveChartValues({ version }),
          },
          { parent: this, dependsOn: [...dependsOn, crds] },
        ),
      );
      operatorPods.kserve = peer(KSERVE_CONTROLLER_POD_LABELS);
    }
    // ScaledObjects need KEDA's CRDs.
    if (args.keda) ready.push(installKeda(this, name, args, chartVersion(operators.keda.version, false)));
    return { ready, namespace, operatorPods };
  }
}

/** What the Helm (kubernetes) or OLM (openshift) installation hands back. */
export interface Installed {
  ready: pulumi.Resource[];
  namespace: pulumi.Output<string>;
  operatorPods: OperatorPods;
}

/** Strimzi and CloudNativePG tag charts `0.49.0`; KServe tags them `v0.16.0`. Config accepts either form. */
export function chartVersion(version: string, vPrefixed: boolean): string {
  const bare = version.replace(/^v/, "");
  return vPrefixed ? `v${bare}` : bare;
}
