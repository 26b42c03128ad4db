import MailComposer from 'nodemailer/lib/mail-composer';
import { encodeWord } from 'nodemailer/lib/mime-funcs';
import type { OutboundEmail } from '../../domain/outbound/outbound-email.ts';
import { OUTBOUND_MARKER_HEADER } from '../../domain/message/outbound-marker.ts';
import { deterministicId } from '../../domain/shared/ids.ts';

export interface SenderIdentity {
  readonly address: string;
  readonly name: string;
}

export interface ComposedMail {
  readonly raw: Buffer;
  readonly messageId: string;
}

/**
 * Builds the MIME of an outbound email with nodemailer's composer. The Message-ID is derived from
 * the outbox key, so a retried send produces the very same message. Every message is marked as
 * ours and as automatic, so it is never captured again and auto-responders leave it alone.
 */
export async function composeMail(email: OutboundEmail, from: SenderIdentity): Promise<ComposedMail> {
  const domain = from.address.split('@')[1] ?? 'localhost';
  const messageId = `<${deterministicId('outbox', email.outboxKey)}@${domain}>`;
  const composer = new MailComposer({
    from: { name: from.name, address: from.address },
    to: email.to.map(mailbox),
    ...(email.replyTo?.length ? { replyTo: email.replyTo.map(mailbox) } : {}),
    subject: literalHeaderText(email.subject),
    text: email.text,
    html: email.html,
    messageId,
    ...(email.inReplyTo ? { inReplyTo: email.inReplyTo } : {}),
    ...(email.references.length > 0 ? { references: [...email.references] } : {}),
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      [OUTBOUND_MARKER_HEADER]: email.purpose,
      ...unsubscribeHeaders(email.unsubscribeUrl),
    },
  });
  const raw = await new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
  return { raw, messageId };
}

function mailbox(contact: { readonly email: string; readonly name: string | null }): string | { name: string; address: string } {
  return contact.name ? { name: literalHeaderText(contact.name), address: contact.email } : contact.email;
}

/**
 * Header text as it should read. One line (no control characters); and text that looks like an
 * encoded word ("=?utf-8?q?Hi=0D=0ABcc:...?=", copied from a hostile subject or name) is sent
 * encoded itself, since the composer writes ASCII as it is and the recipient's mail client would
 * decode it into whatever it hides, line breaks included.
 */
function literalHeaderText(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
  return line.includes('=?') ? encodeWord(line, 'B', 52) : line;
}

/**
 * One-click unsubscribe for recurring emails (RFC 8058): `List-Unsubscribe: <url>` and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. The composer leaves the mailer's `list`
 * option to the mailer, so the header is written here, the way the mailer writes it: the URL in
 * angle brackets, with anything a URL cannot carry (controls, spaces, brackets) taken out first.
 * A URL that is neither http(s) nor mailto gives no header (the body still carries the link).
 */
function unsubscribeHeaders(url: string | null | undefined): Record<string, string | { prepared: true; foldLines: true; value: string }> {
  const clean = url?.replace(/[\u0000-\u001f\u007f\s<>]+/g, '') ?? '';
  if (!/^(https?|mailto):/i.test(clean)) return {};
  const header = { 'List-Unsubscribe': { prepared: true, foldLines: true, value: `<${clean}>` } } as const;
  // One click means a POST to a web address; a mailto: address alone is not one-click.
  return /^mailto:/i.test(clean) ? header : { ...header, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
