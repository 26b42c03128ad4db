/**
 * What booking needs from a calendar provider, in the provider's neutral terms. The Google
 * adapter implements it over the official client; tests run it against a loopback server.
 * Authentication is not part of the port: an adapter is created for one partner's credentials.
 */
export interface BusyInterval {
  readonly start: Date;
  readonly end: Date;
}

export type AttendeeResponse = 'needsAction' | 'accepted' | 'declined' | 'tentative';

export interface CalendarAttendee {
  readonly email: string;
  readonly name: string | null;
  readonly response: AttendeeResponse;
  readonly organizer: boolean;
}

export interface CalendarEvent {
  readonly id: string;
  readonly calendarId: string;
  readonly status: 'confirmed' | 'tentative' | 'cancelled';
  readonly start: Date;
  readonly end: Date;
  readonly attendees: readonly CalendarAttendee[];
  readonly videoLink: string | null;
  readonly htmlLink: string | null;
  /** The provider's change counter: moves and edits bump it. */
  readonly sequence: number;
  readonly updated: Date | null;
}

export interface NewCalendarEvent {
  /** Deterministic per introduction, so a retry finds the event instead of booking another. */
  readonly id: string;
  readonly calendarId: string;
  readonly summary: string;
  readonly description: string;
  readonly start: Date;
  readonly end: Date;
  readonly timeZone: string;
  readonly attendees: readonly { email: string; name: string | null }[];
  /** Ask for a video link (Google Meet); the request id is deterministic like the event id. */
  readonly videoRequestId: string | null;
}

export interface CalendarPort {
  busy(query: { calendars: readonly string[]; timeMin: Date; timeMax: Date }): Promise<BusyInterval[]>;
  /** Creates the event and sends the invitations; `exists` when an event with this id is already there. */
  createEvent(event: NewCalendarEvent): Promise<{ created: true; event: CalendarEvent } | { created: false; reason: 'exists' }>;
  /** The event, or null when it does not exist. A cancelled event is returned with status `cancelled`. */
  getEvent(calendarId: string, eventId: string): Promise<CalendarEvent | null>;
  /** Deletes (cancels) the event and tells the attendees; an event already gone counts as deleted. */
  deleteEvent(calendarId: string, eventId: string): Promise<void>;
}

/** The partner's grant is revoked or expired (invalid_grant, 401): they must reconnect. */
export class CalendarAuthorizationError extends Error {
  override readonly name = 'CalendarAuthorizationError';
}

/** The provider kept failing (rate limits, 5xx, timeouts) after bounded retries: try again later. */
export class CalendarUnavailableError extends Error {
  override readonly name = 'CalendarUnavailableError';
}
