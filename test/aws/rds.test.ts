import { WorkloadAccess, WorkloadIdentity } from "../../components/identity/contract";
import { IrsaIdentityProvider } from "../../components/identity/irsa";
import { RdsPostgres, RdsPostgresArgs, masterPassword } from "../../components/postgres/rds";
import { PlatformConfig } from "../../stacks/config";
import { Rendered, render } from "../support/render";
import {
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
  RDS_KMS_KEY,
  rdsArgs,
} from "./fixtures";

const KEY = RDS_KMS_KEY;
const RUNNER_SG = "sg-0f2b7d4c9a1e63580";

/** Config with `mlstack:aws.postgres` set to `postgres` (and any other overrides). */
function withRds(postgres: Record<string, unknown>, overrides: Record<string, unknown> = {}): PlatformConfig {
  const aws = rawAwsBlock();
  aws.postgres = postgres;
  return awsConfig({ aws, ...overrides });
}

const prodConfig = () => awsConfig({ environment: "prod", postgres: { instances: 2 } });

async function renderRds(config = awsConfig(), overrides: Partial<RdsPostgresArgs> = {}): Promise<Rendered> {
  return render(() => void new RdsPostgres("postgres", rdsArgs(config, overrides)));
}

/** Renders RDS and grants MLflow its database. */
async function grantMlflow(config = awsConfig()) {
  let access: WorkloadAccess | undefined;
  const r = await render(() => {
    const root = new Root();
    const identity = new IrsaIdentityProvider({
      ctx: contextOf(config),
      oidcProviderArn: OIDC_PROVIDER_ARN,
      oidcIssuer: OIDC_ISSUER,
      nameStem: "mlstack-test",
    }).forWorkload(
      { name: "mlflow", team: "platform", namespace: "ml-dev-platform", serviceAccountName: "mlflow" },
      { parent: root },
    );
    access = new RdsPostgres("postgres", rdsArgs(config)).grantDatabase(identity, "mlflow", { parent: root });
  });
  return { r, access: access as WorkloadAccess };
}

