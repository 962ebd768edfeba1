/**
 * Kafka on AWS: an Amazon MSK provisioned cluster, private, encrypted, authenticated.
 *
 * - Brokers in the private subnets (`kafka.brokers`, a multiple of the subnet count), no public
 *   access; a security group admitting only the cluster's nodes on the SASL ports.
 * - TLS between clients and brokers and inside the cluster; storage encrypted with the Kafka CMK.
 * - SASL/IAM client authentication, never unauthenticated; with `authentication: scram` also
 *   SASL/SCRAM for workloads (users in Secrets Manager, Kafka ACLs per workload, see mskScram.ts).
 * - A cluster configuration: replication factor and min.insync.replicas from config (3 and 2
 *   outside dev), no automatic topic creation, no unclean leader election.
 * - Broker logs to a CloudWatch log group encrypted with the same key.
 *
 * Topics are `aws.msk.Topic` resources: the MSK topic API (Kafka ≥ 3.6) creates them through the
 * AWS control plane during `pulumi up`, so they exist when `up` returns, their settings show in
 * previews and diffs, and the runner needs neither a network path to the brokers nor a Kafka
 * client — only IAM permission on the cluster. An in-cluster reconciler would need an image with
 * a Kafka admin client and would finish after `up`, outside Pulumi's view.
 *
 * A grant attaches to the workload's IRSA role an inline policy naming the cluster, exactly its
 * topics (by ARN) and exactly its consumer group.
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch";
// The resource's own module rather than "@pulumi/aws/ec2", whose index alone makes tsc read
// ~185 more declaration files (37k lines) for this one class.
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import * as iam from "@pulumi/aws/iam";
import * as awsMsk from "@pulumi/aws/msk";
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as vpc from "@pulumi/aws/vpc";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AwsKafkaConfig, MskIamSettings } from "./mskSettings";
import type { KafkaConfig, KafkaTopicConfig } from "./settings";
import type { PlatformContext } from "../context";
import { AwsAccount, physicalName } from "../identity/awsAccount";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { attachWorkloadPolicy, awsApiEgress } from "../identity/irsa";
import { cloudTags } from "../kube/labels";
import type {
  KafkaClientSecurity,
  KafkaCluster,
  KafkaLagTrigger,
  KafkaScalerAuth,
  TopicGrant,
} from "./contract";
import { secretLagTrigger } from "./kedaLagTrigger";
import { MskScram, type MskScramSettings } from "./mskScram";

/** Broker port for SASL/IAM over TLS. */
export const MSK_IAM_PORT = 9098;
/** Broker port for SASL/SCRAM over TLS. */
export const MSK_SCRAM_PORT = 9096;

export interface MskNetwork {
  vpcId: string;
  vpcCidr: string;
  privateSubnetIds: string[];
  /** Where pods reach the brokers: each private subnet's CIDR. */
  privateSubnetCidrs: string[];
  /** Where pods reach STS on 443. */
  awsApiCidrs: string[];
  /** The only source the brokers admit (pods leave through their node's security group). */
  nodeSecurityGroupId: string;
}

export interface MskKafkaArgs {
  ctx: PlatformContext;
  account: AwsAccount;
  /** `mlstack:kafka` (brokers, replication, topics). */
  kafka: KafkaConfig;
  /** `mlstack:aws.kafka` (version, instance type, volume, authentication). */
  msk: AwsKafkaConfig;
  /** Physical cluster name, unique in the account and region (≤ 64). */
  clusterName: string;
  /** Broker log group name; its ARN must be in the Kafka key's policy. */
  logGroupName: string;
  /** ARN of the Kafka customer key (storage, logs, SCRAM secrets). */
  kmsKeyArn: pulumi.Input<string>;
  network: MskNetwork;
  /** `<project>-<stack>`: the start of every lag-reader role name. */
  nameStem: string;
  /** KEDA operator's IAM role, trusted by each streaming model's lag-reader role. */
  kedaOperatorRoleArn?: string;
  /** IAM path and boundary of the lag-reader roles. */
  iam: MskIamSettings;
  /** Everything `authentication: scram` needs; required then, refused otherwise. */
  scram?: MskScramSettings;
  /** Provider for AWS resources created under workload components. */
  provider?: AwsProvider;
  /** Provider for Kubernetes objects created under workload components. */
  kubernetesProvider?: k8s.Provider;
}

