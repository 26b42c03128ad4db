import { describe, expect, it } from 'vitest';
import { findFreeSlots } from '../../../functions/domain/booking/availability.ts';
import type { WorkingRange } from '../../../functions/domain/booking/booking-preferences.ts';
import type { Weekday } from '../../../functions/domain/booking/time-zones.ts';
import { preferences, wallWithOffset } from './wall-clock.ts';

/**
 * Slots around every kind of DST transition, written as the partner's wall clock with its UTC
 * offset so the expected instants are spelled out independently of the code under test.
 * All 2026 transitions below fall on a Sunday; working hours on that Sunday put a window across it.
 */
const none: Record<Weekday, WorkingRange[]> = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
const nineToFive = [{ start: '09:00', end: '17:00' }];
const weekdays = { ...none, mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive };

function slotsWith(timeZone: string, now: string, workingHours: Record<Weekday, WorkingRange[]>, horizonBusinessDays = 1) {
  const prefs = preferences({ timeZone, workingHours, meetingMinutes: 30, bufferMinutes: 0, minimumNotice: { minutes: 0 }, horizonBusinessDays });
  return findFreeSlots({ now: new Date(now), preferences: prefs, busy: [], count: Infinity }).map((slot) => wallWithOffset(slot.start, timeZone));
}

describe('the same working hours on both sides of a transition', () => {
  it.each([
    ['America/New_York', '2026-03-05T18:00-05:00', ['Fri 2026-03-06 09:00 GMT-05:00', 'Mon 2026-03-09 09:00 GMT-04:00']],
    ['America/New_York', '2026-10-29T18:00-04:00', ['Fri 2026-10-30 09:00 GMT-04:00', 'Mon 2026-11-02 09:00 GMT-05:00']],
    ['Europe/London', '2026-03-26T18:00Z', ['Fri 2026-03-27 09:00 GMT+00:00', 'Mon 2026-03-30 09:00 GMT+01:00']],
    ['Europe/London', '2026-10-22T18:00+01:00', ['Fri 2026-10-23 09:00 GMT+01:00', 'Mon 2026-10-26 09:00 GMT+00:00']],
    ['Australia/Sydney', '2026-04-02T18:00+11:00', ['Fri 2026-04-03 09:00 GMT+11:00', 'Mon 2026-04-06 09:00 GMT+10:00']],
    ['Australia/Sydney', '2026-10-01T18:00+10:00', ['Fri 2026-10-02 09:00 GMT+10:00', 'Mon 2026-10-05 09:00 GMT+11:00']],
    ['Asia/Kolkata', '2026-03-05T18:00+05:30', ['Fri 2026-03-06 09:00 GMT+05:30', 'Mon 2026-03-09 09:00 GMT+05:30']],
    ['Pacific/Chatham', '2026-04-02T18:00+13:45', ['Fri 2026-04-03 09:00 GMT+13:45', 'Mon 2026-04-06 09:00 GMT+12:45']],
    ['America/St_Johns', '2026-03-05T18:00-03:30', ['Fri 2026-03-06 09:00 GMT-03:30', 'Mon 2026-03-09 09:00 GMT-02:30']],
  ])('%s from %s: 09:00 local every morning', (timeZone, now, mornings) => {
    const slots = slotsWith(timeZone, now, weekdays, 2);
    expect(slots.filter((slot) => slot.includes(' 09:00 '))).toEqual(mornings);
    // Every working day still has sixteen half-hours, whatever the offset.
    expect(slots).toHaveLength(2 * 16);
  });

  it('instants match the offsets: 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z', () => {
    const prefs = preferences({ timeZone: 'America/New_York', minimumNotice: { minutes: 0 }, horizonBusinessDays: 2 });
    const slots = findFreeSlots({ now: new Date('2026-03-05T18:00-05:00'), preferences: prefs, busy: [], count: Infinity });
    const firstOfEachDay = slots.filter((slot, index) => index === 0 || slot.start.getTime() - slots[index - 1]!.end.getTime() > 60 * 60_000);
    expect(firstOfEachDay.map((slot) => slot.start.toISOString())).toEqual(['2026-03-06T14:00:00.000Z', '2026-03-09T13:00:00.000Z']);
  });

  it('a business day of notice from the Friday before spring forward is 15:00 EDT on Monday, not 16:00', () => {
    const prefs = preferences({ timeZone: 'America/New_York' });
    const [first] = findFreeSlots({ now: new Date('2026-03-06T15:00-05:00'), preferences: prefs, busy: [] });
    expect(first?.start).toEqual(new Date('2026-03-09T15:00-04:00'));
  });

  it('a business day of notice from the Friday before fall back is 15:00 GMT on Monday', () => {
    const prefs = preferences({ timeZone: 'Europe/London' });
    const [first] = findFreeSlots({ now: new Date('2026-10-23T15:00+01:00'), preferences: prefs, busy: [] });
    expect(first?.start).toEqual(new Date('2026-10-26T15:00Z'));
  });
});

