import * as pulumi from "@pulumi/pulumi";
import { WorkloadAccess, WorkloadIdentity } from "../../components/identity/contract";
import { IrsaIdentityProvider } from "../../components/identity/irsa";
import { MskKafka, MskKafkaArgs, mskResourceArn, serverProperties } from "../../components/kafka/msk";
import { KafkaScalerAuth } from "../../components/kafka/contract";
import { PlatformConfig } from "../../stacks/config";
import { Rendered, render } from "../support/render";
import {
  ACCOUNT_ID,
  KEDA_ROLE,
  NODE_SG,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  Root,
  SUBNET_CIDRS,
  SUBNET_IDS,
  VPC_CIDR,
  awsConfig,
  contextOf,
} from "./fixtures";

const account = { accountId: ACCOUNT_ID, partition: "aws", region: REGION };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const CLUSTER_ARN = "arn:mock:aws:msk/cluster:Cluster:kafka-cluster";
const topicArn = (topic: string) => `arn:mock:aws:msk/topic:Topic:kafka-topic-${topic}`;

function mskArgs(config: PlatformConfig, overrides: Partial<MskKafkaArgs> = {}): MskKafkaArgs {
  return {
    ctx: contextOf(config),
    account,
    kafka: config.kafka,
    msk: config.aws!.kafka,
    clusterName: "mlstack-test-kafka",
    logGroupName: "/mlstack/mlstack-test/msk/kafka",
    kmsKeyArn: KEY,
    network: {
      vpcId: "vpc-0a1b2c3d4e5f60718",
      vpcCidr: VPC_CIDR,
      privateSubnetIds: SUBNET_IDS,
      privateSubnetCidrs: SUBNET_CIDRS,
      awsApiCidrs: ["0.0.0.0/0"],
      nodeSecurityGroupId: NODE_SG,
    },
    nameStem: "mlstack-test",
    kedaOperatorRoleArn: KEDA_ROLE,
    iam: { rolePath: "/mlstack/" },
    ...overrides,
  };
}

const settings = (config: PlatformConfig) => ({
  ctx: contextOf(config),
  oidcProviderArn: OIDC_PROVIDER_ARN,
  oidcIssuer: OIDC_ISSUER,
  nameStem: "mlstack-test",
});
const detectorRef = {
  name: "fraud-detector",
  team: "fraud",
  namespace: "ml-dev-fraud",
  serviceAccountName: "fraud-detector",
};

async function renderKafka(config = awsConfig(), overrides: Partial<MskKafkaArgs> = {}): Promise<Rendered> {
  return render(() => void new MskKafka("kafka", mskArgs(config, overrides)));
}

/** Renders the cluster and grants the streaming model its topics; returns what the grant gave. */
async function grantDetector(config = awsConfig(), overrides: Partial<MskKafkaArgs> = {}) {
  let access: WorkloadAccess | undefined;
  let scaler: KafkaScalerAuth | undefined;
  const r = await render(() => {
    const root = new Root();
    const identity = new IrsaIdentityProvider(settings(config)).forWorkload(detectorRef, { parent: root });
    const kafka = new MskKafka("kafka", mskArgs(config, overrides));
    access = kafka.grantTopicAccess(
      identity,
      { read: ["transactions"], write: ["fraud-scores"], consumerGroup: "fraud-detector" },
      { parent: root },
    );
    scaler = kafka.scalerAuth(identity);
  });
  return { r, access: access as WorkloadAccess, scaler: scaler as KafkaScalerAuth };
}

