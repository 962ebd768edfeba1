/**
 * The offline evaluator and the CrossGuard handlers reach the same verdicts. Every `check()` in
 * these tests already compares them (helpers.ts); this file covers the engine's own shapes —
 * unwrapped secrets, unknown sentinels, stack outputs on the root Stack resource, per-policy config
 * — and the differences the rules document.
 */
import * as fs from "fs";
import * as path from "path";
import { ruleByName } from "../../policies/catalog";
import { evaluateDetailed, NOT_CHECKED_REMEDIATION } from "../../policies/evaluate";
import { DEFAULT_REGISTRIES, PackConfigError, parsePackConfigDocument } from "../../policies/packConfig";
import { DEFAULT_REGISTRIES as CONFIG_DEFAULT_REGISTRIES } from "../../stacks/config/defaults";
import { ALL_RULES } from "../../policies/catalog";
import { engineMessages } from "./engine";
import { check, container, kube, podSpec, podSpecOf, resource, UNKNOWN, workload } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const secret = (value: unknown) => ({ [SIG]: SECRET, value });
const PEM = [
  "-----BEGIN ",
  "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
].join("");

const engine = (rs: Parameters<typeof engineMessages>[0], rule: string, config = {}, outputs?: Json) =>
  engineMessages(rs, ruleByName(rule)!, config, outputs)!;
const offline = (rs: Parameters<typeof engineMessages>[0], rule: string, config = {}, outputs?: Json) =>
  evaluateDetailed(rs, config, { outputs }).violations.filter((v) => v.policy === rule);

describe("engine-shaped values", () => {
  it("judges a secret the engine unwraps by its content, as offline", () => {
    const cm = kube("v1", "ConfigMap", "c", { data: { "client.key": secret(PEM) } });
    expect(engine([cm], "k8s-configmap-no-secrets")).toEqual([
      "ConfigMap c data.client.key holds a PEM private key",
    ]);
    expect(check([cm], "k8s-configmap-no-secrets").violations.map((v) => v.message)).toEqual([
      "ConfigMap c data.client.key holds a PEM private key",
    ]);
  });
  it("tells how to resolve a not-checked finding, not the rule's own fix", () => {
    const d = workload("Deployment", podSpec({ containers: [container("server", { image: UNKNOWN })] }));
    expect(offline([d], "k8s-image-tag-pinned")).toEqual([
      expect.objectContaining({ notChecked: true, remediation: NOT_CHECKED_REMEDIATION }),
    ]);
  });
  it("reports an unknown value as not checked on both sides", () => {
    const d = workload("Deployment", podSpec({ containers: [container("server", { image: UNKNOWN })] }));
    const e = engine([d], "k8s-allowed-registries");
    expect(e).toEqual([expect.stringMatching(/^not checked: spec\.template\.spec\.containers\[0\]\.image/)]);
    expect(offline([d], "k8s-allowed-registries").map((v) => v.message)).toEqual(e);
  });
  it("gives kserve-pod-hardening the same verdict whatever the other rules' levels", () => {
    const isvc = workload("InferenceService");
    podSpecOf(isvc).containers[0].securityContext.readOnlyRootFilesystem = false;
    podSpecOf(isvc).containers[0].securityContext.privileged = true;
    for (const config of [
      {},
      { all: "mandatory" as const },
      { policies: { "k8s-no-privileged": "disabled" as const } },
    ]) {
      const o = offline([isvc], "kserve-pod-hardening", config).map((v) => v.message);
      expect(o).toEqual([expect.stringContaining("k8s-no-privileged")]);
      expect(engine([isvc], "kserve-pod-hardening", config)).toEqual(o);
    }
  });
});

describe("platform-no-plaintext-secret-outputs under the engine", () => {
  const stack = resource("pulumi:pulumi:Stack", "mlstack-test", {});
  const url = ["postgres://app:", "Sup3rS3cret", "@db:5432/app"].join("");
  it("fires on a plaintext credential output (a not-checked finding: the engine hides secretness)", () => {
    expect(
      offline([stack], "platform-no-plaintext-secret-outputs", {}, { dbUrl: url }).map((v) => v.message),
    ).toEqual(["stack output dbUrl holds a URL with an embedded password and is not secret"]);
    expect(engine([stack], "platform-no-plaintext-secret-outputs", {}, { dbUrl: url })).toEqual([
      expect.stringMatching(
        /^not checked: whether stack output dbUrl is secret \(dbUrl holds a URL with an embedded password/,
      ),
    ]);
  });
  it("passes plain configuration outputs on both sides", () => {
    const outputs = { mlflowUrl: "https://mlflow.example.internal", buckets: ["a", "b"] };
    expect(offline([stack], "platform-no-plaintext-secret-outputs", {}, outputs)).toEqual([]);
    expect(engine([stack], "platform-no-plaintext-secret-outputs", {}, outputs)).toEqual([]);
  });
  it("passes a secret output offline, and says under the engine that it cannot tell", () => {
    expect(offline([stack], "platform-no-plaintext-secret-outputs", {}, { dbUrl: secret(url) })).toEqual([]);
    expect(engine([stack], "platform-no-plaintext-secret-outputs", {}, { dbUrl: secret(url) })).toEqual([
      expect.stringMatching(/^not checked: whether stack output dbUrl is secret/),
    ]);
  });
});

describe("one registry setting", () => {
  it("is how the README's example pack config gives it (the example parses)", () => {
    const readme = fs.readFileSync(path.join(__dirname, "../../policies/README.md"), "utf8");
    const example = /```json\n([\s\S]*?)\n```/.exec(readme)![1];
    const config = parsePackConfigDocument(JSON.parse(example), ALL_RULES);
    expect(config.policies?.["k8s-allowed-registries"]).toEqual({
      registries: ["registry.redhat.io", "quay.io", "registry.bank.example"],
    });
  });
  it("has one default list, which the stack config imports from the pack", () => {
    expect(CONFIG_DEFAULT_REGISTRIES).toBe(DEFAULT_REGISTRIES);
  });
  it("is read by k8s-allowed-registries only; a rule that does not read a setting refuses it", () => {
    expect(ALL_RULES.filter((r) => r.settings.includes("registries")).map((r) => r.name)).toEqual([
      "k8s-allowed-registries",
    ]);
    expect(() =>
      parsePackConfigDocument({ "kserve-pod-hardening": { registries: ["quay.io"] } }, ALL_RULES),
    ).toThrow(
      new PackConfigError(
        "kserve-pod-hardening.registries: kserve-pod-hardening does not read registries (set it on k8s-allowed-registries); its settings: target",
      ),
    );
  });
  it("applies the allowlist to InferenceServices through k8s-allowed-registries, offline and under the engine", () => {
    const isvc = workload("InferenceService");
    podSpecOf(isvc).containers[0].image = "registry.bank.example/scorer:1.0";
    const config = { policies: { "k8s-allowed-registries": { registries: ["registry.bank.example"] } } };
    expect(check([isvc], "k8s-allowed-registries", config).violations).toEqual([]);
    expect(check([isvc], "k8s-allowed-registries").violations).toHaveLength(1);
  });
});
