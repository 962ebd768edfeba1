/**
 * PostgreSQL on AWS: RDS for PostgreSQL (or Aurora PostgreSQL), private to the EKS cluster, with
 * one role and one database per configured database, created by `@pulumi/postgresql`.
 *
 * Network: a DB subnet group of the private subnets and a security group admitting 5432 only
 * from the cluster's node security group (plus, if configured, the runner's security group).
 *
 * How the runner reaches the database: the `@pulumi/postgresql` provider connects from wherever
 * `pulumi up` runs, as the master user, over TLS, to the private endpoint. The runner therefore
 * has to be inside the network boundary — a CI runner pod on the EKS cluster itself (admitted as
 * a node), or a runner instance whose security group is listed in
 * `mlstack:aws.postgres.adminSecurityGroupIds` — and needs `secretsmanager:GetSecretValue` on the
 * RDS-managed master secret (and `kms:Decrypt` through Secrets Manager on the database key). The
 * password is read at each run, so RDS's automatic rotation never breaks a deployment.
 *
 * Each database's role has the database's name and owns it; `CONNECT` is revoked from PUBLIC, so
 * a role reaches only its own database. With `workloadAuthentication: iam` (default) the role has
 * `rds_iam` and no password: the workload's IRSA role may `rds-db:connect` as exactly that user and
 * signs a 15-minute token per connection. With `password`, a generated password is delivered as a
 * Secret.
 */
// The resource's own module rather than "@pulumi/aws/ec2", whose index alone makes tsc read
// ~185 more declaration files (37k lines) for this one class.
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as awsRds from "@pulumi/aws/rds";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as vpc from "@pulumi/aws/vpc";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AwsPostgresConfig } from "./rdsSettings";
import type { PostgresConfig, PostgresDatabaseConfig } from "./settings";
import type { PlatformContext } from "../context";
import { AwsAccount, physicalName } from "../identity/awsAccount";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { attachWorkloadPolicy, awsApiEgress } from "../identity/irsa";
import { cloudTags, kubeLabels } from "../kube/labels";
import type { PostgresService } from "./contract";
import { isPostgresExtension, POSTGRES_EXTENSIONS, rdsExtensionProblem } from "./extensions";
import { POSTGRES_PORT, RdsServer, createRdsServer } from "./rdsServer";

/** Told to clients in `DATABASE_AUTH_METHOD`: how to obtain the password libpq needs. */
export const DATABASE_AUTH_METHODS = { iam: "aws-rds-iam", password: "password" } as const;

export interface RdsNetwork {
  vpcId: string;
  privateSubnetIds: string[];
  /** Where pods reach the database: each private subnet's CIDR. */
  privateSubnetCidrs: string[];
  awsApiCidrs: string[];
  vpcCidr: string;
  nodeSecurityGroupId: string;
}

export interface RdsPostgresArgs {
  ctx: PlatformContext;
  account: AwsAccount;
  /** `mlstack:postgres`: version, instances, databases and their owners. */
  postgres: PostgresConfig;
  /** `mlstack:aws.postgres`. */
  rds: AwsPostgresConfig;
  /** Instance / cluster identifier, unique in the account and region (≤ 63). */
  identifier: string;
  /** The database CMK. */
  kmsKeyArn: pulumi.Input<string>;
  network: RdsNetwork;
  /** Provider for AWS resources created under workload components. */
  provider?: AwsProvider;
  /** Provider for the Secrets created in workload namespaces. */
  kubernetesProvider?: k8s.Provider;
}

interface ManagedDatabase {
  config: PostgresDatabaseConfig;
  role: postgresql.Role;
  database: postgresql.Database;
  revokePublic: postgresql.Grant;
  /** The database's extensions: a workload starts only once they exist. */
  extensions: postgresql.Extension[];
  password?: random.RandomPassword;
}

/**
 * What an RdsPostgres keeps for its methods, beside the instance rather than in fields: Pulumi's
 * component analyzer publishes every field, private ones too, as a schema output (and has no type
 * for a Map), and the provider would return the raw args to the caller.
 */
