import { parseBookingPreferences, type BookingPreferences, type BookingPreferencesInput } from '../../../functions/domain/booking/booking-preferences.ts';
import type { Interval } from '../../../functions/domain/booking/availability.ts';

/**
 * Test oracle for "what does the partner's clock show": straight from Intl, with none of the
 * caching or arithmetic in time-zones.ts, so tests do not check the code against itself.
 */
export interface WallClock {
  readonly weekday: string;
  readonly date: string;
  readonly time: string;
  /** e.g. GMT-04:00, GMT+05:30, GMT+00:00. */
  readonly offset: string;
  readonly minuteOfDay: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export function wallClockOf(instant: Date, timeZone: string): WallClock {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      timeZoneName: 'longOffset',
      weekday: 'short',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  // format() is four times faster than formatToParts, which matters at property-test volume; en-US
  // gives e.g. 'Mon, 03/08/2026, 03:00:00 GMT-04:00'. Some ICU versions write a zero offset as 'GMT'.
  const text = formatter.format(instant);
  const match = /^(\w{3}),\s(\d\d)\/(\d\d)\/(\d{4}),\s(\d\d):(\d\d):(\d\d)\s(GMT(?:[+-]\d\d:\d\d)?)$/.exec(text);
  if (!match) throw new Error(`unexpected date format: ${text}`);
  const [, weekday = '', month, day, year, hour = '', minute = '', second, offset] = match;
  return {
    weekday,
    date: `${year}-${month}-${day}`,
    time: `${hour}:${minute}`,
    offset: offset === 'GMT' ? 'GMT+00:00' : (offset ?? ''),
    minuteOfDay: Number(hour) * 60 + Number(minute),
    second: Number(second),
  };
}

/** 'Mon 2026-06-01 09:00' */
export function wall(instant: Date, timeZone: string): string {
  const clock = wallClockOf(instant, timeZone);
  return `${clock.weekday} ${clock.date} ${clock.time}`;
}

/** 'Sun 2026-03-08 03:00 GMT-04:00': for DST tests, where the offset is the point. */
export function wallWithOffset(instant: Date, timeZone: string): string {
  return `${wall(instant, timeZone)} ${wallClockOf(instant, timeZone).offset}`;
}

export function starts(slots: readonly Interval[], timeZone: string): string[] {
  return slots.map((slot) => wall(slot.start, timeZone));
}

export function preferences(input: Partial<BookingPreferencesInput> & { timeZone: string }): BookingPreferences {
  return parseBookingPreferences(input);
}

/** A busy interval from ISO strings with explicit offsets. */
export function busy(start: string, end: string): Interval {
  return { start: new Date(start), end: new Date(end) };
}

export const MINUTE_MS = 60_000;
