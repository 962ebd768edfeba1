/**
 * One S3 bucket of the AWS target, with every setting a bank's review expects, each in its own
 * current resource (the inline `Bucket` settings are deprecated in @pulumi/aws 7):
 *
 * - ownership `BucketOwnerEnforced` (ACLs disabled) and all four public-access blocks;
 * - default encryption SSE-KMS with the buckets' customer key and an S3 Bucket Key (fewer KMS
 *   calls, and the encryption context becomes the bucket ARN, which grants pin); SSE-C refused;
 *   the access-log bucket uses SSE-S3 instead, the only encryption S3 log delivery writes to;
 * - versioning, with noncurrent versions, expired delete markers and abandoned multipart uploads
 *   cleaned up by lifecycle rules;
 * - a bucket policy denying any request without TLS (or below TLS 1.2) and any upload that asks
 *   for a different encryption or key;
 * - server access logs to the stack's log bucket.
 *
 * A grant gives one workload's IRSA role exactly this bucket (or one prefix of it), and KMS use
 * only through S3 and only for this bucket.
 */
import type * as iam from "@pulumi/aws/iam";
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as s3 from "@pulumi/aws/s3";
import type * as awsInputs from "@pulumi/aws/types/input";
import * as pulumi from "@pulumi/pulumi";
import type { BucketConfig } from "./settings";
import type { PlatformContext } from "../context";
import { AwsAccount, viaService } from "../identity/awsAccount";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { attachWorkloadPolicy, awsApiEgress } from "../identity/irsa";
import { cloudTags } from "../kube/labels";
import { BUCKET_PREFIX, type Bucket, type BucketAccessMode, type BucketScheme } from "./contract";

/** Object actions per access mode. Never bucket configuration, policy or version deletion. */
export const S3_OBJECT_ACTIONS: Record<BucketAccessMode, string[]> = {
  read: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
  readwrite: [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
  ],
};

const INCOMPLETE_UPLOAD_DAYS = 7;

/** The prefix a grant may be limited to: object key characters, no leading or trailing '/'. */

/** Where a bucket's server access logs go (a named interface: a package schema has no inline objects). */
export interface S3BucketLogging {
  /** Name of the access-log bucket. */
  targetBucket: pulumi.Input<string>;
  /** What must exist before logging is turned on (the log bucket's policy and settings). */
  ready: pulumi.Resource[];
}

export interface S3BucketArgs {
  ctx: PlatformContext;
  account: AwsAccount;
  config: BucketConfig;
  /** Physical bucket name, globally unique (see S3ObjectStore). */
  bucketName: pulumi.Input<string>;
  /** The buckets' customer key; unset only for the access-log bucket (S3 log delivery writes SSE-S3 only). */
  kmsKeyArn?: pulumi.Input<string>;
  /** Where this bucket's access logs go; unset only for the access-log bucket itself. */
  logging?: S3BucketLogging;
  /**
   * The access-log bucket only: the name prefix of the buckets (in this account) whose server
   * access logs it receives; its policy admits S3 log delivery from exactly those. Default: none.
   */
  receivesAccessLogsFrom?: string;
  /** CIDRs pods reach S3 and STS at on 443 (`mlstack:aws.network.awsApiCidrs`). */
  awsApiCidrs: string[];
  /** The VPC CIDR, excluded from a `0.0.0.0/0` AWS API rule so it opens nothing inside the VPC. */
  vpcCidr: string;
  /** Provider for grant resources created under workload components. */
  provider?: AwsProvider;
}

/** Options of a grant: the contract's, plus an optional key prefix the workload is limited to. */
export interface S3GrantOptions {
  parent: pulumi.Resource;
  /** Object key prefix (e.g. a model's `source.path`): the workload may list and touch only keys under it. */
  prefix?: string;
}

/** What an S3Bucket keeps for grants, beside the instance: the analyzer publishes every field. */
interface S3BucketState {
  componentName: string;
  args: S3BucketArgs;
  grants: Map<string, WorkloadAccess>;
}
const states = new WeakMap<S3Bucket, S3BucketState>();

export class S3Bucket extends pulumi.ComponentResource implements Bucket {
  readonly logicalName: string;
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  readonly scheme: BucketScheme = "s3";
  /** Unset: clients use S3's default endpoint for the region. */
  readonly endpoint?: pulumi.Output<string>;
  readonly bucket: s3.Bucket;
  readonly policy: s3.BucketPolicy;
  /** Resources that must exist before anything writes to the bucket (encryption, policy, blocks). */
  readonly ready: pulumi.Resource[];
  private get args(): S3BucketArgs {
    return (states.get(this) as S3BucketState).args;
  }
  private get grants(): Map<string, WorkloadAccess> {
    return (states.get(this) as S3BucketState).grants;
  }

