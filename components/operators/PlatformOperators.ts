/**
 * Installs the operators the platform's custom resources need: Strimzi (Kafka), CloudNativePG
 * (Postgres) and, when a model is served through it, KServe.
 *
 * | | kubernetes (also EKS, GKE) | openshift |
 * |---|---|---|
 * | how | Helm v4 Charts, versions pinned by `operators.<name>.version` | OLM Subscriptions on `operators.<name>.channel` |
 * | where | `operators.namespace`: PSA restricted, default-deny, DNS, API-server egress, webhook ingress, operand egress, quota | `openshift-operators` (its global OperatorGroup exists); OpenShift AI in `redhat-ods-operator` |
 * | watches | exactly `watchNamespaces` | every namespace (the global OperatorGroup) |
 * | KServe | upstream charts, raw deployment mode | Red Hat OpenShift AI with only KServe enabled, raw deployment mode |
 *
 * Operators are cluster-wide (CRDs, cluster roles, OLM subscriptions are one per cluster): on a
 * cluster shared by several stacks, one stack installs them and the others set
 * `mlstack:operators.install` to false. Construct this component only when that key is true.
 *
 * `ready` lists what a resource using the operators' CRDs (Kafka, Cluster, InferenceService) must
 * `dependsOn`. On OpenShift the Subscriptions are created at once but OLM installs the operator
 * afterwards (and only after approval in prod, see `olm.ts`), so a first `pulumi up` on a fresh
 * cluster may need a second run once the CSVs have succeeded.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, DNS_LABEL_RULE } from "../kube/names";
import type { OperatorsConfig } from "./settings";
import type { ResourceQuotaConfig } from "../namespace/settings";
import type { PlatformContext } from "../context";
import { refusal } from "../argumentProblem";
import { CIDR_RULE, isCidr } from "../kube/cidr";
import { kubeLabels } from "../kube/labels";
import { TeamNamespace, TeamNamespaceArgs, validateTeamNamespaceArgs } from "../namespace/TeamNamespace";
import {
  CLOUDNATIVE_PG_CHART,
  CLOUDNATIVE_PG_INSTANCE_LABEL,
  CLOUDNATIVE_PG_OLM_PACKAGE,
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
  RHOAI_APPLICATIONS_NAMESPACE,
  RHOAI_OLM_PACKAGE,
  RHOAI_OPERATOR_ENV,
  RHOAI_OPERATOR_NAMESPACE,
  RHOAI_WEBHOOK_PORT,
  dataScienceClusterSpec,
  dscInitializationSpec,
  kserveChartValues,
} from "./kserve";
import { OPENSHIFT_OPERATORS_NAMESPACE, OlmPackage, installPlanApproval, subscriptionSpec } from "./olm";
import { OperandEgress, WebhookIngress, operatorNetworkPolicies } from "./operatorNetwork";
import type { ClusterNetworkFacts } from "../kube/clusterNetwork";
import {
  STRIMZI_CHART,
  STRIMZI_KAFKA_POD_LABELS,
  STRIMZI_OLM_PACKAGE,
  STRIMZI_OPERAND_PORTS,
  STRIMZI_OPERATOR_POD_LABELS,
  STRIMZI_RELEASE,
  strimziChartValues,
  strimziOperatorEnv,
} from "./strimzi";

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

/**
 * The operators namespace's budget: the three operators at two replicas each request about 1 CPU
 * and 2 GiB; the rest is headroom for rolling upgrades. No volumes: operators keep no state.
 */
export const OPERATORS_QUOTA: ResourceQuotaConfig = {
  cpu: "4",
  memory: "8Gi",
  gpu: 0,
  pods: 20,
  storage: "0",
};

/** Team label of everything the operators component creates. */
const PLATFORM_TEAM = "platform";

export class PlatformOperators extends pulumi.ComponentResource {
  /** What custom resources of these operators must `dependsOn`. */
  readonly ready: pulumi.Resource[];
  /** Namespace the operators run in (`operators.namespace`, or `openshift-operators`). */
  readonly namespace: pulumi.Output<string>;
  readonly operatorPods: OperatorPods;

