import { messages, resource, UNKNOWN } from "./helpers";
import { Json, TAGS } from "./awsFixtures";

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
