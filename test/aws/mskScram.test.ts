import { execFileSync } from "child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { WorkloadAccess } from "../../components/identity/contract";
import { IrsaIdentityProvider } from "../../components/identity/irsa";
import { MskKafka } from "../../components/kafka/msk";
import { APPLY_ACLS_SCRIPT } from "../../components/kafka/mskScram";
import { KafkaScalerAuth } from "../../components/kafka/contract";
import { render } from "../support/render";
import {
  ACCOUNT_ID,
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
  rawAwsBlock,
} from "./fixtures";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const IMAGE = "quay.io/acme/kafka-msk-admin:4.1.0-2.3.2";

function scramConfig() {
  const aws = rawAwsBlock();
  aws.kafka = { authentication: "scram", aclJobImage: IMAGE };
  return awsConfig({ aws });
}

async function renderScram() {
  const config = scramConfig();
  let access: WorkloadAccess | undefined;
  let scaler: KafkaScalerAuth | undefined;
  const r = await render(() => {
    const root = new Root();
    const ctx = contextOf(config);
    const identities = new IrsaIdentityProvider({
      ctx,
      oidcProviderArn: OIDC_PROVIDER_ARN,
      oidcIssuer: OIDC_ISSUER,
      nameStem: "mlstack-test",
    });
    const adminIdentity = identities.forWorkload(
      {
        name: "kafka-acl-admin",
        team: "platform",
        namespace: config.platformNamespace,
        serviceAccountName: "kafka-acl-admin",
      },
      { parent: root },
    );
    const kafka = new MskKafka("kafka", {
      ctx,
      account: { accountId: ACCOUNT_ID, partition: "aws", region: REGION },
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
        awsApiCidrs: [VPC_CIDR],
        nodeSecurityGroupId: NODE_SG,
      },
      nameStem: "mlstack-test",
      iam: { rolePath: "/mlstack/" },
      scram: { platformNamespace: config.platformNamespace, adminIdentity, image: IMAGE, dependsOn: [] },
    });
    const detector = identities.forWorkload(
      {
        name: "fraud-detector",
        team: "fraud",
        namespace: "ml-dev-fraud",
        serviceAccountName: "fraud-detector",
      },
      { parent: root },
    );
    access = kafka.grantTopicAccess(
      detector,
      { read: ["transactions"], write: ["fraud-scores"], consumerGroup: "fraud-detector" },
      { parent: root },
    );
    scaler = kafka.scalerAuth(detector);
  });
  return { r, access: access as WorkloadAccess, scaler: scaler as KafkaScalerAuth };
}

