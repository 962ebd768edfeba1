/**
 * `mlstack/testing`: plan a Pulumi program offline, as `mlstack plan` does — the program runs under
 * Pulumi's mock runtime and every resource it registers is recorded (type, name, parent, inputs,
 * protect), with plausible provider-computed values and the outputs of the stacks it references.
 * No Pulumi CLI, engine or cloud account is needed, so a team's own platform program can be
 * tested the way this repository tests its stacks.
 *
 * ```ts
 * import { planProgram } from "mlstack/testing";
 * const plan = await planProgram(() => myProgram(), { project: "ml", stack: "dev" });
 * ```
 */
export { runUnderMocks as planProgram, isSecretValue, redactSecrets, revealSecrets } from "./mockRuntime";
export type {
  MockRunOptions as PlanProgramOptions,
  MockRunResult as PlanProgramResult,
  RecordedResource,
} from "./mockRuntime";
