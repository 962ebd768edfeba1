import * as pulumi from "@pulumi/pulumi";
import { WorkloadAccess } from "../../components/identity/contract";
import { IrsaIdentityProvider } from "../../components/identity/irsa";
import { S3ObjectStore, S3ObjectStoreArgs } from "../../components/objectstore/s3";
import { S3Bucket } from "../../components/objectstore/s3Bucket";
import { PlatformConfig } from "../../stacks/config";
import { Rendered, render } from "../support/render";
import {
  ACCOUNT_ID,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  Root,
  VPC_CIDR,
  awsConfig,
  contextOf,
} from "./fixtures";

const account = { accountId: ACCOUNT_ID, partition: "aws", region: REGION };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

function storeArgs(config: PlatformConfig, overrides: Partial<S3ObjectStoreArgs> = {}): S3ObjectStoreArgs {
  return {
    ctx: contextOf(config),
    account,
    buckets: config.objectStore.buckets,
    kmsKeyArn: KEY,
    nameStem: "mlstack-test",
    accessLogRetentionDays: 90,
    awsApiCidrs: ["0.0.0.0/0"],
    vpcCidr: VPC_CIDR,
    ...overrides,
  };
}

async function renderStore(
  config = awsConfig(),
  overrides: Partial<S3ObjectStoreArgs> = {},
): Promise<Rendered> {
  return render(() => void new S3ObjectStore("s3", storeArgs(config, overrides)));
}

/** The resource of `type` configuring the bucket component named `s3-<logical>`. */
function of(r: Rendered, type: string, logical: string) {
  return r.inputs(r.one(type, `s3-${logical}-`));
}

