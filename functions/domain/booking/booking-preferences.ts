import * as z from 'zod';
import { isValidTimeZone, type Weekday } from './time-zones.ts';

/**
 * How a partner wants meetings booked. Edited from the CLI and stored in DynamoDB, so everything
 * that crosses that boundary goes through `parseBookingPreferences`; missing fields take defaults.
 *
 * Working hours: per weekday, a list of `{ start, end }` ranges of local wall-clock time 'HH:MM'.
 * - `end` later than `start`: the range ends the same day.
 * - `end` earlier than `start`: the range crosses midnight and ends on the next day
 *   (`sun: [{ start: '22:00', end: '02:00' }]` is Sunday 22:00 to Monday 02:00). A range belongs to
 *   the weekday it starts on.
 * - `end` '24:00' is the next midnight; `start` equal to `end` is refused (zero hours or 24 hours?).
 * Ranges that overlap or touch, on the same day or across midnight, count as one window, so a
 * meeting may run from 11:45 to 12:15 across ranges 09:00–12:00 and 12:00–17:00.
 * Around DST the ends follow the time-zone rules in `time-zones.ts` (a nonexistent end time is
 * resolved forward, a repeated one to its earlier occurrence); the window is the real time between.
 *
 * Business days (minimum notice and horizon) are Monday to Friday in the partner's time zone.
 * Public holidays are not known to the system; a partner who is off blocks the day in the calendar.
 */

/** Google freeBusy accepts at most this many calendars in one query (`calendarExpansionMax`). */
export const GOOGLE_FREEBUSY_MAX_CALENDARS = 50;

/** Far enough ahead for any referral meeting, and short enough to stay in one freeBusy query. */
export const MAX_HORIZON_BUSINESS_DAYS = 60;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM, 00:00 to 23:59');

export const workingRangeSchema = z
  .strictObject({
    start: clockTime,
    end: z.union([clockTime, z.literal('24:00')], { error: 'a time of day as HH:MM, 00:00 to 24:00' }),
  })
  .refine((range) => range.start !== range.end, { message: 'start and end are the same; use 00:00 to 24:00 for a whole day' });

export type WorkingRange = z.output<typeof workingRangeSchema>;

const dayRanges = z.array(workingRangeSchema).max(12);

const NINE_TO_FIVE: WorkingRange = { start: '09:00', end: '17:00' };

export const workingHoursSchema = z.strictObject({
  mon: dayRanges,
  tue: dayRanges,
  wed: dayRanges,
  thu: dayRanges,
  fri: dayRanges,
  sat: dayRanges,
  sun: dayRanges,
} satisfies Record<Weekday, typeof dayRanges>);

export type WorkingHours = Readonly<Record<Weekday, readonly WorkingRange[]>>;

/**
 * `{ businessDays: n }`: the earliest start is the same local wall-clock time on the n-th business
 * day after today's local date (Friday 15:00 → Monday 15:00; Saturday 10:00 → Monday 10:00;
 * n = 0 → now). `{ minutes: n }`: now plus n minutes of real time.
 */
export const minimumNoticeSchema = z.union([
  z.strictObject({ businessDays: z.int().min(0).max(20) }),
  z.strictObject({ minutes: z.int().min(0).max(60 * 24 * 30) }),
]);

export type MinimumNotice = z.output<typeof minimumNoticeSchema>;

export const BOOKING_MODES = ['auto', 'propose', 'off'] as const;
export type BookingMode = (typeof BOOKING_MODES)[number];

export const bookingPreferencesSchema = z.strictObject({
    /** IANA zone, e.g. Europe/London. Required: there is no sensible default for a person. */
    timeZone: z.string().refine(isValidTimeZone, 'an IANA time zone such as Europe/London'),
    // Defaults are functions so that no two parsed preferences share an array.
    workingHours: workingHoursSchema.default(() => ({
      mon: [{ ...NINE_TO_FIVE }],
      tue: [{ ...NINE_TO_FIVE }],
      wed: [{ ...NINE_TO_FIVE }],
      thu: [{ ...NINE_TO_FIVE }],
      fri: [{ ...NINE_TO_FIVE }],
      sat: [],
      sun: [],
    })),
    meetingMinutes: z.int().min(5).max(8 * 60).default(30),
    /** Kept free before and after every busy interval: the gap between a meeting and anything else. */
    bufferMinutes: z.int().min(0).max(4 * 60).default(15),
    minimumNotice: minimumNoticeSchema.default(() => ({ businessDays: 1 })),
    /** How far ahead to look: slots start before the end of the n-th business day after today. */
    horizonBusinessDays: z.int().min(1).max(MAX_HORIZON_BUSINESS_DAYS).default(10),
    /** Calendar ids whose busy time blocks a slot. */
    busyCalendars: z.array(z.string().min(1)).min(1).max(GOOGLE_FREEBUSY_MAX_CALENDARS).default(() => ['primary']),
    /** Add a Google Meet link to the event. */
    videoLink: z.boolean().default(true),
    /** Invite the person who made the introduction as well. */
    inviteIntroducer: z.boolean().default(false),
    /** auto: book the first free slot; propose: offer slots and book the one chosen; off: do nothing. */
    bookingMode: z.enum(BOOKING_MODES).default('auto'),
});

export type BookingPreferences = Readonly<Omit<z.output<typeof bookingPreferencesSchema>, 'workingHours' | 'busyCalendars'>> & {
  readonly workingHours: WorkingHours;
  readonly busyCalendars: readonly string[];
};

/** Input as stored or typed: everything but the time zone may be left out. */
export type BookingPreferencesInput = z.input<typeof bookingPreferencesSchema>;

/** Throws a ZodError naming each bad field; use `bookingPreferencesSchema.safeParse` to collect them instead. */
export function parseBookingPreferences(input: unknown): BookingPreferences {
  return bookingPreferencesSchema.parse(input);
}

export function defaultBookingPreferences(timeZone: string): BookingPreferences {
  return parseBookingPreferences({ timeZone });
}
