import { baseConfig } from "../support/config";
it("parses the base test config", () => {
  const c = baseConfig();
  expect(c.teams.map((t) => t.namespace)).toEqual(["ml-dev-fraud", "ml-dev-pricing"]);
  expect(c.postgres.databases).toEqual([{ name: "mlflow", owner: "mlflow" }]);
  expect(c.objectStore.buckets.map((b) => b.name)).toEqual(["fraud-models", "pricing-models", "mlflow-artifacts"]);
});
