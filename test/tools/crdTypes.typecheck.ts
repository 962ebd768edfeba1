/**
 * Compile-time checks of the generated custom resources, run by `npm run typecheck` (tsc over
 * test/**): each `@ts-expect-error` line must fail to type-check, or tsc reports the directive as
 * unused. So a field the pinned operator lacks, a value outside its enum, or a missing required
 * field is a type error wherever mlstack builds one of these resources. Nothing here runs.
 */
import * as pulumi from "@pulumi/pulumi";
import { Kafka, KafkaTopic } from "../../components/crds/kafka.strimzi.io/v1";
import { Cluster } from "../../components/crds/postgresql.cnpg.io/v1";
import { ScaledObject } from "../../components/crds/keda.sh/v1alpha1";

export function misspelledFieldsAreTypeErrors(): void {
  new KafkaTopic("topic", {
    // @ts-expect-error: KafkaTopic has `partitions`, not `partition`
    spec: { partition: 3 },
  });
  new Cluster("db", {
    metadata: { name: "db" },
    // @ts-expect-error: CloudNativePG's Cluster has `enableSuperuserAccess`, not `enableSuperUserAccess`
    spec: { instances: 1, enableSuperUserAccess: false },
  });
}

export function enumsAndRequiredFieldsAreChecked(): void {
  new Cluster("db", {
    metadata: { name: "db" },
    // @ts-expect-error: primaryUpdateMethod is "switchover" or "restart"
    spec: { instances: 2, primaryUpdateMethod: "failover" },
  });
  new Kafka("kafka", {
    // @ts-expect-error: a listener needs name, port, type and tls
    spec: { kafka: { listeners: [{ name: "tls", port: 9093 }] } },
  });
  new ScaledObject("scaler", {
    // @ts-expect-error: scaleTargetRef and triggers are required
    spec: { minReplicaCount: 1 },
  });
}

export function outputsAreAcceptedWhereLiteralsAre(name: pulumi.Output<string>): void {
  new KafkaTopic("topic", { metadata: { name }, spec: { topicName: name, partitions: pulumi.output(3) } });
}

/** The controls: the same resources, spelled right, type-check. */
export function correctResourcesTypeCheck(): void {
  new KafkaTopic("topic", { spec: { partitions: 3 } });
  new Cluster("db", {
    metadata: { name: "db" },
    spec: { instances: 2, enableSuperuserAccess: false, primaryUpdateMethod: "switchover" },
  });
  new Kafka("kafka", {
    spec: { kafka: { listeners: [{ name: "tls", port: 9093, type: "internal", tls: true }] } },
  });
  new ScaledObject("scaler", {
    spec: { scaleTargetRef: { name: "model" }, triggers: [{ type: "cpu", metadata: { value: "80" } }] },
  });
}