describe("MSK with SCRAM", () => {
  it("enables SCRAM for workloads next to IAM for the platform, and refuses ACL-less access", async () => {
    const { r } = await renderScram();
    expect(r.inputs(r.one("aws:msk/cluster:Cluster")).clientAuthentication).toEqual({
      sasl: { iam: true, scram: true },
      unauthenticated: false,
    });
    expect(r.inputs(r.one("aws:msk/configuration:Configuration")).serverProperties).toContain(
      "allow.everyone.if.no.acl.found=false",
    );
    const ports = r
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .map((x) => r.inputs(x).fromPort);
    expect(ports.sort()).toEqual([9096, 9098]);
  });

  it("keeps each workload's credentials in a Secrets Manager secret MSK can associate, encrypted with the Kafka key", async () => {
    const { r } = await renderScram();
    const secret = r.inputs(r.one("aws:secretsmanager/secret:Secret"));
    expect(secret.name).toBe("AmazonMSK_mlstack-test-fraud-detector");
    expect(secret.kmsKeyId).toBe(KEY);
    const version = r.inputs(r.one("aws:secretsmanager/secretVersion:SecretVersion"));
    expect(JSON.parse(version.secretString)).toEqual({
      username: "fraud-detector",
      password: "mock-fraud-detector-kafka-scram-password",
    });
    expect(r.one("aws:secretsmanager/secretVersion:SecretVersion").inputs.secretString).not.toBe(
      version.secretString,
    ); // stays a Pulumi secret
    const secretPolicy = r.inputs(r.one("aws:secretsmanager/secretPolicy:SecretPolicy"));
    expect(secretPolicy.blockPublicPolicy).toBe(true);
    expect(JSON.parse(secretPolicy.policy).Statement).toEqual([
      {
        Sid: "AWSKafkaResourcePolicy",
        Effect: "Allow",
        Principal: { Service: "kafka.amazonaws.com" },
        Action: "secretsmanager:getSecretValue",
        Resource: "arn:mock:aws:secretsmanager/secret:Secret:fraud-detector-kafka-scram",
      },
    ]);
    expect(r.inputs(r.one("aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation"))).toEqual({
      clusterArn: "arn:mock:aws:msk/cluster:Cluster:kafka-cluster",
      secretArn: "arn:mock:aws:secretsmanager/secret:Secret:fraud-detector-kafka-scram",
    });
  });

  it("delivers the credentials by secretKeyRef only, and opens only the SCRAM port", async () => {
    const { r, access } = await renderScram();
    expect(access.env).toEqual(
      expect.arrayContaining([
        { name: "KAFKA_SASL_MECHANISM", value: "SCRAM-SHA-512" },
        {
          name: "KAFKA_SASL_USERNAME",
          valueFrom: { secretKeyRef: { name: "fraud-detector-kafka-scram", key: "username" } },
        },
        {
          name: "KAFKA_SASL_PASSWORD",
          valueFrom: { secretKeyRef: { name: "fraud-detector-kafka-scram", key: "password" } },
        },
      ]),
    );
    expect(access.env.filter((e) => e.value !== undefined && /PASSWORD/.test(String(e.name)))).toEqual([]);
    expect(access.egress).toEqual([
      { to: SUBNET_CIDRS.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 9096 }] },
    ]);
    const secret = r.one("kubernetes:core/v1:Secret");
    expect(r.inputs(secret).metadata).toMatchObject({
      name: "fraud-detector-kafka-scram",
      namespace: "ml-dev-fraud",
    });
    expect(r.inputs(secret).stringData).toEqual({
      username: "fraud-detector",
      password: "mock-fraud-detector-kafka-scram-password",
    });
  });

  it("lets KEDA read the lag as the workload's SCRAM user, from its Secret", async () => {
    const { scaler } = await renderScram();
    expect(scaler).toEqual({
      tls: true,
      sasl: {
        mechanism: "SCRAM-SHA-512",
        username: { secretKeyRef: { name: "fraud-detector-kafka-scram", key: "username" } },
        password: { name: "fraud-detector-kafka-scram", key: "password" },
      },
    });
  });

  it("applies exactly the grant as ACLs with a hardened Job that authenticates with its own IAM role", async () => {
    const { r } = await renderScram();
    const job = r.inputs(r.one("kubernetes:batch/v1:Job"));
    expect(job.metadata.namespace).toBe("ml-dev-platform");
    expect(job.metadata.name).toMatch(/^kafka-acls-fraud-detector-[0-9a-f]{8}$/);
    const pod = job.spec.template.spec;
    expect(pod).toMatchObject({
      serviceAccountName: "kafka-acl-admin",
      automountServiceAccountToken: false,
      restartPolicy: "Never",
    });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const [container] = pod.containers;
    expect(container.image).toBe(IMAGE);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.resources.limits.memory).toBeDefined();
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      ACL_PRINCIPAL: "User:fraud-detector",
      ACL_READ_TOPICS: "transactions",
      ACL_WRITE_TOPICS: "fraud-scores",
      ACL_GROUP: "fraud-detector",
    });
    const policy = r.inputs(r.one("aws:iam/rolePolicy:RolePolicy", "kafka-acl-admin"));
    expect(policy.policy.Statement).toEqual([
      {
        Sid: "AlterAclsOnThisCluster",
        Effect: "Allow",
        Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:AlterCluster"],
        Resource: "arn:mock:aws:msk/cluster:Cluster:kafka-cluster",
      },
    ]);
    const sa = r.inputs(r.one("kubernetes:core/v1:ServiceAccount"));
    expect(sa.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(
      "arn:mock:aws:iam/role:Role:kafka-acl-admin-irsa-role",
    );
  });

  it("lets the ACL Job reach only the brokers' IAM port and AWS APIs", async () => {
    const { r } = await renderScram();
    const policy = r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy"));
    expect(policy.spec.podSelector).toEqual({
      matchLabels: { "app.kubernetes.io/name": "kafka-acl-admin", "app.kubernetes.io/part-of": "mlstack" },
    });
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toEqual([
      { to: SUBNET_CIDRS.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 9098 }] },
      { to: [{ ipBlock: { cidr: VPC_CIDR } }], ports: [{ protocol: "TCP", port: 443 }] },
    ]);
  });
});

