/**
 * Reads a stack's config the way the Pulumi CLI would hand it to the program: project defaults
 * from `Pulumi.yaml`, overridden by `Pulumi.<stack>.yaml`. Structured values become JSON text,
 * scalars strings; `secure:` values (encrypted, unreadable without the stack's key) become
 * placeholders marked secret.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { EscEnvironmentError, readEnvironmentConfig } from "./escEnvironment";
import { stackNameProblem } from "./stackName";

export const SECURE_PLACEHOLDER = "mlstack-plan-secure-placeholder";

export interface StackConfig {
  project: string;
  stack: string;
  /** Full keys (`mlstack:target`) → values as the engine passes them. */
  config: Record<string, string>;
  secretKeys: string[];
  /** The stack file read. */
  file: string;
  /** ESC environments the stack file imports (`environment:`). */
  environments: string[];
  /** Imported environments whose values were found nowhere locally (see ./escEnvironment.ts). */
  unreadEnvironments: string[];
  /** Where each config key's value came from, when not the stack file (`Pulumi.dev.env.yaml`, …). */
  sources: Record<string, string>;
}

export class StackFileError extends Error {}

function readYaml(file: string): unknown {
  // A FIFO or device named like a stack file would block the read forever: regular files only.
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    // missing: the read below reports it
  }
  if (stat && !stat.isFile()) {
    throw new StackFileError(
      `${path.basename(file)}: not a regular file (a folder, FIFO or device); a stack file is YAML`,
    );
  }
  try {
    return YAML.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new StackFileError(
      `${path.basename(file)}: not valid YAML: ${(err as Error).message.split("\n")[0]}`,
    );
  }
}

function encode(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Every `Pulumi.<stack>.yaml` beside `Pulumi.yaml` (not the `Pulumi.<stack>.env.yaml` ESC values). */
export function listStacks(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && stackNameProblem(s) === undefined && !s.endsWith(".env"))
    .sort();
}

/**
 * The stack's config: `Pulumi.yaml` defaults, then values of imported ESC environments read
 * locally (./escEnvironment.ts), then the stack file's `config:`, later winning.
 */
export function loadStackConfig(
  projectDir: string,
  stack: string,
  env: NodeJS.ProcessEnv = process.env,
): StackConfig {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  const project = readYaml(projectFile) as { name?: string; config?: Record<string, { default?: unknown }> };
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  const problem = stackNameProblem(stack);
  if (problem) throw new StackFileError(problem);
  if (!fs.existsSync(stackFile)) {
    throw new StackFileError(
      `unknown stack "${stack}": no Pulumi.${stack}.yaml (stacks: ${listStacks(projectDir).join(", ")})`,
    );
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    if (spec && typeof spec === "object" && "default" in spec) config[key] = encode(spec.default);
  }
  const stackDoc = (readYaml(stackFile) ?? {}) as { config?: Record<string, unknown>; environment?: unknown };
  let environment;
  try {
    environment = readEnvironmentConfig(stackDoc.environment, stackFile, stack, env);
  } catch (err) {
    if (err instanceof EscEnvironmentError) throw new StackFileError(err.message);
    throw err;
  }
  const sources: Record<string, string> = {};
  for (const [key, { value, secret, source }] of environment.values) {
    config[key] = encode(value);
    sources[key] = source;
    if (secret) secretKeys.push(key);
  }
  for (const [key, value] of Object.entries(stackDoc.config ?? {})) {
    delete sources[key];
    if (secretKeys.includes(key)) secretKeys.splice(secretKeys.indexOf(key), 1);
    const isSecure =
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      Object.keys(value).length === 1 &&
      "secure" in value;
    if (isSecure) {
      config[key] = SECURE_PLACEHOLDER;
      secretKeys.push(key);
    } else {
      config[key] = encode(value);
    }
  }
  return {
    project: project.name ?? "mlstack",
    stack,
    config,
    secretKeys,
    file: stackFile,
    environments: environment.imports,
    unreadEnvironments: environment.unread,
    sources,
  };
}
