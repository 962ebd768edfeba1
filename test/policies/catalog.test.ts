import * as fs from "fs";
import * as path from "path";
import { ALL_RULES, ruleByName } from "../../policies/catalog";
import { configSchemaFor } from "../../policies/packConfig";

/** Every rule of the policy catalog (shared/policy-catalog.md) with its default: M mandatory, A advisory. */
const CATALOG: Record<string, "M" | "A"> = {
  "k8s-no-privileged": "M",
  "k8s-no-host-namespaces": "M",
  "k8s-no-hostpath": "M",
  "k8s-no-host-ports": "M",
  "k8s-no-host-process": "M",
  "k8s-drop-all-capabilities": "M",
  "k8s-capabilities-add-allowlist": "M",
  "k8s-no-privilege-escalation": "M",
  "k8s-run-as-non-root": "M",
  "k8s-run-as-user-nonzero": "M",
  "k8s-high-uid": "A",
  "openshift-no-fixed-uid": "A",
  "k8s-seccomp-required": "M",
  "k8s-restricted-volume-types": "M",
  "k8s-proc-mount-default": "M",
  "k8s-safe-sysctls": "M",
  "k8s-apparmor-not-unconfined": "M",
  "k8s-selinux-restricted": "M",
  "k8s-probe-host-unset": "M",
  "k8s-read-only-root-fs": "A",
  "k8s-no-automount-sa-token": "A",
  "k8s-no-default-service-account": "M",
  "k8s-image-tag-pinned": "M",
  "k8s-image-digest": "A",
  "k8s-allowed-registries": "M",
  "k8s-requests-set": "M",
  "k8s-memory-limit": "M",
  "k8s-cpu-limit": "A",
  "k8s-readiness-probe": "M",
  "k8s-liveness-probe": "A",
  "k8s-no-secret-literals-in-env": "M",
  "k8s-configmap-no-secrets": "M",
  "k8s-no-default-namespace": "M",
  "k8s-ha-replicas-pdb": "A",
  "k8s-spread": "A",
  "k8s-no-bare-pods": "A",
  "k8s-namespace-pss-labels": "M",
  "k8s-namespace-default-deny": "M",
  "k8s-workload-has-netpol": "M",
  "k8s-netpol-no-allow-all": "A",
  "k8s-namespace-quota": "A",
  "k8s-service-no-nodeport": "M",
  "k8s-service-no-public-lb": "M",
  "k8s-ingress-tls": "M",
  "openshift-route-tls": "M",
  "k8s-rbac-no-wildcards": "M",
  "k8s-rbac-no-cluster-admin-binding": "M",
  "k8s-rbac-no-escalation-verbs": "M",
  "k8s-rbac-no-exec-attach": "A",
  "k8s-rbac-secrets-read-scoped": "A",
  "openshift-no-privileged-scc": "M",
  "strimzi-listener-tls": "M",
  "strimzi-listener-authn": "M",
  "strimzi-authorization": "M",
  "strimzi-replication": "A",
  "cnpg-no-superuser-access": "M",
  "cnpg-no-trust-hba": "M",
  "cnpg-ha-backup": "A",
  "kserve-pod-hardening": "M",
  "aws-s3-public-access-block": "M",
  "aws-s3-no-acls": "M",
  "aws-s3-sse-kms": "A",
  "aws-s3-versioning": "M",
  "aws-s3-access-logging": "A",
  "aws-s3-tls-only": "M",
  "aws-s3-no-wildcard-principal": "M",
  "aws-rds-encrypted": "M",
  "aws-rds-not-public": "M",
  "aws-rds-backups": "M",
  "aws-rds-deletion-protection": "M",
  "aws-rds-multi-az": "A",
  "aws-rds-iam-auth": "A",
  "aws-rds-force-ssl": "M",
  "aws-rds-logs-upgrades": "A",
  "aws-msk-tls": "M",
  "aws-msk-client-auth": "M",
  "aws-msk-private": "M",
  "aws-msk-cmk-logging": "A",
  "aws-iam-no-wildcard-action": "M",
  "aws-iam-no-wildcard-resource": "A",
  "aws-iam-no-admin-attach": "M",
  "aws-iam-trust-scoped": "M",
  "aws-kms-rotation": "M",
  "aws-kms-policy-safe": "A",
  "gcp-gcs-uniform-access": "M",
  "gcp-gcs-public-access-prevention": "M",
  "gcp-gcs-no-public-iam": "M",
  "gcp-gcs-versioning-logging": "A",
  "gcp-sql-ssl": "M",
  "gcp-sql-private-ip": "M",
  "gcp-sql-backups-pitr": "M",
  "gcp-sql-deletion-protection": "M",
  "gcp-sql-pg-log-flags": "A",
  "gcp-sql-ha-cmek": "A",
  "gcp-kafka-cmek-network": "A",
  "gcp-gke-workload-identity": "M",
  "gcp-iam-no-basic-roles": "M",
  "gcp-iam-wi-binding-scoped": "M",
  "gcp-kms-rotation": "A",
  "platform-required-labels": "A",
  "platform-protect-stateful": "M",
  "platform-no-plaintext-secret-outputs": "M",
};

