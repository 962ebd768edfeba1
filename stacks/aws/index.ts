/**
 * The AWS target: the workloads run unchanged on an existing EKS cluster; the backing services are
 * AWS managed services (MSK, RDS / Aurora, S3, KMS); every workload reaches AWS with its own IAM
 * role through IRSA. Loaded only when `mlstack:target` is `aws` (see stacks/index.ts), so other
 * targets never load @pulumi/aws. What the cluster must already have: stacks/aws/README.md.
 */
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import type { Region } from "@pulumi/aws/types/enums";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../../components/context";
import { stackStem } from "../../components/identity/awsAccount";
import { IrsaIdentityProvider } from "../../components/identity/irsa";
import type { BackingServices, ClusterFacts, TargetModule } from "../backing";
import type { AwsTargetConfig, PlatformConfig } from "../config/types";
import { AwsBackingServices } from "./backingServices";

/**
 * Providers and the identity provider are created once per stack and shared by every call
 * (the shared composition asks for them separately). Keyed by the config object of the run.
 */
interface TargetState {
  awsProvider?: AwsProvider;
  kubernetesProvider?: k8s.Provider;
  identityProvider?: IrsaIdentityProvider;
}
const states = new WeakMap<PlatformConfig, TargetState>();

function stateOf(config: PlatformConfig): TargetState {
  let state = states.get(config);
  if (!state) {
    state = {};
    states.set(config, state);
  }
  return state;
}

/** `mlstack:aws`, which config validation guarantees when the target is aws. */
export function awsConfigOf(config: PlatformConfig): AwsTargetConfig {
  if (config.target !== "aws" || !config.aws) {
    throw new Error(
      `awsTarget: config.target is ${JSON.stringify(config.target)} and mlstack:aws is ${config.aws ? "set" : "missing"}; the AWS target needs target aws and a validated mlstack:aws`,
    );
  }
  return config.aws;
}

/**
 * The AWS provider of every resource: pinned to the cluster's region and to the account of its
 * OIDC provider, so credentials for any other account fail before anything is created.
 */
function awsProviderFor(config: PlatformConfig, parent?: pulumi.Resource): AwsProvider {
  const state = stateOf(config);
  if (!state.awsProvider) {
    const awsConfig = awsConfigOf(config);
    state.awsProvider = new AwsProvider(
      "aws",
      { region: awsConfig.region as Region, allowedAccountIds: [awsConfig.accountId] },
      parent ? { parent } : undefined,
    );
  }
  return state.awsProvider;
}

/** The EKS cluster's Kubernetes provider, from exactly one of context, kubeconfig or a stack reference. */
function kubernetesProviderFor(config: PlatformConfig): k8s.Provider {
  const state = stateOf(config);
  if (!state.kubernetesProvider) {
    const access = awsConfigOf(config).cluster.access;
    let args: k8s.ProviderArgs;
    if (access.kind === "context") {
      args = { context: access.context };
    } else if (access.kind === "kubeconfig") {
      args = { kubeconfig: access.kubeconfig };
    } else {
      const reference = new pulumi.StackReference("eks-cluster", { name: access.stack });
      args = {
        kubeconfig: pulumi.secret(
          reference
            .requireOutput(access.output)
            .apply((value) => (typeof value === "string" ? value : JSON.stringify(value))),
        ),
      };
    }
    state.kubernetesProvider = new k8s.Provider("eks", {
      ...args,
      enableServerSideApply: true,
      deleteUnreachable: false,
    });
  }
  return state.kubernetesProvider;
}

function identityProviderFor(
  config: PlatformConfig,
  ctx: PlatformContext,
  parent: pulumi.Resource,
): IrsaIdentityProvider {
  const state = stateOf(config);
  if (!state.identityProvider) {
    const awsConfig = awsConfigOf(config);
    state.identityProvider = new IrsaIdentityProvider({
      ctx,
      oidcProviderArn: awsConfig.cluster.oidcProviderArn,
      oidcIssuer: awsConfig.cluster.oidcIssuer,
      nameStem: stackStem(config.project, config.stack),
      path: awsConfig.iam.rolePath,
      permissionsBoundaryArn: awsConfig.iam.permissionsBoundaryArn,
      provider: awsProviderFor(config, parent),
    });
  }
  return state.identityProvider;
}

export const awsTarget: TargetModule = {
  kubernetesProvider(config: PlatformConfig): k8s.Provider {
    return kubernetesProviderFor(config);
  },

  identityProvider(
    config: PlatformConfig,
    ctx: PlatformContext,
    parent: pulumi.Resource,
  ): IrsaIdentityProvider {
    return identityProviderFor(config, ctx, parent);
  },

  createBackingServices(
    config: PlatformConfig,
    ctx: PlatformContext,
    cluster: ClusterFacts,
    parent: pulumi.Resource,
  ): BackingServices {
    const awsConfig = awsConfigOf(config);
    const awsProvider = awsProviderFor(config, parent);
    const kubernetesProvider = kubernetesProviderFor(config);
    return new AwsBackingServices(
      "aws",
      {
        config,
        aws: awsConfig,
        ctx,
        cluster,
        identityProvider: identityProviderFor(config, ctx, parent),
        awsProvider,
        kubernetesProvider,
      },
      { parent, providers: [awsProvider, kubernetesProvider] },
    );
  },
};
