/**
 * Cron schedules, as the controllers that read them parse them (robfig/cron):
 *
 * - Kubernetes CronJob `spec.schedule`: five fields (minute hour day-of-month month day-of-week) or a
 *   descriptor, parsed with `cron.ParseStandard` (robfig/cron v3); `TZ=`/`CRON_TZ=` prefixes are
 *   refused (use `spec.timeZone`). Source: kubernetes v1.34 pkg/apis/batch/validation/validation.go
 *   `validateScheduleFormat`; https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 * - CloudNativePG ScheduledBackup `spec.schedule`: six fields, seconds first, or a descriptor.
 *   Source: https://cloudnative-pg.io/documentation/current/backup/#scheduled-backups and
 *   https://pkg.go.dev/github.com/robfig/cron#hdr-CRON_Expression_Format. A five-field schedule
 *   there would be read with seconds first (a backup every hour instead of once a day), so it is refused.
 *
 * Each field is a comma list of `*`, `?`, `n`, `a-b`, each optionally `/step` (step ≥ 1); months
 * and weekdays also take their three-letter English names, in any case.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const SECOND: Field = { name: "second", min: 0, max: 59 };
const MINUTE: Field = { name: "minute", min: 0, max: 59 };
const HOUR: Field = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: Field = { name: "day of month", min: 1, max: 31 };
const MONTH: Field = {
  name: "month",
  min: 1,
  max: 12,
  names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
const DAY_OF_WEEK: Field = {
  name: "day of week",
  min: 0,
  max: 6,
  names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

const STANDARD_FIELDS = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];
const SECONDS_FIELDS = [SECOND, ...STANDARD_FIELDS];

/** robfig/cron's descriptors (`@every` takes a Go duration such as 1h30m). */
const DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
const EVERY = /^@every ([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

export const CRONJOB_SCHEDULE_RULE =
  'a five-field cron schedule (minute hour day-of-month month day-of-week, e.g. "30 2 * * *") or a descriptor such as @hourly or @daily';
export const SECONDS_CRON_SCHEDULE_RULE =
  'a six-field cron schedule, seconds first (e.g. "0 0 2 * * *"), or a descriptor such as @hourly or @daily';

function value(text: string, field: Field): number | undefined {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : undefined;
  }
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  return index < 0 ? undefined : index + field.min;
}

function validPart(part: string, field: Field): boolean {
  const [range, step, ...extra] = part.split("/");
  if (extra.length > 0) return false;
  if (step !== undefined && !(/^[0-9]+$/.test(step) && Number(step) >= 1)) return false;
  if (range === "*" || range === "?") return true;
  const [start, end, ...more] = range.split("-");
  if (more.length > 0) return false;
  const from = value(start, field);
  if (from === undefined) return false;
  if (end === undefined) return true;
  const to = value(end, field);
  return to !== undefined && from <= to;
}

function validSchedule(schedule: string, fields: Field[]): boolean {
  if (schedule !== schedule.trim() || /[\r\n\t]/.test(schedule) || schedule.includes("TZ")) return false;
  if (schedule.startsWith("@")) return DESCRIPTORS.includes(schedule) || EVERY.test(schedule);
  const parts = schedule.split(/ +/);
  if (parts.length !== fields.length) return false;
  return parts.every((text, i) => text.split(",").every((part) => validPart(part, fields[i])));
}

/** What a Kubernetes CronJob accepts in `spec.schedule`. */
export function isCronJobSchedule(schedule: string): boolean {
  return validSchedule(schedule, STANDARD_FIELDS);
}

/** What CloudNativePG accepts in a ScheduledBackup's `spec.schedule` (seconds first). */
export function isSecondsCronSchedule(schedule: string): boolean {
  return validSchedule(schedule, SECONDS_FIELDS);
}