describe("S3ObjectStore", () => {
  it("creates the configured buckets and the access-log bucket, named <project>-<stack>-<logical>-<random suffix>", async () => {
    const r = await renderStore();
    const names = r
      .ofType("aws:s3/bucket:Bucket")
      .map((b) => r.inputs(b).bucket)
      .sort();
    expect(names).toEqual([
      "mlstack-test-access-logs-0a1b2c3d",
      "mlstack-test-fraud-models-0a1b2c3d",
      "mlstack-test-mlflow-artifacts-0a1b2c3d",
      "mlstack-test-pricing-models-0a1b2c3d",
    ]);
    expect(r.inputs(r.one("random:index/randomId:RandomId"))).toEqual({ byteLength: 4 });
  });

  it.each(["mlflow-artifacts", "fraud-models", "access-logs"])(
    "enforces ownership (no ACLs) and blocks all public access on %s",
    async (logical) => {
      const r = await renderStore();
      expect(of(r, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", logical).rule).toEqual({
        objectOwnership: "BucketOwnerEnforced",
      });
      expect(of(r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", logical)).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(of(r, "aws:s3/bucketVersioning:BucketVersioning", logical).versioningConfiguration).toEqual({
        status: "Enabled",
      });
      expect(r.inputs(r.one("aws:s3/bucket:Bucket", `s3-${logical}-`))).toMatchObject({
        forceDestroy: false,
      });
    },
  );

  it("encrypts every data bucket with the customer key and a bucket key, refusing SSE-C", async () => {
    const r = await renderStore();
    for (const logical of ["mlflow-artifacts", "fraud-models", "pricing-models"]) {
      expect(
        of(
          r,
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          logical,
        ).rules,
      ).toEqual([
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
          bucketKeyEnabled: true,
          blockedEncryptionTypes: ["SSE-C"],
        },
      ]);
    }
  });

  it("encrypts the access-log bucket with SSE-S3, the only encryption S3 log delivery writes", async () => {
    const r = await renderStore();
    expect(
      of(
        r,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "access-logs",
      ).rules,
    ).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, blockedEncryptionTypes: ["SSE-C"] },
    ]);
  });

  it("denies requests without TLS or below TLS 1.2, and uploads asking for another encryption or key", async () => {
    const r = await renderStore();
    const policy = of(r, "aws:s3/bucketPolicy:BucketPolicy", "mlflow-artifacts").policy;
    const arn = "arn:mock:aws:s3/bucket:Bucket:s3-mlflow-artifacts-bucket";
    const bySid = Object.fromEntries(policy.Statement.map((s: { Sid: string }) => [s.Sid, s]));
    expect(bySid.DenyInsecureTransport).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(bySid.DenyOutdatedTls.Condition).toEqual({ NumericLessThan: { "s3:TlsVersion": "1.2" } });
    expect(bySid.DenyOtherKmsKey.Condition).toEqual({
      StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY },
    });
    expect(policy.Statement.filter((s: { Effect: string }) => s.Effect === "Allow")).toEqual([]);
  });

  it("admits S3 log delivery to the log bucket only for this account's buckets of this stack", async () => {
    const r = await renderStore();
    const policy = of(r, "aws:s3/bucketPolicy:BucketPolicy", "access-logs").policy;
    const allow = policy.Statement.filter((s: { Effect: string }) => s.Effect === "Allow");
    expect(allow).toEqual([
      {
        Sid: "S3ServerAccessLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:mock:aws:s3/bucket:Bucket:s3-access-logs-bucket/*",
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT_ID },
          ArnLike: { "aws:SourceArn": "arn:aws:s3:::mlstack-test-*" },
        },
      },
    ]);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toContain("DenyInsecureTransport");
  });

  it("logs every data bucket to the access-log bucket, under its own prefix", async () => {
    const r = await renderStore();
    expect(r.ofType("aws:s3/bucketLogging:BucketLogging")).toHaveLength(3);
    expect(of(r, "aws:s3/bucketLogging:BucketLogging", "fraud-models")).toMatchObject({
      targetBucket: "mlstack-test-access-logs-0a1b2c3d",
      targetPrefix: "fraud-models/",
    });
  });

  it("expires noncurrent versions, delete markers and abandoned uploads; logs after the retention", async () => {
    const config = awsConfig();
    config.objectStore.buckets[0].lifecycle.noncurrentVersionExpirationDays = 14;
    const r = await renderStore(config);
    expect(
      of(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "fraud-models").rules,
    ).toEqual([
      {
        id: "expire-noncurrent-versions",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: 14 },
      },
      {
        id: "abort-incomplete-uploads",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
      {
        id: "remove-expired-delete-markers",
        status: "Enabled",
        filter: {},
        expiration: { expiredObjectDeleteMarker: true },
      },
    ]);
    expect(
      of(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "access-logs").rules,
    ).toContainEqual({
      id: "expire-current-objects",
      status: "Enabled",
      filter: {},
      expiration: { days: 90 },
    });
  });

  it("tags each bucket with its owner", async () => {
    const r = await renderStore();
    expect(r.inputs(r.one("aws:s3/bucket:Bucket", "s3-fraud-models-")).tags).toEqual({
      "mlstack:environment": "dev",
      "mlstack:team": "fraud",
      "mlstack:component": "bucket-fraud-models",
      "mlstack:managed-by": "pulumi",
    });
  });

  it("protects and retains buckets in prod, not in dev", async () => {
    const prod = await renderStore(awsConfig({ environment: "prod" }));
    for (const b of prod.ofType("aws:s3/bucket:Bucket"))
      expect(b).toMatchObject({ protect: true, retainOnDelete: true });
    const dev = await renderStore();
    for (const b of dev.ofType("aws:s3/bucket:Bucket")) expect(b).toMatchObject({ protect: false });
  });

  it("refuses an unversioned bucket, a reserved name and an unknown bucket", async () => {
    const config = awsConfig();
    await expect(
      render(
        () =>
          void new S3ObjectStore(
            "s3",
            storeArgs(config, { buckets: [{ ...config.objectStore.buckets[0], versioning: false }] }),
          ),
      ),
    ).rejects.toThrow(/config.versioning false is not allowed/);
    await expect(
      render(
        () =>
          void new S3ObjectStore(
            "s3",
            storeArgs(config, { buckets: [{ ...config.objectStore.buckets[0], name: "access-logs" }] }),
          ),
      ),
    ).rejects.toThrow(/"access-logs" is reserved/);
    await render(() => {
      const store = new S3ObjectStore("s3", storeArgs(config));
      expect(() => store.bucket("nope")).toThrow(
        /bucket "nope" is not declared in mlstack:objectStore.buckets \(declared: fraud-models, pricing-models, mlflow-artifacts\)/,
      );
    });
  });
});

