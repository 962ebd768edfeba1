/**
 * Entry for every stack: validate config, load only the chosen target's module (a Kubernetes
 * stack must not pay for loading the AWS or GCP SDKs), and build the platform.
 */
import * as k8s from "@pulumi/kubernetes";
import type { TargetModule } from "./backing";
import { PlatformConfig, Target, loadConfig } from "./config";
import { Platform, PlatformOutputs } from "./platform";
import { preflight } from "./preflight";

export { preflight, preflightProblems, validateStackConfig } from "./preflight";

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

/** Builds the whole platform for a validated config and returns the stack outputs. */
export function deployPlatform(config: PlatformConfig): PlatformOutputs {
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
  return platform.outputs;
}

/** The program: read and validate `mlstack:*` (throws before any resource is registered), then deploy. */
export function main(): PlatformOutputs {
  return deployPlatform(loadConfig());
}
