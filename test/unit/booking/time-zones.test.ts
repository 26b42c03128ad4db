import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { addBusinessDays, isBusinessDay } from '../../../functions/domain/booking/business-days.ts';
import {
  addDays,
  instantToLocal,
  isValidTimeZone,
  localToInstant,
  utcOffsetMinutes,
  weekdayOf,
  type LocalDateTime,
} from '../../../functions/domain/booking/time-zones.ts';
import { MINUTE_MS, wallClockOf } from './wall-clock.ts';

const ZONES = ['America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns', 'Australia/Lord_Howe', 'UTC'];

/** Minutes east of UTC, read from the oracle's 'GMT-04:00' style offset. */
function oracleOffsetMinutes(instant: Date, timeZone: string): number {
  const match = /^GMT([+-])(\d\d):(\d\d)$/.exec(wallClockOf(instant, timeZone).offset);
  if (!match) throw new Error(`unexpected offset ${wallClockOf(instant, timeZone).offset}`);
  const [, sign, hours, minutes] = match;
  return (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
}

const local = (year: number, month: number, day: number, hour: number, minute: number): LocalDateTime => ({ year, month, day, hour, minute });

describe('localToInstant', () => {
  it.each([
    ['an ordinary time', 'America/New_York', local(2026, 6, 1, 9, 0), '2026-06-01T09:00-04:00'],
    ['the last minute before spring forward', 'America/New_York', local(2026, 3, 8, 1, 59), '2026-03-08T01:59-05:00'],
    ['02:00 does not exist: 03:00 EDT', 'America/New_York', local(2026, 3, 8, 2, 0), '2026-03-08T03:00-04:00'],
    ['02:30 does not exist: 03:30 EDT', 'America/New_York', local(2026, 3, 8, 2, 30), '2026-03-08T03:30-04:00'],
    ['03:00 right after the gap', 'America/New_York', local(2026, 3, 8, 3, 0), '2026-03-08T03:00-04:00'],
    ['01:30 happens twice: the EDT one', 'America/New_York', local(2026, 11, 1, 1, 30), '2026-11-01T01:30-04:00'],
    ['02:00 after fall back is EST', 'America/New_York', local(2026, 11, 1, 2, 0), '2026-11-01T02:00-05:00'],
    ['London 01:30 does not exist', 'Europe/London', local(2026, 3, 29, 1, 30), '2026-03-29T02:30+01:00'],
    ['London 01:30 twice: the BST one', 'Europe/London', local(2026, 10, 25, 1, 30), '2026-10-25T01:30+01:00'],
    ['Sydney 02:30 twice in April: the AEDT one', 'Australia/Sydney', local(2026, 4, 5, 2, 30), '2026-04-05T02:30+11:00'],
    ['Sydney 02:30 does not exist in October', 'Australia/Sydney', local(2026, 10, 4, 2, 30), '2026-10-04T03:30+11:00'],
    ['Kolkata, half an hour off the hour', 'Asia/Kolkata', local(2026, 6, 1, 9, 0), '2026-06-01T09:00+05:30'],
    ['Chatham 03:00 does not exist in September', 'Pacific/Chatham', local(2026, 9, 27, 3, 0), '2026-09-27T04:00+13:45'],
    ['Chatham 03:00 twice in April', 'Pacific/Chatham', local(2026, 4, 5, 3, 0), '2026-04-05T03:00+13:45'],
    ['St John’s 02:30 does not exist', 'America/St_Johns', local(2026, 3, 8, 2, 30), '2026-03-08T03:30-02:30'],
    ['Lord Howe 02:15 does not exist (a 30-minute gap)', 'Australia/Lord_Howe', local(2026, 10, 4, 2, 15), '2026-10-04T02:45+11:00'],
    ['minute 1440 is the next midnight', 'America/New_York', local(2026, 6, 1, 0, 1440), '2026-06-02T00:00-04:00'],
  ])('%s', (_name, timeZone, wallClock, expected) => {
    expect(localToInstant(wallClock, timeZone)).toEqual(new Date(expected));
  });

  it('refuses a date that is not one', () => {
    expect(() => localToInstant(local(2026, Number.NaN, 1, 0, 0), 'UTC')).toThrow(RangeError);
  });

  // Transition days in 2026 for the zones above, to aim random local times at gaps and overlaps.
  const transitions: [string, number, number][] = [
    ['America/New_York', 3, 8],
    ['America/New_York', 11, 1],
    ['Europe/London', 3, 29],
    ['Europe/London', 10, 25],
    ['Australia/Sydney', 4, 5],
    ['Australia/Sydney', 10, 4],
    ['Pacific/Chatham', 4, 5],
    ['Pacific/Chatham', 9, 27],
    ['America/St_Johns', 3, 8],
    ['America/St_Johns', 11, 1],
    ['Australia/Lord_Howe', 4, 5],
    ['Australia/Lord_Howe', 10, 4],
    ['Asia/Kolkata', 3, 8],
  ];

  /**
   * Brute force, from the oracle alone: scan every quarter-hour within 15 hours of the naive reading.
   * If some instants show the wall clock, the earliest of them; if none (a gap), the wall clock
   * read with the offset in force just before the gap.
   */
  function bruteForce(wallClock: LocalDateTime, timeZone: string): Date {
    const naive = Date.UTC(wallClock.year, wallClock.month - 1, wallClock.day, wallClock.hour, wallClock.minute);
    const showing = (at: number) => {
      const clock = wallClockOf(new Date(at), timeZone);
      const [year, month, day] = clock.date.split('-').map(Number) as [number, number, number];
      return Date.UTC(year, month - 1, day, 0, clock.minuteOfDay);
    };
    let previous: number | null = null;
    for (let at = naive - 15 * 60 * MINUTE_MS; at <= naive + 15 * 60 * MINUTE_MS; at += 15 * MINUTE_MS) {
      if (showing(at) === naive) return new Date(at);
      if (previous !== null && showing(previous) < naive && showing(at) > naive) return new Date(naive - oracleOffsetMinutes(new Date(previous), timeZone) * MINUTE_MS);
      previous = at;
    }
    throw new Error('no transition found');
  }

  test.prop([fc.constantFrom(...transitions), fc.integer({ min: -1, max: 1 }), fc.integer({ min: 0, max: 95 })], { numRuns: 300 })(
    'agrees with a brute-force scan around every transition',
    ([timeZone, month, day], shift, quarter) => {
      const wallClock = local(2026, month, day + shift, 0, quarter * 15);
      expect(localToInstant(wallClock, timeZone)).toEqual(bruteForce(wallClock, timeZone));
    },
  );
});

describe('instantToLocal and utcOffsetMinutes', () => {
  const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }).map((ms) => new Date(ms));

  test.prop([fc.constantFrom(...ZONES), fc.array(instant, { minLength: 1, maxLength: 20 })], { numRuns: 300 })(
    'match Intl for instants in any order (the offset memo never answers wrongly)',
    (timeZone, instants) => {
      for (const at of instants) {
        const oracle = wallClockOf(at, timeZone);
        const mine = instantToLocal(at, timeZone);
        const pad = (value: number) => String(value).padStart(2, '0');
        expect(`${mine.year}-${pad(mine.month)}-${pad(mine.day)} ${pad(mine.hour)}:${pad(mine.minute)}:${pad(mine.second)}`).toBe(
          `${oracle.date} ${oracle.time}:${pad(oracle.second)}`,
        );
        expect(mine.millisecond).toBe(at.getUTCMilliseconds());
        expect(utcOffsetMinutes(at, timeZone)).toBe(oracleOffsetMinutes(at, timeZone));
      }
    },
  );

  test.prop([fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(2026, 0, 1) / MINUTE_MS, max: Date.UTC(2028, 0, 1) / MINUTE_MS })], { numRuns: 1000 })(
    'round trip: local → instant gives back the instant, or its earlier twin in a repeated hour',
    (timeZone, minute) => {
      const at = new Date(minute * MINUTE_MS);
      const back = localToInstant(instantToLocal(at, timeZone), timeZone);
      expect(instantToLocal(back, timeZone)).toEqual(instantToLocal(at, timeZone));
      expect(back.getTime()).toBeLessThanOrEqual(at.getTime());
      if (back.getTime() !== at.getTime()) {
        expect(at.getTime() - back.getTime()).toBe((utcOffsetMinutes(back, timeZone) - utcOffsetMinutes(at, timeZone)) * MINUTE_MS);
      }
    },
  );
});