describe("RdsPostgres (RDS for PostgreSQL)", () => {
  it("is private, encrypted with the database key, IAM-authenticated and keeps its master password in Secrets Manager", async () => {
    const r = await renderRds();
    expect(r.inputs(r.one("aws:rds/instance:Instance"))).toMatchObject({
      identifier: "mlstack-test-postgres",
      engine: "postgres",
      engineVersion: "17",
      publiclyAccessible: false,
      storageEncrypted: true,
      kmsKeyId: KEY,
      storageType: "gp3",
      iamDatabaseAuthenticationEnabled: true,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: KEY,
      username: "mlstack_admin",
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: KEY,
      caCertIdentifier: "rds-ca-rsa2048-g1",
      autoMinorVersionUpgrade: true,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      dbSubnetGroupName: "mlstack-test-postgres-subnets",
      vpcSecurityGroupIds: ["postgres-sg-id"],
      parameterGroupName: "mlstack-test-postgres-postgres17",
    });
    expect(r.inputs(r.one("aws:rds/instance:Instance")).password).toBeUndefined();
  });

  it("forces TLS and logs connections and statements", async () => {
    const r = await renderRds();
    const group = r.inputs(r.one("aws:rds/parameterGroup:ParameterGroup"));
    expect(group.family).toBe("postgres17");
    expect(
      Object.fromEntries(group.parameters.map((p: { name: string; value: string }) => [p.name, p.value])),
    ).toEqual({
      "rds.force_ssl": "1",
      ssl_min_protocol_version: "TLSv1.2",
      password_encryption: "scram-sha-256",
      log_connections: "1",
      log_disconnections: "1",
      log_statement: "ddl",
      log_min_duration_statement: "1000",
    });
  });

  it("lives in a subnet group of the private subnets and admits 5432 only from the cluster's nodes", async () => {
    const r = await renderRds();
    expect(r.inputs(r.one("aws:rds/subnetGroup:SubnetGroup")).subnetIds).toEqual(SUBNET_IDS);
    const rules = r
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .map((x) => r.inputs(x));
    expect(rules).toEqual([
      expect.objectContaining({
        securityGroupId: "postgres-sg-id",
        referencedSecurityGroupId: NODE_SG,
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
      }),
    ]);
    expect(rules.some((rule) => rule.cidrIpv4 !== undefined)).toBe(false);
  });

  it("also admits the runner's security group when configured", async () => {
    const r = await renderRds(withRds({ adminSecurityGroupIds: [RUNNER_SG] }));
    const sources = r
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .map((x) => r.inputs(x).referencedSecurityGroupId);
    expect(sources).toEqual([NODE_SG, RUNNER_SG]);
  });

  it("keeps 7 days of backups in dev and skips the final snapshot there", async () => {
    const r = await renderRds();
    expect(r.inputs(r.one("aws:rds/instance:Instance"))).toMatchObject({
      backupRetentionPeriod: 7,
      deletionProtection: false,
      skipFinalSnapshot: true,
      multiAz: false,
    });
    expect(r.one("aws:rds/instance:Instance").protect).toBe(false);
  });

  it("in prod keeps 35 days of backups, runs Multi-AZ, refuses deletion and takes a final snapshot", async () => {
    const r = await renderRds(prodConfig());
    const instance = r.one("aws:rds/instance:Instance");
    expect(r.inputs(instance)).toMatchObject({
      backupRetentionPeriod: 35,
      multiAz: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "mlstack-test-postgres-final",
      deleteAutomatedBackups: false,
      applyImmediately: false,
      instanceClass: "db.r7g.large",
      allocatedStorage: 200,
      maxAllocatedStorage: 400,
    });
    expect(instance).toMatchObject({ protect: true, retainOnDelete: true });
    for (const db of r.ofType("postgresql:index/database:Database")) expect(db.protect).toBe(true);
  });

  it("creates one login role per database, with rds_iam and no password, owning its database, and revokes CONNECT from PUBLIC", async () => {
    const r = await renderRds();
    const role = r.inputs(r.one("postgresql:index/role:Role"));
    expect(role).toMatchObject({
      name: "mlflow",
      login: true,
      roles: ["rds_iam"],
      superuser: false,
      createRole: false,
      createDatabase: false,
    });
    expect(role.password).toBeUndefined();
    expect(r.inputs(r.one("postgresql:index/database:Database"))).toMatchObject({
      name: "mlflow",
      owner: "mlflow",
    });
    expect(r.inputs(r.one("postgresql:index/grant:Grant"))).toEqual({
      database: "mlflow",
      role: "public",
      objectType: "database",
      privileges: [],
    });
  });

  it("manages roles as the master user over TLS, not as a superuser", async () => {
    const r = await renderRds();
    const provider = r.one("pulumi:providers:postgresql");
    expect(r.inputs(provider)).toMatchObject({
      username: "mlstack_admin",
      database: "postgres",
      sslmode: "require",
      superuser: "false",
      port: "5432",
    });
    expect(r.one("postgresql:index/role:Role").parent).toBe(r.one("mlstack:postgres:RdsPostgres").urn);
  });

  it("reads the master password from the RDS-managed secret", () => {
    expect(masterPassword(JSON.stringify({ username: "mlstack_admin", password: "s3cr3t" }))).toBe("s3cr3t");
    expect(masterPassword(undefined)).toBeUndefined();
    expect(() => masterPassword(JSON.stringify({ username: "x" }))).toThrow(/holds no password/);
  });

  it("refuses one subnet, a bad identifier and a master user that owns a database", async () => {
    const config = awsConfig();
    await expect(
      renderRds(config, { network: { ...rdsArgs(config).network, privateSubnetIds: [SUBNET_IDS[0]] } }),
    ).rejects.toThrow(/needs two availability zones/);
    await expect(renderRds(config, { identifier: "Prod--DB" })).rejects.toThrow(
      /identifier "Prod--DB" is not/,
    );
    await expect(
      renderRds(config, { rds: { ...config.aws!.postgres, masterUsername: "mlflow" } }),
    ).rejects.toThrow(/would share its role with the master user/);
  });
});

describe("RdsPostgres on Aurora", () => {
  it("runs one encrypted, private instance per configured instance in a TLS-only cluster", async () => {
    const r = await renderRds(
      withRds({ engine: "aurora" }, { environment: "prod", postgres: { instances: 3 } }),
    );
    const cluster = r.inputs(r.one("aws:rds/cluster:Cluster"));
    expect(cluster).toMatchObject({
      engine: "aurora-postgresql",
      storageEncrypted: true,
      kmsKeyId: KEY,
      iamDatabaseAuthenticationEnabled: true,
      manageMasterUserPassword: true,
      backupRetentionPeriod: 35,
      deletionProtection: true,
      skipFinalSnapshot: false,
      enabledCloudwatchLogsExports: ["postgresql"],
    });
    expect(r.one("aws:rds/cluster:Cluster")).toMatchObject({ protect: true, retainOnDelete: true });
    const group = r.inputs(r.one("aws:rds/clusterParameterGroup:ClusterParameterGroup"));
    expect(group.family).toBe("aurora-postgresql17");
    expect(group.parameters).toContainEqual({ name: "rds.force_ssl", value: "1" });
    const instances = r.ofType("aws:rds/clusterInstance:ClusterInstance").map((x) => r.inputs(x));
    expect(instances).toHaveLength(3);
    for (const instance of instances)
      expect(instance).toMatchObject({
        publiclyAccessible: false,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: KEY,
      });
    expect(r.ofType("aws:rds/instance:Instance")).toEqual([]);
  });
});

