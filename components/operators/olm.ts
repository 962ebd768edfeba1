/**
 * Operator Lifecycle Manager (OpenShift): one Subscription per operator, in a namespace whose
 * OperatorGroup already selects every namespace (`openshift-operators`) or one created for it.
 *
 * Every Subscription pins `startingCSV` to the operator version of the version table
 * (components/versions/pins.ts), which is the version whose operands the pre-flight step checked
 * (Kafka versions, PostgreSQL majors). `installPlanApproval` is `Manual` outside dev and
 * `Automatic` in dev. OLM otherwise upgrades an operator as soon as its catalog publishes a new
 * version in the channel, at any hour, outside Pulumi and outside any change window, possibly to
 * one that no longer runs the pinned Kafka; an operator upgrade rolls every Kafka broker and every
 * Postgres instance it manages. Outside dev a person approves each InstallPlan (`oc get
 * installplan`, then `oc patch installplan <name> --type merge -p '{"spec":{"approved":true}}'`)
 * after dev ran the same version. The price: the very first install waits for that approval too,
 * so custom resources that need the operator's CRDs succeed on the `pulumi up` after it.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../context";
import type { SubscriptionSpec } from "../crds/operators.coreos.com/v1alpha1";

/** Where OLM finds an operator. */
export interface OlmPackage {
  /** Package name in the catalog, e.g. `strimzi-kafka-operator`. */
  name: string;
  /** CatalogSource, e.g. `community-operators`, `certified-operators`, `redhat-operators`. */
  source: string;
  /** Namespace of the CatalogSource. */
  sourceNamespace: string;
  /** CSV to install first (pins the initial version, e.g. `strimzi-cluster-operator.v1.2.0`). Default: the version table's CSV for the operator's version. */
  startingCSV?: string;
}

/** The namespace whose global OperatorGroup every OpenShift cluster ships with. */
export const OPENSHIFT_OPERATORS_NAMESPACE = "openshift-operators";
export const OPENSHIFT_MARKETPLACE = "openshift-marketplace";

export type InstallPlanApproval = "Manual" | "Automatic";

/** `Automatic` only in dev: everywhere else an operator upgrade waits for a person (see above). */
export function installPlanApproval(ctx: PlatformContext): InstallPlanApproval {
  return ctx.environment === "dev" ? "Automatic" : "Manual";
}

/** The `spec` of an `operators.coreos.com/v1alpha1` Subscription. */
export function subscriptionSpec(
  pkg: OlmPackage,
  channel: string,
  approval: InstallPlanApproval,
  env: k8s.types.input.core.v1.EnvVar[] = [],
): SubscriptionSpec {
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
