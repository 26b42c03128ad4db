import { describe, expect, it } from 'vitest';
import { bookingPreferencesSchema, defaultBookingPreferences, parseBookingPreferences } from '../../../functions/domain/booking/booking-preferences.ts';

describe('booking preferences', () => {
  it('defaults: weekdays 9 to 5, 30-minute meetings, 15-minute buffers, one business day of notice, ten days ahead', () => {
    expect(defaultBookingPreferences('Europe/London')).toEqual({
      timeZone: 'Europe/London',
      workingHours: {
        mon: [{ start: '09:00', end: '17:00' }],
        tue: [{ start: '09:00', end: '17:00' }],
        wed: [{ start: '09:00', end: '17:00' }],
        thu: [{ start: '09:00', end: '17:00' }],
        fri: [{ start: '09:00', end: '17:00' }],
        sat: [],
        sun: [],
      },
      meetingMinutes: 30,
      bufferMinutes: 15,
      minimumNotice: { businessDays: 1 },
      horizonBusinessDays: 10,
      busyCalendars: ['primary'],
      videoLink: true,
      inviteIntroducer: false,
      bookingMode: 'auto',
    });
  });

  it('no two parsed preferences share a default', () => {
    const first = parseBookingPreferences({ timeZone: 'UTC' });
    (first.workingHours.mon as { start: string; end: string }[]).push({ start: '18:00', end: '19:00' });
    (first.busyCalendars as string[]).push('team');
    expect(parseBookingPreferences({ timeZone: 'UTC' }).workingHours.mon).toHaveLength(1);
    expect(parseBookingPreferences({ timeZone: 'UTC' }).busyCalendars).toEqual(['primary']);
  });

  it('accepts several ranges a day, a range crossing midnight, 24:00 as an end, and a notice in minutes', () => {
    const parsed = parseBookingPreferences({
      timeZone: 'Asia/Kolkata',
      workingHours: {
        mon: [
          { start: '08:00', end: '12:00' },
          { start: '13:30', end: '18:00' },
        ],
        tue: [{ start: '22:00', end: '02:00' }],
        wed: [{ start: '00:00', end: '24:00' }],
        thu: [],
        fri: [],
        sat: [],
        sun: [],
      },
      minimumNotice: { minutes: 240 },
      bookingMode: 'propose',
    });
    expect(parsed.workingHours.tue).toEqual([{ start: '22:00', end: '02:00' }]);
    expect(parsed.minimumNotice).toEqual({ minutes: 240 });
  });

  const zone = { timeZone: 'Europe/London' };
  const day = (start: string, end: string) => ({ ...zone, workingHours: { mon: [{ start, end }], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } });

  it.each([
    ['no time zone', {}, 'timeZone'],
    ['an unknown time zone', { timeZone: 'Europe/Atlantis' }, 'timeZone'],
    ['a time past 23:59', day('25:00', '26:00'), 'workingHours.mon.0.start'],
    ['a time without a leading zero', day('9:00', '17:00'), 'workingHours.mon.0.start'],
    ['24:00 as a start', day('24:00', '02:00'), 'workingHours.mon.0.start'],
    ['a range with start equal to end', day('09:00', '09:00'), 'workingHours.mon.0'],
    ['a missing weekday', { ...zone, workingHours: { mon: [] } }, 'workingHours.tue'],
    ['a misspelt field', { ...zone, bufferMinute: 10 }, ''],
    ['a meeting under 5 minutes', { ...zone, meetingMinutes: 0 }, 'meetingMinutes'],
    ['a fractional buffer', { ...zone, bufferMinutes: 7.5 }, 'bufferMinutes'],
    ['a notice with both units', { ...zone, minimumNotice: { businessDays: 1, minutes: 30 } }, 'minimumNotice'],
    ['a negative notice', { ...zone, minimumNotice: { minutes: -5 } }, 'minimumNotice.minutes'],
    ['a horizon of 0', { ...zone, horizonBusinessDays: 0 }, 'horizonBusinessDays'],
    ['a horizon beyond 60 business days', { ...zone, horizonBusinessDays: 61 }, 'horizonBusinessDays'],
    ['no busy calendar', { ...zone, busyCalendars: [] }, 'busyCalendars'],
    ['more busy calendars than one freeBusy query takes', { ...zone, busyCalendars: Array.from({ length: 51 }, (_, index) => `c${index}`) }, 'busyCalendars'],
    ['an unknown booking mode', { ...zone, bookingMode: 'maybe' }, 'bookingMode'],
  ])('refuses %s', (_name, input, path) => {
    const result = bookingPreferencesSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
