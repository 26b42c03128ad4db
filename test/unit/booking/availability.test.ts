import { describe, expect, it } from 'vitest';
import { checkSlot, findFreeSlots, freeBusyQueryWindow, GOOGLE_FREEBUSY_MAX_RANGE_DAYS, type Interval } from '../../../functions/domain/booking/availability.ts';
import { bookingPreferencesSchema, type BookingPreferencesInput } from '../../../functions/domain/booking/booking-preferences.ts';
import { busy, MINUTE_MS, preferences, starts, wall } from './wall-clock.ts';

// June 2026 in New York: no DST change anywhere near, offset -04:00. 2026-06-01 is a Monday.
const ZONE = 'America/New_York';
const base: Partial<BookingPreferencesInput> = { meetingMinutes: 30, bufferMinutes: 15, minimumNotice: { minutes: 0 }, horizonBusinessDays: 10 };
const LUNCH_BREAK = [
  { start: '09:00', end: '12:00' },
  { start: '13:00', end: '17:00' },
];
const weekdays = (ranges: { start: string; end: string }[]) => ({ mon: ranges, tue: ranges, wed: ranges, thu: ranges, fri: ranges, sat: [], sun: [] });
const none = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };

interface Case {
  readonly name: string;
  readonly now: string;
  readonly prefs?: Partial<BookingPreferencesInput>;
  readonly busy?: readonly Interval[];
  readonly count?: number;
  readonly step?: number;
  readonly expected: readonly string[];
}

