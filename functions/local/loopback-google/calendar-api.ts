import type { calendar_v3 } from '@googleapis/calendar';
import type { CalendarStore, ListQuery, SendUpdates, WriteOptions } from './calendar-store.ts';
import type { DiscoveryMethod } from './discovery.ts';
import type { DiscoveryValidator, ParameterValue } from './discovery-validator.ts';
import { withoutServerOwned, type CalendarEvent } from './event-rules.ts';
import { apiErrors } from './google-errors.ts';
import type { Caller } from './oauth.ts';
import { isValidTimeZone, parseInstant, toRfc3339 } from './time.ts';

/**
 * The Calendar v3 methods this server implements, one handler per discovery method id. A handler
 * gets a request that already passed authentication, scope and schema checks.
 */

/** Google's documented limit on a freeBusy query: timeMax - timeMin may be at most 90 days. */
export const FREEBUSY_MAX_RANGE_MS = 90 * 24 * 60 * 60 * 1000;
/** freeBusy answers for at most this many calendars (`calendarExpansionMax`'s maximum). */
export const FREEBUSY_MAX_CALENDARS = 50;
/** events.list: default and largest page size. */
export const LIST_DEFAULT_PAGE_SIZE = 250;
export const LIST_MAX_PAGE_SIZE = 2500;

export interface ApiRequest {
  readonly caller: Caller;
  readonly method: DiscoveryMethod;
  readonly pathParams: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, ParameterValue>>;
  /** The parsed JSON body (already validated against the method's request schema). */
  readonly body: unknown;
}

/** `undefined` means 204 No Content. */
export type ApiResult = object | undefined;

type Handler = (request: ApiRequest) => ApiResult;

