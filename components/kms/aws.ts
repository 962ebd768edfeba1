/**
 * A customer-managed KMS key for one data domain of the AWS target (Kafka, the database, the
 * buckets), rotated automatically, with an explicit key policy:
 *
 * 1. `KeyAdministration`: the account (that is, IAM principals IAM allows) and any configured key
 *    administrators may manage the key — describe, tag, rotate, change its policy, schedule or
 *    cancel deletion — but not use it. Keeping the account here is what prevents a lockout.
 * 2. `UseThroughOwningServices`: the key encrypts and decrypts only when called through the AWS
 *    services of its domain (`kms:ViaService`), for principals IAM allows. A workload role that
 *    was granted a bucket can therefore decrypt objects through S3, never call KMS directly.
 * 3. `GrantsForAwsResources`: the same services may create grants for their own resources
 *    (RDS storage, MSK brokers), nothing else may.
 * 4. `CloudWatchLogs` (only with `logGroupArns`): the Logs service encrypts exactly those log
 *    groups (encryption context `aws:logs:arn`).
 *
 * No statement names a wildcard principal, and the lockout safety check is never bypassed.
 */
import type * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import { AwsAccount, accountRoot, dnsSuffix, viaService } from "../identity/awsAccount";
import { cloudTags } from "../kube/labels";

/** Management actions of the key-administrator statement: everything except using the key. */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

/** Cryptographic actions an owning service may perform on callers' behalf. */
export const KEY_USE_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey*",
  "kms:ReEncrypt*",
];

export interface AwsKmsKeyArgs {
  ctx: PlatformContext;
  account: AwsAccount;
  /** The data domain, e.g. `kafka`, `database`, `buckets`: the `mlstack:component` tag and the alias's last part. */
  domain: string;
  /** Shown in the console and in CloudTrail; say what the key protects. */
  description: string;
  /** `alias/...`, unique in the account and region (derive it from project and stack). */
  aliasName: string;
  /**
   * Services allowed to use the key on callers' behalf (`kms:ViaService`), by endpoint prefix:
   * `s3`, `kafka`, `rds`, `secretsmanager`. At least one: a key no service may use protects nothing.
   */
  services: string[];
  /** Log groups the CloudWatch Logs service may encrypt with this key. Default none. */
  logGroupArns?: pulumi.Input<string>[];
  /** Key administrators besides the account's IAM principals. Default none. */
  adminPrincipalArns?: string[];
  /** Waiting period before deletion, 7..30 days. Default 30: the longest time to notice and cancel. */
  deletionWindowInDays?: number;
  /** Automatic rotation period, 90..2560 days. Default 365 (AWS's default). */
  rotationPeriodInDays?: number;
  /** Extra tags (merged over the platform tags). */
  tags?: Record<string, string>;
}

export class AwsKmsKey extends pulumi.ComponentResource {
  readonly key: kms.Key;
  readonly alias: kms.Alias;
  /** Key ARN: what `kmsKeyId` / `kmsMasterKeyId` fields take. */
  readonly arn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;

  constructor(name: string, args: AwsKmsKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    const deletionWindowInDays = args.deletionWindowInDays ?? 30;
    const rotationPeriodInDays = args.rotationPeriodInDays ?? 365;
    if (!Number.isInteger(deletionWindowInDays) || deletionWindowInDays < 7 || deletionWindowInDays > 30) {
      throw new Error(
        `AwsKmsKey ${name}: deletionWindowInDays ${JSON.stringify(args.deletionWindowInDays)} is not a whole number from 7 to 30`,
      );
    }
    if (!Number.isInteger(rotationPeriodInDays) || rotationPeriodInDays < 90 || rotationPeriodInDays > 2560) {
      throw new Error(
        `AwsKmsKey ${name}: rotationPeriodInDays ${JSON.stringify(args.rotationPeriodInDays)} is not a whole number from 90 to 2560`,
      );
    }
    if (args.services.length === 0) {
      throw new Error(
        `AwsKmsKey ${name}: services is empty; name the AWS services (s3, kafka, rds, secretsmanager) that use the key`,
      );
    }
    if (!/^alias\/[A-Za-z0-9/_-]+$/.test(args.aliasName) || args.aliasName.startsWith("alias/aws/")) {
      throw new Error(
        `AwsKmsKey ${name}: aliasName ${JSON.stringify(args.aliasName)} is not a customer alias (alias/<letters, digits, / _ ->, not alias/aws/...)`,
      );
    }
    super("mlstack:kms:AwsKmsKey", name, {}, opts);

    const tags = {
      ...cloudTags({ environment: args.ctx.environment, team: "platform", component: `kms-${args.domain}` }),
      ...args.tags,
    };
    this.key = new kms.Key(
      `${name}-key`,
      {
        description: args.description,
        keyUsage: "ENCRYPT_DECRYPT",
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        enableKeyRotation: true,
        rotationPeriodInDays,
        deletionWindowInDays,
        bypassPolicyLockoutSafetyCheck: false,
        policy: pulumi.jsonStringify(keyPolicy(args)),
        tags,
      },
      { parent: this, protect: args.ctx.protect, retainOnDelete: args.ctx.protect },
    );
    this.alias = new kms.Alias(
      `${name}-alias`,
      { name: args.aliasName, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.arn = this.key.arn;
    this.keyId = this.key.keyId;
    this.registerOutputs({ arn: this.arn, keyId: this.keyId, alias: this.alias.name });
  }
}

/** The key policy document (see the module comment for what each statement is for). */
export function keyPolicy(
  args: Pick<AwsKmsKeyArgs, "account" | "services" | "logGroupArns" | "adminPrincipalArns">,
): iam.PolicyDocument {
  const root = accountRoot(args.account);
  const via = args.services.map((service) => viaService(args.account, service));
  const statements: iam.PolicyStatement[] = [
    {
      Sid: "KeyAdministration",
      Effect: "Allow",
      Principal: { AWS: [root, ...(args.adminPrincipalArns ?? [])] },
      Action: KEY_ADMIN_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "UseThroughOwningServices",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: KEY_USE_ACTIONS,
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": via, "kms:CallerAccount": args.account.accountId } },
    },
    {
      Sid: "GrantsForAwsResources",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      Resource: "*",
      Condition: {
        Bool: { "kms:GrantIsForAWSResource": "true" },
        StringEquals: { "kms:ViaService": via, "kms:CallerAccount": args.account.accountId },
      },
    },
  ];
  if (args.logGroupArns && args.logGroupArns.length > 0) {
    statements.push({
      Sid: "CloudWatchLogs",
      Effect: "Allow",
      Principal: { Service: `logs.${args.account.region}.${dnsSuffix(args.account)}` },
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
      Resource: "*",
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": args.logGroupArns } },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
