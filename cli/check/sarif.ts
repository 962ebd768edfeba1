/**
 * SARIF 2.1.0 for GitHub code scanning: one run, the whole pack as rules (with help text and a
 * security-severity), each violation a result with its level, the resource URN as logical
 * location, and the file and line as physical location (the YAML object, or the line naming the
 * resource's URN in a preview / plan / stack export).
 */
import { createHash } from "crypto";
import type { Log, ReportingDescriptor, Result } from "sarif";
import { ALL_RULES } from "../../policies/catalog";
import policyPackage from "../../policies/package.json";
import type { Rule, Severity } from "../../policies/rule";
import type { CheckReport } from "./report";

/** GitHub ranks security alerts by this score (critical ≥ 9, high ≥ 7, medium ≥ 4). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
};

export const SARIF_TOOL_NAME = "mlstack-check";

function ruleDescriptor(rule: Rule): ReportingDescriptor {
  return {
    id: rule.name,
    name: rule.name
      .split("-")
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join(""),
    shortDescription: { text: rule.description },
    fullDescription: { text: `${rule.description} Unknown values: ${rule.onUnknown}` },
    help: {
      text: `${rule.description}\n\nFix: ${rule.remediation}\n\nDefault enforcement: ${rule.defaultLevel}.`,
      markdown: `${rule.description}\n\n**Fix:** ${rule.remediation}\n\nDefault enforcement: \`${rule.defaultLevel}\`. Unknown values at preview: ${rule.onUnknown}`,
    },
    defaultConfiguration: { level: rule.defaultLevel === "mandatory" ? "error" : "warning" },
    properties: {
      tags: [
        "security",
        "infrastructure-as-code",
        rule.kind === "stack" ? "stack-policy" : "resource-policy",
      ],
      "security-severity": SECURITY_SEVERITY[rule.severity],
      precision: "high",
    },
  };
}

export interface SarifOptions {
  /** Rules to describe (default: the whole pack). */
  rules?: readonly Rule[];
  /** Absolute working directory the relative file paths are based on (recorded as %SRCROOT%). */
  srcRoot?: string;
}

/** Builds the SARIF log of a check. */
export function toSarif(report: CheckReport, options: SarifOptions = {}): Log {
  const rules = options.rules ?? ALL_RULES;
  const index = new Map(rules.map((r, i) => [r.name, i]));
  const results: Result[] = report.violations.map((v) => {
    const file = v.location?.file ?? (report.inputs?.length === 1 ? report.inputs[0] : undefined);
    const region = v.location?.line
      ? { startLine: v.location.line, ...(v.location.column ? { startColumn: v.location.column } : {}) }
      : file
        ? { startLine: 1 }
        : undefined;
    return {
      ruleId: v.policy,
      ...(index.has(v.policy) ? { ruleIndex: index.get(v.policy) } : {}),
      level: v.enforcementLevel === "mandatory" ? "error" : "warning",
      message: { text: `${v.message}. Fix: ${v.remediation}` },
      locations: [
        {
          ...(file
            ? {
                physicalLocation: {
                  artifactLocation: { uri: encodeURI(file), uriBaseId: "%SRCROOT%" },
                  ...(region ? { region } : {}),
                },
              }
            : {}),
          logicalLocations: [{ fullyQualifiedName: v.urn, name: v.name, kind: "resource" }],
        },
      ],
      // A value the rule could not see (unknown at preview): a reviewer filters these apart.
      ...(v.notChecked ? { properties: { notChecked: true } } : {}),
      partialFingerprints: {
        "mlstackFinding/v1": createHash("sha256")
          .update(`${v.policy}\u0000${v.urn}\u0000${v.message}`)
          .digest("hex"),
      },
    };
  });
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: SARIF_TOOL_NAME,
            fullName: "mlstack check (mlstack-security policy pack)",
            version: policyPackage.version,
            semanticVersion: policyPackage.version,
            rules: rules.map(ruleDescriptor),
          },
        },
        ...(options.srcRoot
          ? {
              originalUriBaseIds: {
                "%SRCROOT%": {
                  uri: `file://${encodeURI(options.srcRoot.replace(/\\/g, "/").replace(/\/?$/, "/"))}`,
                },
              },
            }
          : {}),
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}
