/**
 * `postgres.databases[].extensions`: the allow-list, each target's availability rule, and what each
 * backend renders (CloudNativePG `Database.spec.extensions`, `postgresql.Extension` on RDS and
 * Cloud SQL), with every refusal raised before anything registers.
 */
import { flavorOf, PlatformContext } from "../../../components/context";
import { CnpgPostgres, CnpgPostgresArgs } from "../../../components/postgres/CnpgPostgres";
import { CloudSqlPostgres, CloudSqlPostgresArgs } from "../../../components/postgres/cloudSql";
import {
  cloudSqlExtensionProblem,
  cnpgImageExtensionProblem,
  rdsExtensionProblem,
} from "../../../components/postgres/extensions";
import { cnpgImage } from "../../../components/postgres/cnpgImages";
import { RdsPostgres } from "../../../components/postgres/rds";
import { parseConfig, PlatformConfig } from "../../../stacks/config";
import { awsConfig, rawAwsBlock, rdsArgs } from "../../aws/fixtures";
import { cloudSqlArgs } from "../../gcp/fixtures";
import { baseConfig, baseRawConfig } from "../../support/config";
import { render } from "../../support/render";

const DATABASE = "kubernetes:postgresql.cnpg.io/v1:Database";
const EXTENSION = "postgresql:index/extension:Extension";
const PROVIDER_DATABASE = "postgresql:index/database:Database";

const VECTOR_DB = { name: "fraud_features", owner: "fraud-detector", extensions: ["vector"] };