interface RdsPostgresState {
  args: RdsPostgresArgs;
  componentName: string;
  databases: Map<string, ManagedDatabase>;
  grants: Map<string, WorkloadAccess>;
}

const states = new WeakMap<RdsPostgres, RdsPostgresState>();

export class RdsPostgres extends pulumi.ComponentResource implements PostgresService {
  readonly host: pulumi.Output<string>;
  readonly port: number = POSTGRES_PORT;
  readonly securityGroup: SecurityGroup;
  readonly subnetGroup: awsRds.SubnetGroup;
  readonly server: RdsServer;
  /** The `@pulumi/postgresql` provider connected as the master user (see the module comment). */
  readonly adminProvider: postgresql.Provider;
  /** Database name → its role, database and extensions (a getter: a package schema has no Map). */
  get databases(): Map<string, ManagedDatabase> {
    return this.state.databases;
  }
  private get state(): RdsPostgresState {
    return states.get(this) as RdsPostgresState;
  }
  private get args(): RdsPostgresArgs {
    return this.state.args;
  }
  private get componentName(): string {
    return this.state.componentName;
  }
  private get grants(): Map<string, WorkloadAccess> {
    return this.state.grants;
  }

  constructor(name: string, args: RdsPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    const { postgres, rds, network } = args;
    if (network.privateSubnetIds.length < 2) {
      throw new Error(
        `RdsPostgres ${name}: network.privateSubnetIds has ${network.privateSubnetIds.length} subnet(s); a DB subnet group needs two availability zones`,
      );
    }
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(args.identifier) || args.identifier.length > 63) {
      throw new Error(
        `RdsPostgres ${name}: identifier ${JSON.stringify(args.identifier)} is not 1-63 lowercase letters, digits and single '-', starting with a letter`,
      );
    }
    if (rds.backupRetentionDays < 7 || rds.backupRetentionDays > 35) {
      throw new Error(`RdsPostgres ${name}: rds.backupRetentionDays ${rds.backupRetentionDays} is not 7..35`);
    }
    const masterOwned = postgres.databases.find((d) => d.name === rds.masterUsername);
    if (masterOwned)
      throw new Error(
        `RdsPostgres ${name}: database ${JSON.stringify(masterOwned.name)} would share its role with the master user; rename one`,
      );
    // A package user's plain strings: the same allow-list and pgvector check the config runs.
    for (const db of postgres.databases) {
      for (const extension of db.extensions ?? []) {
        const where = `RdsPostgres ${name}: postgres.databases[${db.name}].extensions ${JSON.stringify(extension)}`;
        if (!isPostgresExtension(extension))
          throw new Error(
            `${where} is not an extension mlstack can create (allowed: ${POSTGRES_EXTENSIONS.join(", ")})`,
          );
        const problem = rdsExtensionProblem(extension, rds.engineVersion);
        if (problem)
          throw new Error(`${where}: rds.engineVersion ${JSON.stringify(rds.engineVersion)} ${problem}`);
      }
    }
    super("mlstack:postgres:RdsPostgres", name, {}, opts);
    states.set(this, { args, componentName: name, databases: new Map(), grants: new Map() });
    const { ctx } = args;
    const tags = cloudTags({ environment: ctx.environment, team: "platform", component: "postgres" });

    this.securityGroup = new SecurityGroup(
      `${name}-sg`,
      {
        vpcId: network.vpcId,
        description: `PostgreSQL ${args.identifier}: 5432 from the EKS nodes only`,
        revokeRulesOnDelete: true,
        tags,
      },
      { parent: this },
    );
    const sources = [
      { id: network.nodeSecurityGroupId, what: "EKS nodes" },
      ...rds.adminSecurityGroupIds.map((id) => ({
        id,
        what: "the deployment runner (role and database management)",
      })),
    ];
    const ingress = sources.map(
      (source) =>
        new vpc.SecurityGroupIngressRule(
          `${name}-from-${source.id}`,
          {
            securityGroupId: this.securityGroup.id,
            referencedSecurityGroupId: source.id,
            ipProtocol: "tcp",
            fromPort: POSTGRES_PORT,
            toPort: POSTGRES_PORT,
            description: `PostgreSQL over TLS from ${source.what}`,
            tags,
          },
          { parent: this },
        ),
    );
    this.subnetGroup = new awsRds.SubnetGroup(
      `${name}-subnets`,
      {
        name: physicalName([args.identifier, "subnets"], 255),
        description: `Private subnets of ${args.identifier}`,
        subnetIds: network.privateSubnetIds,
        tags,
      },
      { parent: this },
    );
    this.server = createRdsServer(
      name,
      {
        ctx,
        postgres,
        rds,
        identifier: args.identifier,
        kmsKeyArn: args.kmsKeyArn,
        subnetGroupName: this.subnetGroup.name,
        securityGroupId: this.securityGroup.id,
        tags,
      },
      this,
    );
    this.host = this.server.address;

