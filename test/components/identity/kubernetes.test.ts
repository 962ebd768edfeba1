import * as pulumi from "@pulumi/pulumi";
import type { WorkloadRef } from "../../../components/identity/contract";
import { KubernetesIdentityProvider } from "../../../components/identity/kubernetes";
import { render } from "../../support/render";

const workload: WorkloadRef = {
  name: "fraud-detector",
  team: "fraud",
  namespace: "ml-dev-fraud",
  serviceAccountName: "fraud-detector",
};

class Holder extends pulumi.ComponentResource {
  constructor(name: string) {
    super("mlstack:test:Holder", name, {});
    this.registerOutputs({});
  }
}

describe("KubernetesIdentityProvider", () => {
  it("makes the ServiceAccount itself the identity: no annotations, nothing to wait for", async () => {
    const r = await render(() => {
      const identity = new KubernetesIdentityProvider().forWorkload(workload, { parent: new Holder("h") });
      expect(identity.workload).toEqual(workload);
      expect(identity.serviceAccountAnnotations).toEqual({});
      expect(identity.dependencies).toEqual([]);
    });
    expect(r.resources.map((x) => x.type)).toEqual(["pulumi:pulumi:Stack", "mlstack:test:Holder"]);
  });

  it("hands back a copy, so a caller cannot change the workload behind a grant's back", async () => {
    await render(() => {
      const ref = { ...workload };
      const identity = new KubernetesIdentityProvider().forWorkload(ref, { parent: new Holder("h") });
      ref.serviceAccountName = "other";
      expect(identity.workload.serviceAccountName).toBe("fraud-detector");
    });
  });

  const refusals: Array<[string, Partial<WorkloadRef>, string]> = [
    [
      "a workload name that is not a DNS label",
      { name: "Fraud_Detector" },
      'name "Fraud_Detector" is not a DNS label',
    ],
    ["a team that is not a DNS label", { team: "" }, 'team "" is not a DNS label'],
    ["a namespace that is not a DNS label", { namespace: "ML" }, 'namespace "ML"'],
    [
      "a ServiceAccount that is not a DNS label",
      { serviceAccountName: "sa.one" },
      'serviceAccountName "sa.one"',
    ],
    [
      "the default ServiceAccount",
      { serviceAccountName: "default" },
      "is the namespace's shared default account",
    ],
  ];
  it.each(refusals)("refuses %s", async (_what, overrides, message) => {
    await render(() => {
      const parent = new Holder("h");
      expect(() =>
        new KubernetesIdentityProvider().forWorkload({ ...workload, ...overrides }, { parent }),
      ).toThrow(message);
    });
  });
});
