import type { InboundRecord } from '../../functions/domain/capture/model.ts';
import type { Introduction } from '../../functions/domain/introductions/introduction.ts';
import type { Partner } from '../../functions/domain/partners/partner.ts';
import type { OutboxEntry } from '../../functions/adapters/dynamodb/outbox-store.ts';

/** The JSON Lines shapes of the list commands: addresses lower-case, lists sorted, null where absent. */
export function introductionRecord(introduction: Introduction) {
  return {
    id: introduction.id,
    introducer: introduction.introducer.email,
    parties: introduction.parties.map((party) => party.email).sort(),
    forwardedBy: introduction.forwardedBy?.email ?? null,
    status: introduction.status,
    createdAt: introduction.createdAt,
    messageId: introduction.messageId,
    subject: introduction.subject,
    owner: introduction.owner,
    meeting: introduction.meeting
      ? {
          start: introduction.meeting.start,
          end: introduction.meeting.end,
          timeZone: introduction.meeting.timeZone,
          eventId: introduction.meeting.eventId,
          calendarOwner: introduction.meeting.calendarOwner,
          videoLink: introduction.meeting.videoLink,
        }
      : null,
    waitingFor: introduction.booking?.waitingFor ?? null,
  };
}

export function outboxRecord(entry: OutboxEntry) {
  return {
    to: entry.to,
    subject: entry.subject,
    purpose: entry.purpose,
    status: entry.status,
    sentAt: entry.sentAt,
    messageId: entry.messageId,
    introductionId: entry.introductionId,
  };
}

export function partnerRecord(partner: Partner) {
  const calendar = partner.calendar;
  return {
    email: partner.email,
    name: partner.name,
    timeZone: partner.timeZone,
    createdAt: partner.createdAt,
    // Never the sealed token: only whether and how the calendar is connected.
    calendar: calendar ? { status: calendar.status, method: calendar.method, connectedAt: calendar.connectedAt, disconnectedAt: calendar.disconnectedAt } : null,
  };
}

export function inboundRecord(inbound: InboundRecord) {
  return {
    deliveryId: inbound.deliveryId,
    receivedAt: inbound.receivedAt,
    outcome: inbound.outcome,
    kind: inbound.kind,
    introductionId: inbound.introductionId,
    sender: inbound.sender,
    subject: inbound.subject,
    reasons: inbound.reasons,
    rawLocation: inbound.rawLocation,
  };
}
