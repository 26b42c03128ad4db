import { simpleParser, type ParsedMail } from 'mailparser';
import { expect } from 'vitest';
import { composeMail } from '../../../functions/adapters/mail/compose-mail.ts';
import type { Answer } from '../../../functions/domain/followup/answers.ts';
import { ANSWER_EFFECTS, QUESTIONS, type Question } from '../../../functions/domain/followup/answers.ts';
import type { AnswerLink } from '../../../functions/domain/followup/follow-up-views.ts';
import type { Contact, Introduction, Meeting } from '../../../functions/domain/introductions/introduction.ts';
import type { OutboundEmail } from '../../../functions/domain/outbound/outbound-email.ts';
import type { Partner } from '../../../functions/domain/partners/partner.ts';
import { escapeHtml } from '../../../functions/domain/shared/html.ts';
import { CAPTURE_ADDRESS, SENDER_ADDRESS, understandRaw } from '../../support/mime.ts';

/** Realistic people, introductions and signed-looking links for the email tests. */

export const WEB = 'https://abc123.lambda-url.eu-west-1.on.aws';

export function partner(email: string, name: string | null, timeZone = 'Europe/London'): Partner {
  return { email, name, timeZone, createdAt: '2026-10-01T09:00:00.000Z' };
}

export const jane = partner('jane@doe-advisory.example', 'Jane Doe', 'America/New_York');
export const sam: Contact = { email: 'sam.lee@lee-partners.example', name: 'Sam Lee' };
export const bob: Contact = { email: 'bob@roe.example', name: 'Roe, Bob' };

export function meeting(start: string, minutes: number, overrides: Partial<Meeting> = {}): Meeting {
  return {
    start,
    end: new Date(Date.parse(start) + minutes * 60_000).toISOString(),
    timeZone: 'America/New_York',
    eventId: 'evt0001',
    calendarOwner: jane.email,
    attendees: [bob.email],
    videoLink: 'https://meet.google.com/abc-defg-hij',
    htmlLink: null,
    ...overrides,
  };
}

export function introduction(overrides: Partial<Introduction> = {}): Introduction {
  return {
    id: 'intro-7f3a',
    introducer: sam,
    parties: [{ email: jane.email, name: jane.name }, bob],
    forwardedBy: null,
    owner: jane.email,
    subject: 'Jane, meet Bob',
    context: 'Jane, meet Bob: he is looking at succession planning for his firm.',
    messageId: '<CAF7x9@mail.lee-partners.example>',
    repliesTo: null,
    status: 'introduced',
    // Tue 24 Nov, 09:30 in New York.
    createdAt: '2026-11-24T14:30:00.000Z',
    deliveryId: 'd-7f3a',
    rawLocation: 's3://inbound/d-7f3a',
    ...overrides,
  };
}

/** A signed-looking one-click link per answer of a question, with the labels the product uses. */
export function answers(question: Question, subject: string, recipient: string): AnswerLink[] {
  return QUESTIONS[question].map((answer: Answer) => ({
    answer,
    label: ANSWER_EFFECTS[question][answer]?.label ?? answer,
    url: `${WEB}/answer?token=${Buffer.from(`${question}.${answer}.${subject}.${recipient}`).toString('base64url')}.sig&x=1`,
  }));
}

export function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Every link: once in the text as a URL, once in the HTML as a button (an escaped href). */
export function expectButtonsOnce(email: OutboundEmail, links: readonly { label: string; url: string }[]): void {
  for (const link of links) {
    expect(occurrences(email.text, link.url), link.label).toBe(1);
    expect(email.text).toContain(`${link.label}: ${link.url}`);
    expect(occurrences(email.html, `href="${escapeHtml(link.url)}"`), link.label).toBe(1);
    expect(email.html).toContain(`<a href="${escapeHtml(link.url)}" style="display:inline-block`);
  }
}

export const FROM = { address: SENDER_ADDRESS, name: 'Referral desk' };

/**
 * Composes the email as the sender does, parses it back with mailparser, and checks what every
 * outbound message must carry; also that the capture recognizes it as the system's own.
 */
export async function composedAndParsed(email: OutboundEmail): Promise<{ parsed: ParsedMail; raw: Buffer; header: (name: string) => string | undefined }> {
  const { raw, messageId } = await composeMail(email, FROM);
  const parsed = await simpleParser(raw);
  expect(parsed.messageId).toBe(messageId);
  expect(parsed.subject).toBe(email.subject);
  expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
  expect(parsed.headers.get('x-refer-outbound')).toBe(email.purpose);
  expect(addresses(parsed.to)).toEqual(email.to.map((contact) => contact.email));
  expect(addresses(parsed.from)).toEqual([SENDER_ADDRESS]);
  expect(addresses(parsed.replyTo)).toEqual((email.replyTo ?? []).map((contact) => contact.email));
  expect(parsed.text?.trim()).toBe(email.text.trim());
  const understanding = await understandRaw(raw);
  expect(understanding.kind).toBe('not_intro');
  expect(understanding.reasons).toEqual(['sent by this system (X-Refer-Outbound header)']);
  // The raw header lines, unfolded, by name.
  const header = (name: string) =>
    parsed.headerLines
      .find((line) => line.key === name.toLowerCase())
      ?.line.replace(/\r?\n[ \t]+/g, ' ')
      .replace(/^[^:]+:\s*/, '');
  return { parsed, raw, header };
}

function addresses(field: ParsedMail['to'] | ParsedMail['from']): string[] {
  if (!field) return [];
  return (Array.isArray(field) ? field : [field]).flatMap((object) => object.value.map((address) => address.address ?? ''));
}

export { CAPTURE_ADDRESS };
