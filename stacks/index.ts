/**
 * Entry for every stack: validate config, load only the chosen target's module (a Kubernetes
 * stack must not pay for loading the AWS or GCP SDKs), and build the platform.
 */
import * as k8s from "@pulumi/kubernetes";
import type { TargetModule } from "./backing";
import { PlatformConfig, Target, loadConfig } from "./config";
import { PlatformStackOutputValues, platformStackOutputs } from "./outputs";
import { Platform } from "./platform";
import { preflight } from "./preflight";

export { preflight, preflightProblems, validateStackConfig } from "./preflight";
export type { PlatformStackOutputs, PlatformStackOutputValues } from "./outputs";

/** Loads a target's module on demand; each `require` names one file so bundlers and readers see it. */
export function loadTarget(target: Target): TargetModule {
  switch (target) {
    case "kubernetes":
      return (require("./kubernetes") as typeof import("./kubernetes")).kubernetesTarget;
    case "openshift":
      return (require("./openshift") as typeof import("./openshift")).openshiftTarget;
    case "aws":
      return (require("./aws") as typeof import("./aws")).awsTarget;
    case "gcp":
      return (require("./gcp") as typeof import("./gcp")).gcpTarget;
  }
}

/**
 * Builds the whole platform for a validated config and returns the stack outputs: per team what an
 * application stack needs (stacks/outputs.ts), names and references only.
 */
export function deployPlatform(config: PlatformConfig): PlatformStackOutputValues {
  // The pre-flight step: every component's checks, before the first resource registers.
  preflight(config);
  const target = loadTarget(config.target);
  const provider: k8s.Provider | undefined = target.kubernetesProvider(config);
  const platform = new Platform(
    "mlstack",
    config,
    target,
    provider ? { providers: { kubernetes: provider } } : {},
  );
  return platformStackOutputs(config, platform);
}

/** The program: read and validate `mlstack:*` (throws before any resource is registered), then deploy. */
export function main(): PlatformStackOutputValues {
  return deployPlatform(loadConfig());
}