describe('a window across the transition itself', () => {
  const earlyHours = { ...none, sun: [{ start: '00:00', end: '05:00' }] };

  it.each([
    [
      'New York springs forward at 02:00: the window is an hour shorter',
      'America/New_York',
      '2026-03-07T12:00-05:00',
      ['00:00 GMT-05:00', '00:30 GMT-05:00', '01:00 GMT-05:00', '01:30 GMT-05:00', '03:00 GMT-04:00', '03:30 GMT-04:00', '04:00 GMT-04:00', '04:30 GMT-04:00'],
    ],
    [
      'New York falls back at 02:00: 01:00 to 02:00 happens twice',
      'America/New_York',
      '2026-10-31T12:00-04:00',
      [
        ...['00:00', '00:30', '01:00', '01:30'].map((time) => `${time} GMT-04:00`),
        ...['01:00', '01:30', '02:00', '02:30', '03:00', '03:30', '04:00', '04:30'].map((time) => `${time} GMT-05:00`),
      ],
    ],
    [
      'London springs forward at 01:00',
      'Europe/London',
      '2026-03-28T12:00Z',
      ['00:00 GMT+00:00', '00:30 GMT+00:00', '02:00 GMT+01:00', '02:30 GMT+01:00', '03:00 GMT+01:00', '03:30 GMT+01:00', '04:00 GMT+01:00', '04:30 GMT+01:00'],
    ],
    [
      'London falls back at 02:00',
      'Europe/London',
      '2026-10-24T12:00+01:00',
      [
        ...['00:00', '00:30', '01:00', '01:30'].map((time) => `${time} GMT+01:00`),
        ...['01:00', '01:30', '02:00', '02:30', '03:00', '03:30', '04:00', '04:30'].map((time) => `${time} GMT+00:00`),
      ],
    ],
    [
      'Sydney falls back at 03:00 in April',
      'Australia/Sydney',
      '2026-04-04T12:00+11:00',
      [
        ...['00:00', '00:30', '01:00', '01:30', '02:00', '02:30'].map((time) => `${time} GMT+11:00`),
        ...['02:00', '02:30', '03:00', '03:30', '04:00', '04:30'].map((time) => `${time} GMT+10:00`),
      ],
    ],
    [
      'Sydney springs forward at 02:00 in October',
      'Australia/Sydney',
      '2026-10-03T12:00+10:00',
      ['00:00 GMT+10:00', '00:30 GMT+10:00', '01:00 GMT+10:00', '01:30 GMT+10:00', '03:00 GMT+11:00', '03:30 GMT+11:00', '04:00 GMT+11:00', '04:30 GMT+11:00'],
    ],
    [
      'Kolkata has no transition: ten half-hours on the half-hour offset',
      'Asia/Kolkata',
      '2026-03-28T12:00+05:30',
      ['00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '03:00', '03:30', '04:00', '04:30'].map((time) => `${time} GMT+05:30`),
    ],
  ])('%s', (_name, timeZone, now, times) => {
    const sunday = slotsWith(timeZone, now, earlyHours).map((slot) => slot.slice(15));
    expect(sunday).toEqual(times);
  });
});

describe('working hours naming a local time that does not exist or happens twice', () => {
  // New York, 2026-03-08: 02:00–03:00 does not exist. 2026-11-01: 01:00–02:00 happens twice.
  it.each([
    ['a range entirely inside the gap resolves both ends forward, to 03:00–03:30 EDT', '2026-03-07T12:00-05:00', { start: '02:00', end: '02:30' }, ['Sun 2026-03-08 03:00 GMT-04:00']],
    ['a range starting in the gap starts an hour later on the clock', '2026-03-07T12:00-05:00', { start: '02:30', end: '04:00' }, ['Sun 2026-03-08 03:30 GMT-04:00']],
    ['a range ending in the gap ends an hour later on the clock', '2026-03-07T12:00-05:00', { start: '01:00', end: '02:30' }, ['Sun 2026-03-08 01:00 GMT-05:00', 'Sun 2026-03-08 01:30 GMT-05:00', 'Sun 2026-03-08 03:00 GMT-04:00']],
    ['a range exactly the missing hour has no time in it', '2026-03-07T12:00-05:00', { start: '02:00', end: '03:00' }, []],
    [
      'a range inside the repeated hour runs from its first start to its second end',
      '2026-10-31T12:00-04:00',
      { start: '01:00', end: '02:00' },
      ['Sun 2026-11-01 01:00 GMT-04:00', 'Sun 2026-11-01 01:30 GMT-04:00', 'Sun 2026-11-01 01:00 GMT-05:00', 'Sun 2026-11-01 01:30 GMT-05:00'],
    ],
    [
      'a range starting inside the repeated hour starts at its first occurrence',
      '2026-10-31T12:00-04:00',
      { start: '01:30', end: '03:00' },
      ['Sun 2026-11-01 01:30 GMT-04:00', 'Sun 2026-11-01 01:00 GMT-05:00', 'Sun 2026-11-01 01:30 GMT-05:00', 'Sun 2026-11-01 02:00 GMT-05:00', 'Sun 2026-11-01 02:30 GMT-05:00'],
    ],
  ])('%s', (_name, now, range, expected) => {
    expect(slotsWith('America/New_York', now, { ...none, sun: [range] })).toEqual(expected);
  });

  it('a range crossing midnight into the gap ends at 03:30 EDT', () => {
    const slots = slotsWith('America/New_York', '2026-03-07T12:00-05:00', { ...none, sat: [{ start: '22:00', end: '02:30' }] });
    expect(slots).toEqual([
      ...['22:00', '22:30', '23:00', '23:30'].map((time) => `Sat 2026-03-07 ${time} GMT-05:00`),
      ...['00:00', '00:30', '01:00', '01:30'].map((time) => `Sun 2026-03-08 ${time} GMT-05:00`),
      'Sun 2026-03-08 03:00 GMT-04:00',
    ]);
  });

  it('Lord Howe moves its clocks by half an hour: an hourly grid stays on the local hour', () => {
    // After 01:00–02:00 the next instant is 02:30 on the clock, which is off the grid: 03:00 is next.
    const prefs = preferences({ timeZone: 'Australia/Lord_Howe', workingHours: { ...none, sun: [{ start: '00:00', end: '05:00' }] }, meetingMinutes: 60, bufferMinutes: 0, minimumNotice: { minutes: 0 }, horizonBusinessDays: 1 });
    // 2026-10-04 02:00 +10:30 becomes 02:30 +11:00.
    const slots = findFreeSlots({ now: new Date('2026-10-03T12:00+10:30'), preferences: prefs, busy: [], count: Infinity, stepMinutes: 60 });
    expect(slots.map((slot) => wallWithOffset(slot.start, 'Australia/Lord_Howe').slice(15))).toEqual(['00:00 GMT+10:30', '01:00 GMT+10:30', '03:00 GMT+11:00', '04:00 GMT+11:00']);
  });
});