  constructor(name: string, args: S3BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config } = args;
    if (!config.versioning) {
      throw new Error(
        `S3Bucket ${name}: config.versioning false is not allowed: every bucket keeps versions (noncurrent ones expire by lifecycle)`,
      );
    }
    if (args.kmsKeyArn === undefined && args.logging !== undefined) {
      throw new Error(
        `S3Bucket ${name}: kmsKeyArn is required for every bucket but the access-log bucket (the one without logging)`,
      );
    }
    super("mlstack:objectstore:S3Bucket", name, {}, opts);
    states.set(this, { componentName: name, args, grants: new Map() });
    this.logicalName = config.name;
    const protect = args.ctx.protect;
    const tags = cloudTags({
      environment: args.ctx.environment,
      team: config.owner,
      component: `bucket-${config.name}`,
    });

    this.bucket = new s3.Bucket(
      `${name}-bucket`,
      { bucket: args.bucketName, forceDestroy: false, objectLockEnabled: false, tags },
      { parent: this, protect, retainOnDelete: protect },
    );
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    // The bucket's name (its id in AWS): how configuration resources and policy checks name it.
    const bucket = this.bucket.bucket;

    const ownership = new s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
    const publicAccess = new s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    const encryption = new s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        rules: [
          args.kmsKeyArn !== undefined
            ? {
                applyServerSideEncryptionByDefault: {
                  sseAlgorithm: "aws:kms",
                  kmsMasterKeyId: args.kmsKeyArn,
                },
                bucketKeyEnabled: true,
                blockedEncryptionTypes: ["SSE-C"],
              }
            : {
                applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
                blockedEncryptionTypes: ["SSE-C"],
              },
        ],
      },
      { parent: this },
    );
    const versioning = new s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    const lifecycle = new s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket, rules: lifecycleRules(config) },
      { parent: this, dependsOn: [versioning] },
    );
    // Policy changes conflict with public-access-block and ownership changes in flight: apply after them.
    this.policy = new s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: bucketPolicy(
          this.bucket.arn,
          args.kmsKeyArn,
          args.receivesAccessLogsFrom === undefined
            ? []
            : [logDeliveryStatement(args.account, args.receivesAccessLogsFrom, this.bucket.arn)],
        ),
      },
      { parent: this, dependsOn: [publicAccess, ownership] },
    );
    const ready: pulumi.Resource[] = [
      ownership,
      publicAccess,
      encryption,
      versioning,
      lifecycle,
      this.policy,
    ];
    if (args.logging) {
      ready.push(
        new s3.BucketLogging(
          `${name}-logging`,
          {
            bucket,
            targetBucket: args.logging.targetBucket,
            targetPrefix: `${config.name}/`,
            targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
          },
          { parent: this, dependsOn: args.logging.ready },
        ),
      );
    }
    this.ready = ready;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }

  url(path?: string): pulumi.Output<string> {
    const clean = (path ?? "").replace(/^\/+/, "");
    return pulumi.interpolate`s3://${this.bucketName}/${clean}`;
  }

  /**
   * Grants one workload `mode` on this bucket (or, with `opts.prefix`, on the keys under that
   * prefix only). Calling it again for the same workload, mode and prefix returns the same access.
   */
  grantAccess(identity: WorkloadIdentity, mode: BucketAccessMode, opts: S3GrantOptions): WorkloadAccess {
    const grantor = `S3Bucket ${(states.get(this) as S3BucketState).componentName}`;
    if (!(mode in S3_OBJECT_ACTIONS)) {
      throw new Error(
        `${grantor}: mode ${JSON.stringify(mode)} is not one of: ${Object.keys(S3_OBJECT_ACTIONS).join(", ")}`,
      );
    }
    const prefix = opts.prefix?.replace(/^\/+|\/+$/g, "");
    if (prefix !== undefined && !BUCKET_PREFIX.test(prefix)) {
      throw new Error(
        `${grantor}: opts.prefix ${JSON.stringify(opts.prefix)} is not an object key prefix (letters, digits, / ! _ . * ' ( ) -)`,
      );
    }
    const memo = `${identity.workload.name}/${mode}/${prefix ?? ""}`;
    const existing = this.grants.get(memo);
    if (existing) return existing;

    const policy = attachWorkloadPolicy(
      identity,
      grantor,
      `s3-${this.logicalName}-${mode}${prefix ? `-${prefixTag(prefix)}` : ""}`.slice(0, 128),
      s3GrantStatements(this.args.account, this.bucketArn, this.args.kmsKeyArn, mode, prefix),
      opts,
    );
    const region = this.args.account.region;
    const access: WorkloadAccess = {
      env: [
        { name: "BUCKET_NAME", value: this.bucketName },
        { name: "AWS_REGION", value: region },
        { name: "AWS_DEFAULT_REGION", value: region },
      ],
      volumes: [],
      volumeMounts: [],
      egress: [awsApiEgress(this.args.awsApiCidrs, this.args.vpcCidr)],
      dependsOn: [policy, ...this.ready, ...identity.dependencies],
    };
    this.grants.set(memo, access);
    return access;
  }
}

