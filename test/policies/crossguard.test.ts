import * as fs from "fs";
import * as path from "path";
import type {
  PolicyResource as EnginePolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as engineProxy from "@pulumi/policy/proxy";
import { ALL_RULES } from "../../policies/catalog";
import { crossGuardPolicies } from "../../policies/crossguard";
import { container, podSpec, podSpecOf, UNKNOWN, workload } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The engine wraps props in this proxy (internal to @pulumi/policy), which throws on unknown values. */
const { unknownCheckingProxy } = engineProxy as unknown as { unknownCheckingProxy<T>(value: T): T };

const policies = crossGuardPolicies();
const byName = (name: string) => policies.find((p) => p.name === name)!;

function validate(policyName: string, type: string, props: Json, config: Json = {}) {
  const reported: Array<{ message: string; urn?: string }> = [];
  const policy = byName(policyName) as ResourceValidationPolicy;
  const fn = policy.validateResource as (args: unknown, report: (m: string, urn?: string) => void) => void;
  fn(
    {
      type,
      props: unknownCheckingProxy(props),
      urn: `urn:pulumi:prod::mlstack::${type}::x`,
      name: "x",
      opts: {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
      },
      stackTags: new Map(),
      getConfig: () => config,
    },
    (message, urn) => reported.push({ message, urn }),
  );
  return reported;
}

function engineResource(
  type: string,
  name: string,
  props: Json,
  propertyDependencies: Record<string, EnginePolicyResource[]> = {},
): EnginePolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:prod::mlstack::${type}::${name}`,
    props: unknownCheckingProxy(props),
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    dependencies: [],
    propertyDependencies,
    isType: () => false,
    asType: () => undefined,
  };
}

function validateStack(policyName: string, resources: EnginePolicyResource[]) {
  const reported: Array<{ message: string; urn?: string }> = [];
  const policy = byName(policyName) as StackValidationPolicy;
  policy.validateStack(
    {
      resources,
      stackTags: new Map(),
      getConfig: <T extends object>() => ({}) as T,
      notApplicable: () => undefined as never,
    },
    (message, urn) => reported.push({ message, urn }),
  );
  return reported;
}

describe("the CrossGuard pack", () => {
  it("has one policy per rule with its metadata and default enforcement level", () => {
    expect(policies.map((p) => p.name)).toEqual(ALL_RULES.map((r) => r.name));
    for (const p of policies) {
      const rule = ALL_RULES.find((r) => r.name === p.name)!;
      expect(p).toMatchObject({
        description: `${rule.description} Unknown at preview: ${rule.onUnknown}`,
        enforcementLevel: rule.defaultLevel,
        severity: rule.severity,
        remediationSteps: rule.remediation,
      });
      expect(p.configSchema?.properties.enforcementLevel).toBeUndefined();
    }
  });

  it("reports a violation through the engine's callback, with the fix", () => {
    const d = workload("Deployment", podSpec());
    podSpecOf(d).containers[0].securityContext.privileged = true;
    const reported = validate("k8s-no-privileged", d.type, d.inputs as Json);
    expect(reported).toEqual([{ message: expect.stringMatching(/runs privileged\nFix: /), urn: undefined }]);
  });

  it("reports an unknown preview value as not checked, without failing the policy run", () => {
    const d = workload(
      "Deployment",
      podSpec({
        containers: [
          container("server", { securityContext: { ...container().securityContext, privileged: UNKNOWN } }),
        ],
      }),
    );
    expect(validate("k8s-no-privileged", d.type, d.inputs as Json)).toEqual([
      { message: expect.stringMatching(/^not checked: .*privileged is not known/), urn: undefined },
    ]);
  });

  it("ignores resources of other types", () => {
    expect(validate("k8s-no-privileged", "aws:s3/bucket:Bucket", { bucket: "b" })).toEqual([]);
  });

  it("reads the rule's settings from the policy config", () => {
    const d = workload("Deployment", podSpec());
    podSpecOf(d).containers[0].securityContext.seccompProfile = {
      type: "Localhost",
      localhostProfile: "p.json",
    };
    expect(validate("k8s-seccomp-required", d.type, d.inputs as Json, { target: "kubernetes" })).toEqual([]);
    expect(validate("k8s-seccomp-required", d.type, d.inputs as Json, { target: "openshift" })).toHaveLength(
      1,
    );
  });

  it("relates resources in stack policies through the engine's property dependencies", () => {
    const bucket = engineResource("aws:s3/bucket:Bucket", "models", { bucket: UNKNOWN });
    const pab = engineResource(
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "models-pab",
      {
        bucket: UNKNOWN,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { bucket: [bucket] },
    );
    expect(validateStack("aws-s3-public-access-block", [bucket, pab])).toEqual([]);
    const lone = engineResource("aws:s3/bucket:Bucket", "lone", { bucket: "lone-bucket" });
    expect(validateStack("aws-s3-public-access-block", [lone])).toEqual([
      { message: expect.stringContaining("no public access block"), urn: lone.urn },
    ]);
  });
});

describe("the pack directory", () => {
  const dir = path.join(__dirname, "../../policies");
  it("declares a version and the SDK versions the project pins", () => {
    const pack = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const root = JSON.parse(fs.readFileSync(path.join(dir, "../package.json"), "utf8"));
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/);
    // Exactly the versions the repository pins (as a dependency or, for a published package, a dev
    // dependency), and the compiler the pack needs on its own (issue 12 item 4).
    const pinned = (name: string): unknown => root.dependencies?.[name] ?? root.devDependencies?.[name];
    expect(Object.keys(pack.dependencies)).toEqual(
      expect.arrayContaining(["@pulumi/policy", "@pulumi/pulumi", "typescript"]),
    );
    for (const [name, version] of Object.entries(pack.dependencies))
      expect({ name, version }).toEqual({ name, version: pinned(name) });
  });
  it("is a Node.js policy pack whose index only builds the PolicyPack", () => {
    expect(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")).toMatch(
      /runtime:\s*\n\s+name: nodejs/,
    );
    const index = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
    expect(index).toContain('new PolicyPack("mlstack-security"');
    expect(index).toContain("crossGuardPolicies()");
  });
  it("imports nothing from outside the pack directory (it is published on its own)", () => {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const source = fs.readFileSync(path.join(dir, file), "utf8");
      expect({ file, outside: [...source.matchAll(/from "(\.\.\/[^"]*)"/g)].map((m) => m[1]) }).toEqual({
        file,
        outside: [],
      });
    }
  });
});
