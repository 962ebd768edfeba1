/**
 * `mlstack plan [stack] [--out DIR]`: runs the program under Pulumi's mock runtime with the
 * stack's config — no Pulumi CLI, cluster or cloud — and shows what a preview would create.
 * Writes `plan.json` (shaped like `pulumi preview --json`), `manifests/` (every Kubernetes
 * object as YAML), `diagram.mmd` (Mermaid) and `policy.sarif`. Bad stack or config: exit 2,
 * nothing written.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, PlatformConfig, parseConfig, platformKeys } from "../../stacks/config";
import { RecordedResource, runUnderMocks } from "../mockRuntime";
import { mermaidDiagram } from "./diagram";
import {
  componentTree,
  countsByType,
  kubernetesObjects,
  manifestPath,
  previewDocument,
  toYaml,
} from "./render";
import { StackConfig, StackFileError, loadStackConfig } from "./stackConfig";
import { policyReport } from "./policy";

export interface PlanResult {
  config: PlatformConfig;
  /** The stack's raw config as handed to the program (for plan.json). */
  stackConfig: StackConfig;
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
}

/** Validates the stack's config and renders it under mocks (no files written). */
export async function planStack(projectDir: string, stack: string): Promise<PlanResult> {
  const stackConfig = loadStackConfig(projectDir, stack);
  // Validate before the runtime starts: a bad config registers nothing at all.
  const config = parseConfig(platformKeys(stackConfig.config), { project: stackConfig.project, stack });
  // Required lazily so `mlstack check` never pays for loading the Pulumi program.
  const { deployPlatform } = require("../../stacks") as typeof import("../../stacks");
  const { resources, outputs } = await runUnderMocks(
    () => deployPlatform(config) as unknown as Record<string, unknown>,
    {
      project: stackConfig.project,
      stack,
      config: stackConfig.config,
      secretKeys: stackConfig.secretKeys,
    },
  );
  return { config, stackConfig, resources, outputs };
}

interface PlanArgs {
  stack: string;
  out?: string;
  quiet: boolean;
}

function parseArgs(argv: string[]): PlanArgs {
  const args: PlanArgs = { stack: "dev", quiet: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--out") {
      const value = argv[++i];
      if (!value) throw new StackFileError("--out needs a directory");
      args.out = value;
    } else if (arg.startsWith("--out=")) args.out = arg.slice("--out=".length);
    else if (arg === "--quiet" || arg === "-q") args.quiet = true;
    else if (arg.startsWith("-"))
      throw new StackFileError(`unknown option ${arg} (usage: mlstack plan [stack] [--out DIR] [--quiet])`);
    else positional.push(arg);
  }
  if (positional.length > 1) throw new StackFileError(`plan takes one stack, got: ${positional.join(" ")}`);
  if (positional[0]) args.stack = positional[0];
  return args;
}

export async function runPlan(
  argv: string[],
  projectDir: string,
  log: (line: string) => void = console.log,
): Promise<number> {
  let args: PlanArgs;
  let result: PlanResult;
  try {
    args = parseArgs(argv);
    result = await planStack(projectDir, args.stack);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StackFileError) {
      process.stderr.write(`mlstack plan: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { config, stackConfig, resources } = result;
  const outDir = path.resolve(args.out ?? path.join(projectDir, "out", args.stack));

  const document = previewDocument(
    resources,
    { stack: args.stack, target: config.target, environment: config.environment },
    stackConfig.config,
    stackConfig.secretKeys,
  );
  const objects = kubernetesObjects(resources);
  const report = policyReport(resources, config, path.join(outDir, "plan.json"), result.outputs);

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, "manifests"), { recursive: true });
  fs.writeFileSync(path.join(outDir, "plan.json"), JSON.stringify(document, null, 2) + "\n");
  const all: string[] = [];
  for (const { object } of objects) {
    const file = path.join(outDir, "manifests", manifestPath(object));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const yaml = toYaml(object);
    fs.writeFileSync(file, yaml);
    all.push(yaml);
  }
  fs.writeFileSync(path.join(outDir, "manifests", "all.yaml"), all.join("---\n"));
  fs.writeFileSync(path.join(outDir, "diagram.mmd"), mermaidDiagram(config));
  fs.writeFileSync(path.join(outDir, "policy.sarif"), JSON.stringify(report.sarif, null, 2) + "\n");

  if (!args.quiet) {
    log(`Plan for stack ${args.stack} (target ${config.target}, environment ${config.environment}):\n`);
    log(componentTree(resources));
    log("\nResources to create, by type:");
    for (const [type, count] of countsByType(resources)) log(`  ${String(count).padStart(5)}  ${type}`);
  }
  const total = resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
  log(`\n${total} resources to create (${objects.length} Kubernetes objects).`);
  if (args.quiet) {
    log(
      `Policy pack mlstack-security: ${report.mandatoryViolations} mandatory and ${report.advisoryViolations} advisory violations (details in policy.sarif).`,
    );
  } else {
    log(report.text);
  }
  log(
    `\nWrote ${path.relative(process.cwd(), outDir) || "."}/: plan.json, manifests/ (${objects.length} files + all.yaml), diagram.mmd, policy.sarif`,
  );
  return report.mandatoryViolations > 0 ? 1 : 0;
}
