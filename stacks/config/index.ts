/**
 * Config layer: reads every `mlstack:*` key from the Pulumi stack config and hands back one
 * validated model, or throws a ConfigError naming each bad key, value and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "./parse";
import type { PlatformConfig } from "./types";

export * from "./types";
export { ConfigError } from "./reader";
export { parseConfig, PLATFORM_OWNER } from "./parse";

/** Reads `mlstack:*` from the running stack's config (works under the engine and under mocks). */
export function loadConfig(): PlatformConfig {
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith("mlstack:")) continue;
    const key = fullKey.slice("mlstack:".length);
    raw[key] = decode(value);
  }
  return parseConfig(raw, { project: pulumi.getProject(), stack: pulumi.getStack() });
}

/** The engine hands structured values over as JSON text; scalars stay strings. */
function decode(value: string): unknown {
  const trimmed = value.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}
