import {
  hbaRules,
  postgresParameters,
  quantityBytes,
  synchronousReplication,
} from "../../../components/postgres/cnpgServerConfig";

describe("quantityBytes", () => {
  it.each([
    ["4Gi", 4 * 1024 ** 3],
    ["512Mi", 512 * 1024 ** 2],
    ["1.5G", 1.5e9],
    ["1073741824", 1073741824],
  ])("reads %s", (quantity, bytes) => {
    expect(quantityBytes(quantity)).toBe(bytes);
  });

  it("gives up on what is not a memory quantity", () => {
    expect(quantityBytes("100m")).toBeUndefined();
    expect(quantityBytes("lots")).toBeUndefined();
  });
});

describe("postgresParameters", () => {
  it("gives shared buffers a quarter of the memory limit and never less than 128 MB", () => {
    expect(postgresParameters("8Gi")).toMatchObject({
      shared_buffers: "2048MB",
      effective_cache_size: "4096MB",
    });
    expect(postgresParameters("256Mi")).toMatchObject({
      shared_buffers: "128MB",
      effective_cache_size: "128MB",
    });
  });

  it("leaves memory to PostgreSQL's defaults when the limit cannot be read", () => {
    expect(postgresParameters("100m").shared_buffers).toBeUndefined();
  });

  it("never logs statements, which would carry role passwords and business data", () => {
    const parameters = postgresParameters("1Gi");
    expect(parameters.log_statement).toBeUndefined();
    expect(parameters.log_min_duration_statement).toBeUndefined();
  });
});

describe("hbaRules", () => {
  it("rejects non-TLS first, admits each role into its database over TLS, rejects the rest", () => {
    const rules = hbaRules(
      [
        { name: "mlflow", owner: "mlflow" },
        { name: "replication", owner: "fraud-detector" },
      ],
      (d) => d.name,
    );
    expect(rules).toEqual([
      "hostnossl all all all reject",
      'hostssl "mlflow" "mlflow" all scram-sha-256',
      'hostssl "replication" "replication" all scram-sha-256',
      "host all all all reject",
    ]);
  });
});

describe("synchronousReplication", () => {
  it("waits for one standby with three or more instances, prefers it with two, and has nothing to wait for with one", () => {
    expect(synchronousReplication(3)).toEqual({ method: "any", number: 1, dataDurability: "required" });
    expect(synchronousReplication(2)).toEqual({ method: "any", number: 1, dataDurability: "preferred" });
    expect(synchronousReplication(1)).toBeUndefined();
  });
});