describe("the ACL script", () => {
  /** Runs the script against a fake kafka-acls.sh that logs its calls and lists `current`. */
  function runScript(current: string, env: Record<string, string>): string[] {
    const dir = mkdtempSync(join(tmpdir(), "acls-"));
    try {
      const log = join(dir, "calls.log");
      writeFileSync(join(dir, "current.txt"), current);
      writeFileSync(
        join(dir, "kafka-acls.sh"),
        `#!/bin/bash\necho "$4" > "${join(dir, "config.path")}"\nshift 4\necho "$*" >> "${log}"\nif [ "$1" = --list ]; then cat "${join(dir, "current.txt")}"; fi\n`,
      );
      chmodSync(join(dir, "kafka-acls.sh"), 0o755);
      writeFileSync(join(dir, "apply.sh"), APPLY_ACLS_SCRIPT);
      const scratch = join(dir, "tmp");
      mkdirSync(scratch);
      execFileSync("bash", [join(dir, "apply.sh")], {
        env: {
          PATH: `${dir}:${process.env.PATH}`,
          TMPDIR: scratch,
          KAFKA_BOOTSTRAP_SERVERS: "b-1:9098",
          ACL_READ_TOPICS: "",
          ACL_WRITE_TOPICS: "",
          ACL_GROUP: "",
          ...env,
        },
        encoding: "utf8",
      });
      // The script works in $TMPDIR and cleans up after itself: its client config is gone.
      const configPath = readFileSync(join(dir, "config.path"), "utf8").trim();
      expect(configPath.startsWith(`${scratch}/acls.`)).toBe(true);
      expect(existsSync(configPath)).toBe(false);
      expect(readdirSync(scratch)).toEqual([]);
      return readFileSync(log, "utf8").trim().split("\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const listing = [
    "ACLs for principal `User:fraud-detector`",
    "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=transactions, patternType=LITERAL)`: ",
    " \t(principal=User:fraud-detector, host=*, operation=READ, permissionType=ALLOW)",
    "\t(principal=User:fraud-detector, host=*, operation=DESCRIBE, permissionType=ALLOW)",
    "\t(principal=User:fraud-detector, host=*, operation=WRITE, permissionType=ALLOW) ",
    "",
    "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=old-topic, patternType=LITERAL)`: ",
    "\t(principal=User:fraud-detector, host=*, operation=DESCRIBE_CONFIGS, permissionType=ALLOW)",
    "",
    "Current ACLs for resource `ResourcePattern(resourceType=GROUP, name=fraud-, patternType=PREFIXED)`: ",
    "\t(principal=User:fraud-detector, host=*, operation=READ, permissionType=ALLOW)",
  ].join("\n");

  it("adds the desired ACLs first, then removes every other ACL of the principal", () => {
    const calls = runScript(listing, {
      ACL_PRINCIPAL: "User:fraud-detector",
      ACL_READ_TOPICS: "transactions",
      ACL_WRITE_TOPICS: "fraud-scores",
      ACL_GROUP: "fraud-detector",
    });
    const adds = calls.filter((c) => c.startsWith("--add"));
    expect(adds.sort()).toEqual(
      [
        "--add --allow-principal User:fraud-detector --operation Describe --group fraud-detector",
        "--add --allow-principal User:fraud-detector --operation Read --group fraud-detector",
        "--add --allow-principal User:fraud-detector --operation Describe --topic fraud-scores",
        "--add --allow-principal User:fraud-detector --operation Write --topic fraud-scores",
        "--add --allow-principal User:fraud-detector --operation Describe --topic transactions",
        "--add --allow-principal User:fraud-detector --operation Read --topic transactions",
      ].sort(),
    );
    expect(calls.indexOf("--list --principal User:fraud-detector")).toBe(adds.length);
    expect(calls.filter((c) => c.startsWith("--remove"))).toEqual([
      "--remove --force --allow-principal User:fraud-detector --operation Write --topic transactions --resource-pattern-type literal",
      "--remove --force --allow-principal User:fraud-detector --operation DescribeConfigs --topic old-topic --resource-pattern-type literal",
      "--remove --force --allow-principal User:fraud-detector --operation Read --group fraud- --resource-pattern-type prefixed",
    ]);
  });

  it("removes nothing when the principal has exactly the desired ACLs", () => {
    const exact = [
      "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=transactions, patternType=LITERAL)`: ",
      "\t(principal=User:fraud-detector, host=*, operation=READ, permissionType=ALLOW)",
      "\t(principal=User:fraud-detector, host=*, operation=DESCRIBE, permissionType=ALLOW)",
      "\t(principal=User:someone-else, host=*, operation=WRITE, permissionType=ALLOW)",
    ].join("\n");
    const calls = runScript(exact, { ACL_PRINCIPAL: "User:fraud-detector", ACL_READ_TOPICS: "transactions" });
    expect(calls.filter((c) => c.startsWith("--remove"))).toEqual([]);
  });
});
