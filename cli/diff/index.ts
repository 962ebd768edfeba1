/**
 * `mlstack diff <base plan.json> <head plan.json> [--format text|markdown|json]`: what a change
 * does to the infrastructure, from two plans (`mlstack plan` on the base and the head commit, or
 * two `pulumi preview --json` documents). Exit 0 whatever changed; 2 for unusable input.
 */
import { CommandSpec, ParsedCommand, UsageError, parseCommand, usage } from "../commandLine/parseCommand";
import { comparePlans } from "./comparePlans";
import { DiffReport, formatJson, formatMarkdown, formatText } from "./formatDiff";
import { DiffInputError, readPlanDocument } from "./planDocument";
import { compareFindings, readPolicyFindings } from "./policyFindings";

export const DIFF_FORMATS = ["text", "markdown", "json"] as const;

export const DIFF_COMMAND: CommandSpec = {
  name: "diff",
  summary:
    "Compares two plans: resources added, removed and changed per component (by URN), property changes\n(secret values redacted), replacements, and policy findings new and fixed (from the policy.sarif\nbeside each plan.json).",
  positionals: [
    {
      name: "base",
      required: true,
      description: "the plan.json before the change",
      missing: "no base plan.json given",
    },
    {
      name: "head",
      required: true,
      description: "the plan.json after the change",
      missing: "no head plan.json given",
    },
  ],
  options: {
    format: {
      type: "string",
      allowed: DIFF_FORMATS,
      description: "output format (default text); markdown has a Mermaid diagram",
    },
  },
  notes: "Exit codes: 0 compared (whatever changed), 2 unusable input or arguments.",
};

export interface DiffIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: DiffIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export async function runDiff(argv: readonly string[], io: Partial<DiffIo> = {}): Promise<number> {
  const { stdout, stderr } = { ...defaultIo, ...io };
  let parsed: ParsedCommand;
  try {
    parsed = parseCommand(DIFF_COMMAND, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr(`mlstack diff: ${err.message} (mlstack diff --help shows the usage)\n`);
    return 2;
  }
  if (parsed.help) {
    stdout(`${usage(DIFF_COMMAND)}\n`);
    return 0;
  }
  const [baseFile, headFile] = parsed.positionals;
  let report: DiffReport;
  try {
    const base = readPlanDocument(baseFile);
    const head = readPlanDocument(headFile);
    const baseFindings = readPolicyFindings(baseFile);
    const headFindings = readPolicyFindings(headFile);
    report = {
      base: { file: baseFile, stack: base.stack },
      head: { file: headFile, stack: head.stack },
      diff: comparePlans(base, head),
      findings: baseFindings && headFindings ? compareFindings(baseFindings, headFindings) : undefined,
    };
  } catch (err) {
    if (!(err instanceof DiffInputError)) throw err;
    stderr(`mlstack diff: ${err.message}\n`);
    return 2;
  }
  const format = (parsed.values.format as (typeof DIFF_FORMATS)[number] | undefined) ?? "text";
  stdout(
    format === "json"
      ? formatJson(report)
      : format === "markdown"
        ? formatMarkdown(report)
        : formatText(report),
  );
  return 0;
}
