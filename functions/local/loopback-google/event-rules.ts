import { createHash, randomBytes } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import { apiErrors } from './google-errors.ts';
import { hasOffset, isValidTimeZone, parseInstant, zonedWallTimeToInstant } from './time.ts';

/**
 * What the Calendar backend itself checks and fills in on an event, beyond the discovery schema:
 * ids, times, statuses, attendees, Google Meet creation, patch semantics and sequence numbers.
 */

export type CalendarEvent = calendar_v3.Schema$Event;
export type EventDateTime = calendar_v3.Schema$EventDateTime;
export type EventAttendee = calendar_v3.Schema$EventAttendee;

/** Google's rule for client-supplied event ids: base32hex characters, 5 to 1024 of them. */
export const EVENT_ID_PATTERN = /^[0-9a-v]{5,1024}$/;

const STATUSES = ['confirmed', 'tentative', 'cancelled'];
const TRANSPARENCIES = ['opaque', 'transparent'];
const VISIBILITIES = ['default', 'public', 'private', 'confidential'];
const RESPONSE_STATUSES = ['needsAction', 'declined', 'tentative', 'accepted'];

/** Fields the server owns: whatever a client sends for them is ignored (as Google does). */
const SERVER_OWNED = ['kind', 'etag', 'htmlLink', 'created', 'updated', 'creator', 'organizer', 'iCalUID', 'hangoutLink', 'recurringEventId'] as const;

export function newEventId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return Array.from(randomBytes(26), (byte) => alphabet[byte % 32]).join('');
}

export function checkEventId(id: unknown): string {
  if (typeof id !== 'string' || !EVENT_ID_PATTERN.test(id)) throw apiErrors.invalid('Invalid resource id value.');
  return id;
}

/** Drops server-owned fields from a request body (read-only ones are dropped by the validator). */
export function withoutServerOwned(input: CalendarEvent): CalendarEvent {
  const copy: CalendarEvent = { ...input };
  for (const field of SERVER_OWNED) delete copy[field];
  return copy;
}

/**
 * Google's patch semantics: given fields replace stored ones, nested objects merge, arrays are
 * replaced whole, and `null` clears a field.
 */
export function mergePatch<T>(target: T, patch: unknown): T {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch) as T;
  const base: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else if (typeof value === 'object' && !Array.isArray(value)) base[key] = mergePatch(base[key], value);
    else base[key] = structuredClone(value);
  }
  return base as T;
}

/** Removes `null` values (a request's "clear this field") everywhere in a body. */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutNulls(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) if (child !== null) copy[key] = withoutNulls(child);
  return copy as T;
}

/** Milliseconds since the epoch of an event boundary; all-day dates start at midnight in `zone`. */
export function instantOf(time: EventDateTime, fallbackZone: string): number {
  if (time.dateTime) {
    return hasOffset(time.dateTime) ? parseInstant(time.dateTime) : zonedWallTimeToInstant(time.dateTime, time.timeZone ?? fallbackZone);
  }
  if (time.date) return zonedWallTimeToInstant(`${time.date}T00:00:00`, time.timeZone ?? fallbackZone);
  throw new RangeError('an event time has neither date nor dateTime');
}

/** The checks Google makes on a complete event (after insert, update or a merged patch). */
export function checkEvent(event: CalendarEvent, calendarZone: string): void {
  const start = event.start;
  const end = event.end;
  if (!start) throw apiErrors.required('Missing start time.');
  if (!end) throw apiErrors.required('Missing end time.');
  checkEventTime(start, 'start');
  checkEventTime(end, 'end');
  if (Boolean(start.date) !== Boolean(end.date)) throw apiErrors.invalid('Start and end times must either both be date or both be dateTime.');
  if (instantOf(end, calendarZone) < instantOf(start, calendarZone)) throw apiErrors.timeRangeEmpty('end');
  checkOneOf(event.status, STATUSES, 'status');
  checkOneOf(event.transparency, TRANSPARENCIES, 'transparency');
  checkOneOf(event.visibility, VISIBILITIES, 'visibility');
  for (const attendee of event.attendees ?? []) {
    if (!attendee.email) throw apiErrors.required('Missing attendee email.');
    if (!/^[^\s@]+@[^\s@]+$/.test(attendee.email)) throw apiErrors.invalid('Invalid attendee email.');
    checkOneOf(attendee.responseStatus, RESPONSE_STATUSES, 'attendee response status');
  }
}

function checkEventTime(time: EventDateTime, which: 'start' | 'end'): void {
  if (time.date && time.dateTime) throw apiErrors.invalid(`Invalid ${which} time.`);
  if (!time.date && !time.dateTime) throw apiErrors.required(`Missing ${which} time.`);
  if (time.timeZone && !isValidTimeZone(time.timeZone)) throw apiErrors.invalid(`Invalid time zone definition for ${which} time.`);
  if (time.dateTime && !hasOffset(time.dateTime) && !time.timeZone) throw apiErrors.required(`Missing time zone definition for ${which} time.`);
}

