import { contactLabel, type BookingState, type BookingWait, type Contact, type Introduction, type IntroductionEvent, type Meeting } from '../introductions/introduction.ts';
import { isBookable } from '../introductions/status.ts';
import { sendOnce, type MailSender, type Outbox } from '../outbound/outbound-email.ts';
import { effectiveBookingPreferences, isCalendarConnected, type Partner } from '../partners/partner.ts';
import type { Clock } from '../shared/clock.ts';
import { checkSlot, findFreeSlots, freeBusyQueryWindow, type Interval } from './availability.ts';
import type { BookingPreferences } from './booking-preferences.ts';
import { connectCalendarEmail, formatSlot, noFreeSlotEmail, slotProposalEmail } from './booking-emails.ts';
import type { BookingLinks, BookingPartners, BookingStore, CalendarAccess } from './booking-ports.ts';
import { CalendarAuthorizationError, CalendarUnavailableError, type CalendarEvent, type CalendarPort } from './calendar-port.ts';
import { meetingEventId, meetingVideoRequestId } from './google-ids.ts';
import { localDateOf } from './time-zones.ts';

export interface BookingDependencies {
  readonly store: BookingStore;
  readonly partners: BookingPartners;
  readonly calendars: CalendarAccess;
  readonly outbox: Outbox;
  readonly sender: MailSender;
  readonly links: BookingLinks;
  readonly clock: Clock;
}

export type BookingResult =
  | { readonly outcome: 'booked'; readonly meeting: Meeting }
  | { readonly outcome: 'already_booked'; readonly meeting: Meeting | null }
  | { readonly outcome: 'proposed'; readonly slots: readonly Interval[] }
  | { readonly outcome: 'slot_taken'; readonly alternatives: readonly Interval[] }
  /** The time is not among those currently offered (an older proposal, or the meeting moved on). */
  | { readonly outcome: 'no_longer_offered' }
  | {
      readonly outcome: 'not_found' | 'not_bookable' | 'no_partner' | 'booking_off' | 'waiting_for_calendar' | 'calendar_disconnected' | 'no_free_slot';
    };

/** The calendar events go in: the partner's primary calendar. */
const CALENDAR_ID = 'primary';
/** In propose mode the prospect gets this many times to choose from. */
export const PROPOSED_SLOT_COUNT = 3;

/**
 * Books an introduction's meeting in the calendar of the introduced party who is a connected
 * partner, exactly once: the event id is derived from the introduction, so a retry after any
 * crash finds (or is refused) the event it already made and records that one.
 */
