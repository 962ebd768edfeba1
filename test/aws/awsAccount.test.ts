import {
  accountRoot,
  arn,
  dnsSuffix,
  physicalName,
  stackStem,
  viaService,
} from "../../components/identity/awsAccount";

const account = { accountId: "123456789012", partition: "aws", region: "eu-west-1" };

describe("awsAccount", () => {
  it("derives service endpoints, the account root and ARNs from account, partition and region", () => {
    expect(viaService(account, "s3")).toBe("s3.eu-west-1.amazonaws.com");
    expect(dnsSuffix({ ...account, partition: "aws-cn" })).toBe("amazonaws.com.cn");
    expect(accountRoot(account)).toBe("arn:aws:iam::123456789012:root");
    expect(arn(account, "logs", "log-group:/x")).toBe("arn:aws:logs:eu-west-1:123456789012:log-group:/x");
    expect(arn({ ...account, partition: "aws-us-gov" }, "iam", "role/r", { region: "" })).toBe(
      "arn:aws-us-gov:iam::123456789012:role/r",
    );
  });

  it("makes physical names lowercase, of [a-z0-9-] only, and never longer than asked", () => {
    expect(physicalName(["MLStack", "prod_aws", "fraud--models"], 63)).toBe("mlstack-prod-aws-fraud-models");
    const long = physicalName(["mlstack", "prod", "a".repeat(80)], 40);
    expect(long).toHaveLength(40);
    expect(long).toMatch(/^mlstack-prod-a+-[0-9a-f]{6}$/);
  });

  it("keeps two long names that share a prefix apart", () => {
    const a = physicalName(["mlstack", "prod", `${"x".repeat(60)}-2024`], 54);
    const b = physicalName(["mlstack", "prod", `${"x".repeat(60)}-2025`], 54);
    expect(a).not.toBe(b);
    expect(a.slice(0, 40)).toBe(b.slice(0, 40));
  });

  it("stems every stack's names with project and stack", () => {
    expect(stackStem("mlstack", "prod-aws")).toBe("mlstack-prod-aws");
    expect(stackStem("mlstack", "a-very-long-stack-name-for-an-experiment").length).toBeLessThanOrEqual(32);
  });
});
