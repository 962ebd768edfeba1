/**
 * Provider config keys in a stack file (`aws:region`, `gcp:project`, `kubernetes:context`, …) do
 * what they do under the Pulumi engine: they configure the package's *default* provider, which
 * the mock runtime records and plan.json shows (cli/mockRuntime.ts). They never reach a resource
 * that uses an explicit provider (mlstack's AWS and GCP targets pin theirs to `mlstack:aws` /
 * `mlstack:gcp`), so such a key would be silently ignored: `mlstack plan` says so instead, and
 * honours `pulumi:disable-default-providers` the way the engine does, by refusing.
 */
import type { RecordedResource } from "../mockRuntime";

/** Namespaces that are not provider packages. */
const NOT_PROVIDERS = new Set(["mlstack", "pulumi"]);

export interface ProviderConfigVerdict {
  warnings: string[];
  /** Set when the plan must stop (exit 2). */
  refusal?: string;
}

/** `pulumi:disable-default-providers`: a JSON list of package names, `*` for all. */
function disabledPackages(config: Readonly<Record<string, string>>): string[] {
  const raw = config["pulumi:disable-default-providers"];
  if (raw === undefined) return [];
  try {
    const list = JSON.parse(raw) as unknown;
    if (Array.isArray(list)) return list.map(String);
  } catch {
    // a single name
  }
  return [raw];
}

export function checkProviderConfig(
  config: Readonly<Record<string, string>>,
  resources: readonly RecordedResource[],
  defaultProviders: readonly RecordedResource[],
  project: string,
  stackFile: string,
): ProviderConfigVerdict {
  const warnings: string[] = [];
  const withDefault = new Set(defaultProviders.map((p) => p.type.slice("pulumi:providers:".length)));
  const used = new Set(resources.filter((r) => r.custom).map((r) => r.type.split(":")[0]));
  const reported = new Set<string>();
  for (const key of Object.keys(config).sort()) {
    const pkg = key.split(":")[0];
    if (NOT_PROVIDERS.has(pkg) || pkg === project || withDefault.has(pkg) || reported.has(pkg)) continue;
    const keys = Object.keys(config).filter((k) => k.startsWith(`${pkg}:`));
    reported.add(pkg);
    warnings.push(
      used.has(pkg)
        ? `${stackFile}: ${keys.join(", ")} ${keys.length === 1 ? "has" : "have"} no effect: every ${pkg} resource in this stack uses an explicit provider, which does not read ${pkg}:* stack config (set the matching mlstack:* key instead)`
        : `${stackFile}: ${keys.join(", ")} ${keys.length === 1 ? "has" : "have"} no effect: this stack creates no ${pkg} resources`,
    );
  }
  const disabled = disabledPackages(config);
  const blocked = [...withDefault].filter((pkg) => disabled.includes(pkg) || disabled.includes("*"));
  if (blocked.length > 0) {
    const example = resources.find(
      (r) =>
        r.provider && blocked.includes(r.type.split(":")[0]) && r.provider.includes("::pulumi:providers:"),
    );
    return {
      warnings,
      refusal: `${stackFile}: pulumi:disable-default-providers lists ${blocked.join(", ")}, but ${example ? `${example.type} ${example.name}` : "resources"} would use the default ${blocked.join("/")} provider; the engine refuses this, so mlstack plan does too (give those resources an explicit provider or remove ${blocked.join(", ")} from the list)`,
    };
  }
  return { warnings };
}
