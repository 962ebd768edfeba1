/** Args and render helpers shared by the PlatformOperators.*.test.ts files. */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../../../components/context";
import { PlatformOperators, PlatformOperatorsArgs } from "../../../components/operators/PlatformOperators";
import type { OperatorsConfig } from "../../../stacks/config/types";
import { baseConfig } from "../../support/config";
import { render } from "../../support/render";

export const CHART = "kubernetes:helm.sh/v4:Chart";
export const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const SUBSCRIPTION = "kubernetes:operators.coreos.com/v1alpha1:Subscription";
export const OPERATOR_GROUP = "kubernetes:operators.coreos.com/v1:OperatorGroup";
export const DSCI = "kubernetes:dscinitialization.opendatahub.io/v1:DSCInitialization";
export const DSC = "kubernetes:datasciencecluster.opendatahub.io/v1:DataScienceCluster";

export function ctx(
  flavor: "kubernetes" | "openshift" = "kubernetes",
  overrides: Partial<PlatformContext> = {},
): PlatformContext {
  return {
    environment: "dev",
    target: flavor,
    flavor,
    protect: false,
    highAvailability: false,
    project: "mlstack",
    stack: "test",
    ...overrides,
  };
}

/** The operators section exactly as config validation produces it. */
export function operatorsConfig(overrides: Partial<OperatorsConfig> = {}): OperatorsConfig {
  return { ...baseConfig().operators, install: true, ...overrides };
}

export function operatorArgs(overrides: Partial<PlatformOperatorsArgs> = {}): PlatformOperatorsArgs {
  return {
    ctx: ctx(),
    operators: operatorsConfig(),
    strimzi: true,
    cloudnativePg: true,
    kserve: false,
    watchNamespaces: ["ml-dev-platform"],
    apiServerCidrs: ["10.0.0.0/24"],
    ...overrides,
  };
}

export function openshiftArgs(overrides: Partial<PlatformOperatorsArgs> = {}): PlatformOperatorsArgs {
  return operatorArgs({ ctx: ctx("openshift"), ...overrides });
}

/** Renders the component and records each resource's explicit dependencies by name. */
export async function renderOperators(
  args: PlatformOperatorsArgs = operatorArgs(),
  extra?: () => pulumi.Resource[],
) {
  const dependsOn = new Map<string, string[]>();
  let operators: PlatformOperators | undefined;
  const r = await render(() => {
    pulumi.runtime.registerStackTransformation((t) => {
      const deps = t.opts.dependsOn;
      const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
      dependsOn.set(
        t.name,
        (list as pulumi.Resource[]).map((d) => (d as unknown as { __name: string }).__name),
      );
      return undefined;
    });
    const upstream = extra?.() ?? [];
    operators = new PlatformOperators("ops", { ...args, namespacesReady: args.namespacesReady ?? upstream });
  });
  return { r, dependsOn, operators: operators as PlatformOperators };
}

/** Stands for a watched namespace the operators must wait for. */
export class Upstream extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Upstream", name, {});
  }
}

/** The chart registered under exactly this name. */
export function chartNamed(r: Awaited<ReturnType<typeof render>>, name: string) {
  const charts = r.ofType(CHART).filter((c) => c.name === name);
  expect(charts).toHaveLength(1);
  return r.inputs(charts[0]);
}
