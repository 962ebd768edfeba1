/**
 * `mlstack check <file|dir> [--target T] [--env E] [--format text|json|sarif] [--config pack-config.json]`
 *
 * Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 unusable input or arguments
 * (one message naming the file and, where known, the line; never a stack trace).
 */
import { promises as fs } from "fs";
import * as path from "path";
import { ALL_RULES } from "../../policies/catalog";
import { evaluatePrepared, toPolicyResource, toStackOutputs } from "../../policies/evaluate";
import type { DocumentDefaults, PackConfig } from "../../policies/packConfig";
import { PackConfigError, parsePackConfigDocument } from "../../policies/packConfig";
import type { Environment, PolicyResource, Target, Violation } from "../../policies/rule";
import { ENVIRONMENTS, TARGETS } from "../../policies/rule";
import { CommandSpec, UsageError, parseCommand, usage } from "../commandLine/parseCommand";
import { InputError, LoadedDocument, readInput } from "./documents";
import { CheckReport, formatText, writeJson } from "./report";
import { toSarif } from "./sarif";

export const EXIT_OK = 0;
export const EXIT_MANDATORY = 1;
export const EXIT_UNUSABLE = 2;

export const FORMATS = ["text", "json", "sarif"] as const;
export type Format = (typeof FORMATS)[number];

export { UsageError };

export interface CheckArgs {
  input: string;
  target?: Target;
  environment?: Environment;
  format: Format;
  config?: string;
}

/** The command line of `check`, parsed by the one parser every mlstack command uses. */
export const CHECK_COMMAND: CommandSpec = {
  name: "check",
  summary:
    "Checks a `pulumi preview --json` document, an `mlstack plan` plan.json, a `pulumi stack export`\nor Kubernetes YAML against the mlstack-security policy pack.",
  positionals: [
    {
      name: "file|dir",
      required: true,
      description: "the document, or a folder of them",
      missing: "no file or directory to check",
    },
  ],
  options: {
    target: { type: "string", allowed: TARGETS, description: "the target the resources run on" },
    env: { type: "string", allowed: ENVIRONMENTS, description: "the environment (enforcement levels)" },
    format: { type: "string", allowed: FORMATS, description: "output format (default text)" },
    config: { type: "string", valueName: "pack-config.json", description: "policy pack config" },
  },
  notes: "Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 unusable input.",
};

export const USAGE = usage(CHECK_COMMAND);

/** Parses the arguments after `check`. */
export function parseCheckArgs(argv: readonly string[]): CheckArgs | "help" {
  const parsed = parseCommand(CHECK_COMMAND, argv);
  if (parsed.help) return "help";
  const { values } = parsed;
  return {
    input: parsed.positionals[0],
    target: values.target as Target | undefined,
    environment: values.env as Environment | undefined,
    format: (values.format as Format | undefined) ?? "text",
    config: values.config as string | undefined,
  };
}

async function readPackConfig(file: string, cwd: string): Promise<PackConfig> {
  let text: string;
  try {
    text = await fs.readFile(path.resolve(cwd, file), "utf8");
  } catch {
    throw new InputError(file, "no such file or directory");
  }
  if (text.trim() === "") throw new InputError(file, "empty file");
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(file, `malformed JSON: ${(err as Error).message}`);
  }
  try {
    return parsePackConfigDocument(doc, ALL_RULES);
  } catch (err) {
    if (err instanceof PackConfigError) throw new InputError(file, err.message);
    throw err;
  }
}

/** The first document's declared settings win; a target implied by any document fills in. */
function mergeDefaults(docs: LoadedDocument[]): DocumentDefaults {
  const out: DocumentDefaults = {};
  for (const d of docs) {
    out.target ??= d.defaults.target;
    out.environment ??= d.defaults.environment;
    out.registries ??= d.defaults.registries;
  }
  return out;
}

/** Lines where each URN first appears as a `"urn": "…"` value in a JSON document. */
export function urnLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = /"urn"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
  let line = 1;
  let scanned = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (let i = scanned; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
    scanned = m.index;
    const urn = m[1];
    if (!out.has(urn)) out.set(urn, line);
  }
  return out;
}

/** Gives findings on preview / plan / stack-export resources the file and line naming their URN. */
function locateInDocuments(violations: Violation[], docs: LoadedDocument[]): void {
  const pending = violations.filter((v) => !v.location);
  if (pending.length === 0) return;
  const docOf = new Map<string, LoadedDocument>();
  for (const d of docs) if (d.kind !== "kubernetes") for (const r of d.resources) docOf.set(r.urn, d);
  const lines = new Map<LoadedDocument, Map<string, number>>();
  for (const v of pending) {
    const doc = docOf.get(v.urn) ?? (docs.length === 1 ? docs[0] : undefined);
    if (!doc) continue;
    let index = lines.get(doc);
    if (!index) {
      index = urnLines(doc.text);
      lines.set(doc, index);
    }
    v.location = { file: doc.file, line: index.get(v.urn) ?? 1 };
  }
}

/** Runs the pack over every document's resources (read once into what rules see). */
function evaluateDocuments(docs: LoadedDocument[], config: PackConfig, defaults: DocumentDefaults) {
  const resources: PolicyResource[] = [];
  const outputs: Record<string, unknown> = {};
  for (const d of docs) {
    for (const r of d.resources) resources.push(toPolicyResource(r));
    Object.assign(outputs, d.outputs ?? {});
  }
  return evaluatePrepared(resources, toStackOutputs(outputs), config, defaults);
}

export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

const defaultIo: CheckIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
};

/** Runs the check: reads, evaluates, prints, and returns the exit code. */
export async function runCheck(argv: readonly string[], io: Partial<CheckIo> = {}): Promise<number> {
  const { stdout, stderr, cwd } = { ...defaultIo, ...io };
  let args: CheckArgs | "help";
  try {
    args = parseCheckArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr(`mlstack check: ${err.message}\n${USAGE}\n`);
    return EXIT_UNUSABLE;
  }
  if (args === "help") {
    stdout(`${USAGE}\n`);
    return EXIT_OK;
  }
  let docs: LoadedDocument[];
  let config: PackConfig;
  try {
    config = args.config ? await readPackConfig(args.config, cwd) : {};
    docs = await readInput(args.input, cwd);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    stderr(`mlstack check: ${err.message}\n`);
    return EXIT_UNUSABLE;
  }
  if (args.target) config.target = args.target;
  if (args.environment) config.environment = args.environment;

  const defaults = mergeDefaults(docs);
  const result = evaluateDocuments(docs, config, defaults);
  // SARIF needs a file and line for every result; the other formats name preview resources by URN.
  if (args.format === "sarif") locateInDocuments(result.violations, docs);
  const inputs = docs.map((d) => d.file);
  // The documents are not needed past this point: let a large input go before the report is built.
  docs.length = 0;

  const report: CheckReport = {
    violations: result.violations,
    deferred: result.deferred,
    resourceCount: result.resourceCount,
    inputs,
    target: config.target ?? defaults.target ?? "kubernetes",
    environment: config.environment ?? defaults.environment,
  };
  if (args.format === "json") writeJson(report, stdout);
  else if (args.format === "sarif") stdout(`${JSON.stringify(toSarif(report, { srcRoot: cwd }), null, 2)}\n`);
  else stdout(formatText(report));
  return result.violations.some((v) => v.enforcementLevel === "mandatory") ? EXIT_MANDATORY : EXIT_OK;
}
