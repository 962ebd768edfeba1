/**
 * The checks most rules are made of: read one value, report it as *not checked* when it is unknown
 * at preview, flag it when it is known and bad (`flagValue`, `flagField`); walk a list, reporting
 * an unknown list or item as not checked (`eachItem`); `resourceFieldRule` is a whole rule made
 * of one `flagField`.
 */
import type { PolicyResource, Reporter, ResourceRule } from "./rule";
import { resourceRule } from "./rule";
import { arr, at, bool, isUnknown } from "./values";

/** Reports `message(value)` when the value is known and `bad`; an unknown value is reported as not checked (`what`). */
export function flagValue(
  value: unknown,
  report: Reporter,
  what: string,
  bad: (v: unknown) => boolean,
  message: (v: unknown) => string,
): void {
  if (isUnknown(value)) report.unknown(what);
  else if (bad(value)) report.violation(message(value));
}

/** `flagValue` on the value at `path` of a resource's inputs (named by `path` when unknown). */
export function flagField(
  resource: PolicyResource,
  report: Reporter,
  path: string,
  bad: (v: unknown) => boolean,
  message: (v: unknown) => string,
): void {
  flagValue(at(resource.props, path), report, path, bad, message);
}

/** `true` (or `"true"`): a flag that is on. */
export const isTrue = (v: unknown): boolean => bool(v) === true;

/** `false` (or `"false"`): a flag turned off explicitly. */
export const isFalse = (v: unknown): boolean => bool(v) === false;

/** Not `true` (nor `"true"`): a flag that is off or unset. */
export const notTrue = (v: unknown): boolean => bool(v) !== true;

/** Not a non-empty string: a key, bucket or subnet reference that is missing. */
export const noReference = (v: unknown): boolean => typeof v !== "string" || v === "";

/**
 * Applies `fn` to every item of the list at `path` of `holder`, each named `<where>[i]` (`where`
 * defaults to `path`); an unknown list or item is reported as not checked under that name and
 * skipped.
 */
export function eachItem(
  holder: unknown,
  path: string,
  report: Reporter,
  fn: (item: unknown, where: string, i: number) => void,
  where = path,
): void {
  const list = at(holder, path);
  if (isUnknown(list)) return report.unknown(where);
  arr(list).forEach((item, i) => {
    if (isUnknown(item)) return report.unknown(`${where}[${i}]`);
    fn(item, `${where}[${i}]`, i);
  });
}

/** A resource rule that flags one field of the resources it applies to; an unknown value is not checked. */
export function resourceFieldRule(
  meta: Omit<Parameters<typeof resourceRule>[0], "check" | "onUnknown">,
  path: string,
  bad: (v: unknown) => boolean,
  message: (resource: PolicyResource, v: unknown) => string,
): ResourceRule {
  return resourceRule({
    ...meta,
    check(resource, _ctx, report) {
      flagField(resource, report, path, bad, (v) => message(resource, v));
    },
  });
}
