/**
 * Config layer: reads every `mlstack:*` key from the Pulumi stack config and hands back one
 * validated model, or throws a ConfigError naming each bad key, value and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "./parse";
import type { PlatformConfig } from "./types";

export * from "./types";
export { ConfigError } from "./reader";
export { parseConfig } from "./parse";

/** Reads `mlstack:*` from the running stack's config (works under the engine and under mocks). */
export function loadConfig(): PlatformConfig {
  return parseConfig(platformKeys(pulumi.runtime.allConfig()), {
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
  });
}

/** The `mlstack:*` entries of an engine config map, without the namespace, values decoded. */
export function platformKeys(all: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    if (fullKey.startsWith("mlstack:")) raw[fullKey.slice("mlstack:".length)] = decode(value);
  }
  return raw;
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
