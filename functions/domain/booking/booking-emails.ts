import { contactLabel, type Contact, type Introduction } from '../introductions/introduction.ts';
import { naturalName } from '../message/person.ts';
import { emailButton, emailPage, firstName } from '../outbound/email-layout.ts';
import type { OutboundEmail } from '../outbound/outbound-email.ts';
import type { Partner } from '../partners/partner.ts';
import { escapeHtml } from '../shared/html.ts';
import type { Interval } from './availability.ts';

/** Emails of the booking capability. Short, one ask each, the link right under it. */

export function connectCalendarEmail(partner: Partner, introduction: Introduction, prospect: Contact, connectUrl: string, reconnect: boolean): OutboundEmail {
  const who = contactLabel(prospect);
  const ask = reconnect ? 'Reconnect your calendar' : 'Connect your calendar';
  const why = reconnect
    ? `I can no longer reach your Google Calendar (access was revoked or expired), so I couldn't book your meeting with ${who}.`
    : `${contactLabel(introduction.introducer)} introduced you to ${who}. To book the meeting for you, I need your Google Calendar, once.`;
  const after = 'It takes a minute; the meeting is booked as soon as you are done, and nothing waiting is lost.';
  return email({
    outboxKey: `${reconnect ? 'calendar_reconnect' : 'calendar_connect'}#${partner.email}#${partner.calendar?.generation ?? 0}`,
    purpose: reconnect ? 'calendar_reconnect' : 'calendar_connect',
    to: partner,
    subject: reconnect ? `Reconnect your calendar to book ${who}` : `Connect your calendar to book ${who}`,
    paragraphs: [`Hi ${firstName(partner)},`, why],
    action: { label: ask, url: connectUrl },
    closing: [after],
    introduction,
  });
}

export function noFreeSlotEmail(partner: Partner, introduction: Introduction, prospect: Contact, horizonBusinessDays: number): OutboundEmail {
  const who = contactLabel(prospect);
  return email({
    outboxKey: `booking_no_slot#${introduction.id}#${introduction.booking?.round ?? 0}`,
    purpose: 'booking_no_slot',
    to: partner,
    subject: `No free time found for ${who}`,
    paragraphs: [
      `Hi ${firstName(partner)},`,
      `I couldn't find a free slot in your working hours in the next ${horizonBusinessDays} business days to meet ${who}. Please reply to ${who} directly with a time that works; the introduction stays open.`,
    ],
    introduction,
  });
}

export function slotProposalEmail(
  owner: Partner,
  introduction: Introduction,
  prospect: Contact,
  slots: readonly { slot: Interval; url: string }[],
  meetingMinutes: number,
  videoLink: boolean,
): OutboundEmail {
  const ownerName = owner.name ? naturalName(owner.name) : contactLabel({ email: owner.email, name: null });
  const introducer = contactLabel(introduction.introducer);
  const kind = videoLink ? `a ${meetingMinutes}-minute video call` : `a ${meetingMinutes}-minute meeting`;
  const times = slots.map(({ slot, url }) => ({ label: formatSlot(slot, owner.timeZone), url }));
  const text = [
    `Hi ${firstName(prospect)},`,
    '',
    `${introducer} introduced you to ${ownerName}. ${firstName({ email: owner.email, name: owner.name })} has these times free for ${kind} (${owner.timeZone} time):`,
    '',
    ...times.map((time) => `  ${time.label}: ${time.url}`),
    '',
    'Pick one and the invitation goes out. None of them work? Just reply.',
  ].join('\n');
  const html = emailPage([
    `<p>Hi ${escapeHtml(firstName(prospect))},</p>`,
    `<p>${escapeHtml(introducer)} introduced you to ${escapeHtml(ownerName)}. ${escapeHtml(firstName({ email: owner.email, name: owner.name }))} has these times free for ${escapeHtml(kind)} (${escapeHtml(owner.timeZone)} time):</p>`,
    `<p>${times.map((time) => emailButton(time.label, time.url)).join('<br>')}</p>`,
    '<p>Pick one and the invitation goes out. None of them work? Just reply.</p>',
  ]);
  return {
    outboxKey: `booking_proposal#${introduction.id}#${introduction.booking?.round ?? 0}`,
    purpose: 'booking_proposal',
    to: [prospect],
    replyTo: [{ email: owner.email, name: owner.name }],
    subject: `${ownerName} would like to meet: pick a time`,
    text,
    html,
    inReplyTo: introduction.messageId,
    references: introduction.messageId ? [introduction.messageId] : [],
    introductionId: introduction.id,
  };
}

export type MeetingChange = 'declined' | 'moved' | 'cancelled';

export function meetingChangedEmail(
  partner: Partner,
  introduction: Introduction,
  prospect: Contact,
  change: { kind: MeetingChange; slot: Interval; previous: Interval; eventId: string; sequence: number },
  rebookUrl: string | null,
): OutboundEmail {
  const who = contactLabel(prospect);
  const when = formatSlot(change.previous, partner.timeZone);
  const sentence =
    change.kind === 'declined'
      ? `${who} declined the meeting on ${when}.`
      : change.kind === 'cancelled'
        ? `The meeting with ${who} on ${when} was cancelled in Google Calendar.`
        : `The meeting with ${who} moved from ${when} to ${formatSlot(change.slot, partner.timeZone)}.`;
  const follow = change.kind === 'moved' ? 'Nothing to do; the introduction is up to date.' : 'The introduction is waiting for a new time.';
  return email({
    outboxKey: `meeting_${change.kind}#${introduction.id}#${change.eventId}#${change.sequence}`,
    purpose: `meeting_${change.kind}`,
    to: partner,
    subject: change.kind === 'moved' ? `Moved: your meeting with ${who}` : `${change.kind === 'declined' ? 'Declined' : 'Cancelled'}: your meeting with ${who}`,
    paragraphs: [`Hi ${firstName(partner)},`, `${sentence} ${follow}`],
    ...(rebookUrl && change.kind !== 'moved' ? { action: { label: 'Find another time', url: rebookUrl } } : {}),
    introduction,
  });
}

/** "Thu 26 Nov, 10:00–10:30" in the zone given. */
export function formatSlot(slot: Interval, timeZone: string): string {
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short' }).format(slot.start);
  const time = (date: Date) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(date);
  return `${day}, ${time(slot.start)}–${time(slot.end)}`;
}

function email(options: {
  outboxKey: string;
  purpose: OutboundEmail['purpose'];
  to: Partner;
  subject: string;
  paragraphs: readonly string[];
  action?: { label: string; url: string };
  closing?: readonly string[];
  introduction: Introduction;
}): OutboundEmail {
  const { action, closing = [] } = options;
  const text = [...options.paragraphs, ...(action ? [`${action.label}: ${action.url}`] : []), ...closing].join('\n\n');
  const html = emailPage([
    ...options.paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    ...(action ? [`<p>${emailButton(action.label, action.url)}</p>`] : []),
    ...closing.map((paragraph) => `<p style="color:#555">${escapeHtml(paragraph)}</p>`),
  ]);
  return {
    outboxKey: options.outboxKey,
    purpose: options.purpose,
    to: [{ email: options.to.email, name: options.to.name }],
    subject: options.subject,
    text,
    html,
    inReplyTo: options.introduction.messageId,
    references: options.introduction.messageId ? [options.introduction.messageId] : [],
    introductionId: options.introduction.id,
  };
}
