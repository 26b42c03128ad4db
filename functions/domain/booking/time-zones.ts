/**
 * Wall-clock time in an IANA time zone, without a date library: offsets come from
 * `Intl.DateTimeFormat(...).formatToParts` (the runtime's own tz data), calendar arithmetic is done
 * on dates, never by adding 24 hours.
 *
 * Rules for local times that do not map to exactly one instant:
 * - **Gap** (spring forward): a local time that does not exist is resolved forward by the length of
 *   the gap, i.e. read with the offset in force before the transition. New York 2026-03-08 02:30 →
 *   03:30 EDT (07:30Z). This is what Temporal calls "compatible".
 * - **Overlap** (fall back): a local time that happens twice resolves to the earlier instant, i.e.
 *   the offset in force before the transition. New York 2026-11-01 01:30 → 01:30 EDT (05:30Z).
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Monday first; index with `weekdayOf`. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A calendar date with no time zone. `month` is 1–12. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A wall-clock reading on a calendar date. Seconds and milliseconds default to 0. */
export interface LocalDateTime extends LocalDate {
  readonly hour: number;
  readonly minute: number;
  readonly second?: number;
  readonly millisecond?: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export function isValidTimeZone(timeZone: string): boolean {
  if (formatters.has(timeZone)) return true;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Pure calendar arithmetic: Date.UTC normalises day overflow across months and years. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

export function weekdayOf(date: LocalDate): Weekday {
  // getUTCDay counts from Sunday; WEEKDAYS starts on Monday.
  const sundayFirst = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return WEEKDAYS[(sundayFirst + 6) % 7] as Weekday;
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** The local date and wall-clock time of an instant in a zone. */
export function instantToLocal(instant: Date, timeZone: string): Required<LocalDateTime> {
  const ms = instant.getTime();
  const shifted = new Date(ms + offsetMsAt(ms, timeZone));
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millisecond: shifted.getUTCMilliseconds(),
  };
}

export function localDateOf(instant: Date, timeZone: string): LocalDate {
  const { year, month, day } = instantToLocal(instant, timeZone);
  return { year, month, day };
}

/** UTC offset in minutes (east positive) in force at an instant, e.g. -240 for EDT, 330 for IST. */
export function utcOffsetMinutes(instant: Date, timeZone: string): number {
  return offsetMsAt(instant.getTime(), timeZone) / MINUTE_MS;
}

/**
 * The instant at which the zone's clocks show `local`, with the gap and overlap rules above.
 * `minute` may exceed 59 (e.g. 1440 on a date is the next midnight): it is normalised like Date.UTC.
 */
export function localToInstant(local: LocalDateTime, timeZone: string): Date {
  const asIfUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second ?? 0, local.millisecond ?? 0);
  if (Number.isNaN(asIfUtc)) throw new RangeError(`Not a local date and time: ${JSON.stringify(local)}`);
  // The answer is within ±14 h of asIfUtc, so the offsets a day either side bracket any transition near it.
  const before = offsetMsAt(asIfUtc - DAY_MS, timeZone);
  const readBefore = asIfUtc - before;
  // Away from a transition, before one, or the earlier of two readings in an overlap.
  if (offsetMsAt(readBefore, timeZone) === before) return new Date(readBefore);
  const after = offsetMsAt(asIfUtc + DAY_MS, timeZone);
  const readAfter = asIfUtc - after;
  // After a transition. In a gap neither reading exists, and the pre-transition one lands after the
  // gap: that is the forward resolution.
  return new Date(offsetMsAt(readAfter, timeZone) === after ? readAfter : readBefore);
}

// --- Offsets -------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The authoritative lookup: what the runtime's tz data says the offset is at a whole second. */
function intlOffsetMs(wholeSecondMs: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(wholeSecondMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN } = fields;
  return Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecondMs;
}

/**
 * formatToParts costs about 10 µs, and slot finding asks for thousands of offsets, so known
 * stretches of constant offset are remembered per zone. A stretch is found by probing a week either
 * side and bisecting to the second where the offset changes. This assumes no zone changes its
 * offset twice within PROBE_MS, which holds for every zone in current tz data (the closest are
 * Morocco's Ramadan suspensions, about a month apart). Memoisation only: results equal intlOffsetMs.
 */
const PROBE_MS = 7 * DAY_MS;
const MAX_SPANS_PER_ZONE = 5_000;

interface OffsetSpan {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly offsetMs: number;
}

const spansByZone = new Map<string, OffsetSpan[]>();

function offsetMsAt(ms: number, timeZone: string): number {
  if (!Number.isFinite(ms)) throw new RangeError('Invalid date');
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  let spans = spansByZone.get(timeZone);
  if (!spans || spans.length > MAX_SPANS_PER_ZONE) {
    spans = [];
    spansByZone.set(timeZone, spans);
  }
  const known = findSpan(spans, wholeSecond);
  if (known) return known.offsetMs;
  const span = discoverSpan(wholeSecond, timeZone);
  insertSpan(spans, span);
  return span.offsetMs;
}

function findSpan(spans: readonly OffsetSpan[], ms: number): OffsetSpan | undefined {
  let low = 0;
  let high = spans.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const span = spans[middle] as OffsetSpan;
    if (ms < span.start) high = middle - 1;
    else if (ms >= span.end) low = middle + 1;
    else return span;
  }
  return undefined;
}

function discoverSpan(wholeSecond: number, timeZone: string): OffsetSpan {
  const offsetMs = intlOffsetMs(wholeSecond, timeZone);
  const sameOffset = (at: number) => intlOffsetMs(at, timeZone) === offsetMs;
  const before = wholeSecond - PROBE_MS;
  const after = wholeSecond + PROBE_MS;
  const start = sameOffset(before) ? before : firstSecondWhere(before, wholeSecond, sameOffset);
  const end = sameOffset(after) ? after : firstSecondWhere(wholeSecond, after, (at) => !sameOffset(at));
  return { start, end, offsetMs };
}

/** Smallest whole second in (low, high] satisfying `test`, given test(low) is false and test(high) true. */
function firstSecondWhere(low: number, high: number, test: (at: number) => boolean): number {
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (test(middle)) high = middle;
    else low = middle;
  }
  return high;
}

/** Keeps spans sorted and disjoint; overlapping or touching spans with one offset become one. */
function insertSpan(spans: OffsetSpan[], span: OffsetSpan): void {
  spans.push(span);
  spans.sort((a, b) => a.start - b.start);
  let write = 0;
  for (const next of spans.slice(1)) {
    const current = spans[write] as OffsetSpan;
    if (next.start <= current.end && next.offsetMs === current.offsetMs) {
      spans[write] = { start: current.start, end: Math.max(current.end, next.end), offsetMs: current.offsetMs };
    } else {
      write += 1;
      spans[write] = next;
    }
  }
  spans.length = write + 1;
}
