import { isSecretValue } from "../../../cli/mockRuntime";
import {
  desiredState,
  jobPeer,
  jobPodLabels,
  MlflowWorkloadUsers,
  MlflowWorkloadUsersArgs,
  workloadUsername,
} from "../../../components/mlflow/workloadUsers";
import { baseConfig } from "../../support/config";
import { render } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import { contextFor } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

const JOB = "kubernetes:batch/v1:Job";
const SECRET = "kubernetes:core/v1:Secret";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const FRAUD = { name: "fraud-detector", namespace: "ml-fraud", registeredModel: "fraud-detector" };
const PRICING = { name: "fx-pricer", namespace: "ml-pricing", registeredModel: "fx-pricing" };

function args(users = [FRAUD, PRICING], flavor?: "openshift"): MlflowWorkloadUsersArgs {
  const ctx = contextFor(baseConfig());
  return {
    ctx: flavor ? { ...ctx, flavor } : ctx,
    namespace: "mlstack-platform",
    trackingUri: "http://mlflow.mlstack-platform.svc:5000",
    adminSecretName: "mlflow-admin",
    mlflowName: "mlflow",
    mlflowPort: 5000,
    image: "ghcr.io/mlstack/mlflow:3.17.2-3",
    users,
  };
}

async function renderUsers(a: MlflowWorkloadUsersArgs) {
  let access: any;
  const rendered = await render(() => {
    const users = new MlflowWorkloadUsers("mlflow-users", a);
    access = a.users.length > 0 ? users.access(a.users[0].name) : undefined;
  });
  return { rendered, access };
}

describe("MlflowWorkloadUsers", () => {
  it("gives each workload its own user, password (a Pulumi secret) in a Secret in its namespace", async () => {
    const { rendered } = await renderUsers(args());
    const secret = rendered.one(SECRET, "fraud-detector");
    const inputs = rendered.inputs(secret);
    expect(inputs.metadata).toMatchObject({ name: "fraud-detector-mlflow-user", namespace: "ml-fraud" });
    expect(inputs.type).toBe("kubernetes.io/basic-auth");
    expect(inputs.stringData.username).toBe(workloadUsername(FRAUD));
    expect(
      isSecretValue(secret.inputs.stringData) || isSecretValue((secret.inputs.stringData as any).password),
    ).toBe(true);
    expect(rendered.inputs(rendered.one(SECRET, "passwords")).metadata.namespace).toBe("mlstack-platform");
  });

  it("runs the Job as MLflow's admin by reference, restricted, with no API token", async () => {
    const { rendered } = await renderUsers(args());
    const job = rendered.inputs(rendered.one(JOB));
    const pod = job.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
    });
    const env = new Map(container.env.map((e: any) => [e.name, e]));
    expect(env.get("MLFLOW_TRACKING_PASSWORD")).toEqual({
      name: "MLFLOW_TRACKING_PASSWORD",
      valueFrom: { secretKeyRef: { name: "mlflow-admin", key: "password" } },
    });
    expect(container.env.every((e: any) => e.value === undefined || !/PASSWORD/.test(e.name))).toBe(true);
    expect(job.spec.template.metadata.labels).toMatchObject(jobPodLabels());
    const openshift = await renderUsers(args(undefined, "openshift"));
    const osPod = openshift.rendered.inputs(openshift.rendered.one(JOB)).spec.template.spec;
    expect(osPod.securityContext.runAsUser).toBeUndefined();
  });

  it("names the Job by its desired state: the same users keep it, a change is a new run", async () => {
    const name = async (a: MlflowWorkloadUsersArgs) => {
      const { rendered } = await renderUsers(a);
      return rendered.inputs(rendered.one(JOB)).metadata.name as string;
    };
    const both = await name(args());
    expect(both).toMatch(/^mlflow-users-[0-9a-f]{10}$/);
    expect(await name(args([PRICING, FRAUD]))).toBe(both);
    expect(await name(args([FRAUD]))).not.toBe(both);
    expect(await name(args([FRAUD, { ...PRICING, registeredModel: "fx-pricing-v2" }]))).not.toBe(both);
    expect(await name(args([]))).not.toBe(both);
  });

  it("lets the Job reach only MLflow's pods and DNS; the peer MLflow admits selects the Job's pods", async () => {
    const { rendered } = await renderUsers(args());
    const spec = rendered.inputs(rendered.one(NETPOL)).spec;
    expect(spec.podSelector.matchLabels).toEqual(jobPodLabels());
    expect(spec.ingress).toEqual([]);
    expect(spec.egress[0]).toEqual({
      to: [
        {
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/part-of": "mlstack" },
          },
        },
      ],
      ports: [{ protocol: "TCP", port: 5000 }],
    });
    expect(spec.egress).toHaveLength(2);
    expect(jobPeer()).toEqual({ podSelector: { matchLabels: jobPodLabels() } });
  });

  it("hands the workload its credentials by reference, egress to MLflow, and the Job to wait for", async () => {
    const { access } = await renderUsers(args());
    expect(access.env).toEqual([
      {
        name: "MLFLOW_TRACKING_USERNAME",
        valueFrom: { secretKeyRef: { name: expect.anything(), key: "username" } },
      },
      {
        name: "MLFLOW_TRACKING_PASSWORD",
        valueFrom: { secretKeyRef: { name: expect.anything(), key: "password" } },
      },
    ]);
    expect(access.egress).toHaveLength(1);
    expect(access.dependsOn).toHaveLength(2);
  });

  it("renders objects that validate against the Kubernetes schemas", async () => {
    const { rendered } = await renderUsers(args());
    const objects = rendered.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => rendered.inputs(r));
    const result = validateObjects(objects);
    expect(result.errors).toEqual([]);
    expect(result.checked).toBe(objects.length);
  });

  it("refuses a workload twice and an unknown workload's access", async () => {
    expect(() => desiredState([FRAUD, FRAUD])).toThrow("workload fraud-detector in ml-fraud twice");
    let error: unknown;
    await render(() => {
      try {
        new MlflowWorkloadUsers("mlflow-users", args([FRAUD])).access("fx-pricer");
      } catch (e) {
        error = e;
      }
    });
    expect(String(error)).toContain("no MLflow user for workload fx-pricer");
  });
});
