import type { BookingPreferences, WorkingRange } from './booking-preferences.ts';
import { addDays, compareDates, instantToLocal, localDateOf, localToInstant, weekdayOf, type LocalDate } from './time-zones.ts';
import { addBusinessDays } from './business-days.ts';

/**
 * Finding free time for a meeting, as pure functions of `now`, the partner's preferences and their
 * busy time (what Google freeBusy returns: UTC intervals, possibly overlapping, unsorted, all-day
 * and multi-day ones included).
 *
 * A slot `[start, end)` is free when all of these hold:
 * - it lasts exactly `meetingMinutes`;
 * - `start` is on the step grid: a whole number of `stepMinutes` after local midnight, in the
 *   partner's zone (default 30: meetings start on the hour or the half hour, as people expect);
 * - it lies inside one working-hours window (touching or overlapping ranges form one window);
 * - `start` is at or after the earliest start allowed by the minimum notice, and before the
 *   horizon end;
 * - `[start - buffer, end + buffer)` overlaps no busy interval: at least one buffer between the
 *   meeting and anything else in the calendar.
 * `findFreeSlots` returns the earliest such slots, each starting at or after the previous one's
 * end (they are alternatives, so no buffer is kept between them).
 */

export interface Interval {
  readonly start: Date;
  readonly end: Date;
}

/** Meetings start on the hour or half hour in the partner's local time. */
export const DEFAULT_STEP_MINUTES = 30;

/** Enough to offer a choice in propose mode; auto mode takes the first. */
export const DEFAULT_SLOT_COUNT = 3;

/**
 * Google Calendar's freeBusy refuses a query longer than 90 days ("The requested time range is too
 * long"). Preferences keep the horizon well inside it; the search is clamped to it regardless so
 * that no slot is ever offered in time Google was not asked about.
 */
export const GOOGLE_FREEBUSY_MAX_RANGE_DAYS = 90;

const MINUTE_MS = 60_000;
const MAX_RANGE_MS = GOOGLE_FREEBUSY_MAX_RANGE_DAYS * 24 * 60 * MINUTE_MS;

export interface AvailabilityContext {
  readonly now: Date;
  readonly preferences: BookingPreferences;
}

export interface FindFreeSlotsInput extends AvailabilityContext {
  readonly busy: readonly Interval[];
  /** How many slots at most; `Infinity` for all of them. */
  readonly count?: number;
  /** Must divide a day (1440) evenly so that the grid is the same every day. */
  readonly stepMinutes?: number;
}

export interface SearchBounds {
  /** The earliest start the minimum notice allows. */
  readonly earliestStart: Date;
  /**
   * Slots start strictly before this: local midnight after the last business day of the horizon,
   * or earlier if that would take the freeBusy query past Google's 90 days.
   */
  readonly horizonEnd: Date;
}

/** When slots may start, before looking at working hours or busy time. */
export function searchBounds({ now, preferences }: AvailabilityContext): SearchBounds {
  const earliestStart = earliestStartAfterNotice(now, preferences);
  const lastDay = addBusinessDays(localDateOf(now, preferences.timeZone), preferences.horizonBusinessDays);
  const horizonEnd = localToInstant({ ...addDays(lastDay, 1), hour: 0, minute: 0 }, preferences.timeZone);
  // Everything from the first slot's leading buffer to the last slot's trailing buffer must fit in one query.
  const queryLimit = earliestStart.getTime() - bufferMs(preferences) + MAX_RANGE_MS - meetingMs(preferences) - bufferMs(preferences);
  return { earliestStart, horizonEnd: new Date(Math.min(horizonEnd.getTime(), queryLimit)) };
}

function earliestStartAfterNotice(now: Date, preferences: BookingPreferences): Date {
  const notice = preferences.minimumNotice;
  if ('minutes' in notice) return new Date(now.getTime() + notice.minutes * MINUTE_MS);
  if (notice.businessDays === 0) return now;
  const local = instantToLocal(now, preferences.timeZone);
  const day = addBusinessDays(local, notice.businessDays);
  return localToInstant({ ...local, ...day }, preferences.timeZone);
}

