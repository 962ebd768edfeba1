/**
 * Provider config keys in a stack file are honoured as the engine honours them: they configure
 * the default provider (recorded by the mock runtime and shown in plan.json), default-provider
 * invokes answer from them, and a key no resource can see is reported instead of ignored.
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks } from "../../cli/mockRuntime";
import { runPlan } from "../../cli/plan";
import { checkProviderConfig } from "../../cli/plan/providerConfig";
import { ROOT, projectCopy, tempDir } from "./cliProcess";

describe("default providers under the mock runtime", () => {
  it("records one default provider per package, configured from its stack keys, secrets kept secret", async () => {
    const { resources, defaultProviders } = await runUnderMocks(
      () => {
        new k8s.core.v1.ConfigMap("cm", { metadata: { name: "cm", namespace: "ns" }, data: { a: "b" } });
        new k8s.core.v1.ConfigMap("cm2", { metadata: { name: "cm2", namespace: "ns" }, data: { a: "b" } });
      },
      {
        project: "mlstack",
        stack: "test",
        config: {
          "kubernetes:context": "kind-mlstack",
          "kubernetes:kubeconfig": "apiVersion: v1",
          "mlstack:target": "kubernetes",
        },
        secretKeys: ["kubernetes:kubeconfig"],
      },
    );
    expect(defaultProviders).toHaveLength(1);
    const [provider] = defaultProviders;
    expect(provider.type).toBe("pulumi:providers:kubernetes");
    expect(provider.urn).toMatch(
      /^urn:pulumi:test::mlstack::pulumi:providers:kubernetes::default_\d+_\d+_\d+$/,
    );
    expect(provider.inputs.context).toBe("kind-mlstack");
    expect(provider.inputs.kubeconfig).toEqual({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "apiVersion: v1",
    });
    expect(provider.inputs).not.toHaveProperty("target");
    for (const cm of resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap")) {
      expect(cm.provider).toBe(`${provider.urn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9`);
    }
  });

  it("gives a resource with an explicit provider that provider, and no default one", async () => {
    const { resources, defaultProviders } = await runUnderMocks(
      () => {
        const explicit = new k8s.Provider("cluster", { context: "other" });
        new k8s.core.v1.ConfigMap(
          "cm",
          { metadata: { name: "cm", namespace: "ns" } },
          { provider: explicit },
        );
      },
      { project: "mlstack", stack: "test", config: { "kubernetes:context": "kind-mlstack" } },
    );
    expect(defaultProviders).toEqual([]);
    const cm = resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
    expect(cm.provider).toMatch(/pulumi:providers:kubernetes::cluster::/);
  });

  it("answers default-provider invokes from aws:region and gcp:project", async () => {
    const { outputs } = await runUnderMocks(
      async () => {
        const region = await pulumi.runtime.invoke("aws:index/getRegion:getRegion", {});
        const client = await pulumi.runtime.invoke("gcp:organizations/getClientConfig:getClientConfig", {});
        return { region: region.region, project: client.project };
      },
      {
        project: "mlstack",
        stack: "test",
        config: { "aws:region": "eu-central-1", "gcp:project": "ml-prod-123" },
      },
    );
    expect(outputs).toEqual({ region: "eu-central-1", project: "ml-prod-123" });
  });
});

describe("checkProviderConfig", () => {
  const resource = (type: string, provider?: string) => ({
    urn: `urn:pulumi:s::mlstack::${type}::r`,
    type,
    name: "r",
    custom: true,
    inputs: {},
    protect: false,
    retainOnDelete: false,
    propertyDependencies: {},
    provider,
  });

  it("reports a provider key that only explicit providers would see", () => {
    const verdict = checkProviderConfig(
      { "aws:region": "us-east-1", "mlstack:target": "aws" },
      [resource("aws:s3/bucketV2:BucketV2", "urn:pulumi:s::mlstack::pulumi:providers:aws::aws::id")],
      [],
      "mlstack",
      "Pulumi.prod-aws.yaml",
    );
    expect(verdict.warnings).toEqual([
      "Pulumi.prod-aws.yaml: aws:region has no effect: every aws resource in this stack uses an explicit provider, which does not read aws:* stack config (set the matching mlstack:* key instead)",
    ]);
  });

  it("reports a provider key for a package the stack never uses", () => {
    const verdict = checkProviderConfig(
      { "gcp:project": "p", "gcp:region": "r" },
      [],
      [],
      "mlstack",
      "Pulumi.dev.yaml",
    );
    expect(verdict.warnings).toEqual([
      "Pulumi.dev.yaml: gcp:project, gcp:region have no effect: this stack creates no gcp resources",
    ]);
  });
});

describe("mlstack plan with provider config", () => {
  async function plan(extra: string): Promise<{ code: number; stderr: string; out: string }> {
    const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const project = projectCopy({ prov: `${dev.trimEnd()}\n${extra}\n` });
    const out = path.join(tempDir("mlstack-out-"), "prov");
    let stderr = "";
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((c) => {
      stderr += String(c);
      return true;
    });
    try {
      return {
        code: await runPlan(["prov", "--out", out, "--quiet"], project, () => undefined),
        stderr,
        out,
      };
    } finally {
      spy.mockRestore();
    }
  }

  it("shows kubernetes:context on the default provider every Kubernetes object uses, and warns about aws:region", async () => {
    const run = await plan("  kubernetes:context: kind-mlstack\n  aws:region: eu-west-1");
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "mlstack plan: warning: Pulumi.prov.yaml: aws:region has no effect: this stack creates no aws resources",
    );
    const planJson = JSON.parse(fs.readFileSync(path.join(run.out, "plan.json"), "utf8"));
    const provider = planJson.steps.find((s: { urn: string }) =>
      s.urn.includes("::pulumi:providers:kubernetes::default_"),
    );
    expect(provider.newState.inputs.context).toBe("kind-mlstack");
    const deployment = planJson.steps.find(
      (s: { newState: { type: string } }) => s.newState.type === "kubernetes:apps/v1:Deployment",
    );
    expect(deployment.provider.startsWith(`${provider.urn}::`)).toBe(true);
  }, 60_000);

  it("refuses default providers that pulumi:disable-default-providers disables, as the engine does", async () => {
    const run = await plan('  pulumi:disable-default-providers: ["kubernetes"]');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^mlstack plan: Pulumi\.prov\.yaml: pulumi:disable-default-providers lists kubernetes, but kubernetes:\S+ \S+ would use the default kubernetes provider/,
    );
    expect(fs.existsSync(run.out)).toBe(false);
  }, 60_000);
});
