/**
 * Test support for the pre-flight guarantee: runs the program's entry (`main`, exactly what
 * `pulumi up` runs) under Pulumi's mock runtime with a stack's `mlstack:*` config and counts every
 * resource registration the program makes (the engine's own root `pulumi:pulumi:Stack` is not one
 * of them), including registrations made before the program threw.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { main } from "../../stacks";

export interface RegistrationRun {
  /** Resources the program registered, in order (type and name). */
  registered: Array<{ type: string; name: string }>;
  /** What the program threw, if anything. */
  error?: unknown;
}

/** `mlstack:*` keys (without the namespace) as the engine hands them to the program: JSON text. */
export function engineConfig(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [
      `mlstack:${key}`,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

export async function runMain(raw: Record<string, unknown>): Promise<RegistrationRun> {
  const registered: RegistrationRun["registered"] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      if (args.type !== "pulumi:pulumi:Stack") registered.push({ type: args.type, name: args.name });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => ({ ...args.inputs }),
  };
  await pulumi.runtime.setMocks(mocks, "mlstack", "preflight", true);
  pulumi.runtime.setAllConfig(engineConfig(raw), []);
  let error: unknown;
  await pulumi.runtime
    .runInPulumiStack(async () => {
      try {
        return main() as unknown as Record<string, unknown>;
      } catch (err) {
        error = err;
        return {};
      }
    })
    .catch((err: unknown) => {
      error = error ?? err;
    });
  // Registrations still in flight when the program returned (or threw) are counted too.
  await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs().catch(() => undefined);
  return { registered, error };
}