/**
 * The `[timeMin, timeMax]` to ask Google freeBusy for: every busy interval that can touch a
 * candidate slot or its buffers, and never more than Google's 90 days. `null` when no slot is
 * possible at all (the notice reaches past the horizon), so there is nothing to ask.
 */
export function freeBusyQueryWindow(context: AvailabilityContext): { timeMin: Date; timeMax: Date } | null {
  const { earliestStart, horizonEnd } = searchBounds(context);
  if (earliestStart >= horizonEnd) return null;
  const buffer = bufferMs(context.preferences);
  return {
    timeMin: new Date(earliestStart.getTime() - buffer),
    timeMax: new Date(horizonEnd.getTime() + meetingMs(context.preferences) + buffer),
  };
}

export function findFreeSlots(input: FindFreeSlotsInput): Interval[] {
  const { preferences } = input;
  const count = input.count ?? DEFAULT_SLOT_COUNT;
  const step = checkedStep(input.stepMinutes);
  const { earliestStart, horizonEnd } = searchBounds(input);
  if (count <= 0 || earliestStart >= horizonEnd) return [];

  const meeting = meetingMs(preferences);
  const buffer = bufferMs(preferences);
  const busy = normalizeBusy(input.busy);
  const alignUp = (ms: number) => nextOnGrid(ms, preferences.timeZone, step);
  const slots: Interval[] = [];
  let next = 0; // busy intervals before this index end before any remaining candidate's buffer

  for (const window of workingWindows(preferences, earliestStart, new Date(horizonEnd.getTime() + meeting))) {
    let start = alignUp(Math.max(window.start.getTime(), earliestStart.getTime()));
    while (start < horizonEnd.getTime() && start + meeting <= window.end.getTime() && slots.length < count) {
      while (next < busy.length && (busy[next] as Interval).end.getTime() <= start - buffer) next += 1;
      const blocker = busy[next];
      if (blocker && blocker.start.getTime() < start + meeting + buffer) {
        start = alignUp(blocker.end.getTime() + buffer);
        continue;
      }
      slots.push({ start: new Date(start), end: new Date(start + meeting) });
      start = alignUp(start + meeting);
    }
  }
  return slots;
}

export type SlotCheck =
  | { readonly free: true }
  | { readonly free: false; readonly reason: 'wrong_length' | 'off_grid' | 'too_soon' | 'beyond_horizon' | 'outside_working_hours' | 'busy' };

export interface CheckSlotInput extends AvailabilityContext {
  readonly busy: readonly Interval[];
  readonly slot: Interval;
  readonly stepMinutes?: number;
}

/**
 * Whether one slot is free by exactly the rules `findFreeSlots` applies, and if not, why: for the
 * re-check just before booking a slot proposed earlier. The notice is measured from `now`, so a
 * slot proposed for tomorrow and accepted tonight is 'too_soon'; callers that honour a proposal
 * regardless can treat that reason as free.
 */
export function checkSlot(input: CheckSlotInput): SlotCheck {
  const { preferences, slot } = input;
  const start = slot.start.getTime();
  const end = slot.end.getTime();
  const { earliestStart, horizonEnd } = searchBounds(input);
  if (end - start !== meetingMs(preferences)) return { free: false, reason: 'wrong_length' };
  if (nextOnGrid(start, preferences.timeZone, checkedStep(input.stepMinutes)) !== start) return { free: false, reason: 'off_grid' };
  if (start < earliestStart.getTime()) return { free: false, reason: 'too_soon' };
  if (start >= horizonEnd.getTime()) return { free: false, reason: 'beyond_horizon' };
  const inWindow = workingWindows(preferences, slot.start, slot.end).some((window) => window.start <= slot.start && slot.end <= window.end);
  if (!inWindow) return { free: false, reason: 'outside_working_hours' };
  const buffer = bufferMs(preferences);
  const clashes = normalizeBusy(input.busy).some((busy) => busy.start.getTime() < end + buffer && busy.end.getTime() > start - buffer);
  return clashes ? { free: false, reason: 'busy' } : { free: true };
}

