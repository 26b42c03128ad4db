import { addDays, instantToLocal, isValidTimeZone, localToInstant, type LocalDate, type LocalDateTime } from '../../domain/booking/time-zones.ts';

/**
 * EventBridge Scheduler cron expressions, evaluated locally (the in-process scheduler of local mode
 * needs the next occurrence of the same expression EventBridge runs on AWS).
 *
 * Six fields: `minutes hours day-of-month month day-of-week year`, e.g. `0 8 ? * MON *` (every
 * Monday 08:00) or `0 8 1 * ? *` (the first of each month, 08:00), with or without the `cron(...)`
 * wrapper. Supported in every field: numbers, `*`, lists (`1,15`), ranges (`MON-FRI`, `9-17`) and
 * steps (`0/15`, `*\/5`, `10-50/20`); month names `JAN`–`DEC`; day-of-week names `SUN`–`SAT` or
 * EventBridge's numbers `1`–`7` where **1 is Sunday**. One of day-of-month and day-of-week must be
 * `?` (EventBridge rejects an expression that sets both). Not supported (an error names them):
 * `L`, `W` and `#`.
 *
 * Times are wall-clock times in the schedule's IANA time zone. A time that does not exist on a
 * spring-forward day is resolved forward by the length of the gap and a time that happens twice on
 * a fall-back day runs once, at the earlier instant: the rules of `localToInstant`
 * (functions/domain/booking/time-zones.ts).
 */
export interface CronSchedule {
  /** The six fields as given, normalised to single spaces (no `cron(...)` wrapper). */
  readonly fields: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  /** Null when the field is `?`. */
  readonly daysOfMonth: ReadonlySet<number> | null;
  readonly months: ReadonlySet<number>;
  /** 1 = Sunday … 7 = Saturday, as EventBridge numbers them. Null when the field is `?`. */
  readonly daysOfWeek: ReadonlySet<number> | null;
  readonly years: ReadonlySet<number>;
}

/** EventBridge accepts years 1970–2199; nothing runs after the last one. */
export const CRON_FIRST_YEAR = 1970;
export const CRON_LAST_YEAR = 2199;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly allowQuestion?: boolean;
}

const FIELDS = {
  minutes: { label: 'minutes', min: 0, max: 59 },
  hours: { label: 'hours', min: 0, max: 23 },
  daysOfMonth: { label: 'day-of-month', min: 1, max: 31, allowQuestion: true },
  months: { label: 'month', min: 1, max: 12, names: MONTH_NAMES },
  daysOfWeek: { label: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, allowQuestion: true },
  years: { label: 'year', min: CRON_FIRST_YEAR, max: CRON_LAST_YEAR },
} as const satisfies Record<string, FieldSpec>;

export class InvalidCronError extends Error {
  override readonly name = 'InvalidCronError';
}

/** Parses an EventBridge cron expression (with or without `cron(...)`); throws `InvalidCronError` naming the field. */
export function parseCron(expression: string): CronSchedule {
  const inner = /^\s*cron\((.*)\)\s*$/i.exec(expression)?.[1] ?? expression;
  const parts = inner.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new InvalidCronError(`"${expression}" has ${parts.length} fields; EventBridge cron needs 6: minutes hours day-of-month month day-of-week year`);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = parts as [string, string, string, string, string, string];
  if ((daysOfMonth === '?') === (daysOfWeek === '?')) {
    throw new InvalidCronError(`"${expression}": exactly one of day-of-month and day-of-week must be "?"`);
  }
  return {
    fields: parts.join(' '),
    minutes: parseField(minutes, FIELDS.minutes, expression) as Set<number>,
    hours: parseField(hours, FIELDS.hours, expression) as Set<number>,
    daysOfMonth: parseField(daysOfMonth, FIELDS.daysOfMonth, expression),
    months: parseField(months, FIELDS.months, expression) as Set<number>,
    daysOfWeek: parseField(daysOfWeek, FIELDS.daysOfWeek, expression),
    years: parseField(years, FIELDS.years, expression) as Set<number>,
  };
}

/** The expression as EventBridge's `ScheduleExpression` wants it: `cron(<six fields>)`. */
export function cronScheduleExpression(expression: string): string {
  return `cron(${parseCron(expression).fields})`;
}

/** Whether a local wall-clock reading (seconds ignored) is one the expression fires at. */
export function cronMatches(schedule: CronSchedule, local: LocalDateTime): boolean {
  return schedule.minutes.has(local.minute) && schedule.hours.has(local.hour) && dateMatches(schedule, local);
}

