import * as z from 'zod';
import { BOOKING_MODES, bookingPreferencesSchema, type BookingPreferences } from '../../functions/domain/booking/booking-preferences.ts';
import type { StoredBookingPreferences } from '../../functions/domain/partners/partner.ts';

/** `refer partner set` options and how each maps onto the stored booking preferences. */
export const PREFERENCE_OPTIONS = {
  'working-hours': { type: 'string' },
  'meeting-minutes': { type: 'string' },
  'buffer-minutes': { type: 'string' },
  notice: { type: 'string' },
  'horizon-days': { type: 'string' },
  'busy-calendars': { type: 'string' },
  video: { type: 'string' },
  'invite-introducer': { type: 'string' },
  'booking-mode': { type: 'string' },
} as const;

export class PreferenceError extends Error {
  override readonly name = 'PreferenceError';
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Day = (typeof DAYS)[number];

/** The changes the options ask for, validated together with what is stored (in the partner's zone). */
export function updatedPreferences(stored: StoredBookingPreferences, values: Partial<Record<keyof typeof PREFERENCE_OPTIONS, string>>, timeZone: string): StoredBookingPreferences {
  const changes: Record<string, unknown> = {};
  if (values['working-hours'] !== undefined) changes.workingHours = parseWorkingHours(values['working-hours']);
  if (values['meeting-minutes'] !== undefined) changes.meetingMinutes = integer(values['meeting-minutes'], 'meeting-minutes');
  if (values['buffer-minutes'] !== undefined) changes.bufferMinutes = integer(values['buffer-minutes'], 'buffer-minutes');
  if (values.notice !== undefined) changes.minimumNotice = parseNotice(values.notice);
  if (values['horizon-days'] !== undefined) changes.horizonBusinessDays = integer(values['horizon-days'], 'horizon-days');
  if (values['busy-calendars'] !== undefined) changes.busyCalendars = values['busy-calendars'].split(',').map((id) => id.trim()).filter(Boolean);
  if (values.video !== undefined) changes.videoLink = onOff(values.video, 'video');
  if (values['invite-introducer'] !== undefined) changes.inviteIntroducer = onOff(values['invite-introducer'], 'invite-introducer');
  if (values['booking-mode'] !== undefined) {
    if (!(BOOKING_MODES as readonly string[]).includes(values['booking-mode'])) throw new PreferenceError(`--booking-mode must be one of ${BOOKING_MODES.join(', ')}`);
    changes.bookingMode = values['booking-mode'];
  }
  const next: StoredBookingPreferences = { ...stored, ...changes };
  const checked = bookingPreferencesSchema.safeParse({ ...next, timeZone });
  if (!checked.success) throw new PreferenceError(`invalid booking preferences:\n${z.prettifyError(checked.error)}`);
  return next;
}

/**
 * "mon-fri 09:00-17:00", "mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00", "sat 22:00-02:00".
 * The spec replaces the whole week: days not named have no working hours.
 */
export function parseWorkingHours(spec: string): Record<Day, { start: string; end: string }[]> {
  const week = Object.fromEntries(DAYS.map((day) => [day, [] as { start: string; end: string }[]])) as Record<Day, { start: string; end: string }[]>;
  for (const part of spec.split(';').map((segment) => segment.trim()).filter(Boolean)) {
    const match = /^([a-z,-]+)\s+(.+)$/i.exec(part);
    if (!match?.[1] || !match[2]) throw new PreferenceError(`working hours "${part}": expected days then times, e.g. "mon-fri 09:00-17:00"`);
    const days = parseDays(match[1].toLowerCase());
    const ranges =
      match[2].trim().toLowerCase() === 'off'
        ? []
        : match[2].split(',').map((range) => {
            const times = /^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/.exec(range);
            if (!times?.[1] || !times[2]) throw new PreferenceError(`working hours "${range.trim()}": expected HH:MM-HH:MM`);
            return { start: times[1].padStart(5, '0'), end: times[2].padStart(5, '0') };
          });
    for (const day of days) week[day] = ranges;
  }
  return week;
}

function parseDays(spec: string): Day[] {
  const days = new Set<Day>();
  for (const item of spec.split(',')) {
    const [from, to] = item.split('-') as [string, string | undefined];
    const start = DAYS.indexOf(from as Day);
    const end = to === undefined ? start : DAYS.indexOf(to as Day);
    if (start < 0 || end < 0 || end < start) throw new PreferenceError(`working hours: "${item}" is not a day or a range of days (mon..sun)`);
    for (let index = start; index <= end; index += 1) days.add(DAYS[index] as Day);
  }
  return [...days];
}

function parseNotice(value: string): { businessDays: number } | { minutes: number } {
  const match = /^\s*(\d+)\s*(business days?|minutes?|min|hours?|h)?\s*$/i.exec(value);
  if (!match?.[1]) throw new PreferenceError('--notice takes "1 business day", "90 minutes" or "2 hours"');
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'business days').toLowerCase();
  if (unit.startsWith('business')) return { businessDays: amount };
  if (unit.startsWith('h')) return { minutes: amount * 60 };
  return { minutes: amount };
}

function integer(value: string, option: string): number {
  if (!/^\d+$/.test(value.trim())) throw new PreferenceError(`--${option} takes a whole number`);
  return Number(value);
}

function onOff(value: string, option: string): boolean {
  const normalized = value.trim().toLowerCase();
  if (['on', 'yes', 'true'].includes(normalized)) return true;
  if (['off', 'no', 'false'].includes(normalized)) return false;
  throw new PreferenceError(`--${option} takes on or off`);
}

/** The effective preferences as `refer partner show` prints them. */
export function describePreferences(preferences: BookingPreferences): string[] {
  const hours = DAYS.map((day) => {
    const ranges = preferences.workingHours[day];
    return `${day} ${ranges.length === 0 ? 'off' : ranges.map((range) => `${range.start}-${range.end}`).join(',')}`;
  }).join('; ');
  const notice = 'minutes' in preferences.minimumNotice ? `${preferences.minimumNotice.minutes} minutes` : `${preferences.minimumNotice.businessDays} business day(s)`;
  return [
    `booking mode      ${preferences.bookingMode}`,
    `time zone         ${preferences.timeZone}`,
    `working hours     ${hours}`,
    `meeting length    ${preferences.meetingMinutes} min, buffer ${preferences.bufferMinutes} min`,
    `minimum notice    ${notice}`,
    `looks ahead       ${preferences.horizonBusinessDays} business days`,
    `busy calendars    ${preferences.busyCalendars.join(', ')}`,
    `video link        ${preferences.videoLink ? 'on (Google Meet)' : 'off'}`,
    `invite introducer ${preferences.inviteIntroducer ? 'on' : 'off'}`,
  ];
}
