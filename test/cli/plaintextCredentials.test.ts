/**
 * Plaintext credentials in a stack file: found by key name or by value, named (never shown) in a
 * warning in dev, refused in staging and prod, and redacted in every file `mlstack plan` writes.
 */
import * as fs from "fs";
import * as path from "path";
import { runPlan } from "../../cli/plan";
import { credentialReason, findPlaintextCredentials, redactText } from "../../cli/plan/plaintextCredentials";
import { listStacks, loadStackConfig } from "../../cli/plan/stackConfig";
import { ROOT, projectCopy, snapshot, tempDir } from "./cliProcess";

// Recognisably fake credentials in the shapes the detector looks for.
const PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEAq7BFUpkGp3+LQmlQ\n-----END PRIVATE KEY-----\n";
const AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const PASSWORD = "hunter2-plaintext-pw";

describe("credentialReason", () => {
  it.each([
    ["password", "x1"],
    ["dbPassword", "pw-value"],
    ["api_token", "abc"],
    ["secretAccessKey", "anything"],
    ["clientSecret", "s3cr3t"],
    ["privateKey", "k"],
  ])("flags the key %s by its name", (key, value) => {
    expect(credentialReason(key, value)).toBe(`its key "${key}" names a credential`);
  });

  it.each([
    ["a PEM private key", "settings", PEM],
    ["an AWS access key id", "keyId", AWS_KEY_ID],
    ["an AWS secret access key", "awsValue", AWS_SECRET],
    ["a URL with a password", "endpoint", "postgres://app:Sup3rSecret@db.internal:5432/app"],
    ["a connection string with a password", "dsn", "Server=db;User Id=app;Password=Sup3rSecret;"],
    [
      "a kubeconfig with embedded credentials",
      "kubeconfig",
      "apiVersion: v1\nusers:\n- user:\n    token: eyJhbGciOiJSUzI1NiIs\n",
    ],
  ])("flags %s by its value under an innocent key", (what, key, value) => {
    expect(credentialReason(key, value)).toContain(what);
  });

  it.each([
    ["credentialsSecret", "team-s3-credentials"],
    ["tlsSecretName", "mlflow-tls"],
    ["auth", "basic"],
    ["image", "ghcr.io/mlstack/mlflow:3.17.2-3"],
    ["commit", "0053f71a3c1e2f4d5b6a7980c1d2e3f4a5b6c7d8"],
    ["endpoint", "https://s3.example.internal"],
    ["password", ""],
  ])("leaves %s: %s alone", (key, value) => {
    expect(credentialReason(key, value)).toBeUndefined();
  });

  it("finds no plaintext credential in any shipped stack", () => {
    for (const stack of listStacks(ROOT)) {
      const config = loadStackConfig(ROOT, stack);
      expect(findPlaintextCredentials(config.config, config.secretKeys)).toEqual([]);
    }
  });

  it("names nested keys with their path and skips secure: values", () => {
    const found = findPlaintextCredentials(
      {
        "mlstack:objectStore": JSON.stringify({ buckets: [{ name: "b", secretKey: AWS_SECRET }] }),
        "aws:secretKey": "[secure placeholder]",
      },
      ["aws:secretKey"],
    );
    expect(found.map((c) => c.key)).toEqual(["mlstack:objectStore.buckets[0].secretKey"]);
  });

  it("redacts a credential as written and as escaped inside JSON", () => {
    const text = `${JSON.stringify({ pem: PEM })}\n${PEM}`;
    const redacted = redactText(text, [PEM]);
    expect(redacted).not.toContain("MIIBVgIBADANBg");
    expect(redacted).toContain("[redacted]");
  });
});

function withStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((c) => {
    chunks.push(String(c));
    return true;
  });
  return fn()
    .then((result) => ({ result, stderr: chunks.join("") }))
    .finally(() => spy.mockRestore());
}

const PLAINTEXT_KEYS = [
  `  postgresql:password: ${PASSWORD}`,
  `  aws:accessKey: ${AWS_KEY_ID}`,
  `  aws:secretKey: ${AWS_SECRET}`,
  `  kubernetes:clusterCertificateKey: |`,
  ...PEM.trimEnd()
    .split("\n")
    .map((l) => `    ${l}`),
].join("\n");

describe("mlstack plan with plaintext credentials", () => {
  it("warns in dev naming each key, never the value, and redacts the values in every written file", async () => {
    const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const project = projectCopy({ leaky: `${dev.trimEnd()}\n${PLAINTEXT_KEYS}\n` });
    const out = path.join(tempDir("mlstack-out-"), "leaky");
    const { result, stderr } = await withStderr(() =>
      runPlan(["leaky", "--out", out, "--quiet"], project, () => undefined),
    );
    expect(result).toBe(0);
    for (const key of [
      "postgresql:password",
      "aws:accessKey",
      "aws:secretKey",
      "kubernetes:clusterCertificateKey",
    ]) {
      expect(stderr).toContain(`mlstack plan: warning: Pulumi.leaky.yaml: ${key} is a plaintext credential`);
    }
    for (const secret of [PASSWORD, AWS_KEY_ID, AWS_SECRET, "MIIBVgIBADANBg"])
      expect(stderr).not.toContain(secret);
    const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"));
    expect(plan.config["postgresql:password"]).toBe("[redacted]");
    // Code scanning marks the line that holds each one.
    const sarif = JSON.parse(fs.readFileSync(path.join(out, "policy.sarif"), "utf8"));
    const stackLines = fs.readFileSync(path.join(project, "Pulumi.leaky.yaml"), "utf8").split("\n");
    const finding = sarif.runs[0].results.find(
      (r: { ruleId: string; message: { text: string } }) =>
        r.ruleId === "mlstack-plaintext-stack-credential" &&
        r.message.text.startsWith("postgresql:password "),
    );
    expect(finding.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "Pulumi.leaky.yaml", uriBaseId: "%SRCROOT%" },
      region: { startLine: stackLines.findIndex((l) => l.startsWith("  postgresql:password:")) + 1 },
    });
    expect(sarif.runs[0].tool.driver.rules[finding.ruleIndex].id).toBe("mlstack-plaintext-stack-credential");
    expect(plan.config["aws:secretKey"]).toBe("[redacted]");
    for (const [file, content] of snapshot(out)) {
      for (const secret of [PASSWORD, AWS_KEY_ID, AWS_SECRET, "MIIBVgIBADANBg"]) {
        if (content.includes(secret)) throw new Error(`${file} contains a plaintext credential`);
      }
    }
  }, 60_000);

  it("refuses a plaintext credential in staging with exit 2, naming the key and not the value, writing nothing", async () => {
    const staging = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
    const project = projectCopy({ staging: `${staging.trimEnd()}\n  postgresql:password: ${PASSWORD}\n` });
    const out = path.join(tempDir("mlstack-out-"), "staging");
    const { result, stderr } = await withStderr(() =>
      runPlan(["staging", "--out", out], project, () => undefined),
    );
    expect(result).toBe(2);
    expect(stderr).toBe(
      'mlstack plan: Pulumi.staging.yaml: postgresql:password is a plaintext credential (its key "password" names a credential); in environment staging credentials must be secure: values (pulumi config set --secret postgresql:password …); plaintext is accepted, with a warning, only in dev\n',
    );
    expect(fs.existsSync(out)).toBe(false);
  });
});
