/**
 * How a component refuses its arguments: with a structured problem (the argument's path, the value,
 * what is allowed) rather than a bare message, so the stack layer can run every component's check
 * as a pure function in one pre-flight step, before anything registers, and name each problem by
 * the config key it came from. The component's constructor still calls the same check
 * defensively: a library user who skips the stack layer gets the same refusal.
 */

/** One bad argument: its path inside the component's args, the value, and what is allowed. */
export interface ArgumentProblem {
  /** Path inside the args, e.g. `groups[0]`, `config.controllers`. */
  arg: string;
  value: unknown;
  /** What is allowed (or why the value is refused), phrased to follow the value. */
  allowed: string;
}

/** The error a component's check throws; carries the problem for the pre-flight step. */
export class ArgumentRefusal extends Error {
  constructor(
    readonly where: string,
    readonly problem: ArgumentProblem,
  ) {
    super(`${where}: ${problem.arg} ${JSON.stringify(problem.value)} ${problem.allowed}`);
    this.name = "ArgumentRefusal";
  }
}

/** `fail(arg, value, allowed)` for a check: throws an `ArgumentRefusal` naming `where`. */
export function refusal(where: string): (arg: string, value: unknown, allowed: string) => never {
  return (arg, value, allowed) => {
    throw new ArgumentRefusal(where, { arg, value, allowed });
  };
}

/**
 * Runs a component's check and returns its refusal as data (none when the arguments pass).
 * Any other error is a bug in the check and propagates.
 */
export function problemsOf(check: () => void): ArgumentProblem[] {
  try {
    check();
    return [];
  } catch (err) {
    if (err instanceof ArgumentRefusal) return [err.problem];
    throw err;
  }
}
