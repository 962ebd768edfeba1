/** `mlstack:gcp`: the GCP target's settings (project, region, the existing GKE cluster, network). */
import type { Reader } from "./reader";
import type { PlatformConfig } from "./types";

/** `mlstack:gcp` once validated. */
export interface GcpTargetConfig {
  [key: string]: unknown;
}

export function parseGcpConfig(r: Reader, _value: unknown, _config: PlatformConfig): GcpTargetConfig {
  r.fail("target", "gcp", "is not available in this version of mlstack (available: kubernetes, openshift)");
  return {};
}
