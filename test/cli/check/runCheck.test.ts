import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { runCheck } from "../../../cli/check";

const FIXTURES = path.join(__dirname, "../../fixtures/check");

async function run(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCheck(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: FIXTURES,
  });
  return { code, stdout, stderr };
}

interface JsonViolation {
  policy: string;
  urn: string;
  type: string;
  enforcementLevel: string;
  message: string;
  file?: string;
  line?: number;
}

async function json(...argv: string[]) {
  const r = await run(...argv, "--format", "json");
  return {
    ...r,
    report: JSON.parse(r.stdout) as {
      violations: JsonViolation[];
      summary: Record<string, unknown>;
      deferred: unknown[];
    },
  };
}

describe("mlstack check on Kubernetes YAML", () => {
  it("reports the Deployment's findings and exits 1 on mandatory violations", async () => {
    const { code, report } = await json("manifests/team.yaml");
    expect(code).toBe(1);
    const policies = report.violations.map((v) => v.policy);
    expect(policies).toEqual(
      expect.arrayContaining([
        "k8s-no-privileged",
        "k8s-no-secret-literals-in-env",
        "k8s-service-no-nodeport",
        "k8s-image-digest",
      ]),
    );
    const privileged = report.violations.find((v) => v.policy === "k8s-no-privileged")!;
    expect(privileged).toMatchObject({
      urn: "manifests/team.yaml#Deployment/ml-prod-fraud/scorer",
      type: "kubernetes:apps/v1:Deployment",
      enforcementLevel: "mandatory",
      file: "manifests/team.yaml",
      line: 30,
    });
  });
  it("gives items of a List their own line", async () => {
    const { report } = await json("manifests/team.yaml");
    expect(report.violations.find((v) => v.policy === "k8s-service-no-nodeport")).toMatchObject({
      urn: "manifests/team.yaml#Service/ml-prod-fraud/scorer",
      line: 89,
    });
  });
  it("reads every manifest of a directory", async () => {
    const { report } = await json("manifests");
    expect(report.summary).toMatchObject({ resources: 5, inputs: ["manifests/team.yaml"] });
  });
});

describe("mlstack check on a pulumi preview --json document", () => {
  it("reports the same findings as the equivalent YAML", async () => {
    const key = (v: JsonViolation) => `${v.policy} ${v.enforcementLevel} ${v.message}`;
    const fromYaml = (await json("manifests/team.yaml")).report.violations.map(key).sort();
    const fromPreview = (await json("preview.json")).report.violations.map(key).sort();
    expect(fromPreview).toEqual(fromYaml);
    expect(fromYaml.length).toBeGreaterThan(3);
  });
  it("skips deleted resources", async () => {
    const { report } = await json("preview.json");
    expect(report.violations.some((v) => v.urn.endsWith("fraud-debug"))).toBe(false);
    expect(report.violations.some((v) => v.urn.endsWith("fraud-scorer"))).toBe(true);
  });
  it("takes target and environment from the preview's stack config", async () => {
    const { report } = await json("preview.json");
    expect(report.summary).toMatchObject({ target: "kubernetes", environment: "prod" });
  });
  it("lets --target and --env override the document", async () => {
    const { report } = await json("preview.json", "--target", "openshift", "--env", "dev");
    expect(report.summary).toMatchObject({ target: "openshift", environment: "dev" });
    expect(report.violations.map((v) => v.policy)).toContain("openshift-no-fixed-uid");
    expect(report.violations.map((v) => v.policy)).not.toContain("k8s-high-uid");
  });
});

describe("mlstack check on a pulumi stack export", () => {
  it("checks resources and stack outputs, skips pending deletes, and infers the aws target", async () => {
    const { code, report } = await json("stack-export.json");
    expect(code).toBe(1);
    expect(report.summary).toMatchObject({ target: "aws" });
    const policies = report.violations.map((v) => `${v.policy} ${v.urn.split("::").pop()}`);
    expect(policies).toEqual(
      expect.arrayContaining([
        "aws-s3-tls-only mlflow-artifacts",
        "aws-s3-sse-kms mlflow-artifacts",
        "platform-no-plaintext-secret-outputs mlstack-prod",
      ]),
    );
    expect(policies).not.toContain("aws-s3-public-access-block mlflow-artifacts");
    expect(policies).not.toContain("aws-s3-versioning mlflow-artifacts");
    expect(report.violations.some((v) => v.urn.endsWith("old-artifacts"))).toBe(false);
    const outputs = report.violations
      .filter((v) => v.policy === "platform-no-plaintext-secret-outputs")
      .map((v) => v.message);
    expect(outputs).toEqual([
      "stack output artifactBucketPassword is named like a credential and is not secret",
    ]);
  });
});

