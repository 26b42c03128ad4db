import type { BusyBlock, CalendarStore, Notification, NotificationKind } from './calendar-store.ts';
import type { CalendarEvent, EventDateTime } from './event-rules.ts';
import type { FaultQueue, FaultSpec, QueuedFault } from './faults.ts';
import type { Grant, OAuthClientConfig, OAuthServer, TokenResponse } from './oauth.ts';

/**
 * What tests (in process) and local mode (over `/_loopback/...`) can do to the server besides
 * calling the Google APIs: inject faults, act as a user in Google Calendar, and look at what
 * Google would have done (requests served, emails sent).
 */

export interface RequestRecord {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  /** Discovery method id (`calendar.events.insert`) or `oauth.token`, `oauth.authorize`, ... */
  readonly operation: string;
  status: number;
  /** The fault that answered or slowed this request, if any. */
  fault?: string;
}

export interface LoopbackGoogleControl {
  /** Queues a fault for the next matching request(s); returns it with its id. */
  injectFault(spec: FaultSpec): QueuedFault;
  pendingFaults(): QueuedFault[];
  clearFaults(): void;

  /** Creates (or updates) a user and their primary calendar. */
  addUser(user: { email: string; timeZone?: string; summary?: string }): void;
  registerClient(client: OAuthClientConfig): void;
  /** A grant without the consent page: the token response a code exchange would give (with a refresh token). */
  authorize(input: { email: string; clientId?: string; scopes?: readonly string[] }): TokenResponse;
  /** The user removes the app's access: refresh and access tokens stop working. Returns grants revoked. */
  revokeUser(email: string, clientId?: string): number;
  /** Access tokens expire now (a user's, or everyone's); returns how many. */
  expireAccessTokens(email?: string): number;
  grants(): Grant[];

  /** Busy time that is not an event on the calendar (say, another calendar of the user's). */
  addBusyBlock(calendarId: string, block: { start: string; end: string; label?: string }): BusyBlock;
  /** An attendee answers the invitation (a `reply` notification goes to the organizer). */
  setAttendeeResponse(calendarId: string, eventId: string, email: string, responseStatus: 'needsAction' | 'declined' | 'tentative' | 'accepted', comment?: string): CalendarEvent;
  /** The owner moves the event in Google Calendar: `sequence` and `updated` move on. */
  moveEvent(calendarId: string, eventId: string, to: { start: EventDateTime | string; end: EventDateTime | string; notifyAttendees?: boolean }): CalendarEvent;
  /** The owner deletes the event in Google Calendar (it becomes `cancelled`). */
  cancelEvent(calendarId: string, eventId: string, options?: { notifyAttendees?: boolean }): void;
  /** Events as stored (cancelled ones only with `showDeleted`), without going through OAuth. */
  events(calendarId: string, options?: { showDeleted?: boolean }): CalendarEvent[];
  event(calendarId: string, eventId: string): CalendarEvent | undefined;
  /** Every email Google would have sent: invitations, updates, cancellations, replies. */
  notifications(filter?: { calendarId?: string; eventId?: string; to?: string; kind?: NotificationKind }): Notification[];
  /** The invitations only (`kind: 'invitation'`). */
  invitations(filter?: { calendarId?: string; eventId?: string; to?: string }): Notification[];
  /** Every request served (control routes excluded), oldest first. */
  requests(filter?: { operation?: string }): RequestRecord[];
  /** Every sync token handed out so far gets 410 fullSyncRequired. */
  invalidateSyncTokens(): void;
  /** Back to empty: calendars, grants, tokens, faults, notifications and the request log (clients stay). */
  reset(): void;
}

export function createControl(parts: {
  readonly store: CalendarStore;
  readonly oauth: OAuthServer;
  readonly faults: FaultQueue;
  readonly requestLog: RequestRecord[];
  readonly defaultClientId: string;
  readonly defaultScopes: readonly string[];
}): LoopbackGoogleControl {
  const { store, oauth, faults, requestLog } = parts;
  const asEventTime = (value: EventDateTime | string): EventDateTime => (typeof value === 'string' ? { dateTime: value } : value);
  return {
    injectFault: (spec) => faults.add(spec),
    pendingFaults: () => faults.pending(),
    clearFaults: () => faults.clear(),
    addUser: (user) => {
      store.ensureCalendar(user.email, { ...(user.timeZone ? { timeZone: user.timeZone } : {}), ...(user.summary ? { summary: user.summary } : {}) });
    },
    registerClient: (client) => oauth.registerClient(client),
    authorize: (input) => oauth.authorizeDirectly({ email: input.email, clientId: input.clientId ?? parts.defaultClientId, scopes: input.scopes ?? parts.defaultScopes }),
    revokeUser: (email, clientId) => oauth.revokeUser(email, clientId),
    expireAccessTokens: (email) => oauth.expireAccessTokens(email),
    grants: () => oauth.listGrants(),
    addBusyBlock: (calendarId, block) => store.addBusyBlock(calendarId, block),
    setAttendeeResponse: (calendarId, eventId, email, responseStatus, comment) => store.setAttendeeResponse(calendarId, eventId, email, responseStatus, comment),
    moveEvent: (calendarId, eventId, to) => store.moveEvent(calendarId, eventId, asEventTime(to.start), asEventTime(to.end), to.notifyAttendees ?? false),
    cancelEvent: (calendarId, eventId, options) => store.cancelEvent(calendarId, eventId, options?.notifyAttendees ?? false),
    events: (calendarId, options) => (store.findCalendar(calendarId) ? store.listEvents(calendarId, { showDeleted: options?.showDeleted ?? false }) : []),
    event: (calendarId, eventId) => structuredClone(store.findEvent(calendarId, eventId)),
    notifications: (filter) => store.listNotifications(filter),
    invitations: (filter) => store.listNotifications({ ...filter, kind: 'invitation' }),
    requests: (filter) => requestLog.filter((record) => filter?.operation === undefined || record.operation === filter.operation).map((record) => ({ ...record })),
    invalidateSyncTokens: () => store.invalidateSyncTokens(),
    reset: () => {
      store.reset();
      oauth.reset();
      faults.clear();
      requestLog.length = 0;
    },
  };
}
