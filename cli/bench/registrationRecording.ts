/**
 * What the replay floor replays: every resource registration of a plan, in registration order,
 * with its type, name, parent, inputs and options, taken from the mock runtime's recording. It is
 * plain JSON (secrets stay wrapped as Pulumi's secret sentinel objects), so a fresh process with no
 * mlstack code can read it and register the same resources again (see ./replay.ts).
 */
import type { MockRunResult, RecordedResource } from "../mockRuntime";

export interface Registration {
  /** The URN the plan gave it: children name their parent by it. */
  urn: string;
  type: string;
  name: string;
  /** false for components. */
  custom: boolean;
  /** Parent URN; the stack's URN for a top-level resource. */
  parent?: string;
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  /** URN of an explicit provider resource (itself a registration earlier in the list). */
  provider?: string;
  /** Package version the resource asked for (what names its default provider). */
  version?: string;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The registrations of a recorded plan, without the stack itself (`runInPulumiStack` registers it)
 * and without default providers (the engine creates them, the program never registers them).
 */
export function registrationsOf(run: Pick<MockRunResult, "resources" | "defaultProviders">): Registration[] {
  const defaultProviderVersion = new Map<string, string | undefined>(
    run.defaultProviders.map((p) => [p.urn, p.inputs.version as string | undefined]),
  );
  const urnOfReference = (reference: string) => reference.slice(0, reference.lastIndexOf("::"));
  return run.resources
    .filter((r) => r.type !== STACK_TYPE)
    .map((r: RecordedResource): Registration => {
      const providerUrn = r.provider ? urnOfReference(r.provider) : undefined;
      const isDefault = providerUrn !== undefined && defaultProviderVersion.has(providerUrn);
      const version = isDefault ? defaultProviderVersion.get(providerUrn) : undefined;
      return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        custom: r.custom,
        parent: r.parent,
        inputs: r.inputs,
        protect: r.protect,
        retainOnDelete: r.retainOnDelete,
        ...(providerUrn && !isDefault ? { provider: providerUrn } : {}),
        ...(version ? { version } : {}),
      };
    });
}