describe("S3Bucket.grantAccess", () => {
  const config = awsConfig();
  const settings = {
    ctx: contextOf(config),
    oidcProviderArn: OIDC_PROVIDER_ARN,
    oidcIssuer: OIDC_ISSUER,
    nameStem: "mlstack-test",
  };

  async function grant(mode: "read" | "readwrite", prefix?: string, awsApiCidrs = ["0.0.0.0/0"]) {
    let access: WorkloadAccess | undefined;
    let url: string | undefined;
    const r = await render(async () => {
      const root = new Root();
      const identity = new IrsaIdentityProvider(settings).forWorkload(
        {
          name: "fraud-detector",
          team: "fraud",
          namespace: "ml-dev-fraud",
          serviceAccountName: "fraud-detector",
        },
        { parent: root },
      );
      const store = new S3ObjectStore("s3", storeArgs(config, { awsApiCidrs }));
      const bucket = store.bucket("fraud-models") as S3Bucket;
      access = bucket.grantAccess(identity, mode, { parent: root, prefix });
      url = await new Promise<string>((resolve) => bucket.url("fraud-detector/7").apply(resolve));
    });
    return {
      r,
      access: access as WorkloadAccess,
      url,
      policy: r.inputs(r.one("aws:iam/rolePolicy:RolePolicy")),
    };
  }

  it("gives read-only object access to exactly this bucket, and KMS only through S3 for this bucket", async () => {
    const { policy } = await grant("read");
    const arn = "arn:mock:aws:s3/bucket:Bucket:s3-fraud-models-bucket";
    expect(policy.role).toBe("mlstack-test-fraud-detector");
    expect(policy.name).toBe("s3-fraud-models-read");
    expect(policy.policy.Statement).toEqual([
      {
        Sid: "ListBucket",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: arn,
      },
      {
        Sid: "ReadObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
        Resource: `${arn}/*`,
      },
      {
        Sid: "BucketKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: KEY,
        Condition: {
          StringEquals: {
            "kms:ViaService": "s3.eu-west-1.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": arn,
          },
        },
      },
    ]);
  });

  it("adds writes and data keys for readwrite, never bucket settings or version deletion", async () => {
    const { policy } = await grant("readwrite");
    const actions = policy.policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions).toEqual(
      expect.arrayContaining(["s3:PutObject", "s3:DeleteObject", "kms:GenerateDataKey"]),
    );
    expect(
      actions.filter((a: string) => a.includes("*") || /Policy|Acl|DeleteObjectVersion|DeleteBucket/.test(a)),
    ).toEqual([]);
  });

  it("limits a grant with a prefix to the keys under it", async () => {
    const { policy } = await grant("read", "fraud-detector/7");
    const arn = "arn:mock:aws:s3/bucket:Bucket:s3-fraud-models-bucket";
    expect(policy.name).toBe("s3-fraud-models-read-fraud-detector.7");
    expect(policy.policy.Statement[0].Condition).toEqual({
      StringLike: { "s3:prefix": ["fraud-detector/7", "fraud-detector/7/*"] },
    });
    expect(policy.policy.Statement[1].Resource).toBe(`${arn}/fraud-detector/7/*`);
  });

  it("hands over the bucket name and region, opens 443 to AWS APIs, and waits for the policy", async () => {
    const { access, url, r } = await grant("read");
    expect(access.env).toEqual([
      { name: "BUCKET_NAME", value: expect.anything() },
      { name: "AWS_REGION", value: REGION },
      { name: "AWS_DEFAULT_REGION", value: REGION },
    ]);
    expect(access.env.some((e) => /KEY|SECRET|TOKEN/.test(String(e.name)))).toBe(false);
    expect(access.egress).toEqual([
      {
        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [VPC_CIDR] } }],
        ports: [{ protocol: "TCP", port: 443 }],
      },
    ]);
    expect(url).toBe("s3://mlstack-test-fraud-models-0a1b2c3d/fraud-detector/7");
    const policyUrn = r.one("aws:iam/rolePolicy:RolePolicy").urn;
    const deps = await Promise.all(
      access.dependsOn.map((d) => new Promise((resolve) => (d.urn as pulumi.Output<string>).apply(resolve))),
    );
    expect(deps).toContain(policyUrn);
  });

  it("keeps AWS API traffic inside the VPC when interface endpoints are configured", async () => {
    const { access } = await grant("read", undefined, [VPC_CIDR]);
    expect(access.egress).toEqual([
      { to: [{ ipBlock: { cidr: VPC_CIDR } }], ports: [{ protocol: "TCP", port: 443 }] },
    ]);
  });

  it("refuses an unknown mode and a prefix with characters S3 keys should not carry", async () => {
    await render(() => {
      const root = new Root();
      const identity = new IrsaIdentityProvider(settings).forWorkload(
        { name: "mlflow", team: "platform", namespace: "ml-dev-platform", serviceAccountName: "mlflow" },
        { parent: root },
      );
      const bucket = new S3ObjectStore("s3", storeArgs(config)).bucket("mlflow-artifacts") as S3Bucket;
      expect(() => bucket.grantAccess(identity, "admin" as "read", { parent: root })).toThrow(
        /mode "admin" is not one of: read, readwrite/,
      );
      expect(() => bucket.grantAccess(identity, "read", { parent: root, prefix: "a b" })).toThrow(
        /opts.prefix "a b" is not an object key prefix/,
      );
      expect(bucket.grantAccess(identity, "read", { parent: root })).toBe(
        bucket.grantAccess(identity, "read", { parent: root }),
      );
    });
  });
});
