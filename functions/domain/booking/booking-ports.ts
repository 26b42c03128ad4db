import type { BookingState, Introduction, IntroductionEvent, Meeting } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import type { Partner } from '../partners/partner.ts';
import type { CalendarPort } from './calendar-port.ts';

/**
 * Persistence the booking needs. Every change is conditional on the status it expects, and the
 * history event is written with it in one transaction, so a retry or a race changes nothing twice.
 */
export interface BookingStore {
  getIntroduction(id: string): Promise<Introduction | null>;
  /**
   * Moves a bookable introduction to `awaiting_booking` with this booking state. `unchanged` when
   * it already waits for the same thing (no event is written then); `not_bookable` when its
   * status is no longer introduced or awaiting_booking.
   */
  setWaiting(id: string, booking: BookingState, event: IntroductionEvent): Promise<'changed' | 'unchanged' | 'not_bookable'>;
  /** Records the booked meeting, only while the introduction is still bookable. */
  recordMeeting(id: string, meeting: Meeting, booking: BookingState, event: IntroductionEvent): Promise<'recorded' | 'not_bookable'>;
  /** Records a change seen in the calendar, only while the meeting with this event id is the booked one. */
  recordMeetingChange(
    id: string,
    expectedEventId: string,
    change: { status: IntroductionStatus; meeting: Meeting | null; booking: BookingState },
    event: IntroductionEvent,
  ): Promise<boolean>;
  /** Writes a history event once (keyed by its source id). */
  addEvent(event: IntroductionEvent): Promise<void>;
  /** Booked meetings that have not ended yet at `now`, for the regular check against the calendar. */
  listUpcomingMeetings(now: Date): Promise<Introduction[]>;
  /** Introductions waiting for this partner's calendar (to resume after they reconnect). */
  listWaitingFor(calendarOwner: string): Promise<Introduction[]>;
}

export interface BookingPartners {
  getPartner(email: string): Promise<Partner | null>;
  /** Marks the connection of this generation disconnected; false when a newer connection exists. */
  markCalendarDisconnected(email: string, generation: number, reason: string, at: Date): Promise<boolean>;
}

/** A calendar for one partner's credentials. Rejects with `CalendarAuthorizationError` when none work. */
export interface CalendarAccess {
  forPartner(partner: Partner): Promise<CalendarPort>;
}

/** The one-click links booking emails carry, signed and expiring. */
export interface BookingLinks {
  connectCalendar(partner: Partner): string;
  bookSlot(introductionId: string, slot: { start: Date; end: Date }): string;
  rebook(introductionId: string): string;
}
