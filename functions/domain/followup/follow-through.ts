import type { BookingDependencies } from '../booking/book-introduction.ts';
import type { BookingLinks, BookingPartners } from '../booking/booking-ports.ts';
import type { Contact, Introduction, IntroductionEvent } from '../introductions/introduction.ts';
import { sendOnce, type MailSender, type OutboundEmail, type Outbox } from '../outbound/outbound-email.ts';
import type { Partner } from '../partners/partner.ts';
import type { Clock } from '../shared/clock.ts';
import type { JobScheduler } from '../schedules/scheduler-port.ts';
import type { PairViewStore } from '../pairs/pair-view.ts';
import type { FollowUpLinks, FollowUpStore, PairStore } from './follow-up-ports.ts';

/** Everything follow-through runs on. */
export interface FollowThroughDependencies {
  readonly store: FollowUpStore;
  readonly pairs: PairStore;
  /** The weekly check-in's read model in each pair's partition, and its emails' outbox. */
  readonly pairViews: PairViewStore;
  readonly partners: BookingPartners & { listPartners?(): Promise<Partner[]> };
  readonly scheduler: JobScheduler;
  readonly outbox: Outbox;
  readonly sender: MailSender;
  readonly links: FollowUpLinks & BookingLinks;
  readonly clock: Clock;
  /** One-to-ones are booked through the booking capability's calendars and stores. */
  readonly booking: BookingDependencies;
  /** Replies to recurring emails come back here. */
  readonly captureAddress: string;
}

/**
 * The partner who received the introduction and must act on it: whose calendar the meeting is
 * in, or else the first introduced person who is a partner. Null when no introduced person is.
 */
export async function receivingPartner(introduction: Introduction, partners: BookingPartners): Promise<Partner | null> {
  const owner = introduction.booking?.calendarOwner;
  if (owner) {
    const partner = await partners.getPartner(owner);
    if (partner) return partner;
  }
  for (const party of introduction.parties) {
    const partner = await partners.getPartner(party.email);
    if (partner) return partner;
  }
  return null;
}

/** The person introduced to the receiving partner. */
export function prospectOf(introduction: Introduction, partnerEmail: string): Contact {
  const named = introduction.booking?.prospect;
  return (
    introduction.parties.find((party) => party.email === named && party.email !== partnerEmail) ??
    introduction.parties.find((party) => party.email !== partnerEmail) ??
    introduction.parties[0] ?? { email: 'unknown', name: null }
  );
}

/**
 * Sends a follow-through email once. A reply comes back to the capture address (the only address
 * the receipt rule delivers) and is recorded against the introduction or pair, unless the email
 * says where replies go (an update to the introducer: to the partner).
 */
export async function send(email: OutboundEmail, dependencies: FollowThroughDependencies): Promise<'sent' | 'already_sent'> {
  const replies: OutboundEmail = email.replyTo?.length ? email : { ...email, replyTo: [{ email: dependencies.captureAddress, name: null }] };
  return sendOnce(replies, { outbox: dependencies.outbox, sender: dependencies.sender, now: () => dependencies.clock.now() });
}

export function historyEvent(
  introduction: Introduction,
  dependencies: Pick<FollowThroughDependencies, 'clock'>,
  event: Pick<IntroductionEvent, 'type' | 'detail' | 'sourceId'> & Partial<Pick<IntroductionEvent, 'by' | 'how'>>,
): IntroductionEvent {
  return { introductionId: introduction.id, at: dependencies.clock.now().toISOString(), by: 'system', how: 'automatic', ...event };
}
