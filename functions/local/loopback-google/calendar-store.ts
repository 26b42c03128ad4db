import { randomBytes } from 'node:crypto';
import { apiErrors } from './google-errors.ts';
import {
  checkEvent,
  checkEventId,
  htmlLinkFor,
  instantOf,
  isRescheduling,
  mergePatch,
  newEventId,
  normalizeAttendees,
  resolveConference,
  videoLink,
  withoutNulls,
  type CalendarEvent,
  type EventAttendee,
  type EventDateTime,
} from './event-rules.ts';
import { formatInZone, parseInstant, toRfc3339 } from './time.ts';

/**
 * The calendars: one primary calendar per user (its id is the user's email), their events, busy
 * blocks injected by tests, and every notification Google would have emailed.
 */

export interface BusyBlock {
  readonly id: string;
  readonly start: string;
  readonly end: string;
  readonly label?: string;
}

export interface CalendarRecord {
  readonly id: string;
  timeZone: string;
  summary: string;
  events: CalendarEvent[];
  busy: BusyBlock[];
  /** Change counter of the last change per event id (for sync tokens and `updatedMin`). */
  changes: Record<string, number>;
  updated: string;
}

export type NotificationKind = 'invitation' | 'update' | 'cancellation' | 'reply';

/** One email Google would have sent about an event. */
export interface Notification {
  readonly kind: NotificationKind;
  readonly calendarId: string;
  readonly eventId: string;
  readonly to: string;
  readonly from: string;
  readonly summary: string | undefined;
  readonly start: EventDateTime | undefined;
  readonly sequence: number;
  readonly sentAt: string;
  /** Who caused it: an API call, or a control operation acting as a user in Google Calendar. */
  readonly via: 'api' | 'control';
}

export interface CalendarStoreSnapshot {
  readonly calendars: Record<string, CalendarRecord>;
  readonly notifications: Notification[];
  readonly changeCounter: number;
  readonly syncEpoch: string;
}

export type SendUpdates = 'all' | 'externalOnly' | 'none';

export interface WriteOptions {
  readonly sendUpdates: SendUpdates;
  readonly conferenceDataVersion: number;
}

export interface ListQuery {
  readonly timeMin?: string;
  readonly timeMax?: string;
  readonly updatedMin?: string;
  readonly showDeleted?: boolean;
  readonly orderBy?: 'startTime' | 'updated';
  readonly singleEvents?: boolean;
  readonly q?: string;
  readonly iCalUID?: string;
  readonly privateExtendedProperty?: readonly string[];
  readonly sharedExtendedProperty?: readonly string[];
  /** Only events changed after this change counter (a sync token's position). */
  readonly changedAfter?: number;
}