/** `arn:<p>:kafka:<region>:<account>:<kind>/<cluster name>/<cluster uuid>/<name>`, the ARN MSK IAM authorizes. */
export function mskResourceArn(
  account: AwsAccount,
  clusterName: string,
  clusterUuid: pulumi.Input<string>,
  kind: "topic" | "group" | "transactional-id",
  name: string,
): pulumi.Output<string> {
  return pulumi.interpolate`arn:${account.partition}:kafka:${account.region}:${account.accountId}:${kind}/${clusterName}/${clusterUuid}/${name}`;
}

/** The broker configuration (`server.properties`). */
export function serverProperties(kafka: KafkaConfig, scram: boolean): string {
  const props: Record<string, string | number | boolean> = {
    "auto.create.topics.enable": false,
    "default.replication.factor": kafka.replicationFactor,
    "min.insync.replicas": kafka.minInsyncReplicas,
    "offsets.topic.replication.factor": kafka.replicationFactor,
    "transaction.state.log.replication.factor": kafka.replicationFactor,
    "transaction.state.log.min.isr": kafka.minInsyncReplicas,
    "unclean.leader.election.enable": false,
  };
  // SCRAM principals are authorized by Kafka ACLs: without one, nothing is allowed. IAM principals are authorized by IAM.
  if (scram) props["allow.everyone.if.no.acl.found"] = false;
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}

/** What an MskKafka keeps for its methods, beside the instance: the analyzer publishes every field. */
interface MskKafkaState {
  args: MskKafkaArgs;
  componentName: string;
  topics: Map<string, awsMsk.Topic>;
  scram?: MskScram;
  grants: Map<string, { grant: TopicGrant; access: WorkloadAccess }>;
  scalers: Map<string, KafkaScalerAuth>;
}
const states = new WeakMap<MskKafka, MskKafkaState>();

export class MskKafka extends pulumi.ComponentResource implements KafkaCluster {
  readonly cluster: awsMsk.Cluster;
  readonly configuration: awsMsk.Configuration;
  readonly securityGroup: SecurityGroup;
  readonly logGroup: cloudwatch.LogGroup;
  /** Logical name → MSK topic (a getter: a package schema has no Map). */
  get topics(): Map<string, awsMsk.Topic> {
    return this.s.topics;
  }
  readonly bootstrapServers: pulumi.Output<string>;
  readonly security: KafkaClientSecurity;
  /** Present with `authentication: scram` (a getter: the analyzer cannot reference an mlstack component). */
  get scram(): MskScram | undefined {
    return this.s.scram;
  }
  private get s(): MskKafkaState {
    return states.get(this) as MskKafkaState;
  }

