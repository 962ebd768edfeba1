import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as pulumi from "@pulumi/pulumi";
import { redactSecrets, runUnderMocks } from "../../cli/mockRuntime";

class Box extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("mlstack:test:Box", name, {}, opts);
    const password = new random.RandomPassword(`${name}-pw`, { length: 24 }, { parent: this });
    new k8s.core.v1.Secret(
      `${name}-secret`,
      { metadata: { name: "s", namespace: "ns" }, stringData: { password: password.result } },
      { parent: this, protect: true },
    );
    this.registerOutputs({});
  }
}

describe("runUnderMocks", () => {
  it("records type, parent, protection and inputs of every resource", async () => {
    const result = await runUnderMocks(
      () => {
        new Box("box");
        return { answer: 42 };
      },
      { project: "mlstack", stack: "test" },
    );
    const byType = new Map(result.resources.map((r) => [r.type, r]));
    const box = byType.get("mlstack:test:Box");
    const secret = byType.get("kubernetes:core/v1:Secret");
    expect(box?.custom).toBe(false);
    expect(secret?.parent).toBe(box?.urn);
    expect(secret?.protect).toBe(true);
    expect(box?.parent).toBe(byType.get("pulumi:pulumi:Stack")?.urn);
    expect(result.outputs).toEqual({ answer: 42 });
    // The Secret's stringData comes from the password: the engine-style property dependency is kept.
    expect(secret?.propertyDependencies.stringData).toEqual([
      byType.get("random:index/randomPassword:RandomPassword")?.urn,
    ]);
  });
  it("rethrows what the program throws", async () => {
    await expect(
      runUnderMocks(
        () => {
          throw new Error("bad config");
        },
        { project: "mlstack", stack: "test" },
      ),
    ).rejects.toThrow("bad config");
  });
});

describe("redactSecrets", () => {
  it("hides a secret map's values but keeps its keys, so manifests keep their shape", async () => {
    const result = await runUnderMocks(
      () => {
        new Box("box");
      },
      { project: "mlstack", stack: "test" },
    );
    const secret = result.resources.find((r) => r.type === "kubernetes:core/v1:Secret");
    expect(redactSecrets(secret?.inputs)).toMatchObject({ stringData: { password: "[secret]" } });
  });
});
