/**
 * The labels every Kubernetes object mlstack creates carries. `selectorLabels` is the stable
 * subset used in selectors (changing a Deployment selector forces a replace, so it never
 * includes anything that might change, like a version).
 */
export interface LabelArgs {
  /** The workload or object family, e.g. `mlflow`, `fraud-detector`. */
  name: string;
  /** What it is in the platform: `tracking-server`, `model-serving`, `kafka`, `namespace`… */
  component: string;
  environment: string;
  /** Owning team; `platform` for shared services. */
  team: string;
}

export const PART_OF = "mlstack";
export const ENVIRONMENT_LABEL = "mlstack.io/environment";
export const TEAM_LABEL = "mlstack.io/team";

export function selectorLabels(args: Pick<LabelArgs, "name">): Record<string, string> {
  return { "app.kubernetes.io/name": args.name, "app.kubernetes.io/part-of": PART_OF };
}

export function kubeLabels(args: LabelArgs): Record<string, string> {
  return {
    ...selectorLabels(args),
    "app.kubernetes.io/component": args.component,
    "app.kubernetes.io/managed-by": "pulumi",
    [ENVIRONMENT_LABEL]: args.environment,
    [TEAM_LABEL]: args.team,
  };
}

/** Tags for cloud resources (AWS tag keys allow ':'). GCP labels use `cloudLabels`. */
export function cloudTags(args: Omit<LabelArgs, "name">): Record<string, string> {
  return {
    "mlstack:environment": args.environment,
    "mlstack:team": args.team,
    "mlstack:component": args.component,
    "mlstack:managed-by": "pulumi",
  };
}

/** GCP label keys allow only lowercase letters, digits, '-' and '_'. */
export function cloudLabels(args: Omit<LabelArgs, "name">): Record<string, string> {
  return {
    "mlstack-environment": args.environment,
    "mlstack-team": args.team,
    "mlstack-component": args.component,
    "mlstack-managed-by": "pulumi",
  };
}
