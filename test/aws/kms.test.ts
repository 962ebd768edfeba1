import * as pulumi from "@pulumi/pulumi";
import { AwsKmsKey, AwsKmsKeyArgs, KEY_ADMIN_ACTIONS } from "../../components/kms/aws";
import { render } from "../support/render";
import { ACCOUNT_ID, REGION, awsConfig, contextOf, json } from "./fixtures";

const account = { accountId: ACCOUNT_ID, partition: "aws", region: REGION };

function args(overrides: Partial<AwsKmsKeyArgs> = {}, environment: "dev" | "prod" = "dev"): AwsKmsKeyArgs {
  return {
    ctx: contextOf(awsConfig({ environment })),
    account,
    domain: "kafka",
    description: "MSK storage",
    aliasName: "alias/mlstack/mlstack-test/kafka",
    services: ["kafka", "secretsmanager"],
    ...overrides,
  };
}

async function renderKey(a: AwsKmsKeyArgs) {
  const r = await render(() => {
    new AwsKmsKey("kafka-key", a);
  });
  const key = r.one("aws:kms/key:Key");
  return { r, key, inputs: r.inputs(key), policy: json(r.inputs(key).policy) };
}

describe("AwsKmsKey", () => {
  it("is a symmetric key with automatic rotation, a 30-day deletion window and no lockout bypass", async () => {
    const { inputs } = await renderKey(args());
    expect(inputs).toMatchObject({
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays: 30,
      keyUsage: "ENCRYPT_DECRYPT",
      customerMasterKeySpec: "SYMMETRIC_DEFAULT",
      bypassPolicyLockoutSafetyCheck: false,
    });
    expect(inputs.tags).toEqual({
      "mlstack:environment": "dev",
      "mlstack:team": "platform",
      "mlstack:component": "kms-kafka",
      "mlstack:managed-by": "pulumi",
    });
  });

  it("has an explicit policy whose principals are the account and named administrators, never a wildcard", async () => {
    const admin = `arn:aws:iam::${ACCOUNT_ID}:role/key-admins`;
    const { policy } = await renderKey(args({ adminPrincipalArns: [admin] }));
    const principals = policy.Statement.flatMap((s: { Principal: { AWS?: string | string[] } }) =>
      [s.Principal.AWS].flat(),
    ).filter(Boolean);
    expect(new Set(principals)).toEqual(new Set([`arn:aws:iam::${ACCOUNT_ID}:root`, admin]));
    expect(JSON.stringify(policy)).not.toMatch(/"Principal":"\*"|"AWS":"\*"/);
    const admins = policy.Statement.find((s: { Sid: string }) => s.Sid === "KeyAdministration");
    expect(admins.Action).toEqual(KEY_ADMIN_ACTIONS);
    expect(admins.Action).not.toContain("kms:Decrypt");
    expect(admins.Action.some((a: string) => a.includes("*"))).toBe(false);
  });

  it("lets the key be used only through the services of its domain, in this account", async () => {
    const { policy } = await renderKey(args());
    const use = policy.Statement.find((s: { Sid: string }) => s.Sid === "UseThroughOwningServices");
    expect(use.Condition.StringEquals).toEqual({
      "kms:ViaService": ["kafka.eu-west-1.amazonaws.com", "secretsmanager.eu-west-1.amazonaws.com"],
      "kms:CallerAccount": ACCOUNT_ID,
    });
    const grants = policy.Statement.find((s: { Sid: string }) => s.Sid === "GrantsForAwsResources");
    expect(grants.Condition.Bool).toEqual({ "kms:GrantIsForAWSResource": "true" });
    expect(grants.Action).toEqual(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]);
  });

  it("lets CloudWatch Logs encrypt exactly the named log groups", async () => {
    const logGroup = `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:/mlstack/mlstack-test/msk/kafka`;
    const { policy } = await renderKey(args({ logGroupArns: [pulumi.output(logGroup)] }));
    const logs = policy.Statement.find((s: { Sid: string }) => s.Sid === "CloudWatchLogs");
    expect(logs.Principal).toEqual({ Service: "logs.eu-west-1.amazonaws.com" });
    expect(logs.Condition).toEqual({ ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [logGroup] } });
    const without = await renderKey(args());
    expect(without.policy.Statement.map((s: { Sid: string }) => s.Sid)).not.toContain("CloudWatchLogs");
  });

  it("names its alias after project, stack and domain", async () => {
    const { r } = await renderKey(args());
    expect(r.inputs(r.one("aws:kms/alias:Alias"))).toMatchObject({
      name: "alias/mlstack/mlstack-test/kafka",
    });
  });

  it("is protected and retained in prod, not in dev", async () => {
    expect((await renderKey(args({}, "prod"))).key).toMatchObject({ protect: true, retainOnDelete: true });
    expect((await renderKey(args())).key).toMatchObject({ protect: false, retainOnDelete: false });
  });

  it("uses the China partition's endpoints there", async () => {
    const { policy } = await renderKey(
      args({ account: { accountId: ACCOUNT_ID, partition: "aws-cn", region: "cn-north-1" } }),
    );
    expect(policy.Statement[1].Condition.StringEquals["kms:ViaService"]).toContain(
      "kafka.cn-north-1.amazonaws.com.cn",
    );
    expect(policy.Statement[0].Principal.AWS).toContain(`arn:aws-cn:iam::${ACCOUNT_ID}:root`);
  });

  it.each([
    [{ rotationPeriodInDays: 30 }, /rotationPeriodInDays 30 is not a whole number from 90 to 2560/],
    [{ deletionWindowInDays: 3 }, /deletionWindowInDays 3 is not a whole number from 7 to 30/],
    [{ services: [] }, /services is empty/],
    [{ aliasName: "alias/aws/s3" }, /aliasName "alias\/aws\/s3" is not a customer alias/],
  ])("refuses %j", async (bad, message) => {
    await expect(
      render(() => void new AwsKmsKey("bad", args(bad as Partial<AwsKmsKeyArgs>))),
    ).rejects.toThrow(message);
  });
});