export function isSlotFree(input: CheckSlotInput): boolean {
  return checkSlot(input).free;
}

/**
 * Working-hours windows as UTC intervals, sorted, with overlapping or touching ones merged, for
 * every window that overlaps `[from, to)`. Windows are built per local date from the ranges, so
 * their ends follow the zone's gap and overlap rules; a range that vanishes entirely (it lies in a
 * spring-forward gap and both ends resolve to the same instant or cross) is dropped.
 */
export function workingWindows(preferences: BookingPreferences, from: Date, to: Date): Interval[] {
  const { timeZone, workingHours } = preferences;
  const windows: Interval[] = [];
  // A range that crosses midnight starts the day before the local date of `from`.
  const last = localDateOf(to, timeZone);
  for (let day = addDays(localDateOf(from, timeZone), -1); compareDates(day, last) <= 0; day = addDays(day, 1)) {
    for (const range of workingHours[weekdayOf(day)]) {
      const window = rangeOn(day, range, timeZone);
      if (window.start < window.end && window.start < to && window.end > from) windows.push(window);
    }
  }
  return mergeIntervals(windows);
}

function rangeOn(day: LocalDate, range: WorkingRange, timeZone: string): Interval {
  const startMinute = minutesOfDay(range.start);
  const endMinute = minutesOfDay(range.end);
  const endDay = endMinute <= startMinute ? addDays(day, 1) : day;
  return {
    start: localToInstant({ ...day, hour: 0, minute: startMinute }, timeZone),
    // '24:00' is minute 1440 of the same day, which localToInstant reads as the next midnight.
    end: localToInstant({ ...endDay, hour: 0, minute: endMinute }, timeZone),
  };
}

/** 'HH:MM' as validated by the preferences schema. */
function minutesOfDay(clock: string): number {
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}

/**
 * Busy time as sorted, disjoint intervals. An empty interval blocks nothing; an unreadable one is
 * an error rather than something to skip, because skipping it could double-book.
 */
export function normalizeBusy(busy: readonly Interval[]): Interval[] {
  for (const interval of busy) {
    if (Number.isNaN(interval.start.getTime()) || Number.isNaN(interval.end.getTime())) {
      throw new RangeError('A busy interval has an invalid date');
    }
  }
  return mergeIntervals(busy.filter((interval) => interval.start < interval.end));
}

function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start.getTime() - b.start.getTime());
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last && interval.start <= last.end) {
      if (interval.end > last.end) merged[merged.length - 1] = { start: last.start, end: interval.end };
    } else {
      merged.push(interval);
    }
  }
  return merged;
}

/**
 * The first instant at or after `ms` whose local time is on the step grid. Re-checked after each
 * move because a DST transition in between shifts local time against UTC.
 */
function nextOnGrid(ms: number, timeZone: string, stepMinutes: number): number {
  let candidate = Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
  for (;;) {
    const local = instantToLocal(new Date(candidate), timeZone);
    // Offsets with seconds (historical local mean time) leave a remainder to round away first.
    const seconds = local.second * 1000 + local.millisecond;
    if (seconds !== 0) {
      candidate += MINUTE_MS - seconds;
      continue;
    }
    const offGrid = (local.hour * 60 + local.minute) % stepMinutes;
    if (offGrid === 0) return candidate;
    candidate += (stepMinutes - offGrid) * MINUTE_MS;
  }
}

function checkedStep(stepMinutes: number = DEFAULT_STEP_MINUTES): number {
  if (!Number.isInteger(stepMinutes) || stepMinutes <= 0 || 1440 % stepMinutes !== 0) {
    throw new RangeError(`stepMinutes must divide 1440 evenly, got ${stepMinutes}`);
  }
  return stepMinutes;
}

function meetingMs(preferences: BookingPreferences): number {
  return preferences.meetingMinutes * MINUTE_MS;
}

function bufferMs(preferences: BookingPreferences): number {
  return preferences.bufferMinutes * MINUTE_MS;
}