  constructor(name: string, args: MskKafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    const { kafka, msk, network } = args;
    const subnets = network.privateSubnetIds.length;
    if (subnets < 2)
      throw new Error(
        `MskKafka ${name}: network.privateSubnetIds has ${subnets} subnet(s); MSK needs at least 2 in different availability zones`,
      );
    if (kafka.brokers % subnets !== 0) {
      throw new Error(
        `MskKafka ${name}: kafka.brokers ${kafka.brokers} is not a multiple of the ${subnets} private subnets (MSK places the same number of brokers in each)`,
      );
    }
    if (network.privateSubnetCidrs.length !== subnets) {
      throw new Error(
        `MskKafka ${name}: network.privateSubnetCidrs has ${network.privateSubnetCidrs.length} entries for ${subnets} subnets`,
      );
    }
    if (msk.authentication === "scram" && !args.scram)
      throw new Error(
        `MskKafka ${name}: scram is required with msk.authentication scram (ACL admin identity, namespace, image)`,
      );
    if (msk.authentication === "iam" && args.scram)
      throw new Error(
        `MskKafka ${name}: scram is set but msk.authentication is iam; remove it or choose scram`,
      );
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(args.clusterName)) {
      throw new Error(
        `MskKafka ${name}: clusterName ${JSON.stringify(args.clusterName)} is not 1-64 letters, digits and '-'`,
      );
    }
    super("mlstack:kafka:MskKafka", name, {}, opts);
    const state: MskKafkaState = {
      args,
      componentName: name,
      topics: new Map(),
      grants: new Map(),
      scalers: new Map(),
    };
    states.set(this, state);
    const { ctx } = args;
    const scram = msk.authentication === "scram";
    const tags = cloudTags({ environment: ctx.environment, team: "platform", component: "kafka" });
    const protect = ctx.protect;

    this.securityGroup = new SecurityGroup(
      `${name}-sg`,
      {
        vpcId: network.vpcId,
        description: `MSK brokers of ${args.clusterName}: SASL over TLS from the EKS nodes only`,
        revokeRulesOnDelete: true,
        tags,
      },
      { parent: this },
    );
    const ports = scram ? [MSK_IAM_PORT, MSK_SCRAM_PORT] : [MSK_IAM_PORT];
    for (const port of ports) {
      new vpc.SecurityGroupIngressRule(
        `${name}-from-nodes-${port}`,
        {
          securityGroupId: this.securityGroup.id,
          referencedSecurityGroupId: network.nodeSecurityGroupId,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description:
            port === MSK_IAM_PORT ? "SASL/IAM over TLS from EKS nodes" : "SASL/SCRAM over TLS from EKS nodes",
          tags,
        },
        { parent: this },
      );
    }

    this.configuration = new awsMsk.Configuration(
      `${name}-config`,
      {
        name: `${args.clusterName}-config`,
        description: `mlstack ${ctx.stack}: replication ${kafka.replicationFactor}, min.insync.replicas ${kafka.minInsyncReplicas}, no automatic topic creation`,
        kafkaVersions: [msk.version],
        serverProperties: serverProperties(kafka, scram),
      },
      { parent: this },
    );
    this.logGroup = new cloudwatch.LogGroup(
      `${name}-broker-logs`,
      {
        name: args.logGroupName,
        retentionInDays: msk.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        deletionProtectionEnabled: protect,
        tags,
      },
      { parent: this },
    );

