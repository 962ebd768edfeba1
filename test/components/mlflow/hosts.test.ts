import { allowedHosts, allowedOrigins } from "../../../components/mlflow/hosts";

describe("allowedHosts", () => {
  const base = {
    serviceName: "mlflow",
    namespace: "ml-prod-platform",
    servicePort: 5000,
    clusterDomain: "cluster.local",
  };

  it("lists every name the Service answers to, with and without its port", () => {
    expect(allowedHosts(base).split(",")).toEqual([
      "mlflow",
      "mlflow:5000",
      "mlflow.ml-prod-platform",
      "mlflow.ml-prod-platform:5000",
      "mlflow.ml-prod-platform.svc",
      "mlflow.ml-prod-platform.svc:5000",
      "mlflow.ml-prod-platform.svc.cluster.local",
      "mlflow.ml-prod-platform.svc.cluster.local:5000",
      "localhost",
      "localhost:*",
      "127.0.0.1",
      "127.0.0.1:*",
    ]);
  });

  it("adds the public hostname and honours another cluster domain", () => {
    const hosts = allowedHosts({
      ...base,
      clusterDomain: "k8s.bank.internal",
      hostname: "mlflow.ml.bank.example",
    }).split(",");
    expect(hosts).toContain("mlflow.ml-prod-platform.svc.k8s.bank.internal:5000");
    expect(hosts).toContain("mlflow.ml.bank.example");
    expect(hosts).not.toContain("mlflow.ml-prod-platform.svc.cluster.local");
  });
});

describe("allowedOrigins", () => {
  it("is the public https origin when exposed, and unset when internal", () => {
    expect(allowedOrigins("mlflow.ml.bank.example")).toBe("https://mlflow.ml.bank.example");
    expect(allowedOrigins(undefined)).toBeUndefined();
  });
});
