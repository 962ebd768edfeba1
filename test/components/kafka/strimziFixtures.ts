/** Shared fixtures for the Strimzi tests: contexts, args and identities built from the test config. */
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource } from "../../../cli/mockRuntime";
import { flavorOf, PlatformContext } from "../../../components/context";
import type { WorkloadIdentity } from "../../../components/identity/contract";
import type { StrimziKafkaArgs } from "../../../components/kafka/StrimziKafka";
import type { PlatformConfig } from "../../../stacks/config";
import { baseConfig, baseRawConfig } from "../../support/config";

export const V1 = "kafka.strimzi.io/v1";
export const V1BETA2 = "kafka.strimzi.io/v1beta2";

/** Config overrides: environment / target at the top level, anything under `kafka` merged into the base topics. */
export function config(
  opts: { environment?: string; target?: string; kafka?: Record<string, unknown> } = {},
): PlatformConfig {
  const raw = baseRawConfig();
  return baseConfig({
    ...(opts.environment ? { environment: opts.environment } : {}),
    ...(opts.target ? { target: opts.target } : {}),
    kafka: { ...raw.kafka, ...(opts.kafka ?? {}) },
  });
}

export function contextOf(c: PlatformConfig): PlatformContext {
  return {
    environment: c.environment,
    target: c.target,
    flavor: flavorOf(c.target),
    protect: c.protect,
    highAvailability: c.highAvailability,
    project: c.project,
    stack: c.stack,
  };
}

export function kafkaArgs(c: PlatformConfig, overrides: Partial<StrimziKafkaArgs> = {}): StrimziKafkaArgs {
  return {
    ctx: contextOf(c),
    config: c.kafka,
    namespace: c.platformNamespace,
    clientNamespaces: c.teams.map((t) => t.namespace),
    apiServerCidrs: ["10.0.0.1/32"],
    ...overrides,
  };
}

export function identity(c: PlatformConfig, name: string, team: string): WorkloadIdentity {
  const namespace = c.teams.find((t) => t.name === team)?.namespace ?? `${c.namespacePrefix}${team}`;
  return {
    workload: { name, team, namespace, serviceAccountName: name },
    serviceAccountAnnotations: {},
    dependencies: [],
  };
}

/** The resolved value of an Output (or a plain value) after a render. */
export function resolve<T>(value: pulumi.Input<T>): Promise<T> {
  return new Promise((done) => pulumi.output(value).apply((v) => done(v as T)));
}

/** Resources of a Strimzi kind, whatever the API version. */
export function strimzi(resources: RecordedResource[], kind: string): RecordedResource[] {
  return resources.filter(
    (r) => r.type.startsWith("kubernetes:kafka.strimzi.io/") && r.type.endsWith(`:${kind}`),
  );
}
