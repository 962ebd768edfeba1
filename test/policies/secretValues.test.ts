import { formatJson, formatText } from "../../cli/check/report";
import { toSarif } from "../../cli/check/sarif";
import { evaluateDetailed } from "../../policies/evaluate";
import { isSecretName, secretFlag, secretMaterial } from "../../policies/secretValues";
import { check, container, kube, messages, podSpec, resource, workload } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Test material only: shapes of real credentials, valid for nothing. Built from parts so no
// scanner mistakes this file for a leak.
const PEM = [
  "-----BEGIN RSA ",
  "PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----",
].join("");
const AWS_KEY_ID = ["AKIA", "Z3Q7XKMB4N2WVP6R"].join("");
const AWS_SECRET = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYz9xAmpl3Ke"].join("");
const GCP_KEY = JSON.stringify({
  type: "service_account",
  project_id: "p",
  private_key_id: "1f2e",
  private_key: "x",
  client_email: "a@p.iam.gserviceaccount.com",
});
const JWT = [
  "eyJhbGciOiJIUzI1NiJ9",
  "eyJzdWIiOiJtbHN0YWNrLXRlc3QifQ",
  "c2lnbmF0dXJlLWZvci10ZXN0cy1vbmx5",
].join(".");
const GITHUB = ["ghp_", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"].join("");
const SLACK = ["xoxb-", "1234567890-abcdefghijkl"].join("");
const URL_PASSWORD = ["postgres://app:", "Sup3rS3cret", "@db.internal:5432/app"].join("");
const REDIS_URL = ["redis://:", "hunter2hunter2", "@cache:6379/0"].join("");
const CONN = ["Server=db;User Id=app;", "Password=Tr0ub4dor&3;"].join("");

describe("secret material by value", () => {
  it.each([
    [PEM, "a PEM private key"],
    [GCP_KEY, "a GCP service-account key"],
    [AWS_KEY_ID, "an AWS access key id"],
    [`aws_secret_access_key = ${AWS_SECRET}`, "an AWS secret access key"],
    [JWT, "a JSON Web Token"],
    [GITHUB, "a GitHub token"],
    [SLACK, "a Slack token"],
    [URL_PASSWORD, "a URL with an embedded password"],
    [REDIS_URL, "a URL with an embedded password"],
    [CONN, "a connection string with a password"],
    ["db.password: hunter2hunter2", "a configuration line assigning a credential"],
  ])("recognises %s", (value, what) => {
    expect(secretMaterial(value)).toBe(what);
  });
  it.each([
    "https://mlflow.apps.prod.ml.example.internal",
    "postgres://app@db.internal:5432/app",
    "postgres://app:$(PGPASSWORD)@db:5432/app",
    "redis://:${REDIS_PASSWORD}@cache:6379",
    "password: {{ .Values.password }}",
    "kafka-kafka-bootstrap.ml-prod-platform.svc:9093",
    "SCRAM-SHA-512",
    "/etc/mlstack/postgres/mlflow/ca.crt",
    "s3://mlstack-prod-payments-risk-models/fraud-detector/7",
  ])("leaves configuration alone: %s", (value) => {
    expect(secretMaterial(value)).toBeUndefined();
  });
  it("reads credential names the way people write them", () => {
    for (const n of [
      "PGPASSWORD",
      "REDIS_AUTH",
      "BASIC_AUTH",
      "GCP_CREDENTIALS",
      "dbPassword",
      "CLIENT_SECRET",
      "ACCESS_KEY",
    ])
      expect({ n, secret: isSecretName(n) }).toEqual({ n, secret: true });
    for (const n of [
      "DATABASE_AUTH_METHOD",
      "MLFLOW_AUTH_CONFIG_PATH",
      "TOKENIZER",
      "MAX_TOKENS",
      "SECRET_NAME",
      "KAFKA_SASL_MECHANISM",
    ])
      expect({ n, secret: isSecretName(n) }).toEqual({ n, secret: false });
  });
  it("recognises credentials passed as command-line flags, not placeholders", () => {
    expect(secretFlag(["serve", "--db-password=hunter2hunter2"])).toEqual({
      flag: "--db-password",
      index: 1,
    });
    expect(secretFlag(["--token", "abcdefgh12345678"])).toEqual({ flag: "--token", index: 0 });
    expect(secretFlag(["--password=$(PGPASSWORD)", "--token-file", "/var/run/token"])).toBeUndefined();
  });
});

const withEnv = (env: Json[], extra: Json = {}) =>
  workload("Deployment", podSpec({ containers: [container("server", { env, ...extra })] }));

describe("k8s-no-secret-literals-in-env by value", () => {
  it.each([
    ["PGPASSWORD", "hunter2hunter2", "named like a credential"],
    ["REDIS_AUTH", "s3cr3t-value", "named like a credential"],
    ["GREETING", PEM, "a PEM private key"],
    ["SETTINGS", GCP_KEY, "a GCP service-account key"],
    ["DATABASE_URL", URL_PASSWORD, "a URL with an embedded password"],
  ])("flags env %s", (name, value, finding) => {
    expect(messages([withEnv([{ name, value }])], "k8s-no-secret-literals-in-env")).toEqual([
      expect.stringContaining(finding),
    ]);
  });
  it("flags secret material in args and command, and --password flags", () => {
    const r = withEnv([], {
      command: ["sh", "-c", `curl -H 'Authorization: Bearer ${JWT}' http://x`],
      args: ["--api-token", "abcdefgh12345678"],
    });
    expect(messages([r], "k8s-no-secret-literals-in-env")).toEqual([
      'container "server" passes a JSON Web Token in command (spec.template.spec.containers[0].command[2])',
      'container "server" passes a credential on the command line with --api-token (spec.template.spec.containers[0].args[0])',
    ]);
  });
  it("accepts secretKeyRef, $(VAR) references and plain configuration", () => {
    const r = withEnv(
      [
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        { name: "DATABASE_URL", value: "postgres://app:$(PGPASSWORD)@db:5432/app" },
        { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/run/secrets/gcp/key.json" },
      ],
      { args: ["--port=8080", "--password-file=/run/secrets/pw"] },
    );
    expect(messages([r], "k8s-no-secret-literals-in-env")).toEqual([]);
  });
});

describe("k8s-configmap-no-secrets under innocent names", () => {
  it.each([
    ["settings.yaml", `aws_access_key_id: ${AWS_KEY_ID}\n`, "an AWS access key id"],
    ["tls.pem", PEM, "a PEM private key"],
    ["notes", `deploy with ${GITHUB}`, "a GitHub token"],
    ["hooks", `url: https://hooks.slack.com/services/T000/B000/${"X".repeat(24)}`, "a Slack webhook URL"],
  ])("flags data.%s", (key, value, finding) => {
    const cm = kube("v1", "ConfigMap", "app-config", { data: { [key]: value } });
    expect(messages([cm], "k8s-configmap-no-secrets")).toEqual([
      `ConfigMap app-config data.${key} holds ${finding}`,
    ]);
  });
});

describe("redaction", () => {
  const values = [
    PEM,
    AWS_KEY_ID,
    AWS_SECRET,
    JWT,
    GITHUB,
    SLACK,
    "Sup3rS3cret",
    "hunter2hunter2",
    "Tr0ub4dor",
  ];
  const leaky = [
    withEnv(
      [
        { name: "A", value: PEM },
        { name: "PGPASSWORD", value: "hunter2hunter2" },
        { name: "DB", value: URL_PASSWORD },
        { name: "C", value: CONN },
      ],
      { args: [`--token=${GITHUB}`, JWT] },
    ),
    kube("v1", "ConfigMap", "c", { data: { a: `aws_secret_access_key=${AWS_SECRET}`, b: SLACK } }),
  ];
  const stack = resource("pulumi:pulumi:Stack", "mlstack-test", {});
  const result = evaluateDetailed(
    [...leaky, stack],
    {},
    { outputs: { dbUrl: URL_PASSWORD, key: AWS_KEY_ID } },
  );

  it("finds every planted value", () => {
    const byRule = (rule: string) => result.violations.filter((v) => v.policy === rule).length;
    expect(byRule("k8s-no-secret-literals-in-env")).toBe(6);
    expect(byRule("k8s-configmap-no-secrets")).toBe(2);
    expect(byRule("platform-no-plaintext-secret-outputs")).toBe(2);
  });
  it("never repeats a value in a finding, the text or JSON report, or SARIF", () => {
    const report = {
      violations: result.violations,
      deferred: result.deferred,
      resourceCount: 3,
      inputs: ["x.yaml"],
    };
    const outputs = [
      JSON.stringify(result.violations),
      formatText(report),
      formatJson(report),
      JSON.stringify(toSarif(report)),
    ];
    for (const out of outputs) for (const v of values) expect(out.includes(v)).toBe(false);
  });
});

it("checks plain-YAML-shaped input the same way (no Pulumi URN)", () => {
  const r = withEnv([{ name: "PGPASSWORD", value: "hunter2hunter2" }]);
  expect(
    check([{ ...r, urn: "deploy.yaml#Deployment/ml/scorer" }], "k8s-no-secret-literals-in-env").violations,
  ).toHaveLength(1);
});
