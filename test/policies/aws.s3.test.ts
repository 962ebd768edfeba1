import type { EvaluationResource } from "../../policies/evaluate";
import { check, messages, resource } from "./helpers";
import { Json, BUCKET_NAME, TLS_ONLY, s3Stack, S3_RULES, drop } from "./awsFixtures";

describe.each([
  ["current", "value"],
  ["v2", "value"],
  ["current", "dependency"],
  ["v2", "dependency"],
] as const)("S3 with %s resource tokens, configuration linked by %s", (style, link) => {
  it("a fully configured bucket breaks no S3 rule", () => {
    for (const rule of S3_RULES)
      expect({ rule, found: messages(s3Stack(style, link), rule) }).toEqual({ rule, found: [] });
  });
  it.each([
    ["aws-s3-public-access-block", "bucketPublicAccessBlock", "no public access block"],
    ["aws-s3-no-acls", "bucketOwnershipControls", "no BucketOwnershipControls"],
    ["aws-s3-sse-kms", "bucketServerSideEncryptionConfiguration", "no default encryption"],
    ["aws-s3-versioning", "bucketVersioning", "versioning Enabled"],
    ["aws-s3-access-logging", "bucketLogging", "no access logging"],
    ["aws-s3-tls-only", "bucketPolicy", "denying requests without TLS"],
  ])("%s flags the bucket when its %s is missing", (rule, typePart, text) => {
    expect(messages(drop(s3Stack(style, link), typePart), rule)).toEqual([expect.stringContaining(text)]);
  });
});

describe("S3 companion settings", () => {
  const set = (rs: EvaluationResource[], typePart: string, mutate: (inputs: Json) => void) => {
    mutate(rs.find((r) => r.type.includes(typePart))!.inputs as Json);
    return rs;
  };
  it("aws-s3-public-access-block flags a flag left off", () => {
    expect(
      messages(
        set(s3Stack(), "PublicAccessBlock", (i) => (i.restrictPublicBuckets = false)),
        "aws-s3-public-access-block",
      ),
    ).toEqual([expect.stringContaining("restrictPublicBuckets")]);
  });
  it("aws-s3-no-acls flags a public ACL resource and non-enforced ownership", () => {
    const rs = set(s3Stack(), "OwnershipControls", (i) => (i.rule.objectOwnership = "ObjectWriter"));
    rs.push(resource("aws:s3/bucketAclV2:BucketAclV2", "acl", { bucket: BUCKET_NAME, acl: "public-read" }));
    expect(messages(rs, "aws-s3-no-acls")).toEqual([
      expect.stringContaining("public ACL public-read"),
      expect.stringContaining("ObjectWriter"),
    ]);
  });
  it("aws-s3-sse-kms flags SSE-S3 and the AWS-managed key", () => {
    expect(
      messages(
        set(
          s3Stack(),
          "ServerSide",
          (i) => (i.rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" }),
        ),
        "aws-s3-sse-kms",
      ),
    ).toEqual([expect.stringContaining("AES256")]);
    expect(
      messages(
        set(
          s3Stack(),
          "ServerSide",
          (i) => delete i.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId,
        ),
        "aws-s3-sse-kms",
      ),
    ).toHaveLength(1);
  });
  it("aws-s3-versioning flags Suspended", () => {
    expect(
      messages(
        set(s3Stack(), "Versioning", (i) => (i.versioningConfiguration.status = "Suspended")),
        "aws-s3-versioning",
      ),
    ).toHaveLength(1);
  });
  it("aws-s3-access-logging flags a bucket logging to itself", () => {
    expect(
      messages(
        set(s3Stack(), "Logging", (i) => (i.targetBucket = BUCKET_NAME)),
        "aws-s3-access-logging",
      ),
    ).toEqual([expect.stringContaining("to itself")]);
  });
  it("aws-s3-tls-only flags a policy without the SecureTransport deny", () => {
    const allowOnly = {
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111122223333:role/app" },
          Action: "s3:GetObject",
          Resource: "*",
        },
      ],
    };
    expect(
      messages(
        set(s3Stack(), "BucketPolicy", (i) => (i.policy = allowOnly)),
        "aws-s3-tls-only",
      ),
    ).toHaveLength(1);
  });
  it("configuration that cannot be linked to its bucket is reported as not checked, not failed", () => {
    const rs = s3Stack("current", "dependency").map((r) => ({ ...r, propertyDependencies: undefined }));
    expect(check(rs, "aws-s3-versioning")).toEqual({
      violations: [expect.objectContaining({ notChecked: true, enforcementLevel: "mandatory" })],
      deferred: [expect.objectContaining({ policy: "aws-s3-versioning" })],
    });
  });
});

describe("S3 deprecated inline inputs", () => {
  function inline(type: "aws:s3/bucket:Bucket" | "aws:s3/bucketV2:BucketV2", overrides: Json = {}) {
    const sse = { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:111122223333:key/abc" };
    const inputs: Json =
      type === "aws:s3/bucket:Bucket"
        ? {
            serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: sse } },
            versioning: { enabled: true },
            logging: { targetBucket: "logs" },
          }
        : {
            serverSideEncryptionConfigurations: [{ rules: [{ applyServerSideEncryptionByDefaults: [sse] }] }],
            versionings: [{ enabled: true }],
            loggings: [{ targetBucket: "logs" }],
          };
    return resource(type, "legacy", {
      bucket: "legacy-bucket",
      policy: JSON.stringify(TLS_ONLY),
      ...inputs,
      ...overrides,
    });
  }
  it.each(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"] as const)(
    "accepts inline encryption, versioning, logging and policy on %s",
    (type) => {
      for (const rule of [
        "aws-s3-sse-kms",
        "aws-s3-versioning",
        "aws-s3-access-logging",
        "aws-s3-tls-only",
      ]) {
        expect({ rule, found: messages([inline(type)], rule) }).toEqual({ rule, found: [] });
      }
    },
  );
  it("flags inline versioning off, a public canned ACL and public grants", () => {
    const b = inline("aws:s3/bucket:Bucket", {
      versioning: { enabled: false },
      acl: "public-read-write",
      grants: [
        { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers", permissions: ["READ"] },
      ],
    });
    expect(messages([b], "aws-s3-versioning")).toHaveLength(1);
    expect(messages([b], "aws-s3-no-acls")).toEqual(
      expect.arrayContaining([
        expect.stringContaining("public-read-write"),
        expect.stringContaining("AllUsers"),
      ]),
    );
  });
});

describe("aws-s3-no-wildcard-principal", () => {
  const allowAll = {
    Statement: [
      { Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" },
    ],
  };
  it("flags Allow to * without a condition, in a BucketPolicy and inline", () => {
    expect(
      messages(
        [
          resource("aws:s3/bucketPolicy:BucketPolicy", "p", {
            bucket: "b",
            policy: JSON.stringify(allowAll),
          }),
        ],
        "aws-s3-no-wildcard-principal",
      ),
    ).toHaveLength(1);
    expect(
      messages([resource("aws:s3/bucket:Bucket", "b", { policy: allowAll })], "aws-s3-no-wildcard-principal"),
    ).toHaveLength(1);
  });
  it("accepts Allow to * restricted by a condition", () => {
    const scoped = {
      Statement: [
        { ...allowAll.Statement[0], Condition: { StringEquals: { "aws:PrincipalOrgID": "o-123" } } },
      ],
    };
    expect(
      messages(
        [resource("aws:s3/bucketPolicy:BucketPolicy", "p", { bucket: "b", policy: scoped })],
        "aws-s3-no-wildcard-principal",
      ),
    ).toEqual([]);
  });
});
