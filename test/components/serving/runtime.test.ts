/**
 * The runtime table: Triton's repository URL for S3-compatible stores, probe paths, metrics
 * endpoints, where the MLServer initContainer puts a model and what MLServer is told about it.
 */
import {
  mlserverEnv,
  probePaths,
  runtimeMetrics,
  tritonRepository,
} from "../../../components/serving/runtime";

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
  it("probes by runtime, and MLServer's readiness on the model itself", () => {
    expect(probePaths("mlflow", "fraud")).toEqual({ ready: "/ping", live: "/health" });
    expect(probePaths("custom", "fraud")).toEqual({ ready: "/health", live: "/health" });
    expect(probePaths("mlserver", "fraud")).toEqual({
      ready: "/v2/models/fraud/ready",
      live: "/v2/health/live",
    });
    expect(probePaths("triton", "fraud")).toEqual({ ready: "/v2/health/ready", live: "/v2/health/live" });
  });

  it("knows which runtimes export metrics, and where", () => {
    expect(runtimeMetrics("mlflow", false)).toBeUndefined();
    expect(runtimeMetrics("mlflow", true)).toEqual({ port: "serving", path: "/metrics" });
    expect(runtimeMetrics("mlserver", false)).toEqual({ port: 8082, path: "/metrics" });
    expect(runtimeMetrics("triton", false)).toEqual({ port: 8002, path: "/metrics" });
    expect(runtimeMetrics("custom", true)).toBeUndefined();
  });
});

describe("mlserverEnv", () => {
  const env = new Map(
    mlserverEnv({ modelName: "fraud", httpPort: 9000, localModelUri: "/mnt/models/3" }).map((e) => [
      e.name,
      e.value,
    ]),
  );

  it("declares the MLflow runtime, the model's name and its local folder, so MLServer loads exactly that model", () => {
    expect(env.get("MLSERVER_MODEL_IMPLEMENTATION")).toBe("mlserver_mlflow.MLflowRuntime");
    expect(env.get("MLSERVER_MODEL_NAME")).toBe("fraud");
    expect(env.get("MLSERVER_MODEL_URI")).toBe("/mnt/models/3");
  });

  it("keeps MLServer's metrics and environments folders off the read-only root, under /tmp", () => {
    expect(env.get("MLSERVER_METRICS_DIR")).toMatch(/^\/tmp\//);
    expect(env.get("MLSERVER_ENVIRONMENTS_DIR")).toMatch(/^\/tmp\//);
  });

  it("listens on the model's port with gRPC and metrics on their reserved ports", () => {
    expect(env.get("MLSERVER_HTTP_PORT")).toBe("9000");
    expect(env.get("MLSERVER_GRPC_PORT")).toBe("8081");
    expect(env.get("MLSERVER_METRICS_PORT")).toBe("8082");
  });
});
