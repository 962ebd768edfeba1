/**
 * OpenShift: the operators come from OLM. Strimzi and CloudNativePG are subscribed in
 * `openshift-operators` (its global OperatorGroup exists); KServe comes with Red Hat OpenShift AI,
 * subscribed in its own namespace, with the platform's DSCInitialization and DataScienceCluster.
 * Every Subscription pins `startingCSV` from the version table (see `olm.ts` for the approval).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TeamNamespace } from "../namespace/TeamNamespace";
import { kubeLabels } from "../kube/labels";
import { OperatorGroup } from "../crds/operators.coreos.com/v1";
import { Subscription } from "../crds/operators.coreos.com/v1alpha1";
import { PINS, cloudnativePgRelease, strimziRelease } from "../versions/pins";
import {
  CLOUDNATIVE_PG_OLM_PACKAGE,
  CLOUDNATIVE_PG_OPERATOR_POD_LABELS,
  cloudnativePgOperatorEnv,
} from "./cloudnativePg";
import {
  KSERVE_CONTROLLER_POD_LABELS,
  RHOAI_APPLICATIONS_NAMESPACE,
  RHOAI_OLM_PACKAGE,
  RHOAI_OPERATOR_ENV,
  RHOAI_OPERATOR_NAMESPACE,
  RHOAI_WEBHOOK_PORT,
  dataScienceClusterSpec,
  dscInitializationSpec,
} from "./kserve";
import { OPENSHIFT_OPERATORS_NAMESPACE, OlmPackage, installPlanApproval, subscriptionSpec } from "./olm";
import { operatorNetworkPolicies } from "./operatorNetwork";
import { PLATFORM_TEAM, operatorsNamespaceArgs } from "./operatorsNamespace";
import type { Installed, OperatorPods, PlatformOperatorsArgs } from "./PlatformOperators";
import { STRIMZI_OLM_PACKAGE, STRIMZI_OPERATOR_POD_LABELS, strimziOperatorEnv } from "./strimzi";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

export function installWithOlm(
  parent: pulumi.ComponentResource,
  name: string,
  args: PlatformOperatorsArgs,
): Installed {
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
    new Subscription(
      resourceName,
      {
        metadata: { name: pkg.name, namespace, labels: labels(pkg.name) },
        spec: subscriptionSpec(pkg, channel, approval, env),
      },
      { parent, dependsOn },
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
        olmPackage(STRIMZI_OLM_PACKAGE, strimziRelease(operators.strimzi.version)?.csv, args.olm?.strimzi),
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
        olmPackage(
          CLOUDNATIVE_PG_OLM_PACKAGE,
          cloudnativePgRelease(operators.cloudnativePg.version)?.csv,
          args.olm?.cloudnativePg,
        ),
        OPENSHIFT_OPERATORS_NAMESPACE,
        operators.cloudnativePg.channel,
        // Without it the operator reconciles Postgres clusters in every namespace of the cluster.
        args.watchNamespaces.length > 0 ? cloudnativePgOperatorEnv(args.watchNamespaces) : [],
      ),
    );
    operatorPods.cloudnativePg = peer(OPENSHIFT_OPERATORS_NAMESPACE, CLOUDNATIVE_PG_OPERATOR_POD_LABELS);
  }
  if (args.kserve) {
    const ns = new TeamNamespace(`${name}-rhoai-ns`, operatorsNamespaceArgs(args, RHOAI_OPERATOR_NAMESPACE), {
      parent,
    });
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
      parent,
    );
    // No target namespaces: OpenShift AI supports only the AllNamespaces install mode.
    const operatorGroup = new OperatorGroup(
      `${name}-rhoai-operator-group`,
      {
        metadata: {
          name: RHOAI_OPERATOR_NAMESPACE,
          namespace: ns.namespaceName,
          labels: labels(RHOAI_OPERATOR_NAMESPACE),
        },
        spec: {},
      },
      { parent, dependsOn: ns.ready },
    );
    const rhoai = subscription(
      `${name}-rhoai`,
      olmPackage(RHOAI_OLM_PACKAGE, PINS.rhoaiOlm.csv, args.olm?.kserve),
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
      { parent, dependsOn: [rhoai] },
    );
    const dsc = new k8s.apiextensions.CustomResource(
      `${name}-rhoai-dsc`,
      {
        apiVersion: "datasciencecluster.opendatahub.io/v1",
        kind: "DataScienceCluster",
        metadata: { name: "default-dsc", labels: labels("default-dsc") },
        spec: dataScienceClusterSpec(operators.openshiftAi),
      },
      { parent, dependsOn: [dsci] },
    );
    ready.push(rhoai, dsci, dsc);
    operatorPods.kserve = peer(RHOAI_APPLICATIONS_NAMESPACE, KSERVE_CONTROLLER_POD_LABELS);
  }
  return { ready, namespace: pulumi.output(OPENSHIFT_OPERATORS_NAMESPACE), operatorPods };
}

/** The package's defaults, the version table's CSV, then the caller's overrides. */
export function olmPackage(
  defaults: OlmPackage,
  startingCSV: string | undefined,
  override: Partial<OlmPackage> | undefined,
): OlmPackage {
  return { ...defaults, ...(startingCSV ? { startingCSV } : {}), ...(override ?? {}) };
}
