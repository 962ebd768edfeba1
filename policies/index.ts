/**
 * The `mlstack-security` CrossGuard pack: `pulumi preview --policy-pack policies
 * [--policy-pack-config pack-config.json]`. Rules live in their area modules (catalog.ts lists
 * them); this file only builds the pack.
 */
import { PolicyPack } from "@pulumi/policy";
import { crossGuardPolicies } from "./crossguard";

new PolicyPack("mlstack-security", {
  description:
    "mlstack security policies: Pod Security Standards restricted, OpenShift restricted-v2, network and RBAC hygiene, Strimzi / CloudNativePG / KServe, AWS, GCP and platform-wide rules.",
  policies: crossGuardPolicies(),
});
