/**
 * The AWS account, partition and region a platform lives in, and the names and ARNs every AWS
 * component derives from them. Kept free of SDK calls (no `getCallerIdentity` invokes): the
 * values come from validated config, so `mlstack plan` shows real ARNs offline and a stack can
 * never drift into another account (the AWS provider is pinned to `accountId` as well).
 */
import { createHash } from "crypto";

export interface AwsAccount {
  /** 12-digit account id. */
  accountId: string;
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  partition: string;
  /** e.g. `eu-west-1`. */
  region: string;
}

/** DNS suffix of the partition's service endpoints. */
export function dnsSuffix(account: AwsAccount): string {
  return account.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

/**
 * The regional endpoint host of a service, the value of the `kms:ViaService` condition key
 * (e.g. `s3.eu-west-1.amazonaws.com`).
 */
export function viaService(account: AwsAccount, service: string): string {
  return `${service}.${account.region}.${dnsSuffix(account)}`;
}

/** The account's root principal: the key policy delegates to IAM through it. */
export function accountRoot(account: AwsAccount): string {
  return `arn:${account.partition}:iam::${account.accountId}:root`;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; pass `region: ""` for global services. */
export function arn(
  account: AwsAccount,
  service: string,
  resource: string,
  opts: { region?: string } = {},
): string {
  return `arn:${account.partition}:${service}:${opts.region ?? account.region}:${account.accountId}:${resource}`;
}

/**
 * A physical name for an AWS resource: lowercase, `[a-z0-9-]` only, at most `maxLength`
 * characters. When the parts are too long, the name is cut and ends in six hex characters of a
 * hash of the full name, so two long names that share a prefix still differ.
 */
export function physicalName(parts: string[], maxLength: number): string {
  const full = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (full.length <= maxLength) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
  const head = full.slice(0, maxLength - hash.length - 1).replace(/-+$/, "");
  return `${head}-${hash}`;
}

/** The name stem every physical name of a stack starts with: `<project>-<stack>`. */
export function stackStem(project: string, stack: string, maxLength = 32): string {
  return physicalName([project, stack], maxLength);
}