  constructor(name: string, args: PlatformOperatorsArgs, opts?: pulumi.ComponentResourceOptions) {
    validatePlatformOperatorsArgs(name, args);
    super("mlstack:operators:PlatformOperators", name, {}, opts);
    const installed = args.ctx.flavor === "openshift" ? this.withOlm(name, args) : this.withHelm(name, args);
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
          { parent: this, dependsOn: [...dependsOn, ...ready, pluginIngress, pluginEgress] },
        ),
      );
    }
    if (args.kserve) {
      const version = chartVersion(operators.kserve.version, true);
      const crds = new k8s.helm.v4.Chart(
        `${name}-kserve-crd`,
        { name: KSERVE_CRD_RELEASE, chart: KSERVE_CRD_CHART, version, namespace },
        { parent: this, dependsOn },
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
    return { ready, namespace, operatorPods };
  }

  private withOlm(name: string, args: PlatformOperatorsArgs): Installed {
    const { ctx, operators } = args;
    const approval = installPlanApproval(ctx);
    const labels = (objectName: string) =>
      kubeLabels({
        name: objectName,
        component: "operator",
        environment: ctx.environment,
        team: PLATFORM_TEAM,
      });
    const subscription = (
      resourceName: string,
      pkg: OlmPackage,
      namespace: pulumi.Input<string>,
      channel: string,
      env: k8s.types.input.core.v1.EnvVar[],
      dependsOn: pulumi.Resource[] = [],
    ) =>
      new k8s.apiextensions.CustomResource(
        resourceName,
        {
          apiVersion: "operators.coreos.com/v1alpha1",
          kind: "Subscription",
          metadata: { name: pkg.name, namespace, labels: labels(pkg.name) },
          spec: subscriptionSpec(pkg, channel, approval, env),
        },
        { parent: this, dependsOn },
      );
    const peer = (namespace: string, pods: Record<string, string>): NetworkPolicyPeer => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
      podSelector: { matchLabels: pods },
    });

    const ready: pulumi.Resource[] = [];
    const operatorPods: OperatorPods = {};
    if (args.strimzi) {
      ready.push(
        subscription(
          `${name}-strimzi`,
          olmPackage(STRIMZI_OLM_PACKAGE, args.olm?.strimzi),
          OPENSHIFT_OPERATORS_NAMESPACE,
          operators.strimzi.channel,
          strimziOperatorEnv(OPENSHIFT_OPERATORS_NAMESPACE),
        ),
      );
      operatorPods.strimzi = peer(OPENSHIFT_OPERATORS_NAMESPACE, STRIMZI_OPERATOR_POD_LABELS);
    }
    if (args.cloudnativePg) {
      ready.push(
        subscription(
          `${name}-cloudnative-pg`,
          olmPackage(CLOUDNATIVE_PG_OLM_PACKAGE, args.olm?.cloudnativePg),
          OPENSHIFT_OPERATORS_NAMESPACE,
          operators.cloudnativePg.channel,
          [],
        ),
      );
      operatorPods.cloudnativePg = peer(OPENSHIFT_OPERATORS_NAMESPACE, CLOUDNATIVE_PG_OPERATOR_POD_LABELS);
    }
    if (args.kserve) {
      const ns = new TeamNamespace(
        `${name}-rhoai-ns`,
        operatorsNamespaceArgs(args, RHOAI_OPERATOR_NAMESPACE),
        {
          parent: this,
        },
      );
      const policies = operatorNetworkPolicies(
        `${name}-rhoai`,
        {
          namespace: ns.namespaceName,
          labels: labels(RHOAI_OPERATOR_NAMESPACE),
          apiServerCidrs: args.apiServerCidrs,
          cni: args.network?.cni,
          // Only the OpenShift AI operator runs in its namespace.
          webhooks: [{ operator: "rhoai", pods: {}, port: RHOAI_WEBHOOK_PORT }],
          operands: [],
        },
        this,
      );
      // No target namespaces: OpenShift AI supports only the AllNamespaces install mode.
      const operatorGroup = new k8s.apiextensions.CustomResource(
        `${name}-rhoai-operator-group`,
        {
          apiVersion: "operators.coreos.com/v1",
          kind: "OperatorGroup",
          metadata: {
            name: RHOAI_OPERATOR_NAMESPACE,
            namespace: ns.namespaceName,
            labels: labels(RHOAI_OPERATOR_NAMESPACE),
          },
          spec: {},
        },
        { parent: this, dependsOn: ns.ready },
      );
      const rhoai = subscription(
        `${name}-rhoai`,
        olmPackage(RHOAI_OLM_PACKAGE, args.olm?.kserve),
        ns.namespaceName,
        operators.kserve.channel,
        RHOAI_OPERATOR_ENV,
        [...ns.ready, ...policies, operatorGroup],
      );
      const dsci = new k8s.apiextensions.CustomResource(
        `${name}-rhoai-dsci`,
        {
          apiVersion: "dscinitialization.opendatahub.io/v1",
          kind: "DSCInitialization",
          metadata: { name: "default-dsci", labels: labels("default-dsci") },
          spec: dscInitializationSpec(),
        },
        { parent: this, dependsOn: [rhoai] },
      );
      const dsc = new k8s.apiextensions.CustomResource(
        `${name}-rhoai-dsc`,
        {
          apiVersion: "datasciencecluster.opendatahub.io/v1",
          kind: "DataScienceCluster",
          metadata: { name: "default-dsc", labels: labels("default-dsc") },
          spec: dataScienceClusterSpec(),
        },
        { parent: this, dependsOn: [dsci] },
      );
      ready.push(rhoai, dsci, dsc);
      operatorPods.kserve = peer(RHOAI_APPLICATIONS_NAMESPACE, KSERVE_CONTROLLER_POD_LABELS);
    }
    return { ready, namespace: pulumi.output(OPENSHIFT_OPERATORS_NAMESPACE), operatorPods };
  }
}