/** A policy-name-safe tag of a prefix: `models/fraud/3` → `models.fraud.3`. */
function prefixTag(prefix: string): string {
  return prefix.replace(/[^A-Za-z0-9+=,.@_-]/g, ".");
}

/** The statements of one grant: list (under the prefix), object actions, and KMS through S3 for this bucket only. */
export function s3GrantStatements(
  account: AwsAccount,
  bucketArn: pulumi.Input<string>,
  kmsKeyArn: pulumi.Input<string> | undefined,
  mode: BucketAccessMode,
  prefix?: string,
): pulumi.Input<iam.PolicyStatement>[] {
  const list: iam.PolicyStatement = {
    Sid: "ListBucket",
    Effect: "Allow",
    Action: ["s3:ListBucket", "s3:GetBucketLocation"],
    Resource: bucketArn,
  };
  if (prefix) list.Condition = { StringLike: { "s3:prefix": [prefix, `${prefix}/*`] } };
  const statements: pulumi.Input<iam.PolicyStatement>[] = [
    list,
    {
      Sid: mode === "read" ? "ReadObjects" : "ReadWriteObjects",
      Effect: "Allow",
      Action: S3_OBJECT_ACTIONS[mode],
      Resource: pulumi.interpolate`${bucketArn}/${prefix ? `${prefix}/` : ""}*`,
    },
  ];
  if (kmsKeyArn !== undefined) {
    statements.push({
      Sid: "BucketKeyThroughS3",
      Effect: "Allow",
      Action: mode === "read" ? ["kms:Decrypt"] : ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: kmsKeyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": viaService(account, "s3"),
          "kms:EncryptionContext:aws:s3:arn": bucketArn,
        },
      },
    });
  }
  return statements;
}

/** The bucket policy: TLS 1.2+ only, and uploads may not choose another encryption or key. */
export function bucketPolicy(
  bucketArn: pulumi.Input<string>,
  kmsKeyArn: pulumi.Input<string> | undefined,
  extra: pulumi.Input<iam.PolicyStatement>[],
): iam.PolicyDocument {
  const both = [bucketArn, pulumi.interpolate`${bucketArn}/*`];
  const statements: pulumi.Input<iam.PolicyStatement>[] = [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: both,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    {
      Sid: "DenyOutdatedTls",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: both,
      Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
    },
  ];
  if (kmsKeyArn !== undefined) {
    statements.push(
      {
        Sid: "DenyOtherEncryption",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: pulumi.interpolate`${bucketArn}/*`,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
      {
        Sid: "DenyOtherKmsKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: pulumi.interpolate`${bucketArn}/*`,
        Condition: {
          StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn },
        },
      },
    );
  }
  return { Version: "2012-10-17", Statement: [...statements, ...extra] };
}

function lifecycleRules(config: BucketConfig): awsInputs.s3.BucketLifecycleConfigurationRule[] {
  const rules: awsInputs.s3.BucketLifecycleConfigurationRule[] = [
    {
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: config.lifecycle.noncurrentVersionExpirationDays },
    },
    {
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: INCOMPLETE_UPLOAD_DAYS },
    },
  ];
  rules.push(
    config.lifecycle.expirationDays > 0
      ? {
          id: "expire-current-objects",
          status: "Enabled",
          filter: {},
          expiration: { days: config.lifecycle.expirationDays },
        }
      : {
          id: "remove-expired-delete-markers",
          status: "Enabled",
          filter: {},
          expiration: { expiredObjectDeleteMarker: true },
        },
  );
  return rules;
}

/**
 * Admits S3 server access log delivery, which writes as the `logging.s3.amazonaws.com` service
 * (ACLs are off), and only for this account's buckets named `<sourcePrefix>…` (the stack's).
 */
function logDeliveryStatement(
  account: AwsAccount,
  sourcePrefix: string,
  logBucketArn: pulumi.Output<string>,
): pulumi.Input<iam.PolicyStatement> {
  return {
    Sid: "S3ServerAccessLogDelivery",
    Effect: "Allow",
    Principal: { Service: "logging.s3.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: pulumi.interpolate`${logBucketArn}/*`,
    Condition: {
      StringEquals: { "aws:SourceAccount": account.accountId },
      ArnLike: { "aws:SourceArn": `arn:${account.partition}:s3:::${sourcePrefix}*` },
    },
  };
}
