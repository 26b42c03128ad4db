import { naturalName, type Person } from '../message/person.ts';
import type { FollowUpState } from '../followup/follow-up-state.ts';
import type { IntroductionStatus } from './status.ts';

export type { IntroductionStatus };

/** A person with an address, as stored on an introduction. */
export interface Contact {
  readonly email: string;
  readonly name: string | null;
}

/** What a booking that has started is waiting for, if anything. */
export type BookingWait =
  | 'calendar_connection'
  | 'calendar_reconnect'
  | 'booking'
  | 'free_slot'
  | 'prospect_choice'
  | 'declined'
  | 'cancelled';

export interface BookingState {
  /** The partner whose calendar the meeting goes in. */
  readonly calendarOwner: string;
  /** The person invited. */
  readonly prospect: string;
  /** A declined or cancelled meeting starts a new round, and so a new event id. */
  readonly round: number;
  readonly waitingFor: BookingWait | null;
  /** Slots offered to the prospect in propose mode (ISO instants). */
  readonly proposedSlots: readonly { readonly start: string; readonly end: string }[];
}

/** The booked appointment, as recorded from the calendar event. Times are ISO 8601 instants. */
export interface Meeting {
  readonly start: string;
  readonly end: string;
  /** The calendar owner's IANA time zone, used to speak about the meeting. */
  readonly timeZone: string;
  readonly eventId: string;
  /** The partner in whose calendar the event lives. */
  readonly calendarOwner: string;
  /** The person invited (the prospect), and the introducer when invited. */
  readonly attendees: readonly string[];
  readonly videoLink: string | null;
  readonly htmlLink: string | null;
}

export interface Introduction {
  readonly id: string;
  readonly introducer: Contact;
  readonly parties: readonly Contact[];
  readonly forwardedBy: Contact | null;
  /** The registered partner this introduction belongs to: who gets the confirmation. */
  readonly owner: string;
  readonly subject: string;
  /** What the introducer wrote, trimmed: the context the meeting invitation carries. */
  readonly context: string;
  /** RFC Message-ID of the message that made the introduction, when it had one. */
  readonly messageId: string | null;
  /** The introduction this one was made in reply to, when a reply introduced someone new. */
  readonly repliesTo: string | null;
  readonly status: IntroductionStatus;
  readonly createdAt: string;
  /** Set once the appointment is booked. */
  readonly meeting?: Meeting | null;
  /** Where booking stands, once it has started. */
  readonly booking?: BookingState | null;
  /** What follow-through keeps: questions due, updates owed to the introducer, closed business. */
  readonly followUp?: FollowUpState | null;
  /** Counts writes of `followUp`: a write conditional on the revision read never overwrites a newer one. */
  readonly followUpRevision?: number;
  /** The delivery that created it, and where its raw message is kept. */
  readonly deliveryId: string;
  readonly rawLocation: string;
}

export type IntroductionEventType =
  | 'captured'
  | 'reply_received'
  | 'booking_waiting'
  | 'booking_skipped'
  | 'meeting_booked'
  | 'meeting_moved'
  | 'meeting_declined'
  | 'meeting_cancelled'
  | 'slots_proposed'
  | 'status_changed'
  | 'reminder_set'
  | 'nudge_sent'
  | 'outcome_asked'
  | 'close_asked'
  | 'update_sent'
  | 'referral_ask_prompted';

export interface IntroductionEvent {
  readonly introductionId: string;
  readonly at: string;
  readonly type: IntroductionEventType;
  /** Who caused it: a person's address, or 'system'. */
  readonly by: string;
  readonly how: 'automatic' | 'email' | 'cli' | 'reply' | 'link';
  readonly detail: string;
  /**
   * What caused it (the delivery id of an email, the id of a booking step...). Part of the
   * event's key, so a retry of the same cause rewrites the same event instead of adding one.
   */
  readonly sourceId: string;
}

export function contactFrom(person: Person): Contact | null {
  return person.address ? { email: person.address, name: person.name } : null;
}

/** How to name someone in an email: their display name, else a name read off jane.doe@..., else the address. */
export function contactLabel(contact: Contact): string {
  return contact.name ? naturalName(contact.name) : (nameFromAddress(contact.email) ?? contact.email);
}

/** "Jane Doe" from jane.doe@example.com or jane_doe@...; null when the local part is not two or three name-like words. */
export function nameFromAddress(email: string): string | null {
  const words = (email.split('@')[0] ?? '').split(/[._]/);
  if (words.length < 2 || words.length > 3 || !words.every((word) => /^[a-z]{2,}(-[a-z]{2,})?$/i.test(word))) return null;
  const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
  return words.map((word) => word.split('-').map(capitalize).join('-')).join(' ');
}
