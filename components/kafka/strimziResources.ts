/**
 * Strimzi's custom resources, typed by the `kafka.strimzi.io/v1` schema of the pinned operator
 * (`components/crds/kafka.strimzi.io/v1.ts`, generated), written in the API version the config
 * asks for. `v1` is the only version Strimzi 1.x serves; `v1beta2` (operators before 1.0) is
 * written with the same v1 shape, so the v1 types check both.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { StrimziApiVersion } from "./settings";

export type {
  KafkaNodePoolSpec,
  KafkaSpec,
  KafkaSpecKafkaMetricsConfig,
  KafkaTopicSpec,
  KafkaUserSpec,
  KafkaUserSpecAuthentication,
  KafkaUserSpecAuthorizationAcls,
} from "../crds/kafka.strimzi.io/v1";
export { Kafka, KafkaNodePool, KafkaTopic, KafkaUser } from "../crds/kafka.strimzi.io/v1";

/** A generated Strimzi class: its args type, fixed apiVersion and kind. */
interface StrimziKind<A> {
  new (name: string, args: A, opts?: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource;
  readonly apiVersion: string;
  readonly kind: string;
}

/** One Strimzi resource of `kind` (a generated v1 class) in `apiVersion`. */
export function strimziResource<A extends object>(
  kind: StrimziKind<A>,
  apiVersion: StrimziApiVersion,
  name: string,
  args: A,
  opts?: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  if (apiVersion === kind.apiVersion) return new kind(name, args, opts);
  return new k8s.apiextensions.CustomResource(name, { apiVersion, kind: kind.kind, ...args }, opts);
}