/** Rules the pack adds beyond the shared catalog (policies/README.md lists them with their reason). */
const ADDED_RULES: Record<string, "M" | "A"> = {
  "k8s-rbac-no-public-subjects": "M",
  // The kinds of object issue 13's day-one workloads brought: GPUs, vLLM's /dev/shm, KServe
  // ServingRuntimes, Prefect's base job template.
  "k8s-gpu-limits-equal-requests": "M",
  "k8s-tolerations-scoped": "M",
  "k8s-memory-volume-size-limit": "M",
  "kserve-runtime-hardening": "M",
  "prefect-job-template-restricted": "M",
};

const CATALOG_ROW = /^\| ([a-z0-9-]+)(?: \([^)]*\))? \| .* \| ([MA]) \|$/gm;

describe("the pack covers the catalog", () => {
  it.each(Object.entries(CATALOG))("%s exists with its catalog enforcement level", (name, level) => {
    expect(ruleByName(name)?.defaultLevel).toBe(level === "M" ? "mandatory" : "advisory");
  });
  it("has no rule outside the catalog (or the pack's additions), and no rule twice", () => {
    const names = ALL_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !(n in CATALOG) && !(n in ADDED_RULES))).toEqual([]);
  });
  it.each(Object.entries(ADDED_RULES))(
    "addition %s exists with its level and is in the README's additions table",
    (name, level) => {
      expect(ruleByName(name)?.defaultLevel).toBe(level === "M" ? "mandatory" : "advisory");
      const readme = fs.readFileSync(path.join(__dirname, "../../policies/README.md"), "utf8");
      const additions = readme.slice(readme.indexOf("## Rules added beyond the catalog"));
      expect(additions).toContain(`| \`${name}\` |`);
    },
  );
  it("gives every rule a description, a severity, a remediation and a decided behaviour for unknown values", () => {
    for (const rule of ALL_RULES) {
      const ok = rule.description.length > 20 && rule.remediation.length > 10 && rule.onUnknown.length > 20;
      expect({ name: rule.name, ok }).toEqual({ name: rule.name, ok: true });
      expect(["low", "medium", "high", "critical"]).toContain(rule.severity);
    }
  });
  it("gives the rules that read settings a CrossGuard config schema for them", () => {
    expect(configSchemaFor(ruleByName("k8s-allowed-registries")!)?.properties.registries).toMatchObject({
      type: "array",
    });
    expect(configSchemaFor(ruleByName("k8s-seccomp-required")!)?.properties.target).toMatchObject({
      enum: ["kubernetes", "openshift", "aws", "gcp"],
    });
    expect(configSchemaFor(ruleByName("platform-protect-stateful")!)?.properties.environment).toMatchObject({
      enum: ["dev", "staging", "prod"],
    });
    expect(configSchemaFor(ruleByName("k8s-no-privileged")!)).toBeUndefined();
  });
  it("matches the shared catalog when it sits beside the checkout", () => {
    const shared = path.resolve(__dirname, "../../../shared/policy-catalog.md");
    if (!fs.existsSync(shared)) return;
    const rows = [...fs.readFileSync(shared, "utf8").matchAll(CATALOG_ROW)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(CATALOG);
  });
});

it("the pack README documents every rule with its default level", () => {
  const readme = fs.readFileSync(path.join(__dirname, "../../policies/README.md"), "utf8");
  for (const rule of ALL_RULES) expect(readme).toContain(`| \`${rule.name}\` | ${rule.defaultLevel} |`);
});