export async function bookIntroduction(
  introductionId: string,
  dependencies: BookingDependencies,
  options: { readonly rebook?: boolean } = {},
): Promise<BookingResult> {
  const introduction = await dependencies.store.getIntroduction(introductionId);
  if (!introduction) return { outcome: 'not_found' };
  if (introduction.status === 'meeting_booked') return { outcome: 'already_booked', meeting: introduction.meeting ?? null };
  if (!isBookable(introduction.status)) return { outcome: 'not_bookable' };
  // After a decline or a cancellation only the partner's "find another time" books again, never a stray trigger.
  const waitingFor = introduction.booking?.waitingFor;
  if ((waitingFor === 'declined' || waitingFor === 'cancelled') && !options.rebook) return { outcome: 'not_bookable' };

  const choice = await chooseCalendarOwner(introduction, dependencies.partners);
  if (!choice) {
    await dependencies.store.addEvent(
      event(introduction, dependencies, 'booking_skipped', 'neither introduced person is a registered partner, so nothing is booked', 'skip:no-partner'),
    );
    return { outcome: 'no_partner' };
  }
  const { owner, prospect } = choice;
  const preferences = effectiveBookingPreferences(owner);
  if (preferences.bookingMode === 'off') {
    await dependencies.store.addEvent(event(introduction, dependencies, 'booking_skipped', `${owner.email} has booking turned off`, `skip:off:${owner.email}`));
    return { outcome: 'booking_off' };
  }
  const round = introduction.booking?.round ?? 0;
  const state = (waitingFor: BookingWait | null, proposedSlots: readonly Interval[] = []): BookingState => ({
    calendarOwner: owner.email,
    prospect: prospect.email,
    round,
    waitingFor,
    proposedSlots: proposedSlots.map((slot) => ({ start: slot.start.toISOString(), end: slot.end.toISOString() })),
  });

  if (!isCalendarConnected(owner)) {
    const reconnect = owner.calendar !== undefined && owner.calendar !== null;
    const waitingFor = reconnect ? 'calendar_reconnect' : 'calendar_connection';
    if (!(await wait(introduction, state(waitingFor), `waiting for ${owner.email} to ${reconnect ? 're' : ''}connect their calendar`, dependencies))) return { outcome: 'not_bookable' };
    await send(connectCalendarEmail(owner, introduction, prospect, dependencies.links.connectCalendar(owner), reconnect), dependencies);
    return { outcome: 'waiting_for_calendar' };
  }

  if (!(await wait(introduction, state('booking'), `booking in ${owner.email}'s calendar`, dependencies))) return { outcome: 'not_bookable' };
  try {
    const calendar = await dependencies.calendars.forPartner(owner);
    // A retry after a crash between creating the event and recording it finds the event here.
    const existing = await calendar.getEvent(CALENDAR_ID, meetingEventId(introduction.id, round));
    if (existing && existing.status !== 'cancelled') return await record(introduction, owner, existing, state(null), preferences, dependencies);

    const now = dependencies.clock.now();
    const busy = await busyTime(calendar, preferences, now);
    const slots = busy === null ? [] : preferences.bookingMode === 'propose' ? proposals(now, preferences, busy) : findFreeSlots({ now, preferences, busy, count: 1 });
    if (slots.length === 0) {
      await wait(introduction, state('free_slot'), `no free time in the next ${preferences.horizonBusinessDays} business days`, dependencies);
      await send(noFreeSlotEmail(owner, introduction, prospect, preferences.horizonBusinessDays), dependencies);
      return { outcome: 'no_free_slot' };
    }
    if (preferences.bookingMode === 'propose') {
      await wait(introduction, state('prospect_choice', slots), `offered ${prospect.email} ${slots.length} times`, dependencies, 'slots_proposed');
      const links = slots.map((slot) => ({ slot, url: dependencies.links.bookSlot(introduction.id, slot) }));
      await send(slotProposalEmail(owner, introduction, prospect, links, preferences.meetingMinutes, preferences.videoLink), dependencies);
      return { outcome: 'proposed', slots };
    }
    const [slot] = slots as [Interval];
    return await createAndRecord(introduction, owner, prospect, slot, state(null), preferences, calendar, dependencies);
  } catch (error) {
    if (error instanceof CalendarAuthorizationError) {
      return disconnect(introduction, owner, prospect, state('calendar_reconnect'), error, dependencies, () => bookIntroduction(introductionId, dependencies, options));
    }
    throw error;
  }
}

/**
 * The prospect chose one of the proposed times (a POST from the slot page). Books it after
 * checking it is still free; if it was taken meanwhile, offers the next free times instead.
 */
