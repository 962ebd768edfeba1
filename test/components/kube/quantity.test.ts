import {
  isQuantity,
  memoryBytes,
  minQuantity,
  quantityGiB,
  quantityValue,
} from "../../../components/kube/quantity";

describe("quantities", () => {
  it("reads millicores, cores and decimal and binary byte suffixes", () => {
    expect(quantityValue("500m")).toBeCloseTo(0.5);
    expect(quantityValue("2")).toBe(2);
    expect(quantityValue("1.5")).toBe(1.5);
    expect(quantityValue("1k")).toBe(1000);
    expect(quantityValue("1Ki")).toBe(1024);
    expect(quantityValue("16Gi")).toBe(16 * 2 ** 30);
    expect(quantityValue("1G")).toBe(1e9);
  });

  it("compares across units and keeps the smaller as written", () => {
    expect(minQuantity("1", "500m")).toBe("500m");
    expect(minQuantity("256Mi", "1Gi")).toBe("256Mi");
    expect(minQuantity("1Gi", "1G")).toBe("1G");
    expect(minQuantity("2", "2")).toBe("2");
  });

  it("reads Kubernetes' other number forms: exponents, a trailing or leading point", () => {
    expect(quantityValue("1e3")).toBe(1000);
    expect(quantityValue("5E-1")).toBeCloseTo(0.5);
    expect(quantityValue("1.")).toBe(1);
    expect(quantityValue(".5Gi")).toBe(2 ** 29);
    expect(quantityGiB("100G")).toBe(94);
    expect(memoryBytes("1m")).toBeUndefined();
  });

  it("rejects what is not a quantity, or a signed one", () => {
    for (const bad of ["", "eight", "16 GB", "-1", "+1", "1K", "1Gb", "Gi", ".", "1e", "1;rm", "1\n"]) {
      expect(isQuantity(bad)).toBe(false);
      expect(() => quantityValue(bad)).toThrow("is not a Kubernetes quantity");
    }
  });
});
