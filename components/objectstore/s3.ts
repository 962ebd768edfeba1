/**
 * Object storage on AWS: one S3 bucket per logical bucket in `mlstack:objectStore.buckets` (the
 * MLflow artifact bucket and every team's buckets), plus the stack's access-log bucket that
 * receives their server access logs.
 *
 * Bucket names are global across all AWS accounts, so each one ends in a random suffix kept in
 * the stack state (`<project>-<stack>-<logical>-<8 hex>`): two stacks never collide, and nobody
 * can claim a stack's bucket names in advance.
 */
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PLATFORM_OWNER } from "../platformIdentity";
import type { BucketConfig } from "./settings";
import type { PlatformContext } from "../context";
import { AwsAccount, physicalName } from "../identity/awsAccount";
import { declaredBucket, type Bucket, type ObjectStore } from "./contract";
import { S3Bucket } from "./s3Bucket";

/** Logical name of the access-log bucket; not a name a config entry may use for its own bucket. */
export const ACCESS_LOG_BUCKET = "access-logs";

export interface S3ObjectStoreArgs {
  ctx: PlatformContext;
  account: AwsAccount;
  /** The buckets to create (validated config; every one versioned). */
  buckets: BucketConfig[];
  /** ARN of the buckets' customer key. */
  kmsKeyArn: pulumi.Input<string>;
  /** `<project>-<stack>`, the start of every bucket name (at most 32 characters). */
  nameStem: string;
  /** Days server access logs are kept. */
  accessLogRetentionDays: number;
  /** Where pods reach S3 and STS on 443 (`mlstack:aws.network.awsApiCidrs`). */
  awsApiCidrs: string[];
  vpcCidr: string;
  /** Provider for grant resources created under workload components. */
  provider?: AwsProvider;
}

/** The S3Bucket components of a store, beside the instance: the analyzer publishes every field. */
interface S3ObjectStoreParts {
  buckets: S3Bucket[];
  accessLogs: S3Bucket;
}
const parts = new WeakMap<S3ObjectStore, S3ObjectStoreParts>();

export class S3ObjectStore extends pulumi.ComponentResource implements ObjectStore {
  /** Physical bucket name per logical bucket. */
  readonly bucketNames: pulumi.Output<Record<string, string>>;
  /** Physical name of the access-log bucket. */
  readonly accessLogBucketName: pulumi.Output<string>;

  /** The buckets (a getter: the analyzer cannot reference an mlstack component in a schema). */
  get buckets(): S3Bucket[] {
    return (parts.get(this) as S3ObjectStoreParts).buckets;
  }
  /** The access-log bucket every other bucket logs to. */
  get accessLogs(): S3Bucket {
    return (parts.get(this) as S3ObjectStoreParts).accessLogs;
  }

  constructor(name: string, args: S3ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.buckets.length === 0)
      throw new Error(
        `S3ObjectStore ${name}: buckets is empty; the MLflow artifact bucket at least is always declared`,
      );
    const clash = args.buckets.find((b) => b.name === ACCESS_LOG_BUCKET);
    if (clash)
      throw new Error(
        `S3ObjectStore ${name}: bucket name ${JSON.stringify(ACCESS_LOG_BUCKET)} is reserved for the stack's access-log bucket; rename it`,
      );
    const seen = new Set<string>();
    for (const b of args.buckets) {
      if (seen.has(b.name))
        throw new Error(`S3ObjectStore ${name}: bucket ${JSON.stringify(b.name)} is declared twice`);
      seen.add(b.name);
    }
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(args.nameStem)) {
      throw new Error(
        `S3ObjectStore ${name}: nameStem ${JSON.stringify(args.nameStem)} is not 1-32 lowercase letters, digits and '-'`,
      );
    }
    super("mlstack:objectstore:S3ObjectStore", name, {}, opts);

    const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, { parent: this });
    const nameOf = (logical: string) =>
      pulumi.interpolate`${physicalName([args.nameStem, logical], 54)}-${suffix.hex}`;
    const common = {
      ctx: args.ctx,
      account: args.account,
      awsApiCidrs: args.awsApiCidrs,
      vpcCidr: args.vpcCidr,
      provider: args.provider,
    };

    const accessLogs = new S3Bucket(
      `${name}-${ACCESS_LOG_BUCKET}`,
      {
        ...common,
        config: {
          name: ACCESS_LOG_BUCKET,
          owner: PLATFORM_OWNER,
          versioning: true,
          lifecycle: { noncurrentVersionExpirationDays: 30, expirationDays: args.accessLogRetentionDays },
        },
        bucketName: nameOf(ACCESS_LOG_BUCKET),
        receivesAccessLogsFrom: `${args.nameStem}-`,
      },
      { parent: this },
    );
    const logging = { targetBucket: accessLogs.bucketName, ready: accessLogs.ready };
    const buckets = args.buckets.map(
      (config) =>
        new S3Bucket(
          `${name}-${config.name}`,
          { ...common, config, bucketName: nameOf(config.name), kmsKeyArn: args.kmsKeyArn, logging },
          { parent: this },
        ),
    );
    parts.set(this, { buckets, accessLogs });
    this.bucketNames = pulumi.output(Object.fromEntries(buckets.map((b) => [b.logicalName, b.bucketName])));
    this.accessLogBucketName = accessLogs.bucketName;
    this.registerOutputs({ buckets: this.bucketNames, accessLogBucket: this.accessLogBucketName });
  }

  bucket(logicalName: string): Bucket {
    return declaredBucket("S3ObjectStore", this.buckets, logicalName);
  }
}