const cases: readonly Case[] = [
  {
    name: 'a simple week: the first three half-hours of Monday',
    now: '2026-06-01T08:00-04:00',
    expected: ['Mon 2026-06-01 09:00', 'Mon 2026-06-01 09:30', 'Mon 2026-06-01 10:00'],
  },
  {
    name: 'now in the middle of the day: the next half-hour',
    now: '2026-06-01T10:05-04:00',
    expected: ['Mon 2026-06-01 10:30', 'Mon 2026-06-01 11:00', 'Mon 2026-06-01 11:30'],
  },
  {
    name: 'a busy hour keeps a buffer before and after it',
    now: '2026-06-01T08:00-04:00',
    busy: [busy('2026-06-01T10:00-04:00', '2026-06-01T11:00-04:00')],
    count: 4,
    // 09:30–10:00 would leave no buffer before 10:00; 11:15 is the first start after it, 11:30 the first on the grid.
    expected: ['Mon 2026-06-01 09:00', 'Mon 2026-06-01 11:30', 'Mon 2026-06-01 12:00', 'Mon 2026-06-01 12:30'],
  },
  {
    name: 'a busy interval ending exactly one buffer before a slot does not block it',
    now: '2026-06-01T08:00-04:00',
    busy: [busy('2026-06-01T08:00-04:00', '2026-06-01T08:45-04:00')],
    count: 1,
    expected: ['Mon 2026-06-01 09:00'],
  },
  {
    name: 'a busy interval ending one minute later does',
    now: '2026-06-01T08:00-04:00',
    busy: [busy('2026-06-01T08:00-04:00', '2026-06-01T08:46-04:00')],
    count: 1,
    expected: ['Mon 2026-06-01 09:30'],
  },
  {
    name: 'a 15-minute step packs slots closer to busy time',
    now: '2026-06-01T08:00-04:00',
    busy: [busy('2026-06-01T10:00-04:00', '2026-06-01T11:00-04:00')],
    step: 15,
    expected: ['Mon 2026-06-01 09:00', 'Mon 2026-06-01 11:15', 'Mon 2026-06-01 11:45'],
  },
  {
    name: 'overlapping, unsorted busy intervals act as their union',
    now: '2026-06-01T08:00-04:00',
    busy: [
      busy('2026-06-01T10:30-04:00', '2026-06-01T11:30-04:00'),
      busy('2026-06-01T09:00-04:00', '2026-06-01T10:00-04:00'),
      busy('2026-06-01T11:15-04:00', '2026-06-01T12:00-04:00'),
      busy('2026-06-01T09:45-04:00', '2026-06-01T10:45-04:00'),
    ],
    expected: ['Mon 2026-06-01 12:30', 'Mon 2026-06-01 13:00', 'Mon 2026-06-01 13:30'],
  },
  {
    name: 'an all-day block in the partner’s zone takes the whole day',
    now: '2026-06-01T08:00-04:00',
    busy: [busy('2026-06-01T00:00-04:00', '2026-06-02T00:00-04:00')],
    expected: ['Tue 2026-06-02 09:00', 'Tue 2026-06-02 09:30', 'Tue 2026-06-02 10:00'],
  },
  {
    name: 'an all-day block from a calendar in Tokyo covers its own midnight to midnight',
    now: '2026-06-01T08:00-04:00',
    // Monday in Tokyo is Sunday 11:00 to Monday 11:00 in New York.
    busy: [busy('2026-06-01T00:00+09:00', '2026-06-02T00:00+09:00')],
    expected: ['Mon 2026-06-01 11:30', 'Mon 2026-06-01 12:00', 'Mon 2026-06-01 12:30'],
  },
  {
    name: 'a busy stretch over several days',
    now: '2026-06-01T08:00-04:00',
    busy: [busy('2026-06-01T08:00-04:00', '2026-06-03T14:00-04:00')],
    expected: ['Wed 2026-06-03 14:30', 'Wed 2026-06-03 15:00', 'Wed 2026-06-03 15:30'],
  },
  {
    name: 'two ranges a day: an hour-long meeting never runs into lunch',
    now: '2026-06-01T08:00-04:00',
    prefs: { workingHours: weekdays(LUNCH_BREAK), meetingMinutes: 60 },
    busy: [busy('2026-06-01T09:00-04:00', '2026-06-01T10:15-04:00')],
    expected: ['Mon 2026-06-01 10:30', 'Mon 2026-06-01 13:00', 'Mon 2026-06-01 14:00'],
  },
  {
    name: 'touching ranges form one window',
    now: '2026-06-01T08:00-04:00',
    prefs: {
      workingHours: weekdays([
        { start: '09:00', end: '12:00' },
        { start: '12:00', end: '13:00' },
      ]),
      meetingMinutes: 60,
      bufferMinutes: 0,
    },
    busy: [busy('2026-06-01T09:00-04:00', '2026-06-01T11:30-04:00')],
    count: 2,
    expected: ['Mon 2026-06-01 11:30', 'Tue 2026-06-02 09:00'],
  },
  {
    name: 'a range crossing midnight runs into the next day',
    now: '2026-06-05T12:00-04:00',
    prefs: { workingHours: { ...none, fri: [{ start: '22:00', end: '02:00' }] }, meetingMinutes: 60, horizonBusinessDays: 1 },
    count: Infinity,
    expected: ['Fri 2026-06-05 22:00', 'Fri 2026-06-05 23:00', 'Sat 2026-06-06 00:00', 'Sat 2026-06-06 01:00'],
  },
  {
    name: 'a range ending at 24:00 ends at midnight',
    now: '2026-06-01T08:00-04:00',
    prefs: { workingHours: { ...none, mon: [{ start: '22:30', end: '24:00' }] }, meetingMinutes: 60, horizonBusinessDays: 1 },
    count: Infinity,
    expected: ['Mon 2026-06-01 22:30'],
  },
  {
    name: 'a slot that would start at the horizon end is cut off, even inside a window',
    now: '2026-06-01T08:00-04:00',
    prefs: { workingHours: { ...none, tue: [{ start: '22:00', end: '02:00' }] }, meetingMinutes: 60, horizonBusinessDays: 1 },
    count: Infinity,
    expected: ['Tue 2026-06-02 22:00', 'Tue 2026-06-02 23:00'],
  },
  {
    name: 'minimum notice on a Friday afternoon: the same time next Monday',
    now: '2026-06-05T15:00-04:00',
    prefs: { minimumNotice: { businessDays: 1 } },
    expected: ['Mon 2026-06-08 15:00', 'Mon 2026-06-08 15:30', 'Mon 2026-06-08 16:00'],
  },
  {
    name: 'minimum notice from a Saturday: Monday at the same time',
    now: '2026-06-06T10:00-04:00',
    prefs: { minimumNotice: { businessDays: 1 } },
    expected: ['Mon 2026-06-08 10:00', 'Mon 2026-06-08 10:30', 'Mon 2026-06-08 11:00'],
  },
  {
    name: 'two business days of notice from a Thursday',
    now: '2026-06-04T11:10-04:00',
    prefs: { minimumNotice: { businessDays: 2 } },
    expected: ['Mon 2026-06-08 11:30', 'Mon 2026-06-08 12:00', 'Mon 2026-06-08 12:30'],
  },
  {
    name: 'a notice in minutes',
    now: '2026-06-01T09:10-04:00',
    prefs: { minimumNotice: { minutes: 120 } },
    expected: ['Mon 2026-06-01 11:30', 'Mon 2026-06-01 12:00', 'Mon 2026-06-01 12:30'],
  },
  {
    name: 'no slot at all: busy for the whole horizon',
    now: '2026-06-01T08:00-04:00',
    busy: [busy('2026-05-01T00:00Z', '2026-07-01T00:00Z')],
    expected: [],
  },
  { name: 'no slot at all: no working hours', now: '2026-06-01T08:00-04:00', prefs: { workingHours: none }, expected: [] },
  {
    name: 'no slot at all: the meeting is longer than any window',
    now: '2026-06-01T08:00-04:00',
    prefs: { workingHours: weekdays(LUNCH_BREAK), meetingMinutes: 300 },
    expected: [],
  },
  {
    name: 'no slot at all: the notice reaches past the horizon',
    now: '2026-06-01T08:00-04:00',
    prefs: { minimumNotice: { businessDays: 5 }, horizonBusinessDays: 2 },
    expected: [],
  },
  { name: 'count 1', now: '2026-06-01T08:00-04:00', count: 1, expected: ['Mon 2026-06-01 09:00'] },
  { name: 'count 0', now: '2026-06-01T08:00-04:00', count: 0, expected: [] },
];