/** The config problems for these `postgres.databases` (and other overrides); empty when it parses. */
function problemsFor(databases: unknown[], overrides: Record<string, unknown> = {}): string {
  try {
    parseConfig(
      { ...baseRawConfig(), postgres: { databases }, ...overrides },
      { project: "mlstack", stack: "test" },
    );
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("postgres.databases[].extensions: the config", () => {
  it("accepts vector and keeps it on the database; databases without the key get none", () => {
    const config = baseConfig({ postgres: { databases: [VECTOR_DB] } });
    expect(config.postgres.databases.find((d) => d.name === "fraud_features")?.extensions).toEqual([
      "vector",
    ]);
    expect(config.postgres.databases.find((d) => d.name === "mlflow")?.extensions).toBeUndefined();
  });

  it("refuses an extension outside the allow-list, naming key, value and what is allowed", () => {
    expect(problemsFor([{ ...VECTOR_DB, extensions: ["vector", "postgis"] }])).toContain(
      'mlstack:postgres.databases[0].extensions[1]: "postgis" is not one of: vector',
    );
  });

  it("refuses an extension listed twice and a value that is not a list", () => {
    expect(problemsFor([{ ...VECTOR_DB, extensions: ["vector", "vector"] }])).toContain(
      'mlstack:postgres.databases[0].extensions[1]: "vector" is listed twice',
    );
    expect(problemsFor([{ ...VECTOR_DB, extensions: "vector" }])).toContain(
      'mlstack:postgres.databases[0].extensions: "vector" is not a list',
    );
  });
});

describe("where vector is available", () => {
  it("RDS/Aurora: pgvector 0.5.0 (HNSW) from 14.9 and 15.4, every 16+, and a bare major (RDS picks the newest minor)", () => {
    for (const ok of ["14.9", "14.12", "15.4", "15.10", "16.1", "17.2", "18.0", "14", "15"])
      expect({ ok, problem: rdsExtensionProblem("vector", ok) }).toEqual({ ok, problem: undefined });
    expect(rdsExtensionProblem("vector", "15.3")).toBe(
      "lacks pgvector 0.5.0 (the vector extension with HNSW indexes), which RDS/Aurora PostgreSQL 15 ships from 15.4: use 15.4 or later, or a bare 15",
    );
    expect(rdsExtensionProblem("vector", "14.8")).toMatch(/ships from 14\.9/);
  });

  it("CloudNativePG: every pinned image is the standard flavour, which ships pgvector; other images are refused", () => {
    for (const major of [14, 15, 16, 17, 18])
      expect(cnpgImageExtensionProblem("vector", cnpgImage(major))).toBeUndefined();
    expect(
      cnpgImageExtensionProblem("vector", "ghcr.io/cloudnative-pg/postgresql:17.6-minimal-trixie"),
    ).toMatch(/is not a CloudNativePG community `standard` image/);
    expect(cnpgImageExtensionProblem("vector", "registry.example.com/postgres:17")).toBeDefined();
  });

  it("Cloud SQL: every major from 14 to 18", () => {
    for (const v of [14, 15, 16, 17, 18]) expect(cloudSqlExtensionProblem("vector", v)).toBeUndefined();
    expect(cloudSqlExtensionProblem("vector", 13)).toBeDefined();
  });
});

describe("CloudNativePG: the Database resource", () => {
  function contextFor(config: PlatformConfig): PlatformContext {
    return {
      environment: config.environment,
      target: config.target,
      flavor: flavorOf(config.target),
      protect: config.protect,
      highAvailability: config.highAvailability,
      project: config.project,
      stack: config.stack,
    };
  }
  function argsFor(config: PlatformConfig, extra: Partial<CnpgPostgresArgs> = {}): CnpgPostgresArgs {
    const fraud = config.teams.find((t) => t.name === "fraud")?.namespace as string;
    return {
      ctx: contextFor(config),
      config: config.postgres,
      namespace: config.platformNamespace,
      clientNamespaces: config.teams.map((t) => t.namespace),
      operatorNamespace: config.operators.namespace,
      network: config.network,
      owners: { mlflow: config.platformNamespace, "fraud-detector": fraud },
      backupBucket: undefined,
      monitoring: false,
      ...extra,
    };
  }
  const config = () => baseConfig({ postgres: { databases: [VECTOR_DB] } });

  it("asks the operator for vector in that database only (Database CRD `spec.extensions`, CloudNativePG >= 1.26)", async () => {
    const r = await render(() => void new CnpgPostgres("postgres", argsFor(config())));
    const specs = Object.fromEntries(
      r.ofType(DATABASE).map((d) => [r.inputs(d).spec.name, r.inputs(d).spec]),
    );
    expect(specs.fraud_features.extensions).toEqual([{ name: "vector", ensure: "present" }]);
    expect(specs.fraud_features.owner).toBe("fraud_features");
    expect(specs.mlflow.extensions).toBeUndefined();
  });

  it("refuses a custom imageName that is not a standard image when a database asks for vector", () => {
    expect(
      () =>
        new CnpgPostgres(
          "postgres",
          argsFor(config(), { imageName: "registry.example.com/postgres:17.6-minimal-trixie" }),
        ),
    ).toThrow(
      /imageName "registry.example.com\/postgres:17.6-minimal-trixie" is not a CloudNativePG community `standard` image .* \(a database asks for extension "vector"\)/,
    );
  });

  it("accepts the same custom image when no database asks for an extension", async () => {
    const plain = baseConfig({
      postgres: { databases: [{ name: "fraud_features", owner: "fraud-detector" }] },
    });
    const image = "registry.example.com/postgres:17.6-minimal-trixie";
    const r = await render(() => void new CnpgPostgres("postgres", argsFor(plain, { imageName: image })));
    expect(r.inputs(r.one("kubernetes:postgresql.cnpg.io/v1:Cluster")).spec.imageName).toBe(image);
  });

  it("refuses an extension outside the allow-list handed to the component directly (a package user's plain string)", () => {
    const c = config();
    const postgres = { ...c.postgres, databases: [{ ...VECTOR_DB, extensions: ["postgis"] }] };
    expect(() => new CnpgPostgres("postgres", argsFor(c, { config: postgres }))).toThrow(
      'config.databases[0].extensions[0] "postgis" is not an extension mlstack can create (allowed: vector)',
    );
  });
});

describe("RDS: postgresql.Extension", () => {
  function withEngine(engineVersion: string | undefined, version = 15): PlatformConfig {
    const aws = rawAwsBlock();
    aws.postgres = {
      ...(aws.postgres as Record<string, unknown>),
      ...(engineVersion ? { engineVersion } : {}),
    };
    return awsConfig({ aws, postgres: { version, databases: [VECTOR_DB] } });
  }

  it("creates vector in the database, through the admin provider, once the database exists", async () => {
    const config = withEngine("15.4");
    const r = await render(() => void new RdsPostgres("postgres", rdsArgs(config)));
    const extension = r.one(EXTENSION);
    expect(r.inputs(extension)).toMatchObject({ name: "vector", database: "fraud_features" });
    const database = r.one(PROVIDER_DATABASE, "fraud_features");
    expect(extension.propertyDependencies.database).toContain(database.urn);
    expect(extension.provider).toBe(database.provider);
  });

  it("refuses an engine minor without pgvector 0.5.0 before anything registers, naming the database", () => {
    expect(() => withEngine("15.3")).toThrow(
      'mlstack:aws.postgres.engineVersion: "15.3" lacks pgvector 0.5.0 (the vector extension with HNSW indexes), which RDS/Aurora PostgreSQL 15 ships from 15.4: use 15.4 or later, or a bare 15 (postgres.databases fraud_features ask for "vector")',
    );
    expect(() => withEngine("15.4")).not.toThrow();
    expect(() => withEngine(undefined)).not.toThrow();
  });

  it("refuses, handed to the component directly, an extension off the allow-list and an engine minor without pgvector 0.5.0", () => {
    const config = withEngine("15.4");
    const postgis = { ...config.postgres, databases: [{ ...VECTOR_DB, extensions: ["postgis"] }] };
    expect(() => new RdsPostgres("postgres", rdsArgs(config, { postgres: postgis }))).toThrow(
      'RdsPostgres postgres: postgres.databases[fraud_features].extensions "postgis" is not an extension mlstack can create (allowed: vector)',
    );
    const rds = { ...config.aws!.postgres, engineVersion: "15.3" };
    expect(() => new RdsPostgres("postgres", rdsArgs(config, { rds }))).toThrow(
      'RdsPostgres postgres: postgres.databases[fraud_features].extensions "vector": rds.engineVersion "15.3" lacks pgvector 0.5.0',
    );
  });
});

describe("Cloud SQL: postgresql.Extension", () => {
  const args = (overrides: Partial<CloudSqlPostgresArgs> = {}) =>
    cloudSqlArgs({
      databases: [
        { name: "mlflow", owner: "mlflow" },
        { ...VECTOR_DB, extensions: ["vector"] },
      ],
      ...overrides,
    });

  it("creates vector in that database only, once the database exists", async () => {
    const r = await render(() => void new CloudSqlPostgres("pg", args()));
    const extension = r.one(EXTENSION);
    expect(r.inputs(extension)).toMatchObject({ name: "vector", database: "fraud_features" });
    expect(extension.propertyDependencies.database).toContain(r.one(PROVIDER_DATABASE, "fraud_features").urn);
  });

  it("refuses an extension outside the allow-list handed to the component directly", () => {
    const databases = [{ name: "fraud_features", owner: "fraud-detector", extensions: ["postgis"] }];
    expect(
      () => new CloudSqlPostgres("pg", args({ databases: databases as CloudSqlPostgresArgs["databases"] })),
    ).toThrow(
      'CloudSqlPostgres pg: databases[fraud_features].extensions "postgis" is not an extension mlstack can create (allowed: vector)',
    );
  });
});
