/**
 * What a target module hands the shared composition: one implementation of each backing-service
 * contract, plus the Kubernetes provider the workloads are deployed with. MLflow, serving and
 * the team namespaces are built once, against these, for every target.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../components/context";
import type { WorkloadIdentityProvider } from "../components/identity/contract";
import type { KafkaCluster } from "../components/kafka/contract";
import type { ObjectStore } from "../components/objectstore/contract";
import type { PostgresService } from "../components/postgres/contract";
import type { PlatformConfig } from "./config";

export interface BackingServices {
  objectStore: ObjectStore;
  postgres: PostgresService;
  kafka: KafkaCluster;
}

/** Facts about the cluster side the target needs when building its services. */
export interface ClusterFacts {
  /** The platform namespace (already created, default-deny) where in-cluster services and MLflow run. */
  platformNamespace: string;
  /** Namespace of each team (team name → namespace). */
  teamNamespaces: Record<string, string>;
  /** Namespace of each workload (`mlflow` and every model name → namespace). */
  workloadNamespaces: Record<string, string>;
  /** Resources the target's in-cluster objects must wait for (namespace, operators). */
  dependsOn: pulumi.Resource[];
}

export interface TargetModule {
  /**
   * The Kubernetes provider workloads use: undefined means the ambient kubeconfig (the default
   * provider), as on plain Kubernetes and OpenShift.
   */
  kubernetesProvider(config: PlatformConfig): k8s.Provider | undefined;
  /**
   * The workload identity provider. Called first: identities must exist before the namespaces,
   * whose ServiceAccounts carry the identity annotations (IRSA role ARN, GSA e-mail).
   */
  identityProvider(
    config: PlatformConfig,
    ctx: PlatformContext,
    parent: pulumi.Resource,
  ): WorkloadIdentityProvider;
  /**
   * Creates the backing services under `parent`. Called once, after the identity provider and
   * after the platform and team namespaces exist.
   */
  createBackingServices(
    config: PlatformConfig,
    ctx: PlatformContext,
    cluster: ClusterFacts,
    parent: pulumi.Resource,
  ): BackingServices;
}
