/** `requests` / `limits` blocks (`mlstack:*.resources`): CPU and memory as Kubernetes quantities. */
import { Reader } from "./reader";
import type { ContainerResources } from "./types";

export function parseResources(
  r: Reader,
  value: unknown,
  path: string,
  fallback: ContainerResources,
): ContainerResources {
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["requests", "limits"]);
  const requests = r.object(obj.requests, `${path}.requests`);
  const limits = r.object(obj.limits, `${path}.limits`);
  r.knownKeys(requests, `${path}.requests`, ["cpu", "memory"]);
  r.knownKeys(limits, `${path}.limits`, ["cpu", "memory"]);
  return {
    requests: {
      cpu: r.quantity(requests, "cpu", `${path}.requests`, fallback.requests.cpu),
      memory: r.quantity(requests, "memory", `${path}.requests`, fallback.requests.memory),
    },
    limits: {
      cpu: r.quantity(limits, "cpu", `${path}.limits`, fallback.limits.cpu),
      memory: r.quantity(limits, "memory", `${path}.limits`, fallback.limits.memory),
    },
  };
}