describe("RdsPostgres.grantDatabase", () => {
  it("lets the workload's role connect as exactly its own database user", async () => {
    const { r } = await grantMlflow();
    const policy = r.inputs(r.one("aws:iam/rolePolicy:RolePolicy"));
    expect(policy.role).toBe("mlstack-test-mlflow");
    expect(policy.policy.Statement).toEqual([
      {
        Sid: "ConnectAsOwnUser",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: expect.stringMatching(/^arn:aws:rds-db:eu-west-1:123456789012:dbuser:[^/*]+\/mlflow$/),
      },
    ]);
  });

  it("hands over libpq settings with sslmode=require and DATABASE_URL only by secretKeyRef", async () => {
    const { access, r } = await grantMlflow();
    const env = Object.fromEntries(access.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      PGPORT: "5432",
      PGDATABASE: "mlflow",
      PGUSER: "mlflow",
      PGSSLMODE: "require",
      DATABASE_AUTH_METHOD: "aws-rds-iam",
      AWS_REGION: REGION,
      DATABASE_URL: { secretKeyRef: { name: "mlflow-db-mlflow", key: "DATABASE_URL" } },
    });
    expect(env.PGPASSWORD).toBeUndefined();
    const secret = r.inputs(r.one("kubernetes:core/v1:Secret"));
    expect(secret.metadata).toMatchObject({ name: "mlflow-db-mlflow", namespace: "ml-dev-platform" });
    expect(secret.stringData.DATABASE_URL).toMatch(
      /^postgresql:\/\/mlflow@[^:/]+:5432\/mlflow\?sslmode=require$/,
    );
    expect(r.one("kubernetes:core/v1:Secret").inputs.stringData).not.toEqual(secret.stringData); // a Pulumi secret
  });

  it("opens 5432 to the database subnets only, and 443 for STS", async () => {
    const { access } = await grantMlflow();
    expect(access.egress).toEqual([
      { to: SUBNET_CIDRS.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 5432 }] },
      {
        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [VPC_CIDR] } }],
        ports: [{ protocol: "TCP", port: 443 }],
      },
    ]);
  });

  it("with password authentication delivers a generated password by secretKeyRef and no IAM policy", async () => {
    const { access, r } = await grantMlflow(withRds({ workloadAuthentication: "password" }));
    expect(r.ofType("aws:iam/rolePolicy:RolePolicy")).toEqual([]);
    const role = r.inputs(r.one("postgresql:index/role:Role"));
    expect(role.roles).toEqual([]);
    expect(role.password).toBe("mock-postgres-mlflow-password");
    expect(access.env).toContainEqual({
      name: "PGPASSWORD",
      valueFrom: { secretKeyRef: { name: "mlflow-db-mlflow", key: "PGPASSWORD" } },
    });
    expect(
      access.env.filter((e) => e.value !== undefined && /PASSWORD|DATABASE_URL/.test(String(e.name))),
    ).toEqual([]);
    const secret = r.inputs(r.one("kubernetes:core/v1:Secret"));
    expect(secret.stringData.DATABASE_URL).toMatch(
      /^postgresql:\/\/mlflow:mock-postgres-mlflow-password@[^:/]+:5432\/mlflow\?sslmode=require$/,
    );
    expect(access.egress).toHaveLength(1);
  });

  it("refuses a database the workload does not own, and an undeclared database", async () => {
    await render(() => {
      const root = new Root();
      const config = awsConfig({
        postgres: { databases: [{ name: "fraud_features", owner: "fraud-detector" }] },
      });
      const identities = new IrsaIdentityProvider({
        ctx: contextOf(config),
        oidcProviderArn: OIDC_PROVIDER_ARN,
        oidcIssuer: OIDC_ISSUER,
        nameStem: "mlstack-test",
      });
      const mlflow: WorkloadIdentity = identities.forWorkload(
        { name: "mlflow", team: "platform", namespace: "ml-dev-platform", serviceAccountName: "mlflow" },
        { parent: root },
      );
      const postgres = new RdsPostgres("postgres", rdsArgs(config));
      expect(() => postgres.grantDatabase(mlflow, "fraud_features", { parent: root })).toThrow(
        /database "fraud_features" belongs to workload "fraud-detector", not "mlflow"/,
      );
      expect(() => postgres.grantDatabase(mlflow, "nope", { parent: root })).toThrow(
        /database "nope" is not declared in mlstack:postgres.databases \(declared: mlflow, fraud_features\)/,
      );
    });
  });
});
