import { fc, test } from '@fast-check/vitest';
import { assert, describe, expect } from 'vitest';
import { findFreeSlots, freeBusyQueryWindow, isSlotFree, type Interval } from '../../../functions/domain/booking/availability.ts';
import { parseBookingPreferences, type BookingPreferences, type WorkingRange } from '../../../functions/domain/booking/booking-preferences.ts';
import { localToInstant, type LocalDate, type Weekday } from '../../../functions/domain/booking/time-zones.ts';
import { MINUTE_MS, wallClockOf, type WallClock } from './wall-clock.ts';

/**
 * Whatever the zone, date, working hours and busy time, every slot the finder returns obeys every
 * rule, and the single-slot check agrees with the finder. The rules are restated here from the
 * spec with an Intl oracle for wall-clock readings; only `localToInstant` (tested against a brute
 * force scan in time-zones.test.ts) is shared with the code under test.
 */

const ZONES = ['America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns', 'Australia/Lord_Howe', 'UTC'];
const DAY_MS = 24 * 60 * MINUTE_MS;
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']; // getUTCDay order
const pad = (value: number) => String(value).padStart(2, '0');
const hhmm = (minute: number) => `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;

// --- Arbitraries ---------------------------------------------------------------------------------

const clockMinute = fc.oneof(
  fc.integer({ min: 0, max: 95 }).map((quarter) => quarter * 15),
  fc.integer({ min: 0, max: 1439 }),
);
const workingRange: fc.Arbitrary<WorkingRange> = fc
  .tuple(clockMinute, fc.oneof({ weight: 4, arbitrary: clockMinute.map(hhmm) }, { weight: 1, arbitrary: fc.constant('24:00') }))
  .filter(([start, end]) => hhmm(start) !== end)
  .map(([start, end]) => ({ start: hhmm(start), end }));
const dayRanges = fc.array(workingRange, { maxLength: 3 });
const workingHours = fc.record({ mon: dayRanges, tue: dayRanges, wed: dayRanges, thu: dayRanges, fri: dayRanges, sat: dayRanges, sun: dayRanges });

const preferencesArb: fc.Arbitrary<BookingPreferences> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    workingHours: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: workingHours }),
    meetingMinutes: fc.oneof(fc.constantFrom(15, 30, 45, 60, 90), fc.integer({ min: 5, max: 240 })),
    bufferMinutes: fc.oneof(fc.constantFrom(0, 5, 10, 15, 30), fc.integer({ min: 0, max: 120 })),
    minimumNotice: fc.oneof(
      fc.integer({ min: 0, max: 3 }).map((businessDays) => ({ businessDays })),
      fc.integer({ min: 0, max: 5000 }).map((minutes) => ({ minutes })),
    ),
    horizonBusinessDays: fc.integer({ min: 1, max: 10 }),
  })
  .map(({ workingHours: hours, ...rest }) => parseBookingPreferences(hours ? { ...rest, workingHours: hours } : rest));

// Transition days of the zones above (2026–2027), so that `now` often sits within days of one.
const TRANSITION_DAYS = [
  '2026-03-08', '2026-03-29', '2026-04-05', '2026-09-27', '2026-10-04', '2026-10-25', '2026-11-01',
  '2027-03-14', '2027-03-28', '2027-04-04', '2027-09-26', '2027-10-03', '2027-10-31', '2027-11-07',
].map((day) => Date.parse(`${day}T00:00Z`));
const nowArb = fc
  .oneof(
    fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }),
    fc.tuple(fc.constantFrom(...TRANSITION_DAYS), fc.integer({ min: -10 * DAY_MS, max: 2 * DAY_MS })).map(([day, shift]) => day + shift),
  )
  .chain((ms) => fc.oneof(fc.constant(Math.floor(ms / MINUTE_MS) * MINUTE_MS), fc.constant(ms)))
  .map((ms) => new Date(ms));

/** Busy intervals relative to `now`: meetings, long stretches, and all-day blocks in other zones. */
const busySpec = fc.oneof(
  fc.record({ kind: fc.constant('short' as const), at: fc.integer({ min: -2 * 1440, max: 16 * 1440 }), minutes: fc.integer({ min: 1, max: 240 }), jitter: fc.nat(59_999) }),
  fc.record({ kind: fc.constant('long' as const), at: fc.integer({ min: -4 * 1440, max: 16 * 1440 }), minutes: fc.integer({ min: 241, max: 4 * 1440 }), jitter: fc.constant(0) }),
  fc.record({ kind: fc.constant('allDay' as const), at: fc.integer({ min: -1, max: 16 }), minutes: fc.integer({ min: 1, max: 3 }), jitter: fc.constantFrom(-600, -300, 0, 60, 330, 780) }),
);
type BusySpec = typeof busySpec extends fc.Arbitrary<infer T> ? T : never;

function toBusy(now: Date, spec: BusySpec): Interval {
  if (spec.kind === 'allDay') {
    // Midnight to midnight in a zone at offset `jitter` minutes, for `minutes` days.
    const start = (Math.floor(now.getTime() / DAY_MS) + spec.at) * DAY_MS - spec.jitter * MINUTE_MS;
    return { start: new Date(start), end: new Date(start + spec.minutes * DAY_MS) };
  }
  const start = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + spec.at * MINUTE_MS + spec.jitter;
  return { start: new Date(start), end: new Date(start + spec.minutes * MINUTE_MS) };
}

// --- Oracle --------------------------------------------------------------------------------------

function localDateOf(instant: Date, timeZone: string): LocalDate {
  return dateOf(wallClockOf(instant, timeZone));
}

function shiftDate(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

function weekday(date: LocalDate): Weekday {
  return WEEKDAYS[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()] as Weekday;
}

function nthBusinessDayAfter(date: LocalDate, n: number): LocalDate {
  let day = date;
  for (let found = 0; found < n; ) {
    day = shiftDate(day, 1);
    if (weekday(day) !== 'sat' && weekday(day) !== 'sun') found += 1;
  }
  return day;
}

function oracleEarliest(now: Date, prefs: BookingPreferences): number {
  const notice = prefs.minimumNotice;
  if ('minutes' in notice) return now.getTime() + notice.minutes * MINUTE_MS;
  if (notice.businessDays === 0) return now.getTime();
  const clock = wallClockOf(now, prefs.timeZone);
  const day = nthBusinessDayAfter(localDateOf(now, prefs.timeZone), notice.businessDays);
  return localToInstant({ ...day, hour: 0, minute: clock.minuteOfDay, second: clock.second, millisecond: now.getUTCMilliseconds() }, prefs.timeZone).getTime();
}

function oracleHorizonEnd(now: Date, prefs: BookingPreferences): number {
  const lastDay = nthBusinessDayAfter(localDateOf(now, prefs.timeZone), prefs.horizonBusinessDays);
  return localToInstant({ ...shiftDate(lastDay, 1), hour: 0, minute: 0 }, prefs.timeZone).getTime();
}

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));

/**
 * Every instant of the slot lies in some range's real-time window (ranges of the day before, of,
 * and after the slot's local start date). Windows are remembered per date within one run.
 */
function workingHoursOracle(prefs: BookingPreferences): (slot: Interval, date: LocalDate) => boolean {
  const windowsByDate = new Map<string, [number, number][]>();
  const windowsOf = (day: LocalDate) => {
    const key = `${day.year}-${day.month}-${day.day}`;
    let windows = windowsByDate.get(key);
    if (!windows) {
      windows = [];
      for (const range of prefs.workingHours[weekday(day)]) {
        const [start, end] = [minutesOf(range.start), minutesOf(range.end)];
        const from = localToInstant({ ...day, hour: 0, minute: start }, prefs.timeZone).getTime();
        const to = localToInstant({ ...(end <= start ? shiftDate(day, 1) : day), hour: 0, minute: end }, prefs.timeZone).getTime();
        if (from < to) windows.push([from, to]);
      }
      windowsByDate.set(key, windows);
    }
    return windows;
  };
  return (slot, date) => {
    const windows = [shiftDate(date, -1), date, shiftDate(date, 1)].flatMap(windowsOf);
    let reached = slot.start.getTime();
    for (let progressed = true; progressed && reached < slot.end.getTime(); ) {
      progressed = false;
      for (const [from, to] of windows) {
        if (from <= reached && to > reached) {
          reached = to;
          progressed = true;
        }
      }
    }
    return reached >= slot.end.getTime();
  };
}

function onGrid(instant: Date, clock: WallClock, step: number): boolean {
  return clock.second === 0 && instant.getUTCMilliseconds() === 0 && clock.minuteOfDay % step === 0;
}

function dateOf(clock: WallClock): LocalDate {
  const [year, month, day] = clock.date.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

function rule(holds: boolean, message: () => string): void {
  if (!holds) assert.fail(message());
}

// --- Properties ----------------------------------------------------------------------------------

const scenario = fc.record({
  now: nowArb,
  prefs: preferencesArb,
  busySpecs: fc.array(busySpec, { maxLength: 25 }),
  step: fc.constantFrom(5, 10, 15, 20, 30, 45, 60, 90),
  count: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 5 })),
  // Where to probe the single-slot check: fractions of the search range.
  probes: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 15 }),
});

describe('findFreeSlots properties', () => {
  test.prop([scenario], { numRuns: 1000 })('every slot obeys every rule, the count only cuts the list, and isSlotFree agrees', ({ now, prefs, busySpecs, step, count, probes }) => {
    const busy = busySpecs.map((spec) => toBusy(now, spec));
    const zone = prefs.timeZone;
    const meeting = prefs.meetingMinutes * MINUTE_MS;
    const buffer = prefs.bufferMinutes * MINUTE_MS;
    const earliest = oracleEarliest(now, prefs);
    const horizonEnd = oracleHorizonEnd(now, prefs);
    const all = findFreeSlots({ now, preferences: prefs, busy, count: Infinity, stepMinutes: step });

    // Each rule is checked as a plain boolean: building an assertion message per busy interval per
    // slot would cost more than everything else in this test.
    const insideWorkingHours = workingHoursOracle(prefs);
    all.forEach((slot, index) => {
      const [start, end] = [slot.start.getTime(), slot.end.getTime()];
      const clock = wallClockOf(slot.start, zone);
      const where = () => `slot ${slot.start.toISOString()} in ${zone}`;
      rule(insideWorkingHours(slot, dateOf(clock)), () => `${where()}: (a) is not inside working hours`);
      const clash = busy.find((interval) => interval.end.getTime() > start - buffer && interval.start.getTime() < end + buffer);
      rule(!clash, () => `${where()}: (b) is within a buffer of busy ${clash?.start.toISOString()}–${clash?.end.toISOString()}`);
      rule(start >= earliest, () => `${where()}: (c) is before the earliest start ${new Date(earliest).toISOString()}`);
      rule(start < horizonEnd, () => `${where()}: (d) is not before the horizon end ${new Date(horizonEnd).toISOString()}`);
      rule(end - start === meeting, () => `${where()}: (e) lasts ${(end - start) / MINUTE_MS} minutes`);
      rule(index === 0 || start >= all[index - 1]!.end.getTime(), () => `${where()}: (f) overlaps or precedes the slot before it`);
      rule(onGrid(slot.start, clock, step), () => `${where()}: (g) is not on the ${step}-minute grid`);
    });

    if (count !== Infinity) expect(findFreeSlots({ now, preferences: prefs, busy, count, stepMinutes: step })).toEqual(all.slice(0, count));

    const check = (slot: Interval) => isSlotFree({ now, preferences: prefs, busy, slot, stepMinutes: step });
    // Every returned slot in most runs; forty spread over the list in the few runs that return hundreds.
    const sampled = all.filter((_, index) => index % Math.ceil(all.length / 40) === 0);
    for (const slot of sampled) rule(check(slot), () => `isSlotFree says returned ${slot.start.toISOString()} is not free`);
    // Probe grid instants across the whole range, and where busy time ends (where the finder jumps
    // to): free and not returned is only right when an earlier returned slot overlaps it.
    const from = Math.min(earliest, horizonEnd) - DAY_MS;
    const spread = probes.map((fraction) => from + fraction * (horizonEnd + DAY_MS - from));
    const afterBusy = busy.slice(0, 5).map((interval) => interval.end.getTime() + buffer + (step - 1) * MINUTE_MS);
    for (const probe of [...spread, ...afterBusy]) {
      const minute = Math.floor(probe / MINUTE_MS) * MINUTE_MS;
      const start = minute - (wallClockOf(new Date(minute), zone).minuteOfDay % step) * MINUTE_MS;
      const candidate = { start: new Date(start), end: new Date(start + meeting) };
      const returned = all.some((slot) => slot.start.getTime() === start);
      const shadowed = all.some((slot) => slot.start.getTime() < start && start < slot.end.getTime());
      rule(returned || shadowed || !check(candidate), () => `isSlotFree says ${candidate.start.toISOString()} is free, but the finder skipped it`);
    }

    // Google is asked about every instant a returned slot and its buffers cover.
    const window = freeBusyQueryWindow({ now, preferences: prefs });
    for (const slot of all) {
      const asked = window !== null && slot.start.getTime() - buffer >= window.timeMin.getTime() && slot.end.getTime() + buffer <= window.timeMax.getTime();
      rule(asked, () => `slot ${slot.start.toISOString()} with its buffers is outside the freeBusy query window`);
    }
  });
});
