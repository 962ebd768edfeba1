import * as iam from "@pulumi/aws/iam";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadRef } from "../../components/identity/contract";
import {
  IRSA_ROLE_ANNOTATION,
  IrsaIdentityProvider,
  IrsaSettings,
  attachWorkloadPolicy,
  awsApiEgress,
  irsaRoleOf,
  irsaTrustPolicy,
} from "../../components/identity/irsa";
import { render } from "../support/render";
import { ACCOUNT_ID, OIDC_ISSUER, OIDC_PROVIDER_ARN, REGION, Root, awsConfig, contextOf } from "./fixtures";

const mlflow: WorkloadRef = {
  name: "mlflow",
  team: "platform",
  namespace: "ml-dev-platform",
  serviceAccountName: "mlflow",
};
const detector: WorkloadRef = {
  name: "fraud-detector",
  team: "fraud",
  namespace: "ml-dev-fraud",
  serviceAccountName: "fraud-detector",
};

function settings(overrides: Partial<IrsaSettings> = {}): IrsaSettings {
  return {
    ctx: contextOf(awsConfig()),
    oidcProviderArn: OIDC_PROVIDER_ARN,
    oidcIssuer: OIDC_ISSUER,
    nameStem: "mlstack-test",
    ...overrides,
  };
}

describe("irsaTrustPolicy", () => {
  it("admits exactly one ServiceAccount and the STS audience, from the cluster's OIDC provider, with StringEquals", () => {
    expect(irsaTrustPolicy(OIDC_PROVIDER_ARN, OIDC_ISSUER, detector)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ServiceAccountOnly",
          Effect: "Allow",
          Principal: { Federated: OIDC_PROVIDER_ARN },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:ml-dev-fraud:fraud-detector",
              [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ],
    });
  });
});

describe("IrsaIdentityProvider", () => {
  it("creates one role per workload with that trust policy, its path, boundary and tags", async () => {
    const boundary = `arn:aws:iam::${ACCOUNT_ID}:policy/boundary`;
    const r = await render(() => {
      const root = new Root();
      const provider = new IrsaIdentityProvider(settings({ permissionsBoundaryArn: boundary, path: "/ml/" }));
      provider.forWorkload(mlflow, { parent: root });
      provider.forWorkload(detector, { parent: root });
    });
    const roles = r.ofType("aws:iam/role:Role");
    expect(roles.map((x) => r.inputs(x).name).sort()).toEqual([
      "mlstack-test-fraud-detector",
      "mlstack-test-mlflow",
    ]);
    const role = r.inputs(r.one("aws:iam/role:Role", "fraud-detector"));
    expect(role.assumeRolePolicy).toEqual(irsaTrustPolicy(OIDC_PROVIDER_ARN, OIDC_ISSUER, detector));
    expect(role).toMatchObject({ path: "/ml/", permissionsBoundary: boundary, maxSessionDuration: 3600 });
    expect(role.tags).toMatchObject({
      "mlstack:team": "fraud",
      "mlstack:component": "workload-identity-fraud-detector",
    });
    expect(role.managedPolicyArns).toBeUndefined();
    expect(role.inlinePolicies).toBeUndefined();
  });

  it("annotates the ServiceAccount with the role ARN and makes grants wait for the role", async () => {
    let annotations: unknown;
    let dependencies: pulumi.Resource[] = [];
    await render(async () => {
      const identity = new IrsaIdentityProvider(settings()).forWorkload(mlflow, { parent: new Root() });
      dependencies = identity.dependencies;
      annotations = await new Promise((resolve) =>
        pulumi.output(identity.serviceAccountAnnotations).apply(resolve),
      );
    });
    expect(annotations).toEqual({
      [IRSA_ROLE_ANNOTATION]: "arn:mock:aws:iam/role:Role:mlflow-irsa-role",
      "eks.amazonaws.com/sts-regional-endpoints": "true",
    });
    expect(dependencies).toHaveLength(1);
    expect(iam.Role.isInstance(dependencies[0])).toBe(true);
  });

  it("returns the same identity for the same workload and refuses to share a role between ServiceAccounts", async () => {
    await render(() => {
      const root = new Root();
      const provider = new IrsaIdentityProvider(settings());
      const first = provider.forWorkload(mlflow, { parent: root });
      expect(provider.forWorkload({ ...mlflow }, { parent: root })).toBe(first);
      expect(() =>
        provider.forWorkload({ ...mlflow, serviceAccountName: "mlflow-2" }, { parent: root }),
      ).toThrow(/workload "mlflow" already has a role trusted by ml-dev-platform\/mlflow/);
    });
  });

  it("refuses the default ServiceAccount", async () => {
    await render(() => {
      expect(() =>
        new IrsaIdentityProvider(settings()).forWorkload(
          { ...mlflow, serviceAccountName: "default" },
          { parent: new Root() },
        ),
      ).toThrow(/serviceAccountName/);
    });
  });

  it("refuses an issuer that is not the provider's", () => {
    expect(() => new IrsaIdentityProvider(settings({ oidcIssuer: "https://" + OIDC_ISSUER }))).toThrow(
      /oidcIssuer .* is not the issuer of/,
    );
    expect(
      () => new IrsaIdentityProvider(settings({ oidcProviderArn: "arn:aws:iam::123456789012:role/x" })),
    ).toThrow(/is not an IAM OIDC provider ARN/);
  });

  it("keeps role names within IAM's 64 characters", async () => {
    const long: WorkloadRef = { ...detector, name: `model-${"x".repeat(54)}-v2` };
    const r = await render(
      () => void new IrsaIdentityProvider(settings()).forWorkload(long, { parent: new Root() }),
    );
    expect(r.inputs(r.one("aws:iam/role:Role")).name.length).toBeLessThanOrEqual(64);
  });
});

