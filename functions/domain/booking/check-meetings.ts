import type { Introduction, IntroductionEvent, Meeting } from '../introductions/introduction.ts';
import { sendOnce } from '../outbound/outbound-email.ts';
import { isCalendarConnected } from '../partners/partner.ts';
import { connectCalendarEmail, formatSlot, meetingChangedEmail, type MeetingChange } from './booking-emails.ts';
import type { BookingDependencies } from './book-introduction.ts';
import { CalendarAuthorizationError, CalendarUnavailableError } from './calendar-port.ts';

export interface MeetingCheckSummary {
  readonly checked: number;
  readonly declined: number;
  readonly moved: number;
  readonly cancelled: number;
  /** Meetings whose calendar could not be read (disconnected partner, provider errors). */
  readonly skipped: number;
}

/**
 * The regular check of upcoming booked meetings against the calendar: an attendee who declined,
 * a meeting moved or cancelled in Google Calendar is noticed, recorded on the introduction and
 * told to the partner, once per change.
 */
export async function checkUpcomingMeetings(dependencies: BookingDependencies): Promise<MeetingCheckSummary> {
  const now = dependencies.clock.now();
  const counts = { checked: 0, declined: 0, moved: 0, cancelled: 0, skipped: 0 };
  for (const introduction of await dependencies.store.listUpcomingMeetings(now)) {
    // One calendar that cannot be read (revoked grant, Google failing for that user) must not stop the check of the others.
    const change = await checkMeeting(introduction, dependencies).catch((error: unknown) => {
      if (error instanceof CalendarAuthorizationError || error instanceof CalendarUnavailableError) return 'skipped' as const;
      throw error;
    });
    counts.checked += 1;
    if (change === 'skipped') counts.skipped += 1;
    else if (change) counts[change] += 1;
  }
  return counts;
}

async function checkMeeting(introduction: Introduction, dependencies: BookingDependencies): Promise<MeetingChange | 'skipped' | null> {
  const meeting = introduction.meeting;
  const booking = introduction.booking;
  if (!meeting || !booking) return null;
  const owner = await dependencies.partners.getPartner(meeting.calendarOwner);
  if (!owner || !isCalendarConnected(owner)) return 'skipped';
  const prospect = introduction.parties.find((party) => party.email === booking.prospect) ?? { email: booking.prospect, name: null };
  const calendar = await dependencies.calendars.forPartner(owner);
  let calendarEvent;
  try {
    calendarEvent = await calendar.getEvent('primary', meeting.eventId);
  } catch (error) {
    if (!(error instanceof CalendarAuthorizationError)) throw error;
    // The grant was revoked: the same as when booking finds it (one reconnect email per connection).
    if (await dependencies.partners.markCalendarDisconnected(owner.email, owner.calendar?.generation ?? 0, error.message, dependencies.clock.now())) {
      const disconnected = { ...owner, calendar: owner.calendar ? { ...owner.calendar, status: 'disconnected' as const } : null };
      await sendOnce(connectCalendarEmail(disconnected, introduction, prospect, dependencies.links.connectCalendar(disconnected), true), {
        outbox: dependencies.outbox,
        sender: dependencies.sender,
        now: () => dependencies.clock.now(),
      });
    }
    return 'skipped';
  }
  const previous = { start: new Date(meeting.start), end: new Date(meeting.end) };

  let kind: MeetingChange | null = null;
  let updated: Meeting | null = meeting;
  if (!calendarEvent || calendarEvent.status === 'cancelled') {
    kind = 'cancelled';
    updated = null;
  } else if (calendarEvent.attendees.some((attendee) => attendee.email === booking.prospect && attendee.response === 'declined')) {
    kind = 'declined';
    updated = null;
  } else if (calendarEvent.start.getTime() !== previous.start.getTime() || calendarEvent.end.getTime() !== previous.end.getTime()) {
    kind = 'moved';
    updated = { ...meeting, start: calendarEvent.start.toISOString(), end: calendarEvent.end.toISOString() };
  }
  if (!kind) return null;

  const now = dependencies.clock.now();
  const sequence = calendarEvent?.sequence ?? 0;
  const detail =
    kind === 'moved' && updated
      ? `moved from ${formatSlot(previous, meeting.timeZone)} to ${formatSlot({ start: new Date(updated.start), end: new Date(updated.end) }, meeting.timeZone)}`
      : `${kind === 'declined' ? `${booking.prospect} declined` : 'cancelled in the calendar'}: ${formatSlot(previous, meeting.timeZone)}`;
  const historyEvent: IntroductionEvent = {
    introductionId: introduction.id,
    at: now.toISOString(),
    type: kind === 'declined' ? 'meeting_declined' : kind === 'moved' ? 'meeting_moved' : 'meeting_cancelled',
    by: kind === 'declined' ? booking.prospect : 'system',
    how: 'automatic',
    detail,
    sourceId: `${kind}:${meeting.eventId}:${sequence}:${updated?.start ?? ''}`,
  };
  // A declined or cancelled meeting waits for a new time in a new round (a new event id).
  const changed = await dependencies.store.recordMeetingChange(
    introduction.id,
    meeting.eventId,
    kind === 'moved'
      ? { status: 'meeting_booked', meeting: updated, booking }
      : { status: 'awaiting_booking', meeting: null, booking: { ...booking, round: booking.round + 1, waitingFor: kind, proposedSlots: [] } },
    historyEvent,
  );
  if (!changed) return null;
  // A declined meeting's event would keep blocking that time in the partner's calendar: remove it.
  if (kind === 'declined') await calendar.deleteEvent('primary', meeting.eventId);
  const slot = updated ? { start: new Date(updated.start), end: new Date(updated.end) } : previous;
  const rebookUrl = kind === 'moved' ? null : dependencies.links.rebook(introduction.id);
  await sendOnce(meetingChangedEmail(owner, introduction, prospect, { kind, slot, previous, eventId: meeting.eventId, sequence }, rebookUrl), {
    outbox: dependencies.outbox,
    sender: dependencies.sender,
    now: () => dependencies.clock.now(),
  });
  return kind;
}
