/**
 * MSK builds its own KEDA trigger: with SASL/IAM, KEDA signs in through its pod identity with the
 * workload's lag-reader role (`aws_msk_iam` token provider), so serving never learns what MSK is.
 */
import type { KafkaLagTrigger } from "../../../components/kafka/contract";
import { IrsaIdentityProvider } from "../../../components/identity/irsa";
import { MskKafka } from "../../../components/kafka/msk";
import { render } from "../../support/render";
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
} from "../../aws/fixtures";

it("signs KEDA in with IAM through the lag-reader role, over TLS, with no credential", async () => {
  const config = awsConfig();
  let trigger: KafkaLagTrigger | undefined;
  const r = await render(() => {
    const root = new Root();
    const identity = new IrsaIdentityProvider({
      ctx: contextOf(config),
      oidcProviderArn: OIDC_PROVIDER_ARN,
      oidcIssuer: OIDC_ISSUER,
      nameStem: "mlstack-test",
    }).forWorkload(
      {
        name: "fraud-detector",
        team: "fraud",
        namespace: "ml-dev-fraud",
        serviceAccountName: "fraud-detector",
      },
      { parent: root },
    );
    const kafka = new MskKafka("kafka", {
      ctx: contextOf(config),
      account: { accountId: ACCOUNT_ID, partition: "aws", region: REGION },
      kafka: config.kafka,
      msk: config.aws!.kafka,
      clusterName: "mlstack-test-kafka",
      logGroupName: "/mlstack/mlstack-test/msk/kafka",
      kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
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
    });
    kafka.grantTopicAccess(
      identity,
      { read: ["transactions"], write: ["fraud-scores"], consumerGroup: "fraud-detector" },
      { parent: root },
    );
    trigger = kafka.lagTrigger(identity, "model");
  });
  expect(trigger?.connection).toEqual({
    tls: "enable",
    sasl: "oauthbearer",
    saslTokenProvider: "aws_msk_iam",
    awsRegion: REGION,
  });
  const roleArn = await new Promise((resolve) =>
    (trigger?.authentication?.podIdentity?.roleArn as { apply(f: (v: unknown) => void): void }).apply(
      resolve,
    ),
  );
  const lagReader = r.resources.find((x) => x.type === "aws:iam/role:Role" && x.name.includes("lag"));
  expect(lagReader).toBeDefined();
  expect(roleArn).toBe(`arn:mock:aws:iam/role:Role:${lagReader?.name}`);
  expect(trigger?.authentication?.podIdentity?.provider).toBe("aws");
  expect(JSON.stringify(trigger?.authentication)).not.toMatch(/secret|password/i);
});
