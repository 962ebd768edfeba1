import type { EvaluationResource } from "../../policies/evaluate";
import { check, messages, resource, UNKNOWN } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TAGS = { "mlstack:environment": "prod", "mlstack:team": "fraud", "mlstack:component": "object-store" };
const BUCKET_NAME = "mlstack-prod-fraud-models-3f9a";
const TLS_ONLY = {
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
function s3Stack(
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

const S3_RULES = [
  "aws-s3-public-access-block",
  "aws-s3-no-acls",
  "aws-s3-sse-kms",
  "aws-s3-versioning",
  "aws-s3-access-logging",
  "aws-s3-tls-only",
  "aws-s3-no-wildcard-principal",
];
const drop = (rs: EvaluationResource[], typePart: string) => rs.filter((r) => !r.type.includes(typePart));

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

const rds = (inputs: Json = {}, type = "aws:rds/instance:Instance") =>
  resource(type, "db", {
    engine: type.endsWith("Cluster") ? "aurora-postgresql" : "postgres",
    engineVersion: "17.2",
    storageEncrypted: true,
    publiclyAccessible: false,
    backupRetentionPeriod: 35,
    deletionProtection: true,
    skipFinalSnapshot: false,
    multiAz: true,
    iamDatabaseAuthenticationEnabled: true,
    enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
    parameterGroupName: "db-params",
    tags: TAGS,
    ...inputs,
  });
const paramGroup = (value = "1") =>
  resource("aws:rds/parameterGroup:ParameterGroup", "db-params", {
    name: "db-params",
    family: "postgres17",
    parameters: [{ name: "rds.force_ssl", value }],
  });

describe("RDS", () => {
  const RDS_RULES = [
    "aws-rds-encrypted",
    "aws-rds-not-public",
    "aws-rds-backups",
    "aws-rds-deletion-protection",
    "aws-rds-multi-az",
    "aws-rds-iam-auth",
    "aws-rds-force-ssl",
    "aws-rds-logs-upgrades",
  ];
  it("a hardened instance with its parameter group breaks no RDS rule", () => {
    for (const rule of RDS_RULES)
      expect({ rule, found: messages([rds(), paramGroup()], rule) }).toEqual({ rule, found: [] });
  });
  it.each([
    ["aws-rds-encrypted", { storageEncrypted: false }],
    ["aws-rds-not-public", { publiclyAccessible: true }],
    ["aws-rds-backups", { backupRetentionPeriod: 3 }],
    ["aws-rds-backups", { backupRetentionPeriod: undefined }],
    ["aws-rds-deletion-protection", { deletionProtection: false }],
    ["aws-rds-deletion-protection", { skipFinalSnapshot: true }],
    ["aws-rds-multi-az", { multiAz: false }],
    ["aws-rds-iam-auth", { iamDatabaseAuthenticationEnabled: undefined }],
    ["aws-rds-logs-upgrades", { enabledCloudwatchLogsExports: [] }],
    ["aws-rds-logs-upgrades", { autoMinorVersionUpgrade: false }],
  ])("%s flags %j", (rule, inputs) => {
    expect(messages([rds(inputs as Json), paramGroup()], rule)).toHaveLength(1);
  });
  it("prod-only rules do not apply in dev", () => {
    expect(
      messages([rds({ deletionProtection: false, multiAz: false })], "aws-rds-deletion-protection", {
        environment: "dev",
      }),
    ).toEqual([]);
    expect(messages([rds({ multiAz: false })], "aws-rds-multi-az", { environment: "dev" })).toEqual([]);
  });
  it("aws-rds-force-ssl flags a parameter group without rds.force_ssl=1", () => {
    expect(messages([rds(), paramGroup("0")], "aws-rds-force-ssl")).toEqual([
      expect.stringContaining("rds.force_ssl=0"),
    ]);
  });
  it("aws-rds-force-ssl links the parameter group through its dependency when the name is unknown", () => {
    const pg = paramGroup("0");
    const db = rds({ parameterGroupName: UNKNOWN });
    db.propertyDependencies = { parameterGroupName: [pg.urn] };
    expect(messages([db, pg], "aws-rds-force-ssl")).toHaveLength(1);
  });
  it("aws-rds-force-ssl accepts the default group from PostgreSQL 15 and flags it before", () => {
    expect(messages([rds({ parameterGroupName: undefined })], "aws-rds-force-ssl")).toEqual([]);
    expect(
      messages([rds({ parameterGroupName: undefined, engineVersion: "14.12" })], "aws-rds-force-ssl"),
    ).toHaveLength(1);
  });
  it("aws-rds-force-ssl relates an Aurora cluster to its cluster parameter group", () => {
    const cluster = rds(
      { dbClusterParameterGroupName: "aurora-params", parameterGroupName: undefined },
      "aws:rds/cluster:Cluster",
    );
    const group = resource("aws:rds/clusterParameterGroup:ClusterParameterGroup", "aurora-params", {
      name: "aurora-params",
      family: "aurora-postgresql16",
      parameters: [],
    });
    expect(messages([cluster, group], "aws-rds-force-ssl")).toEqual([
      expect.stringContaining("does not set rds.force_ssl=1"),
    ]);
  });
});

const msk = (inputs: Json = {}) =>
  resource("aws:msk/cluster:Cluster", "kafka", {
    kafkaVersion: "3.8.x",
    numberOfBrokerNodes: 3,
    brokerNodeGroupInfo: {
      instanceType: "kafka.m7g.large",
      clientSubnets: ["a", "b", "c"],
      securityGroups: ["sg"],
    },
    encryptionInfo: {
      encryptionAtRestKmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k",
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
    },
    clientAuthentication: { sasl: { iam: true }, unauthenticated: false },
    loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: "msk" } } },
    tags: TAGS,
    ...inputs,
  });

