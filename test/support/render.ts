/**
 * Test support: renders a program under the mock runtime and queries what it registered.
 * Every component and stack test goes through here, the same path `mlstack plan` uses.
 */
import { RecordedResource, revealSecrets, runUnderMocks } from "../../cli/mockRuntime";

export interface Rendered {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Every resource of a Pulumi type token. */
  ofType(type: string): RecordedResource[];
  /** The one resource of a type (fails the test when there are zero or several). */
  one(type: string, nameIncludes?: string): RecordedResource;
  /** Inputs with secret wrappers removed, for asserting on values. */
  inputs(resource: RecordedResource): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Direct and indirect children of a resource. */
  descendants(resource: RecordedResource): RecordedResource[];
}

export async function render(
  program: () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void,
  opts: { stack?: string; config?: Record<string, string>; preview?: boolean } = {},
): Promise<Rendered> {
  const { resources, outputs } = await runUnderMocks(program, {
    project: "mlstack",
    stack: opts.stack ?? "test",
    config: opts.config,
    preview: opts.preview,
  });
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    outputs,
    ofType,
    one(type, nameIncludes) {
      const found = ofType(type).filter((r) => !nameIncludes || r.name.includes(nameIncludes));
      if (found.length !== 1) {
        throw new Error(
          `expected one ${type}${nameIncludes ? ` named *${nameIncludes}*` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
        );
      }
      return found[0];
    },
    inputs: (resource) => revealSecrets(resource.inputs) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    descendants(resource) {
      const out: RecordedResource[] = [];
      const walk = (urn: string) => {
        for (const r of resources)
          if (r.parent === urn) {
            out.push(r);
            walk(r.urn);
          }
      };
      walk(resource.urn);
      return out;
    },
  };
}
