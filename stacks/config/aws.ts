/** `mlstack:aws`: the AWS target's settings (the existing EKS cluster, its OIDC provider, network). */
import type { Reader } from "./reader";
import type { AwsTargetConfig, PlatformConfig } from "./types";

export function parseAwsConfig(r: Reader, _value: unknown, _config: PlatformConfig): AwsTargetConfig {
  r.fail("target", "aws", "is not available in this version of mlstack (available: kubernetes, openshift)");
  return {};
}
