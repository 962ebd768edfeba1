import Ajv from "ajv";
import addFormats from "ajv-formats";
import * as fs from "fs";
import * as path from "path";
import type { Log } from "sarif";
import { evaluate, runCheck, toSarif } from "../../../cli/check";
import { ALL_RULES } from "../../../policies/catalog";

const FIXTURES = path.join(__dirname, "../../fixtures/check");
const schema = JSON.parse(fs.readFileSync(path.join(FIXTURES, "sarif-2.1.0-subset.schema.json"), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

async function sarif(file: string): Promise<Log> {
  let out = "";
  await runCheck([file, "--format", "sarif"], {
    stdout: (t) => (out += t),
    stderr: () => undefined,
    cwd: FIXTURES,
  });
  return JSON.parse(out) as Log;
}

/** What GitHub code scanning needs beyond the schema: rule ids that resolve, a message, a file and a line per result. */
function expectGitHubReady(log: Log) {
  const run = log.runs[0];
  const ids = new Set(run.tool.driver.rules!.map((r) => r.id));
  for (const result of run.results!) {
    expect(ids.has(result.ruleId!)).toBe(true);
    expect(run.tool.driver.rules![result.ruleIndex!].id).toBe(result.ruleId);
    expect(result.message.text).toBeTruthy();
    const physical = result.locations![0].physicalLocation!;
    expect(physical.artifactLocation!.uri).toMatch(/^[^/]/);
    expect(physical.region!.startLine).toBeGreaterThanOrEqual(1);
  }
}

describe("SARIF output", () => {
  it.each(["manifests/team.yaml", "preview.json", "stack-export.json"])(
    "is valid SARIF 2.1.0 for %s",
    async (file) => {
      const log = await sarif(file);
      const valid = validate(log);
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
      expect(log.runs[0].results!.length).toBeGreaterThan(0);
      expectGitHubReady(log);
    },
  );

  it("the schema check can fail: a result without a message is rejected", async () => {
    const log = await sarif("manifests/team.yaml");
    delete (log.runs[0].results![0] as { message?: unknown }).message;
    expect(validate(log)).toBe(false);
  });

  it("describes every rule with help text, a default level and a security severity", async () => {
    const rules = (await sarif("manifests/team.yaml")).runs[0].tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(ALL_RULES.map((r) => r.name));
    const privileged = rules.find((r) => r.id === "k8s-no-privileged")!;
    expect(privileged.help!.text).toContain("Fix: Remove `securityContext.privileged: true`");
    expect(privileged.defaultConfiguration!.level).toBe("error");
    expect(privileged.properties!["security-severity"]).toBe("9.5");
    expect(rules.find((r) => r.id === "k8s-image-digest")!.defaultConfiguration!.level).toBe("warning");
  });

  it("gives YAML findings the file and line of the object and the URN as logical location", async () => {
    const log = await sarif("manifests/team.yaml");
    const result = log.runs[0].results!.find((r) => r.ruleId === "k8s-no-privileged")!;
    expect(result.level).toBe("error");
    expect(result.locations![0]).toEqual({
      physicalLocation: {
        artifactLocation: { uri: "manifests/team.yaml", uriBaseId: "%SRCROOT%" },
        region: { startLine: 30, startColumn: 1 },
      },
      logicalLocations: [
        {
          fullyQualifiedName: "manifests/team.yaml#Deployment/ml-prod-fraud/scorer",
          name: "scorer",
          kind: "resource",
        },
      ],
    });
    expect(log.runs[0].results!.find((r) => r.ruleId === "k8s-image-digest")!.level).toBe("warning");
  });

  it("gives preview findings the line naming the resource's URN", async () => {
    const log = await sarif("preview.json");
    const result = log.runs[0].results!.find((r) => r.ruleId === "k8s-no-privileged")!;
    const urn = result.locations![0].logicalLocations![0].fullyQualifiedName!;
    const line = result.locations![0].physicalLocation!.region!.startLine!;
    expect(fs.readFileSync(path.join(FIXTURES, "preview.json"), "utf8").split("\n")[line - 1]).toContain(urn);
  });

  it("keeps a stable fingerprint per finding", async () => {
    const a = (await sarif("preview.json")).runs[0].results!.map(
      (r) => r.partialFingerprints!["mlstackFinding/v1"],
    );
    const b = (await sarif("preview.json")).runs[0].results!.map(
      (r) => r.partialFingerprints!["mlstackFinding/v1"],
    );
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
  });

  it("serves mlstack plan: evaluate recorded resources and render them against the plan file", () => {
    const violations = evaluate([
      {
        urn: "urn:pulumi:dev::mlstack::kubernetes:core/v1:Service::svc",
        type: "kubernetes:core/v1:Service",
        name: "svc",
        inputs: {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "svc", namespace: "ml-dev-fraud" },
          spec: { type: "NodePort" },
        },
      },
    ]);
    const log = toSarif({ violations, inputs: ["out/plan.json"] });
    expect(validate(log)).toBe(true);
    expect(
      log.runs[0].results!.find((r) => r.ruleId === "k8s-service-no-nodeport")!.locations![0]
        .physicalLocation!.artifactLocation!.uri,
    ).toBe("out/plan.json");
  });
});

describe("SARIF for a value the rule could not check", () => {
  it("marks not-checked findings with a notChecked property, and no other finding", () => {
    const base = {
      urn: "urn:pulumi:dev::p::kubernetes:core/v1:Pod::p",
      type: "kubernetes:core/v1:Pod",
      name: "p",
      enforcementLevel: "mandatory" as const,
      severity: "high" as const,
      remediation: "Pin the image.",
    };
    const log = toSarif({
      violations: [
        {
          ...base,
          policy: "k8s-allowed-registries",
          message: "not checked: spec.containers[0].image is unknown",
          notChecked: true,
        },
        { ...base, policy: "k8s-no-privileged", message: "container c runs privileged" },
      ],
      inputs: ["preview.json"],
    });
    const [unknown, broken] = log.runs[0].results ?? [];
    expect(unknown.properties).toEqual({ notChecked: true });
    expect(broken.properties).toBeUndefined();
  });
});