describe("pack config", () => {
  it("applies levels and settings from a CrossGuard pack-config file", async () => {
    const { report } = await json("manifests/team.yaml", "--config", "pack-config.json");
    const levels = Object.fromEntries(report.violations.map((v) => [v.policy, v.enforcementLevel]));
    expect(levels["k8s-image-digest"]).toBeUndefined();
    expect(levels["k8s-no-secret-literals-in-env"]).toBe("advisory");
    expect(levels["k8s-namespace-quota"]).toBe("mandatory");
  });
  it("rejects an unknown rule name with exit 2", async () => {
    const { code, stderr } = await run("manifests/team.yaml", "--config", "bad-pack-config.json");
    expect(code).toBe(2);
    expect(stderr).toBe(
      "mlstack check: bad-pack-config.json: k8s-no-such-rule: no rule of that name in the pack\n",
    );
  });
});

describe("exit codes", () => {
  it("exits 0 when only advisory findings remain", async () => {
    const { code, stdout } = await run(
      "manifests/team.yaml",
      "--config",
      "pack-config.json",
      "--format",
      "text",
      "--env",
      "prod",
    );
    expect(code).toBe(1);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mlstack-check-"));
    await fs.writeFile(
      path.join(dir, "cm.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ml-dev-fraud\ndata:\n  level: info\n",
    );
    let out = "";
    const ok = await runCheck([path.join(dir, "cm.yaml")], {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      cwd: dir,
    });
    expect(ok).toBe(0);
    expect(out).toContain("platform-required-labels");
    expect(out).toContain("Result: passed");
    expect(stdout).toContain("Result: FAILED");
  });
  it.each([
    [["missing.yaml"], "mlstack check: missing.yaml: no such file or directory\n"],
    [["empty.yaml"], "mlstack check: empty.yaml: empty file\n"],
    // The malformed fixtures end in .txt so the repository formatter leaves them malformed.
    [["malformed-json.txt"], /^mlstack check: malformed-json\.txt:4: malformed JSON: .+\n$/],
    [["malformed-yaml.txt"], /^mlstack check: malformed-yaml\.txt:6: malformed YAML: .+\n$/],
    [["unknown-shape.json"], /^mlstack check: unknown-shape\.json:1: unknown document shape: /],
    [
      ["not-kubernetes.yaml"],
      /^mlstack check: not-kubernetes\.yaml:1: a document without apiVersion and kind/,
    ],
    [["manifests/team.yaml", "--format", "xml"], /--format xml: use one of text, json, sarif/],
    [
      ["manifests/team.yaml", "--target", "azure"],
      /--target azure: use one of kubernetes, openshift, aws, gcp/,
    ],
    [["manifests/team.yaml", "--bogus"], /unknown option --bogus/],
    [[], /no file or directory to check/],
  ])("exits 2 with one message for %j", async (argv, expected) => {
    const { code, stderr, stdout } = await run(...(argv as string[]));
    expect(code).toBe(2);
    expect(stdout).toBe("");
    if (typeof expected === "string") expect(stderr).toBe(expected);
    else expect(stderr).toMatch(expected);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
  it("prints usage for --help and exits 0", async () => {
    const { code, stdout } = await run("--help");
    expect(code).toBe(0);
    expect(stdout).toContain("usage: mlstack check");
  });
});

describe("text output", () => {
  it("groups findings by resource, mandatory first, each with its fix", async () => {
    const { stdout } = await run("manifests/team.yaml");
    const block = stdout.split("\n\n").find((b) => b.startsWith("kubernetes:apps/v1:Deployment scorer"))!;
    const lines = block.split("\n");
    expect(lines[1]).toBe("  at manifests/team.yaml:30");
    expect(lines[2]).toMatch(/^ {2}MANDATORY k8s-/);
    expect(block).toMatch(
      /MANDATORY k8s-no-privileged: container "server" \(spec\.template\.spec\.containers\[0\]\) runs privileged\n\s+fix: Remove/,
    );
    expect(block.indexOf("advisory  k8s-image-digest")).toBeGreaterThan(block.indexOf("MANDATORY"));
    expect(stdout).toMatch(
      /\d+ mandatory and \d+ advisory violations in \d+ of 5 resources \(manifests\/team\.yaml; target kubernetes;/,
    );
  });
});