describe("MSK", () => {
  it("a private, TLS, IAM-authenticated cluster breaks no MSK rule", () => {
    for (const rule of ["aws-msk-tls", "aws-msk-client-auth", "aws-msk-private", "aws-msk-cmk-logging"])
      expect({ rule, found: messages([msk()], rule) }).toEqual({ rule, found: [] });
  });
  it.each([
    ["aws-msk-tls", { encryptionInfo: { encryptionInTransit: { clientBroker: "TLS_PLAINTEXT" } } }],
    ["aws-msk-tls", { encryptionInfo: { encryptionInTransit: { inCluster: false } } }],
    ["aws-msk-client-auth", { clientAuthentication: { unauthenticated: true, sasl: { iam: true } } }],
    ["aws-msk-client-auth", { clientAuthentication: undefined }],
    [
      "aws-msk-private",
      { brokerNodeGroupInfo: { connectivityInfo: { publicAccess: { type: "SERVICE_PROVIDED_EIPS" } } } },
    ],
    ["aws-msk-cmk-logging", { loggingInfo: undefined }],
  ])("%s flags %j", (rule, inputs) => {
    expect(messages([msk(inputs as Json)], rule).length).toBeGreaterThan(0);
  });
});

describe("IAM", () => {
  const policy = (statement: Json) =>
    resource("aws:iam/policy:Policy", "p", {
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }),
    });
  it("aws-iam-no-wildcard-action flags *, sensitive service:* and NotAction", () => {
    expect(
      messages([policy({ Effect: "Allow", Action: "*", Resource: "*" })], "aws-iam-no-wildcard-action"),
    ).toHaveLength(1);
    expect(
      messages(
        [policy({ Effect: "Allow", Action: ["kms:*"], Resource: "arn:aws:kms:::key/k" })],
        "aws-iam-no-wildcard-action",
      ),
    ).toHaveLength(1);
    expect(
      messages(
        [policy({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })],
        "aws-iam-no-wildcard-action",
      ),
    ).toHaveLength(1);
  });
  it("aws-iam-no-wildcard-action accepts named actions and a Deny with *", () => {
    expect(
      messages(
        [
          policy({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" }),
          policy({ Effect: "Deny", Action: "*", Resource: "*" }),
        ],
        "aws-iam-no-wildcard-action",
      ),
    ).toEqual([]);
  });
  it("aws-iam-no-wildcard-action checks a role's inline policies", () => {
    const role = resource("aws:iam/role:Role", "r", {
      assumeRolePolicy: "{}",
      inlinePolicies: [
        {
          name: "all",
          policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
        },
      ],
    });
    expect(messages([role], "aws-iam-no-wildcard-action")).toHaveLength(1);
  });
  it("aws-iam-no-wildcard-resource flags scopable actions on * and accepts unscopable ones", () => {
    expect(
      messages(
        [policy({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" })],
        "aws-iam-no-wildcard-resource",
      ),
    ).toHaveLength(1);
    expect(
      messages(
        [
          policy({
            Effect: "Allow",
            Action: ["sts:GetCallerIdentity", "ec2:DescribeSubnets"],
            Resource: "*",
          }),
        ],
        "aws-iam-no-wildcard-resource",
      ),
    ).toEqual([]);
  });
  it("aws-iam-no-admin-attach flags AdministratorAccess and IAMFullAccess", () => {
    const attach = (arn: string) =>
      resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { role: "r", policyArn: arn });
    expect(
      messages(
        [
          attach("arn:aws:iam::aws:policy/AdministratorAccess"),
          attach("arn:aws:iam::aws:policy/IAMFullAccess"),
        ],
        "aws-iam-no-admin-attach",
      ),
    ).toHaveLength(2);
    expect(
      messages([attach("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")], "aws-iam-no-admin-attach"),
    ).toEqual([]);
    expect(
      messages(
        [
          resource("aws:iam/role:Role", "r", {
            assumeRolePolicy: "{}",
            managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
          }),
        ],
        "aws-iam-no-admin-attach",
      ),
    ).toHaveLength(1);
  });
  const role = (statement: Json) =>
    resource("aws:iam/role:Role", "irsa", {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }),
    });
  const oidc = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";
  const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/ABC";
  it("aws-iam-trust-scoped accepts an IRSA trust pinned to one service account", () => {
    const s = {
      Effect: "Allow",
      Principal: { Federated: oidc },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          [`${issuer}:sub`]: "system:serviceaccount:ml-prod-fraud:scorer",
          [`${issuer}:aud`]: "sts.amazonaws.com",
        },
      },
    };
    expect(messages([role(s)], "aws-iam-trust-scoped")).toEqual([]);
  });
  it.each([
    ["Principal *", { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }],
    [
      "an OIDC trust without aud",
      {
        Effect: "Allow",
        Principal: { Federated: oidc },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:ns:sa" } },
      },
    ],
    [
      "an OIDC trust with a wildcard sub",
      {
        Effect: "Allow",
        Principal: { Federated: oidc },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringLike: {
            [`${issuer}:sub`]: "system:serviceaccount:ns:*",
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  ])("aws-iam-trust-scoped flags %s", (_what, s) => {
    expect(messages([role(s)], "aws-iam-trust-scoped")).toHaveLength(1);
  });
});

describe("KMS", () => {
  const keyPolicy = {
    Statement: [
      {
        Sid: "Admins",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111122223333:root" },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };
  const key = (inputs: Json = {}) =>
    resource("aws:kms/key:Key", "key", {
      enableKeyRotation: true,
      policy: JSON.stringify(keyPolicy),
      tags: TAGS,
      ...inputs,
    });
  it("aws-kms-rotation flags a symmetric key without rotation and skips asymmetric keys", () => {
    expect(messages([key({ enableKeyRotation: false })], "aws-kms-rotation")).toHaveLength(1);
    expect(
      messages(
        [key({ enableKeyRotation: false, customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" })],
        "aws-kms-rotation",
      ),
    ).toEqual([]);
    expect(messages([key()], "aws-kms-rotation")).toEqual([]);
  });
  it("aws-kms-policy-safe accepts a key policy on the key or as a KeyPolicy resource", () => {
    expect(messages([key()], "aws-kms-policy-safe")).toEqual([]);
    const k = key({ policy: undefined });
    const separate = resource(
      "aws:kms/keyPolicy:KeyPolicy",
      "key-policy",
      { keyId: UNKNOWN, policy: JSON.stringify(keyPolicy) },
      { propertyDependencies: { keyId: [k.urn] } },
    );
    expect(messages([k, separate], "aws-kms-policy-safe")).toEqual([]);
  });
  it("aws-kms-policy-safe flags no policy, a wildcard principal and a bypassed lockout check", () => {
    expect(messages([key({ policy: undefined })], "aws-kms-policy-safe")).toEqual([
      expect.stringContaining("no key policy"),
    ]);
    const open = { Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }] };
    expect(
      messages([key({ policy: open, bypassPolicyLockoutSafetyCheck: true })], "aws-kms-policy-safe"),
    ).toHaveLength(2);
  });
});
