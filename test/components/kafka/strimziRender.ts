/** Rendering helpers shared by the StrimziKafka.*.test.ts files. */
import type { WorkloadAccess } from "../../../components/identity/contract";
import { StrimziKafka, StrimziKafkaArgs, StrimziScalerAuth } from "../../../components/kafka/StrimziKafka";
import type { PlatformConfig } from "../../../stacks/config";
import { Rendered, render } from "../../support/render";
import { identity, kafkaArgs, strimzi } from "./strimziFixtures";

export const SECRET = "kubernetes:core/v1:Secret";
export const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

export async function renderKafka(
  c: PlatformConfig,
  overrides: Partial<StrimziKafkaArgs> = {},
): Promise<Rendered> {
  return render(() => {
    new StrimziKafka("kafka", kafkaArgs(c, overrides));
  });
}

/** Renders the cluster and grants the streaming fraud model its topics, returning the access too. */
export async function renderGrant(
  c: PlatformConfig,
  overrides: Partial<StrimziKafkaArgs> = {},
): Promise<{ r: Rendered; access: WorkloadAccess; scaler: StrimziScalerAuth }> {
  let access: WorkloadAccess | undefined;
  let scaler: StrimziScalerAuth | undefined;
  const r = await render(() => {
    const kafka = new StrimziKafka("kafka", kafkaArgs(c, overrides));
    const model = identity(c, "fraud-detector", "fraud");
    access = kafka.grantTopicAccess(
      model,
      { read: ["transactions"], write: ["fraud-scores"], consumerGroup: "fraud-detector" },
      { parent: kafka },
    );
    scaler = kafka.scalerAuth(model);
  });
  return { r, access: access as WorkloadAccess, scaler: scaler as StrimziScalerAuth };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kafkaSpec(r: Rendered): Record<string, any> {
  return r.inputs(strimzi(r.resources, "Kafka")[0]).spec;
}
