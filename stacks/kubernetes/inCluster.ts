/**
 * The in-cluster implementation of every backing service, shared by the kubernetes and openshift
 * targets: Strimzi Kafka, CloudNativePG, and ObjectBucketClaims, an external S3 endpoint or SeaweedFS.
 * Identity is the Kubernetes ServiceAccount; access arrives as per-workload Secrets.
 */
import { KubernetesIdentityProvider } from "../../components/identity/kubernetes";
import { StrimziKafka } from "../../components/kafka/StrimziKafka";
import { CnpgPostgres } from "../../components/postgres/CnpgPostgres";
import type { TargetModule } from "../backing";
import {
  IN_CLUSTER_COMPONENT_NAMES as NAMES,
  cnpgPostgresArgs,
  objectStoreArgs,
  strimziKafkaArgs,
} from "../componentArgs";
import { createInClusterObjectStore } from "./objectStore";

export { operatorNamespace } from "../componentArgs";

export function inClusterTarget(): TargetModule {
  return {
    // The ambient kubeconfig / in-cluster credentials, as `pulumi up` from CI has them.
    kubernetesProvider: () => undefined,
    identityProvider: () => new KubernetesIdentityProvider(),
    createBackingServices(config, ctx, cluster, parent) {
      const objectStore = createInClusterObjectStore(
        NAMES.objectStore,
        objectStoreArgs(config, ctx, cluster),
        parent,
      );
      const kafka = new StrimziKafka(NAMES.kafka, strimziKafkaArgs(config, ctx, cluster), { parent });
      const backupBucket = config.postgres.backup.enabled
        ? objectStore.bucket(config.postgres.backup.bucket)
        : undefined;
      const postgres = new CnpgPostgres(
        NAMES.postgres,
        cnpgPostgresArgs(config, ctx, cluster, backupBucket),
        {
          parent,
        },
      );
      return { objectStore, kafka, postgres };
    },
  };
}