    this.cluster = new awsMsk.Cluster(
      `${name}-cluster`,
      {
        clusterName: args.clusterName,
        kafkaVersion: msk.version,
        numberOfBrokerNodes: kafka.brokers,
        brokerNodeGroupInfo: {
          instanceType: msk.instanceType,
          clientSubnets: network.privateSubnetIds,
          securityGroups: [this.securityGroup.id],
          storageInfo: { ebsStorageInfo: { volumeSize: msk.volumeSizeGiB } },
          connectivityInfo: { publicAccess: { type: "DISABLED" } },
        },
        clientAuthentication: { sasl: { iam: true, scram }, unauthenticated: false },
        encryptionInfo: {
          encryptionAtRestKmsKeyArn: args.kmsKeyArn,
          encryptionInTransit: { clientBroker: "TLS", inCluster: true },
        },
        configurationInfo: { arn: this.configuration.arn, revision: this.configuration.latestRevision },
        loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: this.logGroup.name } } },
        enhancedMonitoring: msk.enhancedMonitoring,
        tags,
      },
      { parent: this, protect, retainOnDelete: protect },
    );

    for (const topic of kafka.topics) state.topics.set(topic.name, this.createTopic(name, topic));
    this.bootstrapServers = scram
      ? this.cluster.bootstrapBrokersSaslScram
      : this.cluster.bootstrapBrokersSaslIam;
    this.security = { protocol: "SASL_SSL", saslMechanism: scram ? "SCRAM-SHA-512" : "AWS_MSK_IAM" };

    if (args.scram) {
      state.scram = new MskScram(
        `${name}-scram`,
        {
          ...args.scram,
          ctx,
          account: args.account,
          clusterName: args.clusterName,
          clusterArn: this.cluster.arn,
          iamBootstrapServers: this.cluster.bootstrapBrokersSaslIam,
          kmsKeyArn: args.kmsKeyArn,
          network,
          nameStem: args.nameStem,
          provider: args.provider,
          kubernetesProvider: args.kubernetesProvider,
        },
        { parent: this, dependsOn: [this.cluster] },
      );
    }

    this.registerOutputs({ clusterArn: this.cluster.arn, bootstrapServers: this.bootstrapServers });
  }

  private createTopic(name: string, topic: KafkaTopicConfig): awsMsk.Topic {
    return new awsMsk.Topic(
      `${name}-topic-${topic.name}`,
      {
        clusterArn: this.cluster.arn,
        name: topic.name,
        partitionCount: topic.partitions,
        replicationFactor: topic.replicas,
        configs: JSON.stringify({
          "cleanup.policy": "delete",
          "min.insync.replicas": String(Math.min(this.s.args.kafka.minInsyncReplicas, topic.replicas)),
          "retention.ms": String(topic.retentionHours * 3_600_000),
        }),
      },
      // Deleting a topic deletes its data: in prod it takes an explicit unprotect.
      { parent: this, protect: this.s.args.ctx.protect },
    );
  }

  topicName(logical: string): pulumi.Output<string> {
    return this.topic(logical, "topicName").name;
  }

  private topic(logical: string, method: string): awsMsk.Topic {
    const topic = this.topics.get(logical);
    if (!topic) {
      throw new Error(
        `MskKafka ${this.s.componentName}.${method}: topic ${JSON.stringify(logical)} is not declared in mlstack:kafka.topics (declared: ${[...this.topics.keys()].join(", ") || "none"})`,
      );
    }
    return topic;
  }

  /**
   * Gives one workload read on `grant.read`, write on `grant.write` and its consumer group — by
   * exact ARN on its IRSA role (IAM), or as ACLs on its own SCRAM user (SCRAM).
   */
  grantTopicAccess(
    identity: WorkloadIdentity,
    grant: TopicGrant,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess {
    const grantor = `MskKafka ${this.s.componentName}.grantTopicAccess`;
    const read = [...new Set(grant.read)];
    const write = [...new Set(grant.write)];
    if (read.length + write.length === 0)
      throw new Error(
        `${grantor}: grant for workload "${identity.workload.name}" names no topic to read or write`,
      );
    const readTopics = read.map((t) => this.topic(t, "grantTopicAccess"));
    const writeTopics = write.map((t) => this.topic(t, "grantTopicAccess"));
    if (grant.consumerGroup !== undefined && !/^[A-Za-z0-9._-]{1,249}$/.test(grant.consumerGroup)) {
      throw new Error(
        `${grantor}: consumerGroup ${JSON.stringify(grant.consumerGroup)} is not a consumer group id (letters, digits, '.', '_', '-')`,
      );
    }
    if (read.length > 0 && grant.consumerGroup === undefined) {
      throw new Error(
        `${grantor}: workload "${identity.workload.name}" reads ${read.join(", ")} but the grant names no consumerGroup; consumers need exactly one`,
      );
    }
    const previous = this.s.grants.get(identity.workload.name);
    if (previous) {
      if (
        JSON.stringify(previous.grant) !== JSON.stringify({ read, write, consumerGroup: grant.consumerGroup })
      ) {
        throw new Error(
          `${grantor}: workload "${identity.workload.name}" was already granted ${JSON.stringify(previous.grant)}; grant all its topics in one call`,
        );
      }
      return previous.access;
    }

    const region = this.s.args.account.region;
    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: "KAFKA_BOOTSTRAP_SERVERS", value: this.bootstrapServers },
      { name: "KAFKA_SECURITY_PROTOCOL", value: this.security.protocol },
      { name: "KAFKA_SASL_MECHANISM", value: this.security.saslMechanism as string },
      { name: "AWS_REGION", value: region },
    ];
    const port = this.scram ? MSK_SCRAM_PORT : MSK_IAM_PORT;
    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
      {
        to: this.s.args.network.privateSubnetCidrs.map((cidr) => ({ ipBlock: { cidr } })),
        ports: [{ protocol: "TCP", port }],
      },
    ];
    let dependsOn: pulumi.Resource[];
    if (this.scram) {
      const user = this.scram.grantUser(identity, { read, write, consumerGroup: grant.consumerGroup }, opts);
      env.push(
        {
          name: "KAFKA_SASL_USERNAME",
          valueFrom: { secretKeyRef: { name: user.secretName, key: "username" } },
        },
        {
          name: "KAFKA_SASL_PASSWORD",
          valueFrom: { secretKeyRef: { name: user.secretName, key: "password" } },
        },
      );
      dependsOn = [...user.dependsOn, ...readTopics, ...writeTopics];
    } else {
      const policy = attachWorkloadPolicy(
        identity,
        grantor,
        `kafka-${this.s.args.clusterName}`.slice(0, 128),
        this.iamStatements(readTopics, writeTopics, grant.consumerGroup),
        opts,
      );
      egress.push(awsApiEgress(this.s.args.network.awsApiCidrs, this.s.args.network.vpcCidr));
      dependsOn = [policy, ...readTopics, ...writeTopics, ...identity.dependencies];
    }
    const access: WorkloadAccess = { env, volumes: [], volumeMounts: [], egress, dependsOn };
    this.s.grants.set(identity.workload.name, {
      grant: { read, write, consumerGroup: grant.consumerGroup },
      access,
    });
    return access;
  }

  /** The IAM statements of one grant: connect, exactly these topics, exactly this group. */
  private iamStatements(
    readTopics: awsMsk.Topic[],
    writeTopics: awsMsk.Topic[],
    consumerGroup?: string,
  ): iam.PolicyStatement[] {
    const clusterActions = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"];
    // Kafka clients ≥ 3.0 produce idempotently by default, which MSK authorizes on the cluster.
    if (writeTopics.length > 0) clusterActions.push("kafka-cluster:WriteDataIdempotently");
    const statements: iam.PolicyStatement[] = [
      { Sid: "Connect", Effect: "Allow", Action: clusterActions, Resource: this.cluster.arn },
    ];
    if (readTopics.length > 0) {
      statements.push({
        Sid: "ReadTopics",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
        Resource: readTopics.map((t) => t.arn),
      });
    }
    if (writeTopics.length > 0) {
      statements.push({
        Sid: "WriteTopics",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
        Resource: writeTopics.map((t) => t.arn),
      });
    }
    if (consumerGroup !== undefined) {
      statements.push({
        Sid: "ConsumerGroup",
        Effect: "Allow",
        Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
        Resource: mskResourceArn(
          this.s.args.account,
          this.s.args.clusterName,
          this.cluster.clusterUuid,
          "group",
          consumerGroup,
        ),
      });
    }
    return statements;
  }

  /**
   * How KEDA reads this workload's consumer lag. IAM: a lag-reader role that trusts only the KEDA
   * operator's role and may only describe the workload's input topics and group. SCRAM: the
   * workload's own user, from its Secret. Call after `grantTopicAccess` for the same identity.
   */
  lagTrigger(identity: WorkloadIdentity, containerName: string): KafkaLagTrigger {
    const auth = this.scalerAuth(identity);
    const sasl = auth.sasl;
    if (sasl?.mechanism !== "AWS_MSK_IAM") return secretLagTrigger({ ...auth, sasl }, containerName);
    // SASL/IAM: KEDA signs with the role below through its own pod identity (KEDA's `aws_msk_iam`
    // token provider, https://keda.sh/docs/2.18/scalers/apache-kafka/); no credential exists at all.
    return {
      connection: {
        tls: "enable",
        sasl: "oauthbearer",
        saslTokenProvider: "aws_msk_iam",
        awsRegion: sasl.awsRegion,
      },
      authentication: {
        podIdentity:
          sasl.roleArn !== undefined
            ? { provider: "aws", roleArn: sasl.roleArn }
            : { provider: "aws", identityOwner: "workload" },
      },
    };
  }

  scalerAuth(identity: WorkloadIdentity): KafkaScalerAuth {
    const name = identity.workload.name;
    const cached = this.s.scalers.get(name);
    if (cached) return cached;
    const granted = this.s.grants.get(name);
    if (!granted || !granted.grant.consumerGroup || granted.grant.read.length === 0) {
      throw new Error(
        `MskKafka ${this.s.componentName}.scalerAuth: workload "${name}" has no consumer grant; call grantTopicAccess with read topics and a consumerGroup first`,
      );
    }
    let auth: KafkaScalerAuth;
    if (this.scram) {
      const secretName = this.scram.secretNameOf(name);
      auth = {
        tls: true,
        sasl: {
          mechanism: "SCRAM-SHA-512",
          username: { secretKeyRef: { name: secretName, key: "username" } },
          password: { name: secretName, key: "password" },
        },
      };
    } else {
      auth = {
        tls: true,
        sasl: {
          mechanism: "AWS_MSK_IAM",
          awsRegion: this.s.args.account.region,
          roleArn: this.lagReaderRole(name, granted.grant).arn,
        },
      };
    }
    this.s.scalers.set(name, auth);
    return auth;
  }

  private lagReaderRole(workload: string, grant: TopicGrant): iam.Role {
    const keda = this.s.args.kedaOperatorRoleArn;
    if (!keda) {
      throw new Error(
        `MskKafka ${this.s.componentName}.scalerAuth: kedaOperatorRoleArn is not set; KEDA needs a role to read the lag of workload "${workload}" (mlstack:aws.cluster.kedaOperatorRoleArn)`,
      );
    }
    const tags = cloudTags({
      environment: this.s.args.ctx.environment,
      team: "platform",
      component: `kafka-lag-reader-${workload}`,
    });
    const role = new iam.Role(
      `${this.s.componentName}-${workload}-lag-reader`,
      {
        name: physicalName([this.s.args.nameStem, workload, "lag"], 64),
        path: this.s.args.iam.rolePath,
        description: `KEDA reads the consumer lag of ${workload} on ${this.s.args.clusterName}; describe only. Managed by Pulumi.`,
        assumeRolePolicy: {
          Version: "2012-10-17",
          Statement: [
            { Sid: "KedaOperatorOnly", Effect: "Allow", Principal: { AWS: keda }, Action: "sts:AssumeRole" },
          ],
        },
        maxSessionDuration: 3600,
        permissionsBoundary: this.s.args.iam.permissionsBoundaryArn,
        tags,
      },
      { parent: this },
    );
    new iam.RolePolicy(
      `${this.s.componentName}-${workload}-lag-reader`,
      {
        role: role.name,
        name: "describe-lag",
        policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "Connect",
              Effect: "Allow",
              Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
              Resource: this.cluster.arn,
            },
            {
              Sid: "InputTopics",
              Effect: "Allow",
              Action: ["kafka-cluster:DescribeTopic"],
              Resource: grant.read.map((t) => this.topic(t, "scalerAuth").arn),
            },
            {
              Sid: "ConsumerGroup",
              Effect: "Allow",
              Action: ["kafka-cluster:DescribeGroup"],
              Resource: mskResourceArn(
                this.s.args.account,
                this.s.args.clusterName,
                this.cluster.clusterUuid,
                "group",
                grant.consumerGroup as string,
              ),
            },
          ],
        },
      },
      { parent: this },
    );
    return role;
  }
}