describe("MskKafka", () => {
  it("runs brokers in the private subnets, private, behind its own security group", async () => {
    const r = await renderKafka();
    const cluster = r.inputs(r.one("aws:msk/cluster:Cluster"));
    expect(cluster.clusterName).toBe("mlstack-test-kafka");
    expect(cluster.numberOfBrokerNodes).toBe(3);
    expect(cluster.kafkaVersion).toBe("4.1.x.kraft");
    expect(cluster.brokerNodeGroupInfo).toEqual({
      instanceType: "kafka.m7g.large",
      clientSubnets: SUBNET_IDS,
      securityGroups: ["kafka-sg-id"],
      storageInfo: { ebsStorageInfo: { volumeSize: 10 } },
      connectivityInfo: { publicAccess: { type: "DISABLED" } },
    });
  });

  it("encrypts in transit (client-broker and in-cluster) and at rest with the Kafka key", async () => {
    const r = await renderKafka();
    expect(r.inputs(r.one("aws:msk/cluster:Cluster")).encryptionInfo).toEqual({
      encryptionAtRestKmsKeyArn: KEY,
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
    });
  });

  it("authenticates every client with SASL/IAM and never lets one in unauthenticated", async () => {
    const r = await renderKafka();
    expect(r.inputs(r.one("aws:msk/cluster:Cluster")).clientAuthentication).toEqual({
      sasl: { iam: true, scram: false },
      unauthenticated: false,
    });
  });

  it("sends broker logs to a CloudWatch log group encrypted with the same key", async () => {
    const r = await renderKafka();
    expect(r.inputs(r.one("aws:msk/cluster:Cluster")).loggingInfo).toEqual({
      brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: "/mlstack/mlstack-test/msk/kafka" } },
    });
    expect(r.inputs(r.one("aws:cloudwatch/logGroup:LogGroup"))).toMatchObject({
      name: "/mlstack/mlstack-test/msk/kafka",
      kmsKeyId: KEY,
      retentionInDays: 30,
    });
  });

  it("configures replication 3, min.insync.replicas 2 and no automatic topic creation outside dev", async () => {
    const r = await renderKafka(awsConfig({ environment: "prod" }));
    const config = r.inputs(r.one("aws:msk/configuration:Configuration"));
    const props = Object.fromEntries(
      config.serverProperties.split("\n").map((line: string) => line.split("=")),
    );
    expect(props).toMatchObject({
      "auto.create.topics.enable": "false",
      "default.replication.factor": "3",
      "min.insync.replicas": "2",
      "unclean.leader.election.enable": "false",
    });
    expect(config.kafkaVersions).toEqual(["4.1.x.kraft"]);
    expect(r.inputs(r.one("aws:msk/cluster:Cluster")).configurationInfo.arn).toBe(
      "arn:mock:aws:msk/configuration:Configuration:kafka-config",
    );
  });

  it("admits only the cluster's nodes, only on the SASL/IAM port", async () => {
    const r = await renderKafka();
    const rules = r
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .map((x) => r.inputs(x));
    expect(rules).toEqual([
      expect.objectContaining({
        securityGroupId: "kafka-sg-id",
        referencedSecurityGroupId: NODE_SG,
        ipProtocol: "tcp",
        fromPort: 9098,
        toPort: 9098,
      }),
    ]);
    expect(r.inputs(r.one("aws:ec2/securityGroup:SecurityGroup")).ingress).toBeUndefined();
    expect(r.inputs(r.one("aws:ec2/securityGroup:SecurityGroup")).egress).toBeUndefined();
  });

  it("creates every declared topic through the MSK topic API with its partitions, replicas and retention", async () => {
    const r = await renderKafka(awsConfig({ environment: "prod" }));
    const topic = r.inputs(r.one("aws:msk/topic:Topic", "transactions"));
    expect(topic).toMatchObject({
      clusterArn: CLUSTER_ARN,
      name: "transactions",
      partitionCount: 3,
      replicationFactor: 3,
    });
    expect(JSON.parse(topic.configs)).toEqual({
      "cleanup.policy": "delete",
      "min.insync.replicas": "2",
      "retention.ms": String(168 * 3_600_000),
    });
    expect(r.ofType("aws:msk/topic:Topic")).toHaveLength(2);
  });

  it("protects the cluster and its topics in prod", async () => {
    const r = await renderKafka(awsConfig({ environment: "prod" }));
    expect(r.one("aws:msk/cluster:Cluster")).toMatchObject({ protect: true, retainOnDelete: true });
    for (const t of r.ofType("aws:msk/topic:Topic")) expect(t.protect).toBe(true);
    expect(r.inputs(r.one("aws:cloudwatch/logGroup:LogGroup")).deletionProtectionEnabled).toBe(true);
    const dev = await renderKafka();
    expect(dev.one("aws:msk/cluster:Cluster").protect).toBe(false);
  });

  it("refuses a broker count that is not a multiple of the subnets", async () => {
    const config = awsConfig();
    await expect(renderKafka(config, { kafka: { ...config.kafka, brokers: 4 } })).rejects.toThrow(
      /kafka.brokers 4 is not a multiple of the 3 private subnets/,
    );
  });
});

