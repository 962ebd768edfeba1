import { defaultWorkers, quantityBytes } from "../../../components/mlflow/workers";

describe("quantityBytes", () => {
  it("reads binary, decimal, exponent and plain quantities", () => {
    expect(quantityBytes("512Mi")).toBe(512 * 1024 * 1024);
    expect(quantityBytes("2Gi")).toBe(2 * 1024 ** 3);
    expect(quantityBytes("1.5Gi")).toBe(1.5 * 1024 ** 3);
    expect(quantityBytes("2G")).toBe(2e9);
    expect(quantityBytes("1e9")).toBe(1e9);
    expect(quantityBytes("1073741824")).toBe(1024 ** 3);
  });

  it("refuses what is not a memory quantity", () => {
    for (const bad of ["", "Gi", "2 Gi", "-1Gi", "2gb", "1m"])
      expect(() => quantityBytes(bad)).toThrow(/not a Kubernetes memory quantity/);
  });
});

describe("defaultWorkers", () => {
  it("gives one worker per 512Mi of the memory limit, between 1 and 4", () => {
    expect(defaultWorkers("256Mi")).toBe(1);
    expect(defaultWorkers("1Gi")).toBe(2);
    expect(defaultWorkers("1536Mi")).toBe(3);
    expect(defaultWorkers("2Gi")).toBe(4);
    expect(defaultWorkers("16Gi")).toBe(4);
  });
});