interface Installed {
  ready: pulumi.Resource[];
  namespace: pulumi.Output<string>;
  operatorPods: OperatorPods;
}

/** An operators namespace: the platform's, nobody bound, no service accounts of its own (charts and OLM bring theirs). */
function operatorsNamespaceArgs(args: PlatformOperatorsArgs, namespace: string): TeamNamespaceArgs {
  return {
    ctx: args.ctx,
    namespace,
    team: PLATFORM_TEAM,
    groups: [],
    members: [],
    quota: args.quota ?? OPERATORS_QUOTA,
    serviceAccounts: [],
    ...(args.network?.dns ? { dns: args.network.dns } : {}),
  };
}

function olmPackage(defaults: OlmPackage, override: Partial<OlmPackage> | undefined): OlmPackage {
  return { ...defaults, ...(override ?? {}) };
}

/** Strimzi and CloudNativePG tag charts `0.49.0`; KServe tags them `v0.16.0`. Config accepts either form. */
export function chartVersion(version: string, vPrefixed: boolean): string {
  const bare = version.replace(/^v/, "");
  return vPrefixed ? `v${bare}` : bare;
}

const CHART_VERSION = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/;
const OLM_CHANNEL = /^[a-z0-9][-a-z0-9.]*$/;
const OLM_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const CSV_NAME = /^[a-z0-9]([-a-z0-9.+]*[a-z0-9])?$/;

/** Throws on the first bad argument, before anything is registered. */
export function validatePlatformOperatorsArgs(name: string, args: PlatformOperatorsArgs): void {
  const fail = refusal(`PlatformOperators ${name}`);
  const { ctx, operators } = args;
  if (!operators.install) {
    fail(
      "operators.install",
      operators.install,
      "says the operators are already on the cluster; the stack must not create PlatformOperators then",
    );
  }
  if (!args.strimzi && !args.cloudnativePg && !args.kserve) {
    fail("strimzi/cloudnativePg/kserve", false, "are all false: there is nothing to install");
  }

  const seen = new Set<string>();
  args.watchNamespaces.forEach((ns, i) => {
    if (!DNS_LABEL.test(ns)) fail(`watchNamespaces[${i}]`, ns, `is not ${DNS_LABEL_RULE}`);
    if (seen.has(ns)) fail(`watchNamespaces[${i}]`, ns, "is listed twice");
    seen.add(ns);
  });
  const openshift = ctx.flavor === "openshift";
  if (!openshift && (args.strimzi || args.cloudnativePg) && args.watchNamespaces.length === 0) {
    fail(
      "watchNamespaces",
      args.watchNamespaces,
      "is empty: Strimzi and CloudNativePG must watch the namespace holding Kafka and Postgres",
    );
  }

  const createsNamespace = !openshift || args.kserve;
  if (createsNamespace) {
    if (args.apiServerCidrs.length === 0) {
      fail(
        "apiServerCidrs",
        args.apiServerCidrs,
        "is empty: operators cannot reach the API server (use 0.0.0.0/0 if unknown)",
      );
    }
    args.apiServerCidrs.forEach((cidr, i) => {
      if (!isCidr(cidr)) fail(`apiServerCidrs[${i}]`, cidr, `is not ${CIDR_RULE}`);
    });
    const namespace = openshift ? RHOAI_OPERATOR_NAMESPACE : operators.namespace;
    validateTeamNamespaceArgs(`${name}-ns`, operatorsNamespaceArgs(args, namespace));
  }

  const enabled = (["strimzi", "cloudnativePg", "kserve"] as const).filter((key) => args[key]);
  if (openshift) {
    for (const key of enabled) {
      const channel = operators[key].channel;
      if (!OLM_CHANNEL.test(channel))
        fail(`operators.${key}.channel`, channel, "is not an OLM channel name such as stable");
      const override = args.olm?.[key];
      for (const field of ["name", "source", "sourceNamespace"] as const) {
        const value = override?.[field];
        if (value !== undefined && !OLM_NAME.test(value))
          fail(`olm.${key}.${field}`, value, "is not a catalog name");
      }
      const csv = override?.startingCSV;
      if (csv !== undefined && !CSV_NAME.test(csv)) {
        fail(
          `olm.${key}.startingCSV`,
          csv,
          "is not a ClusterServiceVersion name such as strimzi-cluster-operator.v0.49.0",
        );
      }
    }
  } else {
    for (const key of enabled) {
      const version = operators[key].version;
      if (!CHART_VERSION.test(version))
        fail(`operators.${key}.version`, version, "is not a chart version such as 0.49.0");
    }
    if (args.watchNamespaces.includes(operators.namespace)) {
      fail(
        "watchNamespaces",
        args.watchNamespaces,
        `includes the operators namespace ${JSON.stringify(operators.namespace)}; operators run apart from what they manage (set mlstack:operators.namespace to its own namespace)`,
      );
    }
  }
}