/**
 * The first instant strictly after `after` at which the expression fires in `timeZone`, or null
 * when it never fires again (its years are over). DST-correct: candidates are wall-clock times
 * turned into instants with `localToInstant`, so a weekly Monday 08:00 stays at 08:00 local on
 * both sides of a change, and a time inside a spring-forward gap runs after the gap.
 */
export function nextCronOccurrence(expression: string | CronSchedule, timeZone: string, after: Date): Date | null {
  const schedule = typeof expression === 'string' ? parseCron(expression) : expression;
  if (!isValidTimeZone(timeZone)) throw new InvalidCronError(`"${timeZone}" is not an IANA time zone`);
  if (Number.isNaN(after.getTime())) throw new RangeError('after is not a valid date');
  const minutes = [...schedule.minutes].sort((a, b) => a - b);
  const hours = [...schedule.hours].sort((a, b) => a - b);

  // A day's wall-clock times map to instants within that day, except that a time in a gap is
  // pushed forward past it; starting a day early and checking one day past the first hit covers that.
  let date: LocalDate | null = addDays(instantToLocal(after, timeZone), -1);
  let best: Date | null = null;
  let daysAfterHit = 0;
  while (date) {
    if (dateMatches(schedule, date)) {
      for (const hour of hours) {
        for (const minute of minutes) {
          const instant = localToInstant({ ...date, hour, minute }, timeZone);
          if (instant.getTime() > after.getTime() && (!best || instant.getTime() < best.getTime())) best = instant;
        }
      }
    }
    if (best) {
      daysAfterHit += 1;
      if (daysAfterHit > 1) return best;
    }
    date = nextCandidateDate(schedule, date);
  }
  return best;
}

// --- Dates -----------------------------------------------------------------------------------------

function dateMatches(schedule: CronSchedule, date: LocalDate): boolean {
  if (!schedule.years.has(date.year) || !schedule.months.has(date.month)) return false;
  if (schedule.daysOfMonth) return schedule.daysOfMonth.has(date.day);
  // Date.UTC's getUTCDay counts from Sunday = 0; EventBridge from Sunday = 1.
  const dayOfWeek = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 1;
  return schedule.daysOfWeek?.has(dayOfWeek) ?? false;
}

/** The next day, skipping whole months and years the expression excludes; null past the last year. */
function nextCandidateDate(schedule: CronSchedule, date: LocalDate): LocalDate | null {
  let next = addDays(date, 1);
  while (next.year <= CRON_LAST_YEAR) {
    if (!schedule.years.has(next.year)) {
      next = { year: next.year + 1, month: 1, day: 1 };
    } else if (!schedule.months.has(next.month)) {
      next = next.month === 12 ? { year: next.year + 1, month: 1, day: 1 } : { year: next.year, month: next.month + 1, day: 1 };
    } else {
      return next;
    }
  }
  return null;
}

// --- Fields ----------------------------------------------------------------------------------------

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> | null {
  const fail = (why: string): never => {
    throw new InvalidCronError(`"${expression}": ${spec.label} field "${text}" ${why}`);
  };
  if (text === '?') {
    if (!spec.allowQuestion) fail('cannot be "?" (only day-of-month or day-of-week can)');
    return null;
  }
  if (/[LW#]/i.test(text.replace(/[A-Z]{3}/gi, (name) => (spec.names?.includes(name.toUpperCase()) ? '' : name)))) {
    fail('uses L, W or #, which this scheduler does not support');
  }
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText, ...extra] = item.split('/');
    if (range === undefined || range === '' || extra.length > 0) fail('is not a list of values, ranges or steps');
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) fail(`has a step "${stepText}" that is not a positive whole number`);
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*') {
      low = spec.min;
      high = spec.max;
    } else {
      const bounds = (range as string).split('-');
      if (bounds.length > 2) fail(`has a range "${range}" with more than two ends`);
      low = value(bounds[0] as string, spec, fail);
      // `a/n` runs from a to the field's end; `a` alone is a single value.
      high = bounds.length === 2 ? value(bounds[1] as string, spec, fail) : stepText !== undefined ? spec.max : low;
      if (high < low) fail(`has a range "${range}" whose end comes before its start`);
    }
    for (let current = low; current <= high; current += step) values.add(current);
  }
  return values;
}

function value(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const number = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(number)) fail(`has "${text}", which is not a number${spec.names ? ' or a name' : ''}`);
  if (number < spec.min || number > spec.max) fail(`has ${text}, outside ${spec.min}–${spec.max}`);
  return number;
}