describe('findFreeSlots', () => {
  it.each(cases)('$name', ({ now, prefs, busy: busyTime = [], count, step, expected }) => {
    const slots = findFreeSlots({ now: new Date(now), preferences: preferences({ timeZone: ZONE, ...base, ...prefs }), busy: busyTime, count, stepMinutes: step });
    expect(starts(slots, ZONE)).toEqual(expected);
    const meetingMinutes = prefs?.meetingMinutes ?? base.meetingMinutes ?? 30;
    for (const slot of slots) expect(slot.end.getTime() - slot.start.getTime()).toBe(meetingMinutes * MINUTE_MS);
  });

  it('stops at the horizon: today plus ten business days, nothing after', () => {
    const slots = findFreeSlots({ now: new Date('2026-06-01T08:00-04:00'), preferences: preferences({ timeZone: ZONE, ...base }), busy: [], count: Infinity });
    // Monday 1 June and the ten business days after it, sixteen half-hours each.
    expect(slots).toHaveLength(11 * 16);
    expect(wall(slots.at(-1)!.start, ZONE)).toBe('Mon 2026-06-15 16:30');
  });

  it('counts the horizon in business days: one business day from a Friday reaches through Monday', () => {
    const slots = findFreeSlots({ now: new Date('2026-06-05T17:30-04:00'), preferences: preferences({ timeZone: ZONE, ...base, horizonBusinessDays: 1 }), busy: [], count: Infinity });
    expect(new Set(starts(slots, ZONE).map((start) => start.slice(0, 14)))).toEqual(new Set(['Mon 2026-06-08']));
  });

  it('returns the first slots of the full list, whatever the count', () => {
    const input = { now: new Date('2026-06-01T08:00-04:00'), preferences: preferences({ timeZone: ZONE, ...base }), busy: [busy('2026-06-01T10:00-04:00', '2026-06-02T11:00-04:00')] };
    const all = findFreeSlots({ ...input, count: Infinity });
    for (const count of [1, 2, 3, 7, 20]) expect(findFreeSlots({ ...input, count })).toEqual(all.slice(0, count));
    expect(findFreeSlots(input)).toHaveLength(3);
  });

  it('ignores empty busy intervals and refuses unreadable ones', () => {
    const input = { now: new Date('2026-06-01T08:00-04:00'), preferences: preferences({ timeZone: ZONE, ...base }), count: 1 };
    const empty = busy('2026-06-01T09:00-04:00', '2026-06-01T09:00-04:00');
    expect(starts(findFreeSlots({ ...input, busy: [empty] }), ZONE)).toEqual(['Mon 2026-06-01 09:00']);
    expect(() => findFreeSlots({ ...input, busy: [{ start: new Date('nonsense'), end: new Date() }] })).toThrow(RangeError);
  });

  it('refuses a step that does not divide the day', () => {
    const input = { now: new Date('2026-06-01T08:00-04:00'), preferences: preferences({ timeZone: ZONE, ...base }), busy: [] };
    expect(() => findFreeSlots({ ...input, stepMinutes: 7 })).toThrow(/divide 1440/);
    expect(() => findFreeSlots({ ...input, stepMinutes: 0 })).toThrow(/divide 1440/);
  });
});