export function createCalendarApi(store: CalendarStore, validator: DiscoveryValidator): ReadonlyMap<string, Handler> {
  /** `primary` is the caller's calendar; ids are emails, compared without case. */
  const calendarIdOf = (request: ApiRequest): string => {
    const id = request.pathParams.calendarId ?? '';
    return id === 'primary' ? request.caller.email : id.toLowerCase();
  };

  /** Event methods work on the caller's own calendar only; any other calendar is not found. */
  const ownCalendar = (request: ApiRequest): string => {
    const id = calendarIdOf(request);
    if (id !== request.caller.email) throw apiErrors.notFound();
    store.ensureCalendar(id);
    return id;
  };

  const writeOptions = (request: ApiRequest): WriteOptions => ({
    sendUpdates: sendUpdatesOf(request.query),
    conferenceDataVersion: typeof request.query.conferenceDataVersion === 'number' ? request.query.conferenceDataVersion : 0,
  });

  /** The body minus read-only and server-owned fields, which Google ignores. */
  const eventBody = (request: ApiRequest): CalendarEvent => withoutServerOwned(validator.withoutReadOnly('Event', request.body as CalendarEvent));

  const present = (request: ApiRequest, event: CalendarEvent): CalendarEvent => limitAttendees(event, request.query.maxAttendees);

  const handlers = new Map<string, Handler>([
    [
      'calendar.freebusy.query',
      (request) => {
        const body = request.body as calendar_v3.Schema$FreeBusyRequest;
        if (!body.timeMin) throw apiErrors.required('Missing timeMin.');
        if (!body.timeMax) throw apiErrors.required('Missing timeMax.');
        const timeMin = instantParameter(body.timeMin, 'timeMin');
        const timeMax = instantParameter(body.timeMax, 'timeMax');
        if (timeMax <= timeMin) throw apiErrors.timeRangeEmpty();
        if (timeMax - timeMin > FREEBUSY_MAX_RANGE_MS) throw apiErrors.timeRangeTooLong();
        const zone = body.timeZone ?? 'UTC';
        if (!isValidTimeZone(zone)) throw apiErrors.invalid('Invalid time zone.', 'timeZone');
        const items = body.items ?? [];
        const limit = Math.min(body.calendarExpansionMax ?? FREEBUSY_MAX_CALENDARS, FREEBUSY_MAX_CALENDARS);
        const calendars: Record<string, calendar_v3.Schema$FreeBusyCalendar> = {};
        for (const [index, item] of items.entries()) {
          const requested = item.id ?? '';
          const id = requested === 'primary' ? request.caller.email : requested.toLowerCase();
          if (id === request.caller.email) store.ensureCalendar(id);
          // Past the limit Google answers per calendar, not for the whole request.
          calendars[requested] = index >= limit
            ? { errors: [{ domain: 'calendar', reason: 'tooManyCalendarsRequested' }], busy: [] }
            : store.findCalendar(id)
            ? { busy: store.busyPeriods(id, timeMin, timeMax, zone) }
            : { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
        }
        return { kind: 'calendar#freeBusy', timeMin: toRfc3339(timeMin), timeMax: toRfc3339(timeMax), calendars };
      },
    ],
    [
      'calendar.calendars.get',
      (request) => {
        const id = calendarIdOf(request);
        if (id !== request.caller.email) throw apiErrors.notFound();
        const calendar = store.ensureCalendar(id);
        return {
          kind: 'calendar#calendar',
          etag: `"${Date.parse(calendar.updated)}"`,
          id: calendar.id,
          summary: calendar.summary,
          timeZone: calendar.timeZone,
          conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
        } satisfies calendar_v3.Schema$Calendar;
      },
    ],
    ['calendar.events.insert', (request) => present(request, store.insertEvent(ownCalendar(request), eventBody(request), writeOptions(request)))],
    [
      'calendar.events.get',
      (request) => {
        const event = store.findEvent(ownCalendar(request), request.pathParams.eventId ?? '');
        if (!event) throw apiErrors.notFound();
        return present(request, structuredClone(event));
      },
    ],
    ['calendar.events.patch', (request) => present(request, store.patchEvent(ownCalendar(request), request.pathParams.eventId ?? '', eventBody(request), writeOptions(request)))],
    ['calendar.events.update', (request) => present(request, store.updateEvent(ownCalendar(request), request.pathParams.eventId ?? '', eventBody(request), writeOptions(request)))],
    [
      'calendar.events.delete',
      (request) => {
        store.deleteEvent(ownCalendar(request), request.pathParams.eventId ?? '', sendUpdatesOf(request.query));
        return undefined;
      },
    ],
    ['calendar.events.list', (request) => listEvents(store, ownCalendar(request), request)],
  ]);
  return handlers;
}

function listEvents(store: CalendarStore, calendarId: string, request: ApiRequest): calendar_v3.Schema$Events {
  const query = request.query;
  const syncToken = typeof query.syncToken === 'string' ? query.syncToken : undefined;
  const pageToken = typeof query.pageToken === 'string' ? query.pageToken : undefined;
  const filters: ListQuery = {
    ...(typeof query.timeMin === 'string' ? { timeMin: query.timeMin } : {}),
    ...(typeof query.timeMax === 'string' ? { timeMax: query.timeMax } : {}),
    ...(typeof query.updatedMin === 'string' ? { updatedMin: query.updatedMin } : {}),
    ...(typeof query.showDeleted === 'boolean' ? { showDeleted: query.showDeleted } : {}),
    ...(typeof query.singleEvents === 'boolean' ? { singleEvents: query.singleEvents } : {}),
    ...(query.orderBy === 'startTime' || query.orderBy === 'updated' ? { orderBy: query.orderBy } : {}),
    ...(typeof query.q === 'string' ? { q: query.q } : {}),
    ...(typeof query.iCalUID === 'string' ? { iCalUID: query.iCalUID } : {}),
    ...(Array.isArray(query.privateExtendedProperty) ? { privateExtendedProperty: query.privateExtendedProperty } : {}),
    ...(Array.isArray(query.sharedExtendedProperty) ? { sharedExtendedProperty: query.sharedExtendedProperty } : {}),
  };
  if (filters.orderBy === 'startTime' && filters.singleEvents !== true) {
    throw apiErrors.badRequest('The requested ordering is not available for the particular query.');
  }
  if (filters.timeMin && filters.timeMax && parseInstant(filters.timeMax) <= parseInstant(filters.timeMin)) throw apiErrors.timeRangeEmpty();

  let changedAfter: number | undefined;
  if (syncToken !== undefined) {
    const incompatible = ['timeMin', 'timeMax', 'updatedMin', 'orderBy', 'q', 'iCalUID', 'privateExtendedProperty', 'sharedExtendedProperty'].filter((name) => name in query);
    if (incompatible.length > 0) throw apiErrors.invalid(`Sync token cannot be used together with ${incompatible.join(', ')}.`, 'syncToken');
    const position = decodeToken(syncToken, 'sync');
    const current = store.syncPosition();
    if (!position || position.epoch !== current.epoch) throw apiErrors.fullSyncRequired();
    changedAfter = position.counter;
  }

  // A page token remembers the query it belongs to and where the first page was read.
  const fingerprint = JSON.stringify({ calendarId, filters, syncToken });
  let offset = 0;
  let position = store.syncPosition();
  if (pageToken !== undefined) {
    const decoded = decodeToken(pageToken, 'page');
    if (!decoded || decoded.fingerprint !== fingerprint) throw apiErrors.invalid('Invalid page token value.', 'pageToken');
    offset = decoded.offset ?? 0;
    position = { epoch: decoded.epoch, counter: decoded.counter };
  }
  const all = store.listEvents(calendarId, { ...filters, ...(changedAfter === undefined ? {} : { changedAfter }) });
  const size = Math.min(typeof query.maxResults === 'number' ? query.maxResults : LIST_DEFAULT_PAGE_SIZE, LIST_MAX_PAGE_SIZE);
  const items = all.slice(offset, offset + size).map((event) => limitAttendees(event, query.maxAttendees));
  const calendar = store.findCalendar(calendarId);
  const more = offset + size < all.length;
  return {
    kind: 'calendar#events',
    etag: `"p${position.counter}"`,
    summary: calendarId,
    description: '',
    updated: calendar?.updated ?? toRfc3339(0),
    timeZone: calendar?.timeZone ?? 'UTC',
    accessRole: 'owner',
    defaultReminders: [{ method: 'popup', minutes: 10 }],
    items,
    ...(more
      ? { nextPageToken: encodeToken({ kind: 'page', fingerprint, offset: offset + size, ...position }) }
      : { nextSyncToken: encodeToken({ kind: 'sync', ...position }) }),
  };
}

interface TokenContent {
  readonly kind: 'page' | 'sync';
  readonly epoch: string;
  readonly counter: number;
  readonly fingerprint?: string;
  readonly offset?: number;
}

function encodeToken(content: TokenContent): string {
  return Buffer.from(JSON.stringify(content)).toString('base64url');
}

function decodeToken(token: string, kind: TokenContent['kind']): TokenContent | undefined {
  try {
    const content = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenContent>;
    if (content.kind !== kind || typeof content.epoch !== 'string' || typeof content.counter !== 'number') return undefined;
    return content as TokenContent;
  } catch {
    return undefined;
  }
}

function sendUpdatesOf(query: Readonly<Record<string, ParameterValue>>): SendUpdates {
  const sendUpdates = query.sendUpdates;
  if (sendUpdates === 'all' || sendUpdates === 'externalOnly' || sendUpdates === 'none') return sendUpdates;
  // The deprecated boolean: true means "all"; Google's default is to send nothing.
  return query.sendNotifications === true ? 'all' : 'none';
}

function instantParameter(text: string, name: string): number {
  try {
    return parseInstant(text);
  } catch {
    throw apiErrors.invalid(`Invalid value for ${name}: it must be an RFC3339 timestamp with a time zone offset.`, name);
  }
}

/** `maxAttendees`: keep the first N (the caller's own entry first) and flag the rest as omitted. */
function limitAttendees(event: CalendarEvent, maxAttendees: ParameterValue | undefined): CalendarEvent {
  if (typeof maxAttendees !== 'number' || !event.attendees || event.attendees.length <= maxAttendees) return event;
  const ordered = [...event.attendees].sort((a, b) => Number(b.self ?? false) - Number(a.self ?? false));
  return { ...event, attendees: ordered.slice(0, maxAttendees), attendeesOmitted: true };
}