export async function bookProposedSlot(introductionId: string, slot: Interval, dependencies: BookingDependencies): Promise<BookingResult> {
  const introduction = await dependencies.store.getIntroduction(introductionId);
  if (!introduction) return { outcome: 'not_found' };
  if (introduction.status === 'meeting_booked') return { outcome: 'already_booked', meeting: introduction.meeting ?? null };
  const booking = introduction.booking;
  if (!isBookable(introduction.status) || !booking) return { outcome: 'not_bookable' };
  const owner = await dependencies.partners.getPartner(booking.calendarOwner);
  const prospect = introduction.parties.find((party) => party.email === booking.prospect);
  if (!owner || !prospect) return { outcome: 'not_bookable' };
  // Only a time on offer now books: a link from an earlier proposal, or after a decline, does not.
  if (!isSlotOffered(introduction, slot)) return { outcome: 'no_longer_offered' };
  if (!isCalendarConnected(owner)) return { outcome: 'waiting_for_calendar' };
  const preferences = effectiveBookingPreferences(owner);
  try {
    const calendar = await dependencies.calendars.forPartner(owner);
    const existing = await calendar.getEvent(CALENDAR_ID, meetingEventId(introduction.id, booking.round));
    if (existing && existing.status !== 'cancelled') return await record(introduction, owner, existing, { ...booking, waitingFor: null }, preferences, dependencies);

    const now = dependencies.clock.now();
    const busy = await calendar.busy({
      calendars: preferences.busyCalendars,
      timeMin: new Date(slot.start.getTime() - preferences.bufferMinutes * 60_000),
      timeMax: new Date(slot.end.getTime() + preferences.bufferMinutes * 60_000),
    });
    const check = checkSlot({ now, preferences, busy, slot });
    // A time offered earlier may now be inside the notice period: the prospect chose it, so honour it while it is still ahead.
    const stillFree = check.free || (check.reason === 'too_soon' && slot.start > now);
    if (!stillFree) {
      const wider = await busyTime(calendar, preferences, now);
      const alternatives = wider === null ? [] : proposals(now, preferences, wider);
      // The new times are what is on offer now; the taken one no longer is.
      const offered = { ...booking, proposedSlots: alternatives.map((item) => ({ start: item.start.toISOString(), end: item.end.toISOString() })) };
      await dependencies.store.setWaiting(introduction.id, offered, event(introduction, dependencies, 'slots_proposed', `offered ${alternatives.length} new times`, `reoffered:${booking.round}:${slot.start.toISOString()}`));
      return { outcome: 'slot_taken', alternatives };
    }
    return await createAndRecord(introduction, owner, prospect, slot, { ...booking, waitingFor: null }, preferences, calendar, dependencies);
  } catch (error) {
    if (error instanceof CalendarAuthorizationError) {
      return disconnect(introduction, owner, prospect, { ...booking, waitingFor: 'calendar_reconnect' }, error, dependencies, () => bookProposedSlot(introductionId, slot, dependencies));
    }
    throw error;
  }
}

/** Whether this time is among those the prospect was offered in the current round. */
export function isSlotOffered(introduction: Introduction, slot: Interval): boolean {
  const booking = introduction.booking;
  if (introduction.status !== 'awaiting_booking' || booking?.waitingFor !== 'prospect_choice') return false;
  return booking.proposedSlots.some((offered) => offered.start === slot.start.toISOString() && offered.end === slot.end.toISOString());
}

/** After a declined or cancelled meeting, the partner asked for another time: a new round. */
export async function rebookIntroduction(introductionId: string, dependencies: BookingDependencies): Promise<BookingResult> {
  const introduction = await dependencies.store.getIntroduction(introductionId);
  if (!introduction) return { outcome: 'not_found' };
  if (introduction.status === 'meeting_booked') return { outcome: 'already_booked', meeting: introduction.meeting ?? null };
  return bookIntroduction(introductionId, dependencies, { rebook: true });
}

