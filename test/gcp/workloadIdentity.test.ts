import {
  GKE_SERVICE_ACCOUNT_ANNOTATION,
  GkeWorkloadIdentityProvider,
  googleServiceAccountId,
  googleServiceAccountOf,
} from "../../components/identity/workloadIdentity";
import type { WorkloadIdentity, WorkloadRef } from "../../components/identity/contract";
import { render } from "../support/render";
import { Holder } from "./fixtures";

const FRAUD: WorkloadRef = {
  name: "fraud-detector",
  team: "fraud",
  namespace: "ml-prod-fraud",
  serviceAccountName: "fraud-detector",
};
const MLFLOW: WorkloadRef = {
  name: "mlflow",
  team: "platform",
  namespace: "ml-prod-platform",
  serviceAccountName: "mlflow",
};

function provider(): GkeWorkloadIdentityProvider {
  return new GkeWorkloadIdentityProvider({
    project: "acme-ml-prod",
    workloadPool: "acme-gke-host.svc.id.goog",
    pulumiProject: "mlstack",
    stack: "prod-gcp",
  });
}

describe("GkeWorkloadIdentityProvider", () => {
  it("creates one Google service account per workload, and no key", async () => {
    const r = await render(() => {
      const parent = new Holder("platform");
      const p = provider();
      p.forWorkload(FRAUD, { parent });
      p.forWorkload(MLFLOW, { parent });
    });
    const accounts = r.ofType("gcp:serviceaccount/account:Account").map((a) => r.inputs(a));
    expect(accounts.map((a) => a.accountId)).toEqual([
      googleServiceAccountId("mlstack", "prod-gcp", "fraud-detector"),
      googleServiceAccountId("mlstack", "prod-gcp", "mlflow"),
    ]);
    expect(accounts.every((a) => a.project === "acme-ml-prod")).toBe(true);
    expect(r.ofType("gcp:serviceaccount/key:Key")).toHaveLength(0);
  });

  it("binds workloadIdentityUser to exactly serviceAccount:<pool>[<namespace>/<ksa>] of that workload", async () => {
    const r = await render(() => {
      const parent = new Holder("platform");
      provider().forWorkload(FRAUD, { parent });
    });
    const binding = r.inputs(r.one("gcp:serviceaccount/iAMMember:IAMMember"));
    expect(binding.role).toBe("roles/iam.workloadIdentityUser");
    expect(binding.member).toBe("serviceAccount:acme-gke-host.svc.id.goog[ml-prod-fraud/fraud-detector]");
    expect(binding.condition).toBeUndefined();
    const account = r.one("gcp:serviceaccount/account:Account");
    expect(binding.serviceAccountId).toBe(account.name);
    expect(r.ofType("gcp:serviceaccount/iAMBinding:IAMBinding")).toHaveLength(0);
    expect(r.ofType("gcp:projects/iAMMember:IAMMember")).toHaveLength(0);
  });

  it("annotates the ServiceAccount with the GSA e-mail and makes grants wait for the account and binding", async () => {
    let identity: WorkloadIdentity | undefined;
    const r = await render(() => {
      identity = provider().forWorkload(FRAUD, { parent: new Holder("platform") });
    });
    const email = `${googleServiceAccountId("mlstack", "prod-gcp", "fraud-detector")}@acme-ml-prod.iam.gserviceaccount.com`;
    expect(identity?.serviceAccountAnnotations).toEqual({ [GKE_SERVICE_ACCOUNT_ANNOTATION]: email });
    expect(identity?.dependencies).toHaveLength(2);
    expect(googleServiceAccountOf(identity as WorkloadIdentity, "test")).toMatchObject({
      email,
      member: `serviceAccount:${email}`,
    });
    const component = r.one("mlstack:identity:GkeWorkloadIdentity");
    expect(component.name).toBe("fraud-detector-identity");
    expect(
      r
        .descendants(component)
        .map((c) => c.type)
        .sort(),
    ).toEqual(["gcp:serviceaccount/account:Account", "gcp:serviceaccount/iAMMember:IAMMember"]);
  });

  it("derives account IDs that fit GCP's 6-30 character rule and differ between stacks", () => {
    const long = googleServiceAccountId(
      "mlstack",
      "production-europe",
      "an-extremely-long-model-name-for-scoring",
    );
    expect(long).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
    expect(long.length).toBeLessThanOrEqual(30);
    expect(googleServiceAccountId("mlstack", "prod", "mlflow")).not.toBe(
      googleServiceAccountId("mlstack", "staging", "mlflow"),
    );
    expect(googleServiceAccountId("mlstack", "prod", "mlflow")).toBe(
      googleServiceAccountId("mlstack", "prod", "mlflow"),
    );
  });

  it("returns the same identity when asked twice for the same workload", async () => {
    await render(() => {
      const parent = new Holder("platform");
      const p = provider();
      expect(p.forWorkload(FRAUD, { parent })).toBe(p.forWorkload({ ...FRAUD }, { parent }));
    });
  });

  it("refuses to bind one GSA to a second ServiceAccount", async () => {
    await render(() => {
      const parent = new Holder("platform");
      const p = provider();
      p.forWorkload(FRAUD, { parent });
      expect(() => p.forWorkload({ ...FRAUD, namespace: "ml-prod-pricing" }, { parent })).toThrow(
        'workload "fraud-detector" already has an identity bound to ml-prod-fraud/fraud-detector',
      );
    });
  });

  it("refuses the default ServiceAccount and malformed names before creating anything", async () => {
    const r = await render(() => {
      const parent = new Holder("platform");
      const p = provider();
      expect(() => p.forWorkload({ ...FRAUD, serviceAccountName: "default" }, { parent })).toThrow(
        'workload.serviceAccountName "default" is the namespace\'s default ServiceAccount',
      );
      expect(() => p.forWorkload({ ...FRAUD, namespace: "ML_Prod" }, { parent })).toThrow(
        'workload.namespace "ML_Prod" is not a namespace name',
      );
    });
    expect(r.ofType("gcp:serviceaccount/account:Account")).toHaveLength(0);
  });

  it("refuses a workload pool that is not <project>.svc.id.goog", () => {
    expect(
      () =>
        new GkeWorkloadIdentityProvider({
          project: "acme-ml-prod",
          workloadPool: "acme-ml-prod",
          pulumiProject: "mlstack",
          stack: "prod",
        }),
    ).toThrow('workloadPool "acme-ml-prod" is not a Workload Identity pool');
  });

  it("tells a grant that an identity from another provider has no GSA", () => {
    const foreign: WorkloadIdentity = { workload: FRAUD, serviceAccountAnnotations: {}, dependencies: [] };
    expect(() => googleServiceAccountOf(foreign, "GcsBucket models")).toThrow(
      'GcsBucket models: the identity of workload "fraud-detector" was not issued by GkeWorkloadIdentityProvider',
    );
  });
});