describe("attachWorkloadPolicy", () => {
  it("attaches an inline policy to the workload's own role, under the workload, with the role's provider", async () => {
    const r = await render(() => {
      const root = new Root();
      const provider = new AwsProvider("pinned", { region: REGION, allowedAccountIds: [ACCOUNT_ID] });
      const identity = new IrsaIdentityProvider(settings({ provider })).forWorkload(detector, {
        parent: root,
      });
      expect(irsaRoleOf(identity, "test").role).toBeDefined();
      attachWorkloadPolicy(
        identity,
        "test",
        "s3-models-read",
        [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
        { parent: root },
      );
    });
    const policy = r.one("aws:iam/rolePolicy:RolePolicy");
    expect(r.inputs(policy)).toEqual({
      role: "mlstack-test-fraud-detector",
      name: "s3-models-read",
      policy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
      },
    });
    expect(policy.parent).toBe(r.one("mlstack:test:Root").urn);
  });

  it("refuses an identity another provider issued", async () => {
    await render(() => {
      const foreign = { workload: detector, serviceAccountAnnotations: {}, dependencies: [] };
      expect(() =>
        attachWorkloadPolicy(
          foreign,
          "S3Bucket models",
          "x",
          [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
          { parent: new Root() },
        ),
      ).toThrow(
        /S3Bucket models: the identity of workload "fraud-detector" was not issued by IrsaIdentityProvider/,
      );
    });
  });
});

describe("awsApiEgress", () => {
  it("opens 443 to the configured CIDRs, and 0.0.0.0/0 only outside the VPC", () => {
    expect(awsApiEgress(["0.0.0.0/0"], "10.40.0.0/16")).toEqual({
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.40.0.0/16"] } }],
      ports: [{ protocol: "TCP", port: 443 }],
    });
    expect(awsApiEgress(["10.40.0.0/16"], "10.40.0.0/16")).toEqual({
      to: [{ ipBlock: { cidr: "10.40.0.0/16" } }],
      ports: [{ protocol: "TCP", port: 443 }],
    });
  });
});