async function createAndRecord(
  introduction: Introduction,
  owner: Partner,
  prospect: Contact,
  slot: Interval,
  booking: BookingState,
  preferences: BookingPreferences,
  calendar: CalendarPort,
  dependencies: BookingDependencies,
): Promise<BookingResult> {
  const eventId = meetingEventId(introduction.id, booking.round);
  // Everyone introduced is invited (the prospect first); the partner is the organizer.
  const attendees = [prospect, ...introduction.parties.filter((party) => party.email !== owner.email && party.email !== prospect.email)].map((party) => ({
    email: party.email,
    name: party.name,
  }));
  if (preferences.inviteIntroducer && introduction.introducer.email !== owner.email && introduction.introducer.email !== prospect.email) {
    attendees.push({ email: introduction.introducer.email, name: introduction.introducer.name });
  }
  const created = await calendar.createEvent({
    id: eventId,
    calendarId: CALENDAR_ID,
    summary: meetingTitle(introduction, owner, prospect),
    description: meetingDescription(introduction, owner),
    start: slot.start,
    end: slot.end,
    timeZone: preferences.timeZone,
    attendees,
    videoRequestId: preferences.videoLink ? meetingVideoRequestId(introduction.id, booking.round) : null,
  });
  // "Already exists": an earlier attempt booked it; record that event, never a second one.
  const calendarEvent = created.created ? created.event : await calendar.getEvent(CALENDAR_ID, eventId);
  if (!calendarEvent) throw new CalendarUnavailableError(`event ${eventId} exists but could not be read`);
  return record(introduction, owner, calendarEvent, booking, preferences, dependencies);
}

async function record(
  introduction: Introduction,
  owner: Partner,
  calendarEvent: CalendarEvent,
  booking: BookingState,
  preferences: BookingPreferences,
  dependencies: BookingDependencies,
): Promise<BookingResult> {
  const meeting: Meeting = {
    start: calendarEvent.start.toISOString(),
    end: calendarEvent.end.toISOString(),
    timeZone: preferences.timeZone,
    eventId: calendarEvent.id,
    calendarOwner: owner.email,
    attendees: calendarEvent.attendees.filter((attendee) => !attendee.organizer).map((attendee) => attendee.email),
    videoLink: calendarEvent.videoLink,
    htmlLink: calendarEvent.htmlLink,
  };
  const detail = `${formatSlot(calendarEvent, preferences.timeZone)} (${preferences.timeZone}) in ${owner.email}'s calendar`;
  const result = await dependencies.store.recordMeeting(
    introduction.id,
    meeting,
    { ...booking, waitingFor: null, proposedSlots: [] },
    event(introduction, dependencies, 'meeting_booked', detail, `booked:${calendarEvent.id}`),
  );
  if (result === 'not_bookable') {
    const current = await dependencies.store.getIntroduction(introduction.id);
    return current?.status === 'meeting_booked' ? { outcome: 'already_booked', meeting: current.meeting ?? null } : { outcome: 'not_bookable' };
  }
  return { outcome: 'booked', meeting };
}

async function disconnect(
  introduction: Introduction,
  owner: Partner,
  prospect: Contact,
  booking: BookingState,
  error: CalendarAuthorizationError,
  dependencies: BookingDependencies,
  retry: () => Promise<BookingResult>,
): Promise<BookingResult> {
  const generation = owner.calendar?.generation ?? 0;
  if (!(await dependencies.partners.markCalendarDisconnected(owner.email, generation, error.message, dependencies.clock.now()))) {
    // The partner reconnected while this attempt was using the grant they replaced: the resume
    // that followed their reconnection did not see this introduction waiting, so book it now.
    const current = await dependencies.partners.getPartner(owner.email);
    if (current && isCalendarConnected(current) && (current.calendar?.generation ?? 0) !== generation) return retry();
  }
  await wait(introduction, booking, `${owner.email}'s calendar access was revoked or expired`, dependencies);
  const disconnected: Partner = { ...owner, calendar: owner.calendar ? { ...owner.calendar, status: 'disconnected' } : null };
  await send(connectCalendarEmail(disconnected, introduction, prospect, dependencies.links.connectCalendar(disconnected), true), dependencies);
  return { outcome: 'calendar_disconnected' };
}

/**
 * Whose calendar: the first introduced party (in the order the introducer addressed them) who
 * is a partner with a connected calendar; failing that, the first who is a partner at all (the
 * booking then waits for them to connect). Null when no party is a partner.
 */