describe('calendar dates', () => {
  it.each([
    [{ year: 2026, month: 12, day: 31 }, 1, { year: 2027, month: 1, day: 1 }],
    [{ year: 2028, month: 2, day: 28 }, 1, { year: 2028, month: 2, day: 29 }],
    [{ year: 2026, month: 3, day: 1 }, -1, { year: 2026, month: 2, day: 28 }],
    [{ year: 2026, month: 3, day: 7 }, 1, { year: 2026, month: 3, day: 8 }],
    [{ year: 2026, month: 1, day: 15 }, 400, { year: 2027, month: 2, day: 19 }],
  ])('addDays(%o, %i)', (date, days, expected) => {
    expect(addDays(date, days)).toEqual(expected);
  });

  it('knows the weekday', () => {
    expect(weekdayOf({ year: 2026, month: 6, day: 1 })).toBe('mon');
    expect(weekdayOf({ year: 2026, month: 3, day: 8 })).toBe('sun');
    expect(weekdayOf({ year: 2027, month: 1, day: 1 })).toBe('fri');
  });

  it.each([
    ['Friday + 1', { year: 2026, month: 6, day: 5 }, 1, { year: 2026, month: 6, day: 8 }],
    ['Saturday + 1', { year: 2026, month: 6, day: 6 }, 1, { year: 2026, month: 6, day: 8 }],
    ['Sunday + 1', { year: 2026, month: 6, day: 7 }, 1, { year: 2026, month: 6, day: 8 }],
    ['Saturday + 0', { year: 2026, month: 6, day: 6 }, 0, { year: 2026, month: 6, day: 6 }],
    ['Wednesday + 5', { year: 2026, month: 6, day: 3 }, 5, { year: 2026, month: 6, day: 10 }],
    ['Thursday + 10', { year: 2026, month: 12, day: 24 }, 10, { year: 2027, month: 1, day: 7 }],
  ])('addBusinessDays: %s', (_name, date, days, expected) => {
    expect(addBusinessDays(date, days)).toEqual(expected);
  });

  it('business days are Monday to Friday', () => {
    const week = [1, 2, 3, 4, 5, 6, 7].map((day) => isBusinessDay({ year: 2026, month: 6, day }));
    expect(week).toEqual([true, true, true, true, true, false, false]);
  });

  it('validates zone names', () => {
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
