/**
 * Reads the two documents `mlstack diff` compares: an `mlstack plan` plan.json or a
 * `pulumi preview --json` document (same shape: `steps[]` with `urn`, `op` and `newState`). A
 * resource is in a plan when its step leaves it existing (every op but `delete` and
 * `discard`); replace marks the engine made (`op: replace`, `replaceReasons`, `detailedDiff`
 * kinds ending in `_REPLACE`) are kept so the diff can call them out.
 */
import * as fs from "fs";

/** Refusal of an input file: exit 2 with this message. */
export class DiffInputError extends Error {}

export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  protect: boolean;
  retainOnDelete: boolean;
  inputs: Record<string, unknown>;
  /** Properties the plan says force a replacement (from the engine's step, when present). */
  replaceReasons: string[];
  /** The engine's own verdict that this resource is replaced. */
  markedReplace: boolean;
}

export interface PlanDocument {
  file: string;
  stack?: string;
  resources: Map<string, PlanResource>;
}

interface RawState {
  urn?: unknown;
  type?: unknown;
  custom?: unknown;
  parent?: unknown;
  protect?: unknown;
  retainOnDelete?: unknown;
  inputs?: unknown;
}

interface RawStep {
  op?: unknown;
  urn?: unknown;
  newState?: RawState | null;
  oldState?: RawState | null;
  replaceReasons?: unknown;
  detailedDiff?: Record<string, { kind?: string }> | null;
}

const GONE_OPS = new Set(["delete", "discard", "delete-replaced", "read-discard", "discard-replaced"]);
const REPLACE_OPS = new Set(["replace", "create-replacement"]);

/** The resource name: the URN's last `::` segment. */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * Deepest nesting a plan may have: the diff walks values recursively, and a hostile document
 * nested thousands of levels deep would otherwise end in a stack overflow instead of a message.
 */
const MAX_DEPTH = 200;

/** How deeply `value` nests (iteratively, so the measurement itself cannot overflow). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== "object") continue;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function fail(file: string, what: string): never {
  throw new DiffInputError(`${file}: ${what}`);
}

export function readPlanDocument(file: string): PlanDocument {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) fail(file, "not a regular file; give the plan.json that mlstack plan wrote");
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof DiffInputError) throw err;
    fail(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    fail(file, `not JSON (${(err as Error).message})`);
  }
  const depth = nestingDepth(doc);
  if (depth > MAX_DEPTH) {
    fail(
      file,
      `nested ${depth} levels deep; a plan is at most ${MAX_DEPTH} (Kubernetes objects nest about 15)`,
    );
  }
  const steps = (doc as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) {
    fail(
      file,
      "not a plan: expected an mlstack plan.json or `pulumi preview --json` document with a steps array",
    );
  }
  const resources = new Map<string, PlanResource>();
  steps.forEach((raw: unknown, i: number) => {
    const step = (raw ?? {}) as RawStep;
    const op = typeof step.op === "string" ? step.op : "create";
    if (GONE_OPS.has(op)) return;
    const state = step.newState ?? step.oldState;
    const urn =
      typeof step.urn === "string" ? step.urn : typeof state?.urn === "string" ? state.urn : undefined;
    if (!urn || !state || typeof state !== "object") fail(file, `steps[${i}] has no urn and newState`);
    const type = typeof state.type === "string" ? state.type : (urn.split("::")[2]?.split("$").pop() ?? "");
    const inputs =
      state.inputs && typeof state.inputs === "object" ? (state.inputs as Record<string, unknown>) : {};
    const replaceReasons = Array.isArray(step.replaceReasons)
      ? step.replaceReasons.filter((r): r is string => typeof r === "string")
      : [];
    for (const [property, d] of Object.entries(step.detailedDiff ?? {})) {
      if (typeof d?.kind === "string" && d.kind.endsWith("_REPLACE") && !replaceReasons.includes(property)) {
        replaceReasons.push(property);
      }
    }
    resources.set(urn, {
      urn,
      type,
      name: urnName(urn),
      custom: state.custom !== false,
      parent: typeof state.parent === "string" ? state.parent : undefined,
      protect: state.protect === true,
      retainOnDelete: state.retainOnDelete === true,
      inputs,
      replaceReasons,
      markedReplace: REPLACE_OPS.has(op),
    });
  });
  const stack = (doc as { mlstack?: { stack?: unknown } }).mlstack?.stack;
  return { file, stack: typeof stack === "string" ? stack : undefined, resources };
}