describe('checkSlot', () => {
  const prefs = preferences({ timeZone: ZONE, ...base });
  const context = { now: new Date('2026-06-01T09:10-04:00'), preferences: prefs, busy: [busy('2026-06-01T10:00-04:00', '2026-06-01T11:00-04:00')] };
  const slot = (start: string, minutes = 30): Interval => ({ start: new Date(start), end: new Date(new Date(start).getTime() + minutes * MINUTE_MS) });

  it.each([
    ['a free slot', slot('2026-06-01T11:30-04:00'), { free: true }],
    ['inside the buffer of a busy interval', slot('2026-06-01T11:00-04:00'), { free: false, reason: 'busy' }],
    ['running into a busy interval', slot('2026-06-01T09:30-04:00'), { free: false, reason: 'busy' }],
    ['the wrong length', slot('2026-06-01T11:30-04:00', 45), { free: false, reason: 'wrong_length' }],
    ['off the half-hour grid', slot('2026-06-01T11:40-04:00'), { free: false, reason: 'off_grid' }],
    ['off the grid by a second', slot('2026-06-01T11:30:01-04:00'), { free: false, reason: 'off_grid' }],
    ['already started', slot('2026-06-01T09:00-04:00'), { free: false, reason: 'too_soon' }],
    ['on a Saturday', slot('2026-06-06T11:00-04:00'), { free: false, reason: 'outside_working_hours' }],
    ['running past the end of the day', slot('2026-06-01T16:30-04:00', 30), { free: true }],
    ['running past the end of the day by a step', slot('2026-06-01T17:00-04:00'), { free: false, reason: 'outside_working_hours' }],
    ['past the horizon', slot('2026-06-16T11:00-04:00'), { free: false, reason: 'beyond_horizon' }],
  ])('%s', (_name, candidate, expected) => {
    expect(checkSlot({ ...context, slot: candidate })).toEqual(expected);
  });

  it('says free for every slot the finder returns, and busy once one is taken', () => {
    const all = findFreeSlots({ ...context, count: Infinity });
    expect(all.length).toBeGreaterThan(100);
    for (const free of all) expect(checkSlot({ ...context, slot: free })).toEqual({ free: true });
    const [first] = all;
    expect(checkSlot({ ...context, busy: [...context.busy, first!], slot: first! })).toEqual({ free: false, reason: 'busy' });
  });
});

describe('freeBusyQueryWindow', () => {
  it('covers the earliest start minus a buffer to the horizon end plus a meeting and a buffer', () => {
    const window = freeBusyQueryWindow({ now: new Date('2026-06-05T15:00-04:00'), preferences: preferences({ timeZone: ZONE }) });
    // Notice: Monday 8 June 15:00. Horizon: ten business days after Friday 5 June is Friday 19 June.
    expect(window).toEqual({ timeMin: new Date('2026-06-08T14:45-04:00'), timeMax: new Date('2026-06-20T00:45-04:00') });
  });

  it('is null when no slot is possible', () => {
    const prefs = preferences({ timeZone: ZONE, minimumNotice: { businessDays: 5 }, horizonBusinessDays: 2 });
    expect(freeBusyQueryWindow({ now: new Date('2026-06-01T08:00-04:00'), preferences: prefs })).toBeNull();
  });

  it('never asks Google for more than 90 days, and never offers a slot outside what it asked for', () => {
    // The schema keeps horizons far shorter; built by hand to reach the limit.
    const prefs = { ...preferences({ timeZone: ZONE, ...base }), horizonBusinessDays: 90, workingHours: weekdays([{ start: '00:00', end: '24:00' }]) };
    const now = new Date('2026-06-03T08:00-04:00');
    const window = freeBusyQueryWindow({ now, preferences: prefs })!;
    expect(window.timeMin).toEqual(new Date('2026-06-03T07:45-04:00'));
    expect(window.timeMax.getTime() - window.timeMin.getTime()).toBe(GOOGLE_FREEBUSY_MAX_RANGE_DAYS * 24 * 60 * MINUTE_MS);
    const last = findFreeSlots({ now, preferences: prefs, busy: [], count: Infinity }).at(-1)!;
    expect(last.end.getTime() + 15 * MINUTE_MS).toBeLessThanOrEqual(window.timeMax.getTime());
    // 90 days after 07:45 on 3 June, less a meeting and a buffer either side.
    expect(wall(last.start, ZONE)).toBe('Tue 2026-09-01 06:30');
    expect(bookingPreferencesSchema.safeParse({ timeZone: ZONE, horizonBusinessDays: 90 }).success).toBe(false);
  });
});