    const masterSecret = secretsmanager.getSecretVersionOutput(
      { secretId: this.server.masterSecretArn },
      { parent: this },
    );
    this.adminProvider = new postgresql.Provider(
      `${name}-admin`,
      {
        host: this.server.address,
        port: POSTGRES_PORT,
        database: "postgres",
        username: rds.masterUsername,
        password: pulumi.secret(masterSecret.secretString.apply(masterPassword)),
        sslmode: rds.adminSslMode,
        sslrootcert: rds.adminSslRootCert,
        // The RDS master user is not a superuser: the provider must not issue superuser-only statements.
        superuser: false,
        connectTimeout: 30,
        expectedVersion: String(postgres.version),
      },
      { parent: this, dependsOn: [...this.server.resources, ...ingress] },
    );
    for (const db of postgres.databases) this.state.databases.set(db.name, this.createDatabase(name, db));
    this.registerOutputs({ host: this.host, port: this.port });
  }

  private createDatabase(name: string, config: PostgresDatabaseConfig): ManagedDatabase {
    const iam = this.args.rds.workloadAuthentication === "iam";
    const providerOpts = { parent: this, provider: this.adminProvider };
    const password = iam
      ? undefined
      : new random.RandomPassword(
          `${name}-${config.name}-password`,
          { length: 40, special: false },
          { parent: this },
        );
    const role = new postgresql.Role(
      `${name}-role-${config.name}`,
      {
        name: config.name,
        login: true,
        // rds_iam makes RDS accept only IAM tokens for this role: no password exists to leak.
        roles: iam ? ["rds_iam"] : [],
        password: password?.result,
        createDatabase: false,
        createRole: false,
        superuser: false,
        replication: false,
      },
      providerOpts,
    );
    const database = new postgresql.Database(
      `${name}-db-${config.name}`,
      { name: config.name, owner: role.name, allowConnections: true },
      { ...providerOpts, protect: this.args.ctx.protect },
    );
    const revokePublic = new postgresql.Grant(
      `${name}-db-${config.name}-no-public-connect`,
      { database: database.name, role: "public", objectType: "database", privileges: [] },
      providerOpts,
    );
    // Each requested extension is created inside the database by the provider's admin connection
    // (terraform-provider-postgresql postgresql/resource_postgresql_extension.go:
    // `CREATE EXTENSION IF NOT EXISTS "<name>"` in a transaction on that database), after the
    // database exists. pgvector is not a trusted extension, so the owner could not create it
    // itself; once created, its type, operators and index methods are usable by the owner.
    const extensions = (config.extensions ?? []).map(
      (extension) =>
        new postgresql.Extension(
          `${name}-db-${config.name}-ext-${extension}`,
          { name: extension, database: database.name },
          { ...providerOpts, dependsOn: [database] },
        ),
    );
    return { config, role, database, revokePublic, extensions, password };
  }

  /** The ARN `rds-db:connect` authorizes: this server, exactly this database user. */
  dbUserArn(username: string): pulumi.Output<string> {
    const a = this.args.account;
    return pulumi.interpolate`arn:${a.partition}:rds-db:${a.region}:${a.accountId}:dbuser:${this.server.resourceId}/${username}`;
  }

  /**
   * Connects the database's owning workload: its IRSA role may connect as exactly the database's
   * user (IAM), and its namespace gets a Secret with `DATABASE_URL` (`sslmode=require`).
   */
  grantDatabase(
    identity: WorkloadIdentity,
    database: string,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess {
    const grantor = `RdsPostgres ${this.componentName}.grantDatabase`;
    const managed = this.databases.get(database);
    if (!managed) {
      throw new Error(
        `${grantor}: database ${JSON.stringify(database)} is not declared in mlstack:postgres.databases (declared: ${[...this.databases.keys()].join(", ")})`,
      );
    }
    const { workload } = identity;
    if (managed.config.owner !== workload.name) {
      throw new Error(
        `${grantor}: database ${JSON.stringify(database)} belongs to workload "${managed.config.owner}", not "${workload.name}"; a workload reaches only the database it owns`,
      );
    }
    const memo = `${workload.name}/${database}`;
    const existing = this.grants.get(memo);
    if (existing) return existing;

    const iam = this.args.rds.workloadAuthentication === "iam";
    const user = managed.config.name;
    const region = this.args.account.region;
    const dependsOn: pulumi.Resource[] = [
      managed.role,
      managed.database,
      managed.revokePublic,
      ...managed.extensions,
      ...identity.dependencies,
    ];
    if (iam) {
      dependsOn.push(
        attachWorkloadPolicy(
          identity,
          grantor,
          `rds-connect-${user}`,
          [
            {
              Sid: "ConnectAsOwnUser",
              Effect: "Allow",
              Action: "rds-db:connect",
              Resource: this.dbUserArn(user),
            },
          ],
          opts,
        ),
      );
    }
    const credentials = managed.password
      ? pulumi.interpolate`:${managed.password.result.apply(encodeURIComponent)}`
      : "";
    const url = pulumi.interpolate`postgresql://${user}${credentials}@${this.host}:${POSTGRES_PORT}/${user}?sslmode=require`;
    const secretName = physicalName([workload.name, "db", user], 253);
    const secret = new k8s.core.v1.Secret(
      `${workload.name}-db-${user}`,
      {
        metadata: {
          name: secretName,
          namespace: workload.namespace,
          labels: kubeLabels({
            name: workload.name,
            component: "database-credentials",
            environment: this.args.ctx.environment,
            team: workload.team,
          }),
        },
        type: "Opaque",
        stringData: pulumi.secret({
          DATABASE_URL: url,
          ...(managed.password ? { PGPASSWORD: managed.password.result } : {}),
        }),
      },
      { parent: opts.parent, provider: this.args.kubernetesProvider },
    );
    dependsOn.push(secret);

    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: "PGHOST", value: this.host },
      { name: "PGPORT", value: String(POSTGRES_PORT) },
      { name: "PGDATABASE", value: user },
      { name: "PGUSER", value: user },
      { name: "PGSSLMODE", value: "require" },
      {
        name: "DATABASE_AUTH_METHOD",
        value: iam ? DATABASE_AUTH_METHODS.iam : DATABASE_AUTH_METHODS.password,
      },
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: secretName, key: "DATABASE_URL" } } },
    ];
    if (iam) env.push({ name: "AWS_REGION", value: region });
    else
      env.push({ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "PGPASSWORD" } } });

    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
      {
        to: this.args.network.privateSubnetCidrs.map((cidr) => ({ ipBlock: { cidr } })),
        ports: [{ protocol: "TCP", port: POSTGRES_PORT }],
      },
    ];
    // IAM tokens are signed locally, but the role's credentials come from STS.
    if (iam) egress.push(awsApiEgress(this.args.network.awsApiCidrs, this.args.network.vpcCidr));
    const access: WorkloadAccess = { env, volumes: [], volumeMounts: [], egress, dependsOn };
    this.grants.set(memo, access);
    return access;
  }
}

/** The password in an RDS-managed master secret (`{"username": ..., "password": ...}`). */
export function masterPassword(secretString: string | undefined): string | undefined {
  if (secretString === undefined || secretString === "") return undefined;
  const parsed: unknown = JSON.parse(secretString);
  const password = (parsed as { password?: unknown }).password;
  if (typeof password !== "string" || password === "")
    throw new Error("RdsPostgres: the RDS-managed master secret holds no password");
  return password;
}
