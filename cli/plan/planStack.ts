/**
 * The work behind `mlstack plan`, loaded only once the command line and the output folder passed:
 * validate the stack's config, render it under Pulumi's mock runtime, and turn the recording into
 * the files the plan writes (with plaintext credentials redacted) and its policy report.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, PlatformConfig, parseConfig, platformKeys } from "../../stacks/config";
import { RecordedResource, runUnderMocks } from "../mockRuntime";
import { addCredentialFindings } from "./credentialFindings";
import { mermaidDiagram } from "./diagram";
import { ESC_CONFIG_VARIABLE, overrideFileName } from "./escEnvironment";
import {
  PlaintextCredential,
  findPlaintextCredentials,
  redactCredentials,
  redactText,
} from "./plaintextCredentials";
import { PlanPolicyReport, policyReport } from "./policy";
import { checkProviderConfig } from "./providerConfig";
import { kubernetesObjects, manifestPath, previewDocument, toYaml } from "./render";
import { stackFileLocator } from "./stackFileLocations";
import { StackConfig, StackFileError, loadStackConfig } from "./stackConfig";
import { stackNameProblem } from "./stackName";

export interface PlanResult {
  config: PlatformConfig;
  /** The stack's raw config as handed to the program (for plan.json). */
  stackConfig: StackConfig;
  resources: RecordedResource[];
  /** Default providers the engine would create, configured from provider stack keys. */
  defaultProviders: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Credentials written in plain text in the stack file (warned about in dev). */
  plaintextCredentials: PlaintextCredential[];
  /** What the user should know but that does not stop the plan (printed on stderr). */
  warnings: string[];
}

/** "Pulumi.dev.yaml imports ESC environment(s) …": the note for values the plan could not read. */
function unreadEnvironmentsNote(stackConfig: StackConfig): string {
  const { unreadEnvironments, stack } = stackConfig;
  return `${path.basename(stackConfig.file)} imports ESC environment${unreadEnvironments.length === 1 ? "" : "s"} ${unreadEnvironments.join(", ")}, which mlstack plan cannot open offline; give their pulumiConfig values in ${overrideFileName(stack)} (values: pulumiConfig: {...}) or as JSON in ${ESC_CONFIG_VARIABLE}`;
}

/**
 * Validates the stack's config and renders it under mocks (no files written). Plaintext
 * credentials outside `dev` are refused here, before anything registers.
 */
export async function planStack(projectDir: string, stack: string): Promise<PlanResult> {
  const problem = stackNameProblem(stack);
  if (problem) throw new StackFileError(problem);
  const stackConfig = loadStackConfig(projectDir, stack);
  const plaintextCredentials = findPlaintextCredentials(stackConfig.config, stackConfig.secretKeys);
  const warnings: string[] = [];
  // Validate before the runtime starts: a bad config registers nothing at all.
  let config: PlatformConfig;
  try {
    config = parseConfig(platformKeys(stackConfig.config), { project: stackConfig.project, stack });
  } catch (err) {
    // Values missing from the config may be the ones an unread environment would have supplied.
    if (err instanceof ConfigError && stackConfig.unreadEnvironments.length > 0) {
      throw new StackFileError(`${err.message}\n${unreadEnvironmentsNote(stackConfig)}`);
    }
    throw err;
  }
  if (stackConfig.unreadEnvironments.length > 0) {
    warnings.push(`${unreadEnvironmentsNote(stackConfig)}; this plan uses the stack file alone`);
  }
  const fileOf = (key: string) => stackConfig.sources[key] ?? path.basename(stackConfig.file);
  if (plaintextCredentials.length > 0 && config.environment !== "dev") {
    throw new StackFileError(
      plaintextCredentials
        .map(
          (c) =>
            `${fileOf(c.configKey)}: ${c.key} is a plaintext credential (${c.reason}); in environment ${config.environment} credentials must be secure: values (pulumi config set --secret ${c.configKey} …); plaintext is accepted, with a warning, only in dev`,
        )
        .join("\n"),
    );
  }
  // Required lazily so `mlstack check` never pays for loading the Pulumi program.
  const { deployPlatform } = require("../../stacks") as typeof import("../../stacks");
  const { resources, defaultProviders, outputs } = await runUnderMocks(
    () => deployPlatform(config) as unknown as Record<string, unknown>,
    {
      project: stackConfig.project,
      stack,
      config: stackConfig.config,
      secretKeys: stackConfig.secretKeys,
    },
  );
  const providers = checkProviderConfig(
    stackConfig.config,
    resources,
    defaultProviders,
    stackConfig.project,
    path.basename(stackConfig.file),
  );
  if (providers.refusal) throw new StackFileError(providers.refusal);
  warnings.push(...providers.warnings);
  for (const c of plaintextCredentials) {
    warnings.push(
      `${fileOf(c.configKey)}: ${c.key} is a plaintext credential (${c.reason}); store it with pulumi config set --secret ${c.configKey}. Its value is redacted in every file written.`,
    );
  }
  return { config, stackConfig, resources, defaultProviders, outputs, plaintextCredentials, warnings };
}

export interface RenderedPlan {
  /** Everything the plan writes, relative path → content, with plaintext credentials redacted. */
  files: Map<string, string>;
  report: PlanPolicyReport;
  kubernetesObjectCount: number;
}

/** The plan's files and policy report (nothing written yet). */
export function renderPlan(result: PlanResult, stack: string, projectDir: string): RenderedPlan {
  const { config, stackConfig, resources } = result;
  const credentials = result.plaintextCredentials.map((c) => c.value);
  const stackFile = path.relative(projectDir, stackConfig.file).split(path.sep).join("/");
  const document = previewDocument(
    resources,
    { stack, target: config.target, environment: config.environment },
    stackConfig.config,
    stackConfig.secretKeys,
    result.defaultProviders,
  );
  const locator = stackFileLocator(fs.readFileSync(stackConfig.file, "utf8"));
  const report = policyReport(resources, config, { projectDir, stackFile, locator }, result.outputs);
  const files = new Map<string, string>();
  const json = (value: unknown) => JSON.stringify(redactCredentials(value, credentials), null, 2) + "\n";
  files.set("plan.json", json(document));
  const all: string[] = [];
  const objects = kubernetesObjects(
    resources,
    new Map(document.steps.map((s) => [s.urn, s.newState.inputs])),
  );
  for (const { object } of objects) {
    const yaml = toYaml(redactCredentials(object, credentials) as Record<string, unknown>);
    files.set(`manifests/${manifestPath(object)}`, yaml);
    all.push(yaml);
  }
  files.set("manifests/all.yaml", all.join("---\n"));
  files.set("diagram.mmd", redactText(mermaidDiagram(config), credentials));
  files.set(
    "policy.sarif",
    json(
      addCredentialFindings(
        report.sarif,
        result.plaintextCredentials,
        stackFile,
        stackConfig.sources,
        locator,
      ),
    ),
  );
  // A last pass over the text: a credential that reached a file some other way is still caught.
  for (const [file, content] of files) files.set(file, redactText(content, credentials));
  return {
    files,
    report: { ...report, text: redactText(report.text, credentials) },
    kubernetesObjectCount: objects.length,
  };
}
