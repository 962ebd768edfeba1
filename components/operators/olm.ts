/**
 * Operator Lifecycle Manager (OpenShift): one Subscription per operator, in a namespace whose
 * OperatorGroup already selects every namespace (`openshift-operators`) or one created for it.
 *
 * `installPlanApproval` is `Manual` in prod and `Automatic` elsewhere. OLM otherwise upgrades an
 * operator as soon as its catalog publishes a new version in the channel, at any hour, outside
 * Pulumi and outside any change window; an operator upgrade rolls every Kafka broker and every
 * Postgres instance it manages. In prod a person approves each InstallPlan (`oc get installplan`,
 * then `oc patch installplan <name> --type merge -p '{"spec":{"approved":true}}'`) after dev and
 * staging ran the same version. The price: the very first install waits for that approval too, so
 * custom resources that need the operator's CRDs succeed on the `pulumi up` after it.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../context";

/** Where OLM finds an operator. */
export interface OlmPackage {
  /** Package name in the catalog, e.g. `strimzi-kafka-operator`. */
  name: string;
  /** CatalogSource, e.g. `community-operators`, `certified-operators`, `redhat-operators`. */
  source: string;
  /** Namespace of the CatalogSource. */
  sourceNamespace: string;
  /** CSV to install first (pins the initial version, e.g. `strimzi-cluster-operator.v0.49.0`). Default: the channel head. */
  startingCSV?: string;
}

/** The namespace whose global OperatorGroup every OpenShift cluster ships with. */
export const OPENSHIFT_OPERATORS_NAMESPACE = "openshift-operators";
export const OPENSHIFT_MARKETPLACE = "openshift-marketplace";

export type InstallPlanApproval = "Manual" | "Automatic";

export function installPlanApproval(ctx: PlatformContext): InstallPlanApproval {
  return ctx.environment === "prod" ? "Manual" : "Automatic";
}

/** The `spec` of an `operators.coreos.com/v1alpha1` Subscription. */
export function subscriptionSpec(
  pkg: OlmPackage,
  channel: string,
  approval: InstallPlanApproval,
  env: k8s.types.input.core.v1.EnvVar[] = [],
): Record<string, unknown> {
  return {
    name: pkg.name,
    source: pkg.source,
    sourceNamespace: pkg.sourceNamespace,
    channel,
    installPlanApproval: approval,
    ...(pkg.startingCSV ? { startingCSV: pkg.startingCSV } : {}),
    ...(env.length > 0 ? { config: { env } } : {}),
  };
}
