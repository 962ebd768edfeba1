/**
 * Stack files that import Pulumi ESC environments (`environment: [myorg/dev]`). The Pulumi CLI
 * opens them in Pulumi Cloud and hands their `values.pulumiConfig` to the program as stack
 * config (https://www.pulumi.com/docs/esc/integrations/infrastructure/pulumi-iac/); `mlstack
 * plan` works offline, so it reads the same values from, in order (later wins):
 *
 * 1. an inline definition in the stack file (`environment: { imports: [...], values: { pulumiConfig } }`);
 * 2. `Pulumi.<stack>.env.yaml` beside the stack file: an environment definition as `esc env edit`
 *    shows it (`values: { pulumiConfig: {...} }`), with evaluated values (no `${…}`);
 * 3. the `MLSTACK_ESC_CONFIG` environment variable: a JSON object of config keys to values.
 *
 * The stack file's own `config:` still wins over all of them, as it does under the Pulumi CLI.
 * `fn::secret` values become secret config. Imports with none of these are reported as unread,
 * so a config error can name the environments whose values are missing.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const ESC_CONFIG_VARIABLE = "MLSTACK_ESC_CONFIG";

/** Refusal of an environment import or its local values (exit 2, this message). */
export class EscEnvironmentError extends Error {}

export interface EnvironmentValue {
  value: unknown;
  secret: boolean;
  /** Where the value came from (file name or the variable), for messages. */
  source: string;
}

export interface EnvironmentConfig {
  /** Environment names the stack file imports. */
  imports: string[];
  /** Config key → value from the environments, in precedence order already applied. */
  values: Map<string, EnvironmentValue>;
  /** Imports whose values were given nowhere locally (empty when any local source was found). */
  unread: string[];
}

/** The override file read for `stack`. */
export const overrideFileName = (stack: string) => `Pulumi.${stack}.env.yaml`;

function pulumiConfigOf(definition: unknown, where: string): Record<string, unknown> {
  if (definition === undefined || definition === null) return {};
  const values = (definition as { values?: unknown }).values;
  if (values === undefined) return {};
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new EscEnvironmentError(`${where}: values must be a map (values: { pulumiConfig: {...} })`);
  }
  const config = (values as { pulumiConfig?: unknown }).pulumiConfig;
  if (config === undefined) return {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new EscEnvironmentError(`${where}: values.pulumiConfig must be a map of config keys to values`);
  }
  return config as Record<string, unknown>;
}

/** A value as the program sees it, refusing what only ESC itself can evaluate. */
function evaluated(value: unknown, where: string): { value: unknown; secret: boolean } {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "fn::secret") {
      return {
        value: evaluated((value as Record<string, unknown>)["fn::secret"], where).value,
        secret: true,
      };
    }
    const fn = keys.find((k) => k.startsWith("fn::"));
    if (fn) {
      throw new EscEnvironmentError(
        `${where}: ${fn} can only be evaluated by Pulumi ESC; write the evaluated value (esc env open <environment> shows it) or fn::secret`,
      );
    }
    return {
      value: Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, evaluated(v, `${where}.${k}`).value]),
      ),
      secret: false,
    };
  }
  if (Array.isArray(value))
    return { value: value.map((v, i) => evaluated(v, `${where}[${i}]`).value), secret: false };
  if (typeof value === "string" && /\$\{[^}]*\}/.test(value)) {
    throw new EscEnvironmentError(
      `${where}: ${JSON.stringify(value)} is an ESC interpolation, which only Pulumi ESC can evaluate; write the evaluated value (esc env open <environment> shows it)`,
    );
  }
  return { value, secret: false };
}

function addValues(
  out: Map<string, EnvironmentValue>,
  config: Record<string, unknown>,
  source: string,
): void {
  for (const [key, raw] of Object.entries(config)) {
    if (!/^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$/.test(key)) {
      throw new EscEnvironmentError(
        `${source}: pulumiConfig key ${JSON.stringify(key)} is not a namespaced config key (namespace:name, e.g. mlstack:target or aws:region)`,
      );
    }
    out.set(key, { ...evaluated(raw, `${source}: pulumiConfig.${key}`), source });
  }
}

/**
 * The environment values for a stack whose file holds `environment` (undefined when absent).
 * `env` is the process environment (a parameter so tests can pass their own).
 */
export function readEnvironmentConfig(
  environment: unknown,
  stackFile: string,
  stack: string,
  env: NodeJS.ProcessEnv = process.env,
): EnvironmentConfig {
  const values = new Map<string, EnvironmentValue>();
  const stackFileName = path.basename(stackFile);
  let imports: string[] = [];
  let inline = false;
  if (environment === undefined || environment === null) {
    // no imports; the variable may still supply values below only when something is imported
  } else if (Array.isArray(environment) && environment.every((e) => typeof e === "string")) {
    imports = environment;
  } else if (typeof environment === "object" && !Array.isArray(environment)) {
    const definition = environment as { imports?: unknown };
    if (definition.imports !== undefined) {
      if (!Array.isArray(definition.imports) || !definition.imports.every((e) => typeof e === "string")) {
        throw new EscEnvironmentError(
          `${stackFileName}: environment.imports must be a list of environment names`,
        );
      }
      imports = definition.imports;
    }
    const config = pulumiConfigOf(environment, `${stackFileName}: environment`);
    inline = Object.keys(config).length > 0;
    addValues(values, config, stackFileName);
  } else {
    throw new EscEnvironmentError(
      `${stackFileName}: environment must be a list of ESC environment names (e.g. [myorg/dev]) or an environment definition (imports, values)`,
    );
  }
  if (imports.length === 0) return { imports, values, unread: [] };

  let local = inline;
  const overrideFile = path.join(path.dirname(stackFile), overrideFileName(stack));
  if (fs.existsSync(overrideFile)) {
    let definition: unknown;
    try {
      definition = YAML.parse(fs.readFileSync(overrideFile, "utf8"));
    } catch (err) {
      throw new EscEnvironmentError(
        `${path.basename(overrideFile)}: not valid YAML: ${(err as Error).message.split("\n")[0]}`,
      );
    }
    addValues(values, pulumiConfigOf(definition, path.basename(overrideFile)), path.basename(overrideFile));
    local = true;
  }
  const variable = env[ESC_CONFIG_VARIABLE];
  if (variable !== undefined && variable.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(variable);
    } catch {
      throw new EscEnvironmentError(
        `${ESC_CONFIG_VARIABLE}: not JSON; give a JSON object such as {"aws:region": "eu-west-1"}`,
      );
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new EscEnvironmentError(
        `${ESC_CONFIG_VARIABLE}: give a JSON object of config keys to values, such as {"aws:region": "eu-west-1"}`,
      );
    }
    addValues(values, parsed as Record<string, unknown>, ESC_CONFIG_VARIABLE);
    local = true;
  }
  return { imports, values, unread: local ? [] : imports };
}
