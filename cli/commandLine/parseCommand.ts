/**
 * One argument parser for every `mlstack` command, on `node:util.parseArgs`: each command
 * declares its positionals and options once, and gets `--help`/`-h`, a usage text, refusals that
 * name the option, the value and what is allowed, and "did you mean" for a mistyped option.
 */
import { parseArgs } from "util";
import { didYouMean } from "./didYouMean";

/** A refusal of the command line: the CLI prints the message (and the usage) and exits 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder shown in the usage text (`--out DIR`). */
  valueName?: string;
  /** The only values accepted, checked here so every command refuses the same way. */
  allowed?: readonly string[];
  description: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
  /** The refusal when a required positional is missing (default `missing <name>`). */
  missing?: string;
}

export interface CommandSpec {
  /** `plan`, `check`, …: used in messages (`mlstack plan: …`) and the usage line. */
  name: string;
  summary: string;
  positionals: readonly PositionalSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  /** Extra paragraphs under the options (exit codes, rules). */
  notes?: string;
}

export type ParsedCommand =
  | { help: true }
  | { help: false; positionals: string[]; values: Record<string, string | boolean | undefined> };

const HELP: OptionSpec = { type: "boolean", short: "h", description: "show this help and exit" };

function optionLabel(name: string, spec: OptionSpec): string {
  const value = spec.type === "string" ? ` ${spec.valueName ?? (spec.allowed ?? ["VALUE"]).join("|")}` : "";
  return `${spec.short ? `-${spec.short}, ` : ""}--${name}${value}`;
}

/** The command's usage text: synopsis, arguments, options, notes. */
export function usage(spec: CommandSpec): string {
  const synopsis = [
    `usage: mlstack ${spec.name}`,
    ...spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)),
    ...Object.entries(spec.options).map(([name, o]) => `[${optionLabel(name, o).replace(/^-\w, /, "")}]`),
  ].join(" ");
  const options = { ...spec.options, help: HELP };
  const rows: Array<[string, string]> = [
    ...spec.positionals.map((p): [string, string] => [p.name, p.description]),
    ...Object.entries(options).map(([name, o]): [string, string] => [optionLabel(name, o), o.description]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const table = rows.map(([label, text]) => `  ${label.padEnd(width)}${text}`).join("\n");
  return `${synopsis}\n\n${spec.summary}\n\n${table}${spec.notes ? `\n\n${spec.notes}` : ""}`;
}

function knownOptionNames(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/**
 * Parses `argv` (the words after the command name). `--help`/`-h` anywhere wins over every other
 * problem, so `mlstack plan --bogus --help` still prints the help. Throws UsageError otherwise.
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const options = { ...spec.options, help: HELP };
  const parseOptions = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  // A lenient pass first: it finds --help and unknown options without stopping at the first error.
  const { tokens } = parseArgs({
    args: [...argv],
    options: parseOptions,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { help: true };
  for (const token of tokens) {
    if (token.kind !== "option" || token.name in options) continue;
    const known = knownOptionNames(options);
    const suggestion = didYouMean(token.rawName, known);
    throw new UsageError(
      `unknown option ${token.rawName}${suggestion ? ` (did you mean ${suggestion}?)` : ""}; ${spec.name} takes ${known.join(", ")}`,
    );
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err as Error).message;
    const named = /'(?:-\w, )?(--[\w-]+)/.exec(message)?.[1] ?? "an option";
    if (/does not take an argument/.test(message)) throw new UsageError(`${named} takes no value`);
    throw new UsageError(`${named} needs a value`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const [name, o] of Object.entries(spec.options)) {
    const value = values[name];
    if (o.type !== "string" || value === undefined) continue;
    if (value === "") throw new UsageError(`--${name} needs a value`);
    if (o.allowed && !o.allowed.includes(value as string)) {
      const suggestion = didYouMean(value as string, o.allowed);
      throw new UsageError(
        `--${name} ${value}: use one of ${o.allowed.join(", ")}${suggestion ? ` (did you mean ${suggestion}?)` : ""}`,
      );
    }
  }
  const positionals = parsed.positionals;
  const required = spec.positionals.filter((p) => p.required);
  if (positionals.length < required.length) {
    const absent = required.slice(positionals.length);
    throw new UsageError(absent[0].missing ?? `missing ${absent.map((p) => `<${p.name}>`).join(" ")}`);
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length).map((p) => JSON.stringify(p));
    throw new UsageError(
      `${spec.name} takes ${spec.positionals.length === 0 ? "no arguments" : spec.positionals.map((p) => p.name).join(" and ")}, got extra ${extra.join(" ")}`,
    );
  }
  return { help: false, positionals, values };
}