describe("MskKafka.grantTopicAccess (IAM)", () => {
  it("names exactly the workload's topics and group by ARN on its own role", async () => {
    const { r } = await grantDetector();
    const policy = r.inputs(r.one("aws:iam/rolePolicy:RolePolicy", "fraud-detector-kafka"));
    expect(policy.role).toBe("mlstack-test-fraud-detector");
    expect(policy.policy.Statement).toEqual([
      {
        Sid: "Connect",
        Effect: "Allow",
        Action: [
          "kafka-cluster:Connect",
          "kafka-cluster:DescribeCluster",
          "kafka-cluster:WriteDataIdempotently",
        ],
        Resource: CLUSTER_ARN,
      },
      {
        Sid: "ReadTopics",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
        Resource: [topicArn("transactions")],
      },
      {
        Sid: "WriteTopics",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
        Resource: [topicArn("fraud-scores")],
      },
      {
        Sid: "ConsumerGroup",
        Effect: "Allow",
        Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
        Resource: expect.stringMatching(
          /^arn:aws:kafka:eu-west-1:123456789012:group\/mlstack-test-kafka\/[^/*]+\/fraud-detector$/,
        ),
      },
    ]);
    expect(JSON.stringify(policy.policy)).not.toContain("*");
  });

  it("builds MSK group ARNs from the cluster's name and UUID", async () => {
    let arn = "";
    await render(async () => {
      arn = await new Promise<string>((resolve) =>
        mskResourceArn(account, "ml", "4d9c-1", "group", "g").apply(resolve),
      );
    });
    expect(arn).toBe("arn:aws:kafka:eu-west-1:123456789012:group/ml/4d9c-1/g");
  });

  it("hands over SASL_SSL with AWS_MSK_IAM and the region, and opens only the IAM port to the broker subnets", async () => {
    const { access } = await grantDetector();
    expect(access.env).toEqual([
      { name: "KAFKA_BOOTSTRAP_SERVERS", value: expect.anything() },
      { name: "KAFKA_SECURITY_PROTOCOL", value: "SASL_SSL" },
      { name: "KAFKA_SASL_MECHANISM", value: "AWS_MSK_IAM" },
      { name: "AWS_REGION", value: REGION },
    ]);
    expect(access.egress).toEqual([
      { to: SUBNET_CIDRS.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 9098 }] },
      {
        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [VPC_CIDR] } }],
        ports: [{ protocol: "TCP", port: 443 }],
      },
    ]);
  });

  it("lets KEDA read the lag through a role that trusts only the KEDA operator and may only describe", async () => {
    const { r, scaler } = await grantDetector();
    expect(scaler).toEqual({
      tls: true,
      sasl: { mechanism: "AWS_MSK_IAM", awsRegion: REGION, roleArn: expect.anything() },
    });
    const role = r.inputs(r.one("aws:iam/role:Role", "lag-reader"));
    expect(role.name).toBe("mlstack-test-fraud-detector-lag");
    expect(role.assumeRolePolicy).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "KedaOperatorOnly", Effect: "Allow", Principal: { AWS: KEDA_ROLE }, Action: "sts:AssumeRole" },
      ],
    });
    const policy = r.inputs(r.one("aws:iam/rolePolicy:RolePolicy", "lag-reader"));
    const actions = policy.policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions.filter((a: string) => !/^kafka-cluster:(Connect|Describe)/.test(a))).toEqual([]);
    expect(policy.policy.Statement[1].Resource).toEqual([topicArn("transactions")]);
  });

  it("refuses unknown topics, a reader without a group, and a second different grant", async () => {
    await render(() => {
      const root = new Root();
      const config = awsConfig();
      const identity = new IrsaIdentityProvider(settings(config)).forWorkload(detectorRef, { parent: root });
      const kafka = new MskKafka("kafka", mskArgs(config));
      expect(() =>
        kafka.grantTopicAccess(identity, { read: ["payments"], write: [] }, { parent: root }),
      ).toThrow(
        /topic "payments" is not declared in mlstack:kafka.topics \(declared: transactions, fraud-scores\)/,
      );
      expect(() =>
        kafka.grantTopicAccess(identity, { read: ["transactions"], write: [] }, { parent: root }),
      ).toThrow(/names no consumerGroup/);
      expect(() => kafka.topicName("payments")).toThrow(/not declared/);
      kafka.grantTopicAccess(identity, { read: [], write: ["fraud-scores"] }, { parent: root });
      expect(() =>
        kafka.grantTopicAccess(identity, { read: [], write: ["transactions"] }, { parent: root }),
      ).toThrow(/already granted/);
      expect(() => kafka.scalerAuth(identity)).toThrow(/has no consumer grant/);
    });
  });

  it("refuses an identity the IRSA provider did not issue", async () => {
    await render(() => {
      const kafka = new MskKafka("kafka", mskArgs(awsConfig()));
      const foreign: WorkloadIdentity = {
        workload: detectorRef,
        serviceAccountAnnotations: {},
        dependencies: [],
      };
      expect(() =>
        kafka.grantTopicAccess(foreign, { read: [], write: ["fraud-scores"] }, { parent: new Root() }),
      ).toThrow(/was not issued by IrsaIdentityProvider/);
    });
  });

  it("publishes the IAM bootstrap brokers and security settings", async () => {
    let security: unknown;
    await render(() => {
      const kafka = new MskKafka("kafka", mskArgs(awsConfig()));
      security = kafka.security;
      expect(pulumi.Output.isInstance(kafka.bootstrapServers)).toBe(true);
    });
    expect(security).toEqual({ protocol: "SASL_SSL", saslMechanism: "AWS_MSK_IAM" });
  });
});

describe("serverProperties", () => {
  it("turns off ACL-less access only with SCRAM", () => {
    const kafka = awsConfig().kafka;
    expect(serverProperties(kafka, false)).not.toContain("allow.everyone.if.no.acl.found");
    expect(serverProperties(kafka, true)).toContain("allow.everyone.if.no.acl.found=false");
  });
});
