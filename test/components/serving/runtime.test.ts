/** The runtime table: Triton's repository URL for S3-compatible stores, probe paths, metrics endpoints. */
import { probePaths, runtimeMetrics, tritonRepository } from "../../../components/serving/runtime";

describe("tritonRepository", () => {
  it("names an http endpoint with its default port", () => {
    expect(tritonRepository("s3://models/fraud/3", "http://rook-ceph-rgw-objectstore.rook-ceph.svc")).toBe(
      "s3://rook-ceph-rgw-objectstore.rook-ceph.svc:80/models/fraud/3",
    );
  });

  it("marks an https endpoint and keeps an explicit port", () => {
    expect(tritonRepository("s3://models/fraud/3", "https://s3.openshift-storage.svc")).toBe(
      "s3://https://s3.openshift-storage.svc:443/models/fraud/3",
    );
    expect(tritonRepository("s3://models/fraud/3", "https://minio.storage.svc:9000/")).toBe(
      "s3://https://minio.storage.svc:9000/models/fraud/3",
    );
  });

  it("leaves AWS S3 (no endpoint) and GCS URLs alone", () => {
    expect(tritonRepository("s3://models/fraud/3", undefined)).toBe("s3://models/fraud/3");
    expect(tritonRepository("gs://models/fraud/3", "https://unused.example")).toBe("gs://models/fraud/3");
  });
});

describe("runtime table", () => {
  it("probes only by runtime", () => {
    expect(probePaths("mlflow")).toEqual({ ready: "/ping", live: "/health" });
    expect(probePaths("custom")).toEqual({ ready: "/health", live: "/health" });
  });

  it("knows which runtimes export metrics, and where", () => {
    expect(runtimeMetrics("mlflow", false)).toBeUndefined();
    expect(runtimeMetrics("mlflow", true)).toEqual({ port: "serving", path: "/metrics" });
    expect(runtimeMetrics("mlserver", false)).toEqual({ port: 8082, path: "/metrics" });
    expect(runtimeMetrics("triton", false)).toEqual({ port: 8002, path: "/metrics" });
    expect(runtimeMetrics("custom", true)).toBeUndefined();
  });
});