function checkOneOf(value: string | null | undefined, allowed: readonly string[], what: string): void {
  if (value !== undefined && value !== null && !allowed.includes(value)) throw apiErrors.invalid(`Invalid ${what} value.`);
}

/**
 * Marks the organizer and the calendar owner among the attendees and fills in response statuses:
 * the organizer has accepted, everyone else `needsAction` unless the request (or, for an attendee
 * already on the event, their earlier answer) says otherwise.
 */
export function normalizeAttendees(
  attendees: readonly EventAttendee[] | undefined,
  organizerEmail: string,
  previous: readonly EventAttendee[] | undefined,
): EventAttendee[] | undefined {
  if (!attendees) return undefined;
  const earlier = new Map((previous ?? []).map((attendee) => [attendee.email?.toLowerCase(), attendee]));
  return attendees.map((attendee) => {
    const email = attendee.email ?? '';
    const isOrganizer = email.toLowerCase() === organizerEmail.toLowerCase();
    const normalized: EventAttendee = { ...attendee };
    delete normalized.organizer;
    delete normalized.self;
    if (isOrganizer) {
      normalized.organizer = true;
      normalized.self = true;
    }
    normalized.responseStatus = attendee.responseStatus ?? earlier.get(email.toLowerCase())?.responseStatus ?? (isOrganizer ? 'accepted' : 'needsAction');
    return normalized;
  });
}

/**
 * `conferenceData` as Google returns it once a Meet create request succeeded. The meeting code is
 * derived from the requestId alone, so a test can predict the link.
 */
export function meetConference(requestId: string, solutionType: string): calendar_v3.Schema$ConferenceData {
  const code = meetCode(requestId);
  const uri = `https://meet.google.com/${code}`;
  return {
    entryPoints: [{ entryPointType: 'video', uri, label: `meet.google.com/${code}` }],
    conferenceSolution: {
      key: { type: solutionType },
      name: 'Google Meet',
      iconUri: 'https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png',
    },
    conferenceId: code,
    createRequest: { requestId, conferenceSolutionKey: { type: solutionType }, status: { statusCode: 'success' } },
  };
}

/** `abc-defg-hij`, from a hash of the requestId. */
export function meetCode(requestId: string): string {
  const letters = Array.from(createHash('sha256').update(requestId).digest().subarray(0, 10), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
  return `${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7, 10)}`;
}

/**
 * The conference data an event ends up with. With `conferenceDataVersion` 0 Google ignores the
 * request's conference data and keeps what the event had; with 1 a `createRequest` with a new
 * requestId creates a Meet conference, and other conference data is stored as given.
 */
export function resolveConference(
  requested: calendar_v3.Schema$ConferenceData | undefined,
  existing: calendar_v3.Schema$ConferenceData | undefined,
  conferenceDataVersion: number,
): calendar_v3.Schema$ConferenceData | undefined {
  if (conferenceDataVersion < 1 || requested === undefined) return existing;
  const create = requested.createRequest;
  if (create) {
    if (!create.requestId) throw apiErrors.required('Missing conference create request id.');
    const type = create.conferenceSolutionKey?.type ?? 'hangoutsMeet';
    if (type !== 'hangoutsMeet') throw apiErrors.invalid('Invalid conference type value.');
    // The same requestId again is ignored: the conference it created stays.
    if (existing?.createRequest?.requestId === create.requestId) return existing;
    return meetConference(create.requestId, type);
  }
  if (!requested.conferenceSolution || !(requested.entryPoints?.length ?? 0)) {
    throw apiErrors.invalid('Invalid conference data: either conferenceSolution and at least one entryPoint, or createRequest is required.');
  }
  return requested;
}

export function videoLink(conference: calendar_v3.Schema$ConferenceData | undefined): string | undefined {
  return conference?.entryPoints?.find((entry) => entry.entryPointType === 'video')?.uri ?? undefined;
}

/** `https://www.google.com/calendar/event?eid=...`: Google's eid is base64 of "eventId calendarId". */
export function htmlLinkFor(eventId: string, calendarId: string): string {
  return `https://www.google.com/calendar/event?eid=${Buffer.from(`${eventId} ${calendarId}`).toString('base64url')}`;
}

/** Whether a change moves the event in time (RFC 5545: what bumps SEQUENCE). */
export function isRescheduling(before: CalendarEvent, after: CalendarEvent): boolean {
  return (
    JSON.stringify(before.start) !== JSON.stringify(after.start) ||
    JSON.stringify(before.end) !== JSON.stringify(after.end) ||
    JSON.stringify(before.recurrence) !== JSON.stringify(after.recurrence) ||
    (before.status !== 'cancelled') !== (after.status !== 'cancelled')
  );
}
