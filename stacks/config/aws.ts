/** `mlstack:aws`: the AWS target's settings (the existing EKS cluster, its OIDC provider, network). */
import type { Reader } from "./reader";
import type { PlatformConfig } from "./types";

/** `mlstack:aws` once validated. */
export interface AwsTargetConfig {
  [key: string]: unknown;
}

export function parseAwsConfig(r: Reader, _value: unknown, _config: PlatformConfig): AwsTargetConfig {
  r.fail("target", "aws", "is not available in this version of mlstack (available: kubernetes, openshift)");
  return {};
}