export async function chooseCalendarOwner(introduction: Introduction, partners: BookingPartners): Promise<{ owner: Partner; prospect: Contact } | null> {
  const candidates: { partner: Partner; party: Contact }[] = [];
  for (const party of introduction.parties) {
    const partner = await partners.getPartner(party.email);
    if (partner) candidates.push({ partner, party });
  }
  const chosen = candidates.find((candidate) => isCalendarConnected(candidate.partner)) ?? candidates[0];
  if (!chosen) return null;
  const prospect = introduction.parties.find((party) => party.email !== chosen.partner.email);
  return prospect ? { owner: chosen.partner, prospect } : null;
}

/** Candidate slots examined when choosing proposals: a few days' worth of 30-minute steps. */
const PROPOSAL_CANDIDATES = 200;

/** Times to offer: the earliest free slot of each of the next free days, so the choice is real. */
export function proposals(now: Date, preferences: BookingPreferences, busy: readonly Interval[]): Interval[] {
  const byDay = new Map<string, Interval>();
  for (const slot of findFreeSlots({ now, preferences, busy, count: PROPOSAL_CANDIDATES })) {
    const day = localDateOf(slot.start, preferences.timeZone);
    const key = `${day.year}-${day.month}-${day.day}`;
    if (!byDay.has(key)) byDay.set(key, slot);
    if (byDay.size === PROPOSED_SLOT_COUNT) break;
  }
  return [...byDay.values()];
}

/** Busy time for the whole search window, or null when no slot is possible at all. */
async function busyTime(calendar: CalendarPort, preferences: BookingPreferences, now: Date): Promise<Interval[] | null> {
  const window = freeBusyQueryWindow({ now, preferences });
  if (!window) return null;
  return calendar.busy({ calendars: preferences.busyCalendars, ...window });
}

async function wait(
  introduction: Introduction,
  booking: BookingState,
  detail: string,
  dependencies: BookingDependencies,
  type: IntroductionEvent['type'] = 'booking_waiting',
): Promise<boolean> {
  const sourceId = `waiting:${booking.round}:${booking.waitingFor ?? 'none'}`;
  const result = await dependencies.store.setWaiting(introduction.id, booking, event(introduction, dependencies, type, detail, sourceId));
  return result !== 'not_bookable';
}

async function send(email: Parameters<typeof sendOnce>[0], dependencies: BookingDependencies): Promise<void> {
  await sendOnce(email, { outbox: dependencies.outbox, sender: dependencies.sender, now: () => dependencies.clock.now() });
}

function event(introduction: Introduction, dependencies: BookingDependencies, type: IntroductionEvent['type'], detail: string, sourceId: string): IntroductionEvent {
  return { introductionId: introduction.id, at: dependencies.clock.now().toISOString(), type, by: 'system', how: 'automatic', detail, sourceId };
}

/** "Jane Doe <> Bob Roe, introduced by Sam Lee": who met whom, and thanks to whom. */
export function meetingTitle(introduction: Introduction, owner: Partner, prospect: Contact): string {
  const ownerLabel = owner.name ?? contactLabel({ email: owner.email, name: null });
  return `${contactLabel(prospect)} <> ${ownerLabel}, introduced by ${contactLabel(introduction.introducer)}`;
}

export function meetingDescription(introduction: Introduction, owner: Partner): string {
  const introducer = contactLabel(introduction.introducer);
  const lines = [`${introducer} introduced you${introduction.subject ? ` in “${introduction.subject}”` : ''}.`];
  if (introduction.context) lines.push('', `${introducer} wrote:`, ...introduction.context.split('\n').map((line) => `> ${line}`));
  lines.push('', `Booked for ${owner.name ?? owner.email} by Referral desk.`);
  return lines.join('\n');
}

/** A partner (re)connected their calendar: book every introduction that was waiting for it. */
export async function resumeBookings(partnerEmail: string, dependencies: BookingDependencies): Promise<BookingResult[]> {
  const results: BookingResult[] = [];
  for (const introduction of await dependencies.store.listWaitingFor(partnerEmail)) {
    results.push(await bookIntroduction(introduction.id, dependencies));
  }
  return results;
}
