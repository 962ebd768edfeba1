/** S3 fixtures shared by the aws.*.test.ts files. */
import type { EvaluationResource } from "../../policies/evaluate";
import { resource, UNKNOWN } from "./helpers";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const TAGS = {
  "mlstack:environment": "prod",
  "mlstack:team": "fraud",
  "mlstack:component": "object-store",
};
export const BUCKET_NAME = "mlstack-prod-fraud-models-3f9a";
export const TLS_ONLY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::${BUCKET_NAME}`, `arn:aws:s3:::${BUCKET_NAME}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ],
};

/** A bucket with every configuration resource, in the current or the deprecated V2 spelling. */
export function s3Stack(
  style: "current" | "v2" = "current",
  link: "value" | "dependency" = "value",
): EvaluationResource[] {
  const v2 = style === "v2" ? "V2" : "";
  const bucketType = style === "v2" ? "aws:s3/bucketV2:BucketV2" : "aws:s3/bucket:Bucket";
  const bucket = resource(bucketType, "models", { bucket: BUCKET_NAME, tags: TAGS }, { protect: true });
  const ref = link === "value" ? BUCKET_NAME : UNKNOWN;
  const deps = (props: string[]) =>
    link === "dependency"
      ? { propertyDependencies: Object.fromEntries(props.map((p) => [p, [bucket.urn]])) }
      : {};
  const companion = (type: string, name: string, inputs: Json) =>
    resource(type, name, { bucket: ref, ...inputs }, deps(["bucket"]));
  return [
    bucket,
    companion("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "models-pab", {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
    companion("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "models-owner", {
      rule: { objectOwnership: "BucketOwnerEnforced" },
    }),
    companion(
      `aws:s3/bucketServerSideEncryptionConfiguration${v2}:BucketServerSideEncryptionConfiguration${v2}`,
      "models-sse",
      {
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: "arn:aws:kms:eu-west-1:111122223333:key/abc",
            },
            bucketKeyEnabled: true,
          },
        ],
      },
    ),
    companion(`aws:s3/bucketVersioning${v2}:BucketVersioning${v2}`, "models-versioning", {
      versioningConfiguration: { status: "Enabled" },
    }),
    companion(`aws:s3/bucketLogging${v2}:BucketLogging${v2}`, "models-logging", {
      targetBucket: "mlstack-prod-access-logs",
      targetPrefix: "models/",
    }),
    companion("aws:s3/bucketPolicy:BucketPolicy", "models-policy", { policy: JSON.stringify(TLS_ONLY) }),
  ];
}

export const S3_RULES = [
  "aws-s3-public-access-block",
  "aws-s3-no-acls",
  "aws-s3-sse-kms",
  "aws-s3-versioning",
  "aws-s3-access-logging",
  "aws-s3-tls-only",
  "aws-s3-no-wildcard-principal",
];
export const drop = (rs: EvaluationResource[], typePart: string) =>
  rs.filter((r) => !r.type.includes(typePart));
