/**
 * The in-cluster implementation of every backing service, shared by the kubernetes and openshift
 * targets: Strimzi Kafka, CloudNativePG, and ObjectBucketClaims or an external S3 endpoint.
 * Identity is the Kubernetes ServiceAccount; access arrives as per-workload Secrets.
 */
import { KubernetesIdentityProvider } from "../../components/identity/kubernetes";
import { StrimziKafka } from "../../components/kafka/StrimziKafka";
import type { ObjectStore } from "../../components/objectstore/contract";
import { ExternalObjectStore } from "../../components/objectstore/ExternalObjectStore";
import { ObcObjectStore } from "../../components/objectstore/ObcObjectStore";
import { CnpgPostgres } from "../../components/postgres/CnpgPostgres";
import type { TargetModule } from "../backing";
import { PLATFORM_OWNER, PlatformConfig } from "../config";

/** Where the operators run: OLM installs into `openshift-operators`; Helm into `operators.namespace`. */
export function operatorNamespace(config: PlatformConfig): string {
  return config.target === "openshift" ? "openshift-operators" : config.operators.namespace;
}

export function inClusterTarget(): TargetModule {
  return {
    // The ambient kubeconfig / in-cluster credentials, as `pulumi up` from CI has them.
    kubernetesProvider: () => undefined,
    identityProvider: () => new KubernetesIdentityProvider(),
    createBackingServices(config, ctx, cluster, parent) {
      const namespaces = { [PLATFORM_OWNER]: cluster.platformNamespace, ...cluster.teamNamespaces };
      const storeArgs = {
        ctx,
        config: config.objectStore,
        network: config.network,
        namespaces,
        dependsOn: cluster.dependsOn,
      };
      const objectStore: ObjectStore =
        config.objectStore.provider === "obc"
          ? new ObcObjectStore("objectstore", storeArgs, { parent })
          : new ExternalObjectStore("objectstore", storeArgs, { parent });
      const clientNamespaces = [...new Set(Object.values(cluster.workloadNamespaces))].sort();
      const kafka = new StrimziKafka(
        "kafka",
        {
          ctx,
          config: config.kafka,
          namespace: cluster.platformNamespace,
          // Every team may run Kafka clients (streaming models, their own jobs); ACLs decide what each reads.
          clientNamespaces: [...new Set(Object.values(cluster.teamNamespaces))].sort(),
          apiServerCidrs: config.network.apiServerCidrs,
          kedaOperator: config.serving.models.some((m) => m.kafka)
            ? { namespace: config.network.kedaNamespace }
            : undefined,
          monitoringNamespace: config.serving.monitoring ? config.network.monitoringNamespace : undefined,
          dependsOn: cluster.dependsOn,
        },
        { parent },
      );
      const postgres = new CnpgPostgres(
        "postgres",
        {
          ctx,
          config: config.postgres,
          namespace: cluster.platformNamespace,
          clientNamespaces,
          operatorNamespace: operatorNamespace(config),
          network: config.network,
          owners: cluster.workloadNamespaces,
          backupBucket: config.postgres.backup.enabled
            ? objectStore.bucket(config.postgres.backup.bucket)
            : undefined,
          dependsOn: cluster.dependsOn,
          monitoring: config.serving.monitoring,
        },
        { parent },
      );
      return { objectStore, kafka, postgres };
    },
  };
}
