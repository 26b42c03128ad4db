import { escapeHtml } from '../shared/html.ts';
import { deterministicId } from '../shared/ids.ts';
import type { OutboundEmail } from '../outbound/outbound-email.ts';
import { contactLabel, type Contact, type Introduction } from '../introductions/introduction.ts';
import { emailPage, firstName } from '../outbound/email-layout.ts';
import type { Partner } from '../partners/partner.ts';

/** What every capture email needs to know about the deployment. */
export interface CaptureEmailSettings {
  readonly captureAddress: string;
}

/** "Captured: Jane Doe <> Bob Roe, introduced by Sam Lee" — to the partner who owns the introduction. */
export function captureConfirmationEmail(introduction: Introduction, owner: Partner): OutboundEmail {
  // The partner's registered name beats anything read off a message.
  const label = (contact: Contact) => (contact.email === owner.email && owner.name ? owner.name : contactLabel(contact));
  const names = introduction.parties.map(label);
  const pair = names.length === 2 ? `${names[0]} <> ${names[1]}` : joinNames(names);
  const introducer = label(introduction.introducer);
  const context = [introduction.subject ? `“${introduction.subject}”` : null, formatWhen(introduction.createdAt, owner.timeZone)].filter(Boolean).join(', ');
  const withAddress = (contact: Contact) => `${label(contact)} <${contact.email}>`;
  const others = introduction.parties.filter((party) => party.email !== owner.email);
  const what =
    introduction.introducer.email === owner.email
      ? `you introduced ${joinNames(introduction.parties.map(withAddress))}`
      : others.length < introduction.parties.length
        ? `${introducer} introduced you to ${joinNames(others.map(withAddress))}`
        : `${introducer} introduced ${joinNames(introduction.parties.map(withAddress))}`;
  const sentence = `Got it: ${what} (${context}).`;
  const followUp = `It's on record, and replies in that thread will be kept with it. Nothing else to do.`;
  return {
    outboxKey: `capture_confirmation#${introduction.id}`,
    purpose: 'capture_confirmation',
    to: [{ email: owner.email, name: owner.name }],
    subject: `Captured: ${pair}, introduced by ${introducer}`,
    text: [`Hi ${firstName(owner)},`, '', sentence, '', followUp].join('\n'),
    html: emailPage([`<p>Hi ${escapeHtml(firstName(owner))},</p>`, `<p>${escapeHtml(sentence)}</p>`, `<p>${escapeHtml(followUp)}</p>`]),
    inReplyTo: introduction.messageId,
    references: introduction.messageId ? [introduction.messageId] : [],
    introductionId: introduction.id,
  };
}

/**
 * One email when a partner's message could not be read as an introduction, with what to do. One per
 * message: copies of it (CC and BCC, two capture addresses) arrive as separate deliveries but ask
 * the same question, so the outbox key follows the Message-ID when there is one.
 */
export function needsAttentionEmail(
  partner: Partner,
  delivery: { deliveryId: string; subject: string | null; messageId: string | null; reasons: readonly string[] },
  settings: CaptureEmailSettings,
): OutboundEmail {
  const subject = delivery.subject?.trim() || '(no subject)';
  const why = delivery.reasons.at(-1) ?? 'it did not name two people with email addresses';
  const ask = `To capture it, reply-all or forward it to ${settings.captureAddress} with both people's email addresses in To or Cc.`;
  const text = [
    `Hi ${firstName(partner)},`,
    '',
    `I couldn't tell who you introduced in "${subject}": ${why}.`,
    '',
    ask,
  ].join('\n');
  const html = emailPage([
    `<p>Hi ${escapeHtml(firstName(partner))},</p>`,
    `<p>I couldn't tell who you introduced in “${escapeHtml(subject)}”: ${escapeHtml(why)}.</p>`,
    `<p><strong>${escapeHtml(ask)}</strong></p>`,
  ]);
  return {
    outboxKey: `capture_needs_attention#${delivery.messageId ? deterministicId('message-id', delivery.messageId) : delivery.deliveryId}`,
    purpose: 'capture_needs_attention',
    to: [{ email: partner.email, name: partner.name }],
    subject: `Couldn't capture: ${subject}`,
    text,
    html,
    inReplyTo: delivery.messageId,
    references: delivery.messageId ? [delivery.messageId] : [],
    introductionId: null,
  };
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

function formatWhen(iso: string, timeZone: string): string {
  const date = new Date(iso);
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(date);
  } catch {
    return date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }
}
