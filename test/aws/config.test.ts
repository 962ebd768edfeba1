import { cidrContains, quantityToGiB } from "../../stacks/config/aws";
import { ConfigError, parseConfig } from "../../stacks/config";
import {
  ACCOUNT_ID,
  Raw,
  KEDA_ROLE,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  awsConfig,
  rawAwsBlock,
  rawAwsConfig,
} from "./fixtures";

/** The problems config validation reports for a raw config (empty when it is valid). */
function problems(raw: Record<string, unknown>): string[] {
  try {
    parseConfig(raw, { project: "mlstack", stack: "test" });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** The base AWS config with `mlstack:aws` changed by `edit`. */
function withAws(edit: (aws: Raw) => void, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const aws = rawAwsBlock();
  edit(aws);
  return rawAwsConfig({ aws, ...overrides });
}

describe("mlstack:aws", () => {
  it("accepts a complete cluster, network and defaults for everything else", () => {
    const aws = awsConfig().aws!;
    expect(aws.region).toBe("eu-west-1");
    expect(aws.accountId).toBe(ACCOUNT_ID);
    expect(aws.partition).toBe("aws");
    expect(aws.cluster.oidcIssuer).toBe(OIDC_ISSUER);
    expect(aws.cluster.access).toEqual({
      kind: "context",
      context: "arn:aws:eks:eu-west-1:123456789012:cluster/ml-prod",
    });
    expect(aws.network.awsApiCidrs).toEqual(["0.0.0.0/0"]);
    expect(aws.kafka).toMatchObject({
      version: "4.1.x.kraft",
      authentication: "iam",
      instanceType: "kafka.m7g.large",
      logRetentionDays: 30,
      enhancedMonitoring: "DEFAULT",
    });
    expect(aws.postgres).toMatchObject({
      engine: "rds",
      workloadAuthentication: "iam",
      backupRetentionDays: 7,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 40,
      engineVersion: "17",
      logStatement: "ddl",
    });
    expect(aws.kms).toEqual({ deletionWindowDays: 30, rotationPeriodDays: 365, adminPrincipalArns: [] });
    expect(aws.iam.rolePath).toBe("/mlstack/");
  });

  it("keeps backups 35 days, logs a year and monitors per broker in prod", () => {
    const aws = awsConfig({ environment: "prod" }).aws!;
    expect(aws.postgres.backupRetentionDays).toBe(35);
    expect(aws.kafka.logRetentionDays).toBe(365);
    expect(aws.objectStore.accessLogRetentionDays).toBe(365);
    expect(aws.kafka.enhancedMonitoring).toBe("PER_BROKER");
    expect(aws.postgres.instanceClass).toBe("db.r7g.large");
  });

  it("sizes broker volumes and database storage from the shared storage sizes", () => {
    const aws = awsConfig({ environment: "prod" }).aws!;
    expect(aws.kafka.volumeSizeGiB).toBe(500);
    expect(aws.postgres.allocatedStorageGiB).toBe(200);
    expect(aws.postgres.maxAllocatedStorageGiB).toBe(400);
  });

  it("reads the cluster from a stack reference", () => {
    const aws = parseConfig(
      withAws((a) => {
        delete a.cluster.context;
        a.cluster.stackReference = { name: "acme/eks/prod" };
      }),
      { project: "mlstack", stack: "test" },
    ).aws!;
    expect(aws.cluster.access).toEqual({
      kind: "stackReference",
      stack: "acme/eks/prod",
      output: "kubeconfig",
    });
  });

  it("is required when the target is aws", () => {
    const raw = rawAwsConfig();
    delete raw.aws;
    expect(problems(raw)).toEqual([
      expect.stringMatching(/^mlstack:aws: undefined is required when mlstack:target is aws/),
    ]);
  });

  it("is refused on other targets", () => {
    expect(problems({ ...rawAwsConfig(), target: "kubernetes" })).toContainEqual(
      expect.stringMatching(/^mlstack:aws: .* is only read when mlstack:target is aws/),
    );
  });

  it("requires the cluster block", () => {
    expect(problems(withAws((a) => delete a.cluster))).toContainEqual(
      expect.stringMatching(/^mlstack:aws.cluster: undefined is required \(name, one of context/),
    );
  });

  it.each(["oidcProviderArn", "oidcProviderUrl", "nodeSecurityGroupId", "name"])(
    "requires cluster.%s",
    (key) => {
      expect(problems(withAws((a) => delete a.cluster[key]))).toContainEqual(
        expect.stringMatching(new RegExp(`^mlstack:aws\\.cluster\\.${key}: undefined is required`)),
      );
    },
  );

  it("rejects an OIDC provider ARN that is not one", () => {
    expect(
      problems(withAws((a) => (a.cluster.oidcProviderArn = "arn:aws:iam::123456789012:role/eks"))),
    ).toContainEqual(
      expect.stringMatching(
        /^mlstack:aws.cluster.oidcProviderArn: "arn:aws:iam::123456789012:role\/eks" is not an IAM OIDC provider ARN/,
      ),
    );
  });

  it("rejects an issuer URL of another provider than the ARN", () => {
    const other = "https://oidc.eks.eu-west-1.amazonaws.com/id/0000000000000000000000000000DEAD";
    expect(problems(withAws((a) => (a.cluster.oidcProviderUrl = other)))).toContainEqual(
      expect.stringMatching(/oidcProviderUrl: .* does not match oidcProviderArn/),
    );
  });

  it("rejects a cluster in another region than the managed services", () => {
    expect(problems(withAws((a) => (a.region = "us-east-1")))).toContainEqual(
      expect.stringMatching(
        /oidcProviderUrl: .* is an issuer in region eu-west-1, but mlstack:aws.region is us-east-1/,
      ),
    );
  });

  it("requires exactly one way to reach the cluster", () => {
    expect(problems(withAws((a) => delete a.cluster.context))).toContainEqual(
      expect.stringMatching(
        /^mlstack:aws.cluster: undefined must name how to reach the cluster with exactly one of/,
      ),
    );
    expect(problems(withAws((a) => (a.cluster.kubeconfig = "/etc/kube/config")))).toContainEqual(
      expect.stringMatching(
        /^mlstack:aws.cluster: \["context","kubeconfig"\] must name how to reach the cluster/,
      ),
    );
  });

  it("requires the region", () => {
    expect(problems(withAws((a) => delete a.region))).toContainEqual(
      expect.stringMatching(/^mlstack:aws.region: undefined is required/),
    );
  });

  it("requires the network block and each of its settings", () => {
    expect(problems(withAws((a) => delete a.network))).toContainEqual(
      expect.stringMatching(/^mlstack:aws.network: undefined is required/),
    );
    for (const key of ["vpcId", "vpcCidr", "privateSubnetIds", "privateSubnetCidrs"]) {
      expect(problems(withAws((a) => delete a.network[key]))).toContainEqual(
        expect.stringMatching(new RegExp(`^mlstack:aws\\.network\\.${key}: undefined is required`)),
      );
    }
  });

  it("requires two private subnets at least", () => {
    const found = problems(
      withAws((a) => {
        a.network.privateSubnetIds = a.network.privateSubnetIds.slice(0, 1);
        a.network.privateSubnetCidrs = a.network.privateSubnetCidrs.slice(0, 1);
      }),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /^mlstack:aws.network.privateSubnetIds: .* must list at least two private subnets/,
      ),
    );
  });

  it("requires one CIDR per subnet, inside the VPC", () => {
    expect(problems(withAws((a) => a.network.privateSubnetCidrs.pop()))).toContainEqual(
      expect.stringMatching(/privateSubnetCidrs: .* has 2 entries for 3 privateSubnetIds/),
    );
    expect(problems(withAws((a) => (a.network.privateSubnetCidrs[2] = "10.41.0.0/19")))).toContainEqual(
      expect.stringMatching(
        /^mlstack:aws.network.privateSubnetCidrs\[2\]: "10.41.0.0\/19" is not inside vpcCidr 10.40.0.0\/16/,
      ),
    );
  });

  it("requires a broker count that is a multiple of the subnet count", () => {
    const found = problems(rawAwsConfig({ kafka: { ...rawAwsConfig().kafka, brokers: 4 } }));
    expect(found).toContainEqual(
      expect.stringMatching(
        /^mlstack:kafka.brokers: 4 is not a multiple of the 3 private subnets .* use 3, 6, 9/,
      ),
    );
  });

  it("refuses unversioned buckets", () => {
    const raw = rawAwsConfig();
    raw.objectStore.buckets[0].versioning = false;
    expect(problems(raw)).toContainEqual(
      expect.stringMatching(/^mlstack:objectStore.buckets\[0\].versioning: false cannot be false on aws/),
    );
  });

  it("refuses backup retention beyond RDS's 35 days", () => {
    const found = problems(rawAwsConfig({ postgres: { backup: { retentionDays: 60 } } }));
    expect(found).toContainEqual(
      expect.stringMatching(/^mlstack:postgres.backup.retentionDays: 60 must be 7..35 on aws/),
    );
  });

  it("refuses an MSK version without the topic API", () => {
    expect(problems(withAws((a) => (a.kafka = { version: "3.5.1" })))).toContainEqual(
      expect.stringMatching(/^mlstack:aws.kafka.version: "3.5.1" is older than 3.6/),
    );
  });

  it("requires the KEDA operator role when a model streams from Kafka", () => {
    expect(problems(withAws((a) => delete a.cluster.kedaOperatorRoleArn))).toContainEqual(
      expect.stringMatching(
        /^mlstack:aws.cluster.kedaOperatorRoleArn: undefined is required: model\(s\) fraud-detector stream from Kafka/,
      ),
    );
    const raw = withAws((a) => delete a.cluster.kedaOperatorRoleArn);
    raw.serving = {
      models: [
        {
          name: "price-quoter",
          team: "pricing",
          runtime: "mlserver",
          source: { bucket: "pricing-models", path: "quoter/12" },
        },
      ],
    };
    expect(problems(raw)).toEqual([]);
  });

  it("requires a pinned ACL Job image from an allowed registry with SCRAM", () => {
    expect(problems(withAws((a) => (a.kafka = { authentication: "scram" })))).toContainEqual(
      expect.stringMatching(
        /^mlstack:aws.kafka.aclJobImage: undefined is required with authentication scram/,
      ),
    );
    expect(
      problems(
        withAws(
          (a) => (a.kafka = { authentication: "scram", aclJobImage: "evil.example.com/kafka/acls:1.0" }),
        ),
      ),
    ).toContainEqual(
      expect.stringMatching(
        /aclJobImage: "evil.example.com\/kafka\/acls:1.0" is not from an allowed registry/,
      ),
    );
    expect(
      problems(
        withAws(
          (a) =>
            (a.kafka = { authentication: "scram", aclJobImage: "quay.io/acme/kafka-msk-admin:4.1.0-2.3.2" }),
        ),
      ),
    ).toEqual([]);
  });

  it("keeps the master user apart from the databases' roles", () => {
    expect(problems(withAws((a) => (a.postgres = { masterUsername: "mlflow" })))).toContainEqual(
      expect.stringMatching(/masterUsername: "mlflow" is also the role of database "mlflow"/),
    );
    expect(problems(withAws((a) => (a.postgres = { masterUsername: "rdsadmin" })))).toContainEqual(
      expect.stringMatching(/masterUsername: "rdsadmin" is reserved/),
    );
  });

  it("requires the CA bundle when the runner verifies the server", () => {
    expect(problems(withAws((a) => (a.postgres = { adminSslMode: "verify-full" })))).toContainEqual(
      expect.stringMatching(/adminSslRootCert: undefined is required with adminSslMode verify-full/),
    );
  });

  it("refuses an engine version of another major than postgres.version", () => {
    expect(problems(withAws((a) => (a.postgres = { engineVersion: "16.4" })))).toContainEqual(
      expect.stringMatching(/engineVersion: "16.4" is not a PostgreSQL 17 engine version/),
    );
  });

  it("reports unknown keys instead of ignoring them", () => {
    expect(problems(withAws((a) => (a.clusterName = "ml-prod")))).toContainEqual(
      expect.stringMatching(/^mlstack:aws.clusterName: "ml-prod" is not a known key/),
    );
  });

  it("reports every problem at once", () => {
    const found = problems(
      withAws((a) => {
        delete a.cluster.oidcProviderArn;
        delete a.network.privateSubnetIds;
        delete a.region;
      }),
    );
    expect(found.length).toBeGreaterThanOrEqual(3);
  });

  it("accepts a KEDA role with a path and an IAM permissions boundary", () => {
    const aws = parseConfig(
      withAws((a) => {
        a.cluster.kedaOperatorRoleArn = `arn:aws:iam::${ACCOUNT_ID}:role/eks/keda-operator`;
        a.iam = { permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT_ID}:policy/boundary` };
      }),
      { project: "mlstack", stack: "test" },
    ).aws!;
    expect(aws.cluster.kedaOperatorRoleArn).not.toBe(KEDA_ROLE);
    expect(aws.iam.permissionsBoundaryArn).toBe(`arn:aws:iam::${ACCOUNT_ID}:policy/boundary`);
    expect(aws.cluster.oidcProviderArn).toBe(OIDC_PROVIDER_ARN);
  });
});

describe("quantityToGiB", () => {
  it("converts binary and decimal quantities, rounding up", () => {
    expect(quantityToGiB("500Gi")).toBe(500);
    expect(quantityToGiB("1Ti")).toBe(1024);
    expect(quantityToGiB("100G")).toBe(94);
    expect(quantityToGiB("512Mi")).toBe(1);
  });
});

describe("cidrContains", () => {
  it("is true only for a range inside another", () => {
    expect(cidrContains("10.40.0.0/16", "10.40.32.0/19")).toBe(true);
    expect(cidrContains("10.40.0.0/16", "10.41.0.0/19")).toBe(false);
    expect(cidrContains("10.40.0.0/16", "10.0.0.0/8")).toBe(false);
  });
});
