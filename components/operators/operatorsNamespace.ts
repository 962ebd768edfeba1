/**
 * The namespace an operator runs in when mlstack creates it (`operators.namespace` on kubernetes,
 * OpenShift AI's on openshift): a platform namespace with nobody bound and no service accounts of
 * its own (charts and OLM bring theirs), restricted pod security and default-deny policies.
 */
import type { PlatformOperatorsArgs } from "./PlatformOperators";
import type { ResourceQuotaConfig } from "../namespace/settings";
import type { TeamNamespaceArgs } from "../namespace/TeamNamespace";

/**
 * The operators namespace's budget: the three operators, the Barman Cloud plugin and cert-manager
 * at two replicas each request about 1.3 CPU and 2.6 GiB; the rest is headroom for rolling
 * upgrades. KEDA's own namespace gets the same budget. No volumes: operators keep no state.
 */
export const OPERATORS_QUOTA: ResourceQuotaConfig = {
  cpu: "4",
  memory: "8Gi",
  gpu: 0,
  pods: 20,
  storage: "0",
};

/** Team label of everything the operators component creates. */
export const PLATFORM_TEAM = "platform";

/** An operators namespace: the platform's, nobody bound, no service accounts of its own (charts and OLM bring theirs). */
export function operatorsNamespaceArgs(
  args: Pick<PlatformOperatorsArgs, "ctx" | "quota" | "network">,
  namespace: string,
): TeamNamespaceArgs {
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
