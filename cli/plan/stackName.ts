/**
 * Which stack names `mlstack plan` accepts. Pulumi's own grammar is 1–100 of `A-Z a-z 0-9 _ . -`
 * (`stackNameAndProjectRegexp = ^[A-Za-z0-9_.-]{1,100}$` in pulumi/pulumi
 * pkg/backend/filestate/backend.go; the CLI docs: "Stack names may only contain alphanumeric
 * characters, hyphens, underscores, or periods"). mlstack refuses `.` and `..` on top of it: the
 * stack name becomes a folder (`out/<stack>/`), and those two name the current and parent folder.
 */
export const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export const STACK_NAME_RULE =
  'Pulumi stack names are 1-100 letters, digits, "_", "." or "-", and mlstack refuses "." and ".." (they name folders)';

/** Why `stack` is not usable, or undefined when it is. */
export function stackNameProblem(stack: string): string | undefined {
  if (!STACK_NAME.test(stack) || stack === "." || stack === "..") {
    return `stack ${JSON.stringify(stack)} is not a valid stack name: ${STACK_NAME_RULE}`;
  }
  return undefined;
}
