import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  cronMatches,
  cronScheduleExpression,
  InvalidCronError,
  nextCronOccurrence,
  parseCron,
  type CronSchedule,
} from '../../../functions/adapters/scheduler/cron.ts';

const WEEKLY_MONDAY_8 = '0 8 ? * MON *';

describe('nextCronOccurrence', () => {
  it.each([
    // Europe/London, 2026: BST from Sun 29 March, GMT again from Sun 25 October.
    ['London: the Monday before spring forward, 08:00 GMT', WEEKLY_MONDAY_8, 'Europe/London', '2026-03-16T08:00:00Z', '2026-03-23T08:00:00.000Z'],
    ['London: across spring forward, 08:00 BST', WEEKLY_MONDAY_8, 'Europe/London', '2026-03-23T08:00:00Z', '2026-03-30T07:00:00.000Z'],
    ['London: a minute before, the same morning', WEEKLY_MONDAY_8, 'Europe/London', '2026-03-30T06:59:00Z', '2026-03-30T07:00:00.000Z'],
    ['London: at the time itself, the week after', WEEKLY_MONDAY_8, 'Europe/London', '2026-03-30T07:00:00Z', '2026-04-06T07:00:00.000Z'],
    ['London: across fall back, 08:00 GMT', WEEKLY_MONDAY_8, 'Europe/London', '2026-10-19T07:00:00Z', '2026-10-26T08:00:00.000Z'],
    // America/New_York, 2026: EDT from Sun 8 March, EST from Sun 1 November.
    ['New York: across spring forward, 08:00 EDT', WEEKLY_MONDAY_8, 'America/New_York', '2026-03-02T13:00:00Z', '2026-03-09T12:00:00.000Z'],
    ['New York: across fall back, 08:00 EST', WEEKLY_MONDAY_8, 'America/New_York', '2026-10-26T12:00:00Z', '2026-11-02T13:00:00.000Z'],
    ['New York: 02:30 does not exist on 8 March: 03:30 EDT', '30 2 ? * SUN *', 'America/New_York', '2026-03-07T00:00:00Z', '2026-03-08T07:30:00.000Z'],
    ['New York: 01:30 happens twice on 1 November: the EDT one', '30 1 ? * SUN *', 'America/New_York', '2026-10-31T12:00:00Z', '2026-11-01T05:30:00.000Z'],
    ['New York: ... and only once', '30 1 ? * SUN *', 'America/New_York', '2026-11-01T05:30:00Z', '2026-11-08T06:30:00.000Z'],
    // Lord Howe springs forward half an hour (02:00 → 02:30 on Sun 4 October): 02:10 runs at
    // 02:40, after 02:30, which exists; the earlier instant wins, not the earlier wall-clock time.
    ['Lord Howe: a gap time after a real one', '10,30 2 ? * SUN *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z', '2026-10-03T15:30:00.000Z'],
    // Australia/Sydney, 2026: AEST from Sun 5 April, AEDT from Sun 4 October (the day before the Mondays).
    ['Sydney: across the April change, 08:00 AEST', WEEKLY_MONDAY_8, 'Australia/Sydney', '2026-03-29T21:00:00Z', '2026-04-05T22:00:00.000Z'],
    ['Sydney: across the October change, 08:00 AEDT', WEEKLY_MONDAY_8, 'Australia/Sydney', '2026-09-27T22:00:00Z', '2026-10-04T21:00:00.000Z'],
    ['Kolkata: half an hour off UTC, no DST', WEEKLY_MONDAY_8, 'Asia/Kolkata', '2026-06-01T00:00:00Z', '2026-06-01T02:30:00.000Z'],
    ['Kolkata: the next week', WEEKLY_MONDAY_8, 'Asia/Kolkata', '2026-06-01T02:30:00Z', '2026-06-08T02:30:00.000Z'],
    // Month starts.
    ['the 1st of each month, London winter', '0 8 1 * ? *', 'Europe/London', '2026-01-15T00:00:00Z', '2026-02-01T08:00:00.000Z'],
    ['the 1st of each month, into BST', '0 8 1 * ? *', 'Europe/London', '2026-03-01T08:00:00Z', '2026-04-01T07:00:00.000Z'],
    ['the 1st of each month, into the next year', 'cron(0 8 1 * ? *)', 'UTC', '2026-12-01T08:00:00Z', '2027-01-01T08:00:00.000Z'],
    ['the 1st of each month in New York, already the 1st in UTC', '0 8 1 * ? *', 'America/New_York', '2026-05-01T02:00:00Z', '2026-05-01T12:00:00.000Z'],
    // Fields.
    ['MON-FRI skips the weekend', '0 9 ? * MON-FRI *', 'UTC', '2026-06-05T09:00:00Z', '2026-06-08T09:00:00.000Z'],
    ['day-of-week 1 is Sunday', '0 9 ? * 1 *', 'UTC', '2026-06-01T00:00:00Z', '2026-06-07T09:00:00.000Z'],
    ['day-of-week 7 is Saturday', '0 9 ? * 7 *', 'UTC', '2026-06-01T00:00:00Z', '2026-06-06T09:00:00.000Z'],
    ['a list of hours', '15 9,13,17 * * ? *', 'UTC', '2026-06-01T13:15:00Z', '2026-06-01T17:15:00.000Z'],
    ['a step of minutes', '0/20 * * * ? *', 'UTC', '2026-06-01T10:05:00Z', '2026-06-01T10:20:00.000Z'],
    ['the 31st skips short months', '0 12 31 * ? *', 'UTC', '2026-04-01T00:00:00Z', '2026-05-31T12:00:00.000Z'],
    ['29 February waits for a leap year', '0 0 29 FEB ? *', 'UTC', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['a year', '0 0 1 1 ? 2030', 'UTC', '2026-06-01T00:00:00Z', '2030-01-01T00:00:00.000Z'],
    ['seconds in "after" do not matter', '0 8 * * ? *', 'UTC', '2026-06-01T07:59:59.999Z', '2026-06-01T08:00:00.000Z'],
  ])('%s', (_label, cron, timeZone, after, expected) => {
    expect(nextCronOccurrence(cron, timeZone, new Date(after))?.toISOString()).toBe(expected);
  });

  it('returns null when the years are over', () => {
    expect(nextCronOccurrence('0 0 1 1 ? 2030', 'UTC', new Date('2030-01-01T00:00:00Z'))).toBeNull();
  });

  it('stays at 08:00 local every Monday through a whole DST year in London and Sydney', () => {
    for (const timeZone of ['Europe/London', 'Australia/Sydney', 'America/New_York']) {
      let after = new Date('2026-01-01T00:00:00Z');
      const local = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      for (let week = 0; week < 53; week += 1) {
        const next = nextCronOccurrence(WEEKLY_MONDAY_8, timeZone, after) as Date;
        expect(local.format(next)).toBe('Mon 08:00');
        if (week > 0) expect([7 * 24, 7 * 24 - 1, 7 * 24 + 1]).toContain((next.getTime() - after.getTime()) / 3_600_000);
        after = next;
      }
    }
  });
});

describe('parseCron', () => {
  it('reads names, ranges, lists and steps', () => {
    const schedule = parseCron('cron(0,30 9-17/4 ? JAN-MAR,DEC MON-FRI 2026-2027)');
    expect([...schedule.minutes]).toEqual([0, 30]);
    expect([...schedule.hours]).toEqual([9, 13, 17]);
    expect(schedule.daysOfMonth).toBeNull();
    expect([...schedule.months]).toEqual([1, 2, 3, 12]);
    expect([...(schedule.daysOfWeek ?? [])]).toEqual([2, 3, 4, 5, 6]);
    expect([...schedule.years]).toEqual([2026, 2027]);
    expect(schedule.fields).toBe('0,30 9-17/4 ? JAN-MAR,DEC MON-FRI 2026-2027');
  });

  it('wraps the fields for EventBridge', () => {
    expect(cronScheduleExpression('0  8 ? * MON *')).toBe('cron(0 8 ? * MON *)');
    expect(cronScheduleExpression('cron(0 8 ? * MON *)')).toBe('cron(0 8 ? * MON *)');
  });

  it.each([
    ['0 8 * * MON', /6/],
    ['0 8 * * MON * 1', /6/],
    ['0 8 * * MON *', /exactly one of day-of-month and day-of-week/],
    ['0 8 ? * ? *', /exactly one of day-of-month and day-of-week/],
    ['0 8 L * ? *', /L, W or #/],
    ['0 8 ? * 6L *', /L, W or #/],
    ['0 8 ? * 2#1 *', /L, W or #/],
    ['0 8 15W * ? *', /L, W or #/],
    ['60 8 * * ? *', /minutes field "60"/],
    ['0 24 * * ? *', /hours field "24"/],
    ['0 8 0 * ? *', /day-of-month field "0"/],
    ['0 8 ? * 8 *', /day-of-week field "8"/],
    ['0 8 ? * FUN *', /not a number or a name/],
    ['0 8 * 13 ? *', /month field "13"/],
    ['0 8 * * ? 2200', /year field "2200"/],
    ['0 17-9 * * ? *', /end comes before its start/],
    ['0/0 8 * * ? *', /step/],
    ['? 8 * * ? *', /cannot be "\?"/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseCron(expression)).toThrow(InvalidCronError);
    expect(() => parseCron(expression)).toThrow(message);
  });

  it('rejects a zone that is not IANA', () => {
    expect(() => nextCronOccurrence(WEEKLY_MONDAY_8, 'Europe/Atlantis', new Date())).toThrow(/IANA/);
  });
});

// --- Property: the next occurrence is the first matching minute, found by walking every minute -----

const ZONES = ['UTC', 'Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The oracle walks this far past `after`, minute by minute. */
const WINDOW = 8 * 24 * HOUR;
/** ... and starts this far before it, to see a gap that began just before `after`. */
const LEAD = 3 * HOUR;

/** The oracle's clock: Intl directly, none of time-zones.ts. */
const readers = new Map<string, Intl.DateTimeFormat>();
function readClock(instant: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  let reader = readers.get(timeZone);
  if (!reader) {
    reader = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    readers.set(timeZone, reader);
  }
  const fields: Record<string, number> = {};
  for (const part of reader.formatToParts(instant)) if (part.type !== 'literal') fields[part.type] = Number(part.value);
  return { year: fields.year ?? NaN, month: fields.month ?? NaN, day: fields.day ?? NaN, hour: fields.hour ?? NaN, minute: fields.minute ?? NaN };
}

const asUtc = (reading: { year: number; month: number; day: number; hour: number; minute: number }) =>
  Date.UTC(reading.year, reading.month - 1, reading.day, reading.hour, reading.minute);

function readingAt(wallClockMs: number) {
  const date = new Date(wallClockMs);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: date.getUTCHours(), minute: date.getUTCMinutes() };
}

/**
 * The earliest instant after `after` (up to the window's end) at which the schedule fires, by
 * walking every minute: a minute whose reading matches (the first time a reading is seen: in an
 * overlap the repeat does not fire again), or a matching wall-clock minute skipped by a gap, which
 * fires that far past the gap's start.
 */
function bruteForce(schedule: CronSchedule, timeZone: string, after: number): { at: number; via: 'reading' | 'gap' } | null {
  let best: { at: number; via: 'reading' | 'gap' } | null = null;
  const consider = (at: number, via: 'reading' | 'gap') => {
    if (at > after && at <= after + WINDOW && (!best || at < best.at)) best = { at, via };
  };
  const start = Math.floor((after - LEAD) / MINUTE) * MINUTE;
  let latestSeen = -Infinity;
  for (let instant = start; instant <= after + WINDOW; instant += MINUTE) {
    const reading = readClock(instant, timeZone);
    const wall = asUtc(reading);
    if (latestSeen !== -Infinity && wall > latestSeen + MINUTE) {
      // A gap: the wall clock skipped from latestSeen to wall. Skipped minutes run at the same
      // distance past the gap's start as they are past its first missing minute.
      for (let skipped = latestSeen + MINUTE; skipped < wall; skipped += MINUTE) {
        if (cronMatches(schedule, readingAt(skipped))) consider(instant + (skipped - (latestSeen + MINUTE)), 'gap');
      }
    }
    if (wall > latestSeen) {
      if (cronMatches(schedule, reading)) consider(instant, 'reading');
      latestSeen = wall;
    }
  }
  return best;
}

const someOf = (min: number, max: number, most: number) => fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: most });
const cronArbitrary = fc
  .record({
    minutes: fc.oneof(someOf(0, 59, 3).map((values) => values.join(',')), fc.constantFrom('0', '30', '0/15')),
    hours: fc.oneof(someOf(0, 23, 3).map((values) => values.join(',')), fc.constantFrom('*', '1-3', '8')),
    days: fc.oneof(
      { weight: 3, arbitrary: fc.oneof(someOf(1, 7, 3).map((values) => values.join(',')), fc.constantFrom('MON', 'MON-FRI', 'SAT,SUN')).map((dow) => `? * ${dow}`) },
      { weight: 1, arbitrary: fc.oneof(someOf(1, 31, 4).map((values) => values.join(',')), fc.constant('*')).map((dom) => `${dom} * ?`) },
    ),
  })
  .map(({ minutes, hours, days }) => `${minutes} ${hours} ${days} *`);

// Instants near the 2026 DST changes of these zones, and anywhere in 2025–2027.
const TRANSITIONS = ['2026-03-08T07:00:00Z', '2026-03-29T01:00:00Z', '2026-04-04T14:00:00Z', '2026-04-05T16:00:00Z', '2026-09-05T04:00:00Z', '2026-09-26T14:00:00Z', '2026-10-03T15:00:00Z', '2026-10-04T16:00:00Z', '2026-10-25T01:00:00Z', '2026-11-01T06:00:00Z'].map(
  (iso) => Date.parse(iso),
);
const afterArbitrary = fc.oneof(
  fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -9 * 24 * 60, max: 2 * 24 * 60 }), fc.integer({ min: 0, max: 59_999 })).map(
    ([transition, minutes, ms]) => transition + minutes * MINUTE + ms,
  ),
  fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
);

describe('nextCronOccurrence property', () => {
  test.prop([cronArbitrary, fc.constantFrom(...ZONES), afterArbitrary], { numRuns: 40 })(
    'is after `after`, matches in local time, and no matching minute comes before it',
    (expression, timeZone, after) => {
      const schedule = parseCron(expression);
      const next = nextCronOccurrence(schedule, timeZone, new Date(after));
      expect(next).not.toBeNull();
      const at = (next as Date).getTime();
      expect(at).toBeGreaterThan(after);
      expect(at % MINUTE).toBe(0);
      const expected = bruteForce(schedule, timeZone, after);
      if (expected) {
        expect(new Date(at).toISOString()).toBe(new Date(expected.at).toISOString());
        if (expected.via === 'reading') expect(cronMatches(schedule, readClock(at, timeZone))).toBe(true);
      } else {
        // Nothing matches within the window: the answer lies beyond it.
        expect(at).toBeGreaterThan(after + WINDOW);
      }
    },
    // The oracle reads the clock minute by minute over eight days (about 12,000 readings a case): slow on a busy machine.
    120_000,
  );
});