export class CalendarStore {
  private calendars = new Map<string, CalendarRecord>();
  private notifications: Notification[] = [];
  private changeCounter = 0;
  private syncEpoch = randomBytes(4).toString('hex');

  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void = () => undefined,
  ) {}

  // ---- calendars -------------------------------------------------------------------------

  /** The user's primary calendar, created on first use. */
  ensureCalendar(email: string, options: { timeZone?: string; summary?: string } = {}): CalendarRecord {
    const id = email.toLowerCase();
    let calendar = this.calendars.get(id);
    if (!calendar) {
      calendar = { id, timeZone: options.timeZone ?? 'UTC', summary: options.summary ?? id, events: [], busy: [], changes: {}, updated: toRfc3339(this.now()) };
      this.calendars.set(id, calendar);
      this.onChange();
    } else if (options.timeZone || options.summary) {
      calendar.timeZone = options.timeZone ?? calendar.timeZone;
      calendar.summary = options.summary ?? calendar.summary;
      this.onChange();
    }
    return calendar;
  }

  findCalendar(id: string): CalendarRecord | undefined {
    return this.calendars.get(id.toLowerCase());
  }

  calendarIds(): string[] {
    return [...this.calendars.keys()];
  }

  // ---- events ----------------------------------------------------------------------------

  findEvent(calendarId: string, eventId: string): CalendarEvent | undefined {
    return this.findCalendar(calendarId)?.events.find((event) => event.id === eventId);
  }

  insertEvent(calendarId: string, input: CalendarEvent, options: WriteOptions): CalendarEvent {
    const calendar = this.requireCalendar(calendarId);
    const id = input.id === undefined || input.id === null ? newEventId() : checkEventId(input.id);
    // Google keeps the id of a deleted event reserved: inserting it again is a duplicate too.
    if (calendar.events.some((event) => event.id === id)) throw apiErrors.duplicate();
    const body = withoutNulls(input);
    const stamp = toRfc3339(this.now());
    const owner = { email: calendar.id, self: true };
    const event: CalendarEvent = {
      ...body,
      kind: 'calendar#event',
      id,
      status: body.status ?? 'confirmed',
      htmlLink: htmlLinkFor(id, calendar.id),
      created: stamp,
      updated: stamp,
      creator: owner,
      organizer: owner,
      iCalUID: `${id}@google.com`,
      sequence: body.sequence ?? 0,
      reminders: body.reminders ?? { useDefault: true },
      eventType: body.eventType ?? 'default',
    };
    const attendees = normalizeAttendees(body.attendees, calendar.id, undefined);
    if (attendees) event.attendees = attendees;
    this.applyConference(event, body.conferenceData ?? undefined, undefined, options.conferenceDataVersion);
    checkEvent(event, calendar.timeZone);
    this.commit(calendar, event);
    this.notify(calendar, undefined, event, options.sendUpdates, 'api');
    return structuredClone(event);
  }

  /** events.patch: merge the body into the stored event. */
  patchEvent(calendarId: string, eventId: string, patch: CalendarEvent, options: WriteOptions): CalendarEvent {
    const { calendar, event: before } = this.requireEvent(calendarId, eventId);
    const { conferenceData, ...rest } = patch;
    const merged = mergePatch(before, rest);
    merged.id = before.id;
    return this.replace(calendar, before, merged, conferenceData ?? undefined, options, 'api');
  }

  /** events.update: the body replaces every writable field. */
  updateEvent(calendarId: string, eventId: string, body: CalendarEvent, options: WriteOptions): CalendarEvent {
    const { calendar, event: before } = this.requireEvent(calendarId, eventId);
    if (body.id !== undefined && body.id !== null && body.id !== eventId) throw apiErrors.invalid('The event id in the body does not match the id in the URL.');
    const { conferenceData, ...rest } = withoutNulls(body);
    const next: CalendarEvent = {
      ...rest,
      kind: before.kind,
      id: before.id,
      status: rest.status ?? 'confirmed',
      htmlLink: before.htmlLink,
      created: before.created,
      creator: before.creator,
      organizer: before.organizer,
      iCalUID: before.iCalUID,
      reminders: rest.reminders ?? { useDefault: true },
      eventType: before.eventType,
    };
    if (before.conferenceData) next.conferenceData = before.conferenceData;
    return this.replace(calendar, before, next, conferenceData ?? undefined, options, 'api');
  }

  /** events.delete: the event stays, cancelled; deleting it again is 410 Gone. */
  deleteEvent(calendarId: string, eventId: string, sendUpdates: SendUpdates, via: 'api' | 'control' = 'api'): void {
    const { calendar, event: before } = this.requireEvent(calendarId, eventId);
    if (before.status === 'cancelled') throw apiErrors.deleted();
    const after: CalendarEvent = { ...structuredClone(before), status: 'cancelled', sequence: (before.sequence ?? 0) + 1, updated: toRfc3339(this.now()) };
    this.commit(calendar, after);
    this.notify(calendar, before, after, sendUpdates, via);
  }

  listEvents(calendarId: string, query: ListQuery): CalendarEvent[] {
    const calendar = this.requireCalendar(calendarId);
    const zone = calendar.timeZone;
    const timeMin = query.timeMin === undefined ? undefined : parseInstant(query.timeMin);
    const timeMax = query.timeMax === undefined ? undefined : parseInstant(query.timeMax);
    const updatedMin = query.updatedMin === undefined ? undefined : parseInstant(query.updatedMin);
    const includeDeleted = query.showDeleted === true || updatedMin !== undefined || query.changedAfter !== undefined;
    const text = query.q?.toLowerCase();
    let events = calendar.events.filter((event) => {
      if (event.status === 'cancelled' && !includeDeleted) return false;
      if (query.changedAfter !== undefined && (calendar.changes[event.id ?? ''] ?? 0) <= query.changedAfter) return false;
      if (updatedMin !== undefined && Date.parse(event.updated ?? '') < updatedMin) return false;
      if (timeMin !== undefined && event.end && instantOf(event.end, zone) <= timeMin) return false;
      if (timeMax !== undefined && event.start && instantOf(event.start, zone) >= timeMax) return false;
      if (query.iCalUID !== undefined && event.iCalUID !== query.iCalUID) return false;
      if (!matchesProperties(event.extendedProperties?.private ?? undefined, query.privateExtendedProperty)) return false;
      if (!matchesProperties(event.extendedProperties?.shared ?? undefined, query.sharedExtendedProperty)) return false;
      if (text !== undefined && !searchableText(event).includes(text)) return false;
      return true;
    });
    if (query.orderBy === 'startTime') {
      events = [...events].sort((a, b) => (a.start ? instantOf(a.start, zone) : 0) - (b.start ? instantOf(b.start, zone) : 0));
    } else if (query.orderBy === 'updated') {
      events = [...events].sort((a, b) => Date.parse(a.updated ?? '') - Date.parse(b.updated ?? ''));
    }
    return structuredClone(events);
  }

  // ---- free/busy -------------------------------------------------------------------------

  /** Merged busy periods of a calendar within [timeMin, timeMax), written in `zone`. */
  busyPeriods(calendarId: string, timeMin: number, timeMax: number, zone: string): { start: string; end: string }[] {
    const calendar = this.requireCalendar(calendarId);
    const intervals: [number, number][] = [];
    for (const event of calendar.events) {
      if (event.status === 'cancelled' || event.transparency === 'transparent' || !event.start || !event.end) continue;
      const own = event.attendees?.find((attendee) => attendee.email?.toLowerCase() === calendar.id);
      if (own?.responseStatus === 'declined') continue;
      intervals.push([instantOf(event.start, calendar.timeZone), instantOf(event.end, calendar.timeZone)]);
    }
    for (const block of calendar.busy) intervals.push([parseInstant(block.start), parseInstant(block.end)]);
    const clipped = intervals
      .map(([start, end]): [number, number] => [Math.max(start, timeMin), Math.min(end, timeMax)])
      .filter(([start, end]) => start < end)
      .sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const interval of clipped) {
      const last = merged.at(-1);
      if (last && interval[0] <= last[1]) last[1] = Math.max(last[1], interval[1]);
      else merged.push([...interval]);
    }
    return merged.map(([start, end]) => ({ start: formatInZone(start, zone), end: formatInZone(end, zone) }));
  }

  // ---- what a user does in Google Calendar (control operations) -----------------------------

  addBusyBlock(calendarId: string, block: { start: string; end: string; label?: string }): BusyBlock {
    const calendar = this.ensureCalendar(calendarId);
    if (parseInstant(block.end) <= parseInstant(block.start)) throw new RangeError('a busy block must end after it starts');
    const stored: BusyBlock = { id: randomBytes(6).toString('hex'), start: block.start, end: block.end, ...(block.label ? { label: block.label } : {}) };
    calendar.busy.push(stored);
    this.onChange();
    return stored;
  }

  setAttendeeResponse(calendarId: string, eventId: string, email: string, responseStatus: 'needsAction' | 'declined' | 'tentative' | 'accepted', comment?: string): CalendarEvent {
    const { calendar, event: before } = this.requireEvent(calendarId, eventId);
    const index = before.attendees?.findIndex((attendee) => attendee.email?.toLowerCase() === email.toLowerCase()) ?? -1;
    if (index < 0) throw new RangeError(`${email} is not an attendee of event ${eventId}`);
    const after = structuredClone(before);
    const attendee = after.attendees?.[index] as EventAttendee;
    attendee.responseStatus = responseStatus;
    if (comment !== undefined) attendee.comment = comment;
    after.updated = toRfc3339(this.now());
    this.commit(calendar, after);
    if (email.toLowerCase() !== calendar.id) {
      this.record({ kind: 'reply', calendar, event: after, to: calendar.id, from: email.toLowerCase(), via: 'control' });
    }
    return structuredClone(after);
  }

  /** The organizer moves the event in Google Calendar (sequence and updated move on). */
  moveEvent(calendarId: string, eventId: string, start: EventDateTime, end: EventDateTime, notifyAttendees: boolean): CalendarEvent {
    const { calendar, event: before } = this.requireEvent(calendarId, eventId);
    const after = { ...structuredClone(before), start, end };
    return this.replace(calendar, before, after, undefined, { sendUpdates: notifyAttendees ? 'all' : 'none', conferenceDataVersion: 0 }, 'control');
  }

  cancelEvent(calendarId: string, eventId: string, notifyAttendees: boolean): void {
    this.deleteEvent(calendarId, eventId, notifyAttendees ? 'all' : 'none', 'control');
  }

  listNotifications(filter: { calendarId?: string; eventId?: string; to?: string; kind?: NotificationKind } = {}): Notification[] {
    return this.notifications.filter(
      (notification) =>
        (filter.calendarId === undefined || notification.calendarId === filter.calendarId.toLowerCase()) &&
        (filter.eventId === undefined || notification.eventId === filter.eventId) &&
        (filter.to === undefined || notification.to === filter.to.toLowerCase()) &&
        (filter.kind === undefined || notification.kind === filter.kind),
    );
  }

  // ---- sync tokens ---------------------------------------------------------------------------

  /** The position a sync token records; tokens from another epoch are no longer valid. */
  syncPosition(): { epoch: string; counter: number } {
    return { epoch: this.syncEpoch, counter: this.changeCounter };
  }

  /** Makes every sync token handed out so far invalid (410 fullSyncRequired), as Google may. */
  invalidateSyncTokens(): void {
    this.syncEpoch = randomBytes(4).toString('hex');
    this.onChange();
  }

  // ---- persistence ---------------------------------------------------------------------------

  snapshot(): CalendarStoreSnapshot {
    return structuredClone({ calendars: Object.fromEntries(this.calendars), notifications: this.notifications, changeCounter: this.changeCounter, syncEpoch: this.syncEpoch });
  }

  restore(snapshot: CalendarStoreSnapshot): void {
    this.calendars = new Map(Object.entries(structuredClone(snapshot.calendars)));
    this.notifications = structuredClone(snapshot.notifications);
    this.changeCounter = snapshot.changeCounter;
    this.syncEpoch = snapshot.syncEpoch;
  }

  reset(): void {
    this.calendars.clear();
    this.notifications = [];
    this.changeCounter = 0;
    this.invalidateSyncTokens();
  }

  // ---- internals -----------------------------------------------------------------------------

  private requireCalendar(calendarId: string): CalendarRecord {
    const calendar = this.findCalendar(calendarId);
    if (!calendar) throw apiErrors.notFound();
    return calendar;
  }

  private requireEvent(calendarId: string, eventId: string): { calendar: CalendarRecord; event: CalendarEvent } {
    const calendar = this.requireCalendar(calendarId);
    const event = calendar.events.find((candidate) => candidate.id === eventId);
    if (!event) throw apiErrors.notFound();
    return { calendar, event };
  }

  private replace(
    calendar: CalendarRecord,
    before: CalendarEvent,
    candidate: CalendarEvent,
    requestedConference: CalendarEvent['conferenceData'] | undefined,
    options: WriteOptions,
    via: 'api' | 'control',
  ): CalendarEvent {
    const after = withoutNulls(candidate);
    const attendees = normalizeAttendees(after.attendees, calendar.id, before.attendees);
    if (attendees) after.attendees = attendees;
    else delete after.attendees;
    this.applyConference(after, requestedConference, before.conferenceData ?? undefined, options.conferenceDataVersion);
    checkEvent(after, calendar.timeZone);
    const current = before.sequence ?? 0;
    if (typeof after.sequence === 'number' && after.sequence !== current) {
      if (after.sequence < current) {
        throw apiErrors.invalid('Invalid sequence value. The specified sequence number is below the current sequence number of the resource.');
      }
    } else {
      after.sequence = isRescheduling(before, after) ? current + 1 : current;
    }
    after.updated = toRfc3339(Math.max(this.now(), Date.parse(before.updated ?? '') + 1));
    this.commit(calendar, after);
    this.notify(calendar, before, after, options.sendUpdates, via);
    return structuredClone(after);
  }

  private applyConference(event: CalendarEvent, requested: CalendarEvent['conferenceData'] | undefined, existing: CalendarEvent['conferenceData'] | undefined, version: number): void {
    const conference = resolveConference(requested ?? undefined, existing ?? undefined, version);
    if (conference) {
      event.conferenceData = conference;
      const link = videoLink(conference);
      if (link?.startsWith('https://meet.google.com/')) event.hangoutLink = link;
    } else {
      delete event.conferenceData;
      delete event.hangoutLink;
    }
  }

  private commit(calendar: CalendarRecord, event: CalendarEvent): void {
    this.changeCounter += 1;
    const id = event.id ?? '';
    event.etag = `"${Date.parse(event.updated ?? '') * 1000 + (this.changeCounter % 1000)}"`;
    const index = calendar.events.findIndex((candidate) => candidate.id === id);
    if (index >= 0) calendar.events[index] = event;
    else calendar.events.push(event);
    calendar.changes[id] = this.changeCounter;
    calendar.updated = event.updated ?? calendar.updated;
    this.onChange();
  }

  /**
   * The emails Google sends for a change, per `sendUpdates`: new attendees get an invitation,
   * remaining ones an update when the event was rescheduled or its details changed, removed ones
   * (or everyone, when the event is cancelled) a cancellation. The organizer gets nothing.
   */
  private notify(calendar: CalendarRecord, before: CalendarEvent | undefined, after: CalendarEvent, sendUpdates: SendUpdates, via: 'api' | 'control'): void {
    if (sendUpdates === 'none') return;
    const organizer = calendar.id;
    const domain = organizer.split('@')[1];
    const recipients = (event: CalendarEvent | undefined): Set<string> =>
      new Set(
        (event?.attendees ?? [])
          .filter((attendee) => !attendee.resource && attendee.email && attendee.email.toLowerCase() !== organizer)
          .map((attendee) => (attendee.email as string).toLowerCase())
          .filter((email) => sendUpdates === 'all' || email.split('@')[1] !== domain),
      );
    const was = before && before.status !== 'cancelled' ? recipients(before) : new Set<string>();
    const now = recipients(after);
    const send = (kind: NotificationKind, to: string): void => this.record({ kind, calendar, event: after, to, from: organizer, via });
    if (after.status === 'cancelled') {
      for (const to of was) send('cancellation', to);
      return;
    }
    // Attendees who were already invited hear nothing unless something they see changed.
    const changed = before !== undefined && detailsChanged(before, after);
    for (const to of now) {
      if (!was.has(to)) send('invitation', to);
      else if (changed) send('update', to);
    }
    for (const to of was) if (!now.has(to)) send('cancellation', to);
  }

  private record(input: { kind: NotificationKind; calendar: CalendarRecord; event: CalendarEvent; to: string; from: string; via: 'api' | 'control' }): void {
    this.notifications.push({
      kind: input.kind,
      calendarId: input.calendar.id,
      eventId: input.event.id ?? '',
      to: input.to,
      from: input.from,
      summary: input.event.summary ?? undefined,
      start: input.event.start ?? undefined,
      sequence: input.event.sequence ?? 0,
      sentAt: toRfc3339(this.now()),
      via: input.via,
    });
    this.onChange();
  }
}

function detailsChanged(before: CalendarEvent, after: CalendarEvent): boolean {
  const visible = (event: CalendarEvent) =>
    JSON.stringify([event.summary, event.description, event.location, event.start, event.end, event.recurrence, event.conferenceData?.conferenceId, event.status]);
  return visible(before) !== visible(after);
}

function matchesProperties(properties: Record<string, string> | undefined, constraints: readonly string[] | undefined): boolean {
  for (const constraint of constraints ?? []) {
    const separator = constraint.indexOf('=');
    const key = separator < 0 ? constraint : constraint.slice(0, separator);
    const value = separator < 0 ? '' : constraint.slice(separator + 1);
    if (properties?.[key] !== value) return false;
  }
  return true;
}

function searchableText(event: CalendarEvent): string {
  const people = (event.attendees ?? []).flatMap((attendee) => [attendee.email, attendee.displayName]);
  return [event.summary, event.description, event.location, event.organizer?.email, ...people].filter(Boolean).join('\n').toLowerCase();
}
