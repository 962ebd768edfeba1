/**
 * Plaintext credentials in the stack config as SARIF results in `policy.sarif`, beside the policy
 * pack's findings, so code scanning marks the line of the stack file that holds one (a warning:
 * outside `dev` the plan refuses them before anything is written). The message names the key and
 * why, never the value.
 */
import type { Log, ReportingDescriptor, Result } from "sarif";
import type { PlaintextCredential } from "./plaintextCredentials";
import type { StackFileLocator } from "./stackFileLocations";

export const PLAINTEXT_CREDENTIAL_RULE = "mlstack-plaintext-stack-credential";

const DESCRIPTOR: ReportingDescriptor = {
  id: PLAINTEXT_CREDENTIAL_RULE,
  name: "PlaintextStackCredential",
  shortDescription: {
    text: "A credential is written in plain text in the stack config (not a secure: value).",
  },
  help: {
    text: "Store it as a secret: pulumi config set --secret <key> <value>. Plaintext is accepted, with this warning, only in dev.",
  },
  defaultConfiguration: { level: "warning" },
  properties: { tags: ["security", "infrastructure-as-code"], "security-severity": "8.0" },
};

/** Adds one result per credential to the (single-run) SARIF log, pointing at its key's line. */
export function addCredentialFindings(
  log: Log,
  credentials: readonly PlaintextCredential[],
  stackFile: string,
  sources: Readonly<Record<string, string>>,
  locator: StackFileLocator,
): Log {
  if (credentials.length === 0) return log;
  const run = log.runs[0];
  const rules = run.tool.driver.rules ?? [];
  const ruleIndex = rules.length;
  const results: Result[] = credentials.map((c) => {
    // A value from an ESC override file or variable has no line in the stack file.
    const fromStackFile = sources[c.configKey] === undefined;
    return {
      ruleId: PLAINTEXT_CREDENTIAL_RULE,
      ruleIndex,
      level: "warning",
      message: {
        text: `${c.key} is a plaintext credential (${c.reason}); store it with pulumi config set --secret ${c.configKey}`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: {
              uri: fromStackFile ? stackFile : sources[c.configKey],
              uriBaseId: "%SRCROOT%",
            },
            region: { startLine: (fromStackFile && locator.lineOfKey(c.configKey)) || 1 },
          },
          logicalLocations: [{ fullyQualifiedName: c.key, kind: "configKey" }],
        },
      ],
    };
  });
  return {
    ...log,
    runs: [
      {
        ...run,
        tool: { ...run.tool, driver: { ...run.tool.driver, rules: [...rules, DESCRIPTOR] } },
        results: [...(run.results ?? []), ...results],
      },
      ...log.runs.slice(1),
    ],
  };
}
