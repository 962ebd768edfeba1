/**
 * The shipped stacks give the fraud team's `fraud_features` database pgvector on every target they
 * run on (issue 13 item 5): CloudNativePG in dev, RDS in prod-aws, Cloud SQL in prod-gcp. Each
 * backend's own rendering is covered in test/components/postgres/extensions.test.ts; this checks
 * that the shipped stack files ask for it and that what they render creates it.
 *
 * Neither managed service needs a server setting for pgvector: it is not a preload library, so RDS
 * needs no `shared_preload_libraries` entry and Cloud SQL no database flag — the extension is
 * created in the database (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Extensions.html,
 * https://cloud.google.com/sql/docs/postgres/extensions). What the server must offer is a version
 * that ships pgvector with HNSW, which components/postgres/extensions.ts decides per target.
 */
import type { RecordedResource } from "../../cli/mockRuntime";
import type { PlanResult } from "../../cli/plan";
import { cloudSqlExtensionProblem, rdsExtensionProblem } from "../../components/postgres/extensions";
import { shippedPlan } from "../support/shippedPlans";

const EXTENSION = "postgresql:index/extension:Extension";
const PROVIDER_DATABASE = "postgresql:index/database:Database";
const VECTOR_DATABASE = "fraud_features";

const plans = new Map<string, PlanResult>();
beforeAll(async () => {
  for (const stack of ["dev", "prod-aws", "prod-gcp"]) plans.set(stack, await shippedPlan(stack));
}, 180_000);

const plan = (stack: string) => plans.get(stack) as PlanResult;
const ofType = (stack: string, type: string) => plan(stack).resources.filter((r) => r.type === type);
const only = (stack: string, type: string): RecordedResource => {
  const found = ofType(stack, type);
  expect(found.map((r) => r.name)).toHaveLength(1);
  return found[0];
};

describe.each(["dev", "prod-aws", "prod-gcp"])("stack %s", (stack) => {
  it(`asks for vector in ${VECTOR_DATABASE}, owned by the team that keeps embeddings`, () => {
    const db = plan(stack).config.postgres.databases.find((d) => d.name === VECTOR_DATABASE);
    expect(db).toMatchObject({ owner: "fraud-detector", extensions: ["vector"] });
  });
});

describe.each(["prod-aws", "prod-gcp"])("stack %s: the managed database", (stack) => {
  it("creates vector in that database through the admin provider, once the database exists", () => {
    const extension = only(stack, EXTENSION);
    expect(extension.inputs).toMatchObject({ name: "vector", database: VECTOR_DATABASE });
    const database = ofType(stack, PROVIDER_DATABASE).find((d) => d.inputs.name === VECTOR_DATABASE);
    expect(database).toBeDefined();
    expect(extension.propertyDependencies.database).toContain(database!.urn);
    expect(extension.provider).toBe(database!.provider);
  });
});

describe("prod-aws: RDS", () => {
  it("runs an engine version that ships pgvector with HNSW, under the stack's own parameter group", () => {
    const instance = only("prod-aws", "aws:rds/instance:Instance");
    const group = only("prod-aws", "aws:rds/parameterGroup:ParameterGroup");
    const engineVersion = String(instance.inputs.engineVersion);
    expect(rdsExtensionProblem("vector", engineVersion)).toBeUndefined();
    expect(group.inputs.family).toBe(`postgres${engineVersion.split(".")[0]}`);
    expect(instance.inputs.parameterGroupName).toBe(group.inputs.name);
    expect(instance.propertyDependencies.parameterGroupName).toContain(group.urn);
    // The group keeps forcing TLS with the extension in place (aws-rds-force-ssl).
    expect(group.inputs.parameters).toEqual(expect.arrayContaining([{ name: "rds.force_ssl", value: "1" }]));
  });
});

describe("prod-gcp: Cloud SQL", () => {
  it("runs a PostgreSQL version that ships vector, with its flags unchanged by the extension", () => {
    const instance = only("prod-gcp", "gcp:sql/databaseInstance:DatabaseInstance");
    const version = /^POSTGRES_(\d+)$/.exec(String(instance.inputs.databaseVersion));
    expect(version).not.toBeNull();
    expect(cloudSqlExtensionProblem("vector", Number(version![1]))).toBeUndefined();
    const flags =
      (instance.inputs.settings as { databaseFlags?: Array<{ name: string }> }).databaseFlags ?? [];
    expect(flags.map((f) => f.name)).not.toContain("shared_preload_libraries");
    expect(flags.map((f) => f.name)).toContain("cloudsql.iam_authentication");
  });
});

describe("dev: CloudNativePG", () => {
  it("asks the operator for vector in that database (Database `spec.extensions`)", () => {
    const database = ofType("dev", "kubernetes:postgresql.cnpg.io/v1:Database").find(
      (d) => (d.inputs.spec as { name?: string }).name === VECTOR_DATABASE,
    );
    expect((database?.inputs.spec as { extensions?: unknown }).extensions).toEqual([
      { name: "vector", ensure: "present" },
    ]);
  });
});
