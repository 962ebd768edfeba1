/** `requests` / `limits` blocks (`mlstack:*.resources`): CPU and memory as Kubernetes quantities. */
import type { Static } from "@sinclair/typebox";
import { Opt, Quantity, Strict } from "./schemaKinds";
import type { ContainerResources } from "./types";

const CpuMemory = Strict({ cpu: Opt(Quantity()), memory: Opt(Quantity()) });
export const ResourcesSchema = Strict(
  { requests: Opt(CpuMemory), limits: Opt(CpuMemory) },
  { description: "container requests and limits (defaults per environment)" },
);

export function parseResources(
  value: Static<typeof ResourcesSchema> | undefined,
  fallback: ContainerResources,
): ContainerResources {
  const requests = value?.requests ?? {};
  const limits = value?.limits ?? {};
  return {
    requests: {
      cpu: requests.cpu ?? fallback.requests.cpu,
      memory: requests.memory ?? fallback.requests.memory,
    },
    limits: { cpu: limits.cpu ?? fallback.limits.cpu, memory: limits.memory ?? fallback.limits.memory },
  };
}
