import { firstHeader, headerValues, type MailMessage } from './mail-message.ts';
import { OUTBOUND_MARKER_HEADER } from './outbound-marker.ts';
import { peopleFrom } from './person.ts';

export type AutomatedKind = 'own' | 'bounce' | 'calendar' | 'auto_reply' | 'bulk';

export interface AutomatedVerdict {
  readonly kind: AutomatedKind;
  readonly reason: string;
}

export interface SystemIdentity {
  /** Addresses the system sends from or receives at (capture and sender addresses), lower-case. */
  readonly addresses: ReadonlySet<string>;
}

const REPORT_PART_TYPES = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/feedback-report',
  'message/disposition-notification',
  'text/rfc822-headers',
]);
const MAILER_DAEMON = /^(mailer-daemon|mail-daemon|mailerdaemon)([+-].*)?$/i;
const BOUNCE_SUBJECT =
  /^\s*(undeliverable|undelivered mail|delivery status notification|mail delivery (failed|failure|system)|returned mail|failure notice|delivery failure|non-?delivery|nondeliverable|mail system error|delivery has failed|message not delivered)\b/i;
const CALENDAR_PART_TYPES = new Set(['text/calendar', 'application/ics']);
const AUTO_REPLY_SUBJECT =
  /^\s*(out of (the )?office (auto ?reply|reply|:)|automatic reply\s*:|auto(matic)?[ -]?(reply|response|respons)\s*:|autoreply\s*:|away from (my|the) (desk|office)\s*:|vacation (reply|response|message)\s*:?|on vacation\s*:|abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica|automatisch antwoord|autosvar|automaattinen vastaus|ooo\s*:)/i;
const BULK_PRECEDENCE = /^\s*(bulk|list|junk)\s*$/i;
const AUTO_REPLY_PRECEDENCE = /^\s*auto[_-]?reply\s*$/i;

/**
 * Mail that reaches the capture address without being written by a person to make an introduction:
 * our own messages, bounces and reports, calendar notifications, auto-replies and bulk mail.
 * Checked in that order, because bounces and vacation notices often also look like bulk mail.
 */
export function classifyAutomated(message: MailMessage, system: SystemIdentity): AutomatedVerdict | null {
  const sender = senderAddress(message);
  return (
    ownMessage(message, sender, system) ??
    bounce(message, sender) ??
    calendarNotification(message) ??
    autoReply(message) ??
    bulk(message)
  );
}

function ownMessage(message: MailMessage, sender: string | null, system: SystemIdentity): AutomatedVerdict | null {
  if (headerValues(message, OUTBOUND_MARKER_HEADER).length > 0) {
    return { kind: 'own', reason: `sent by this system (${OUTBOUND_MARKER_HEADER} header)` };
  }
  if (sender && system.addresses.has(sender)) {
    return { kind: 'own', reason: `sent from the system's own address ${sender}` };
  }
  return null;
}

function bounce(message: MailMessage, sender: string | null): AutomatedVerdict | null {
  if (message.contentType === 'multipart/report') return { kind: 'bounce', reason: 'delivery or feedback report (multipart/report)' };
  const reportPart = message.partTypes.find((type) => REPORT_PART_TYPES.has(type));
  if (reportPart) return { kind: 'bounce', reason: `report part ${reportPart}` };
  const senderLocal = (sender ?? '').split('@')[0] ?? '';
  if (MAILER_DAEMON.test(senderLocal)) return { kind: 'bounce', reason: `sent by ${senderLocal} (mail system)` };
  if (BOUNCE_SUBJECT.test(message.subject)) return { kind: 'bounce', reason: `bounce subject "${truncate(message.subject)}"` };
  return null;
}

function calendarNotification(message: MailMessage): AutomatedVerdict | null {
  if (CALENDAR_PART_TYPES.has(message.contentType)) return { kind: 'calendar', reason: `calendar message (${message.contentType})` };
  const part = message.partTypes.find((type) => CALENDAR_PART_TYPES.has(type));
  return part ? { kind: 'calendar', reason: `calendar part ${part}` } : null;
}

function autoReply(message: MailMessage): AutomatedVerdict | null {
  const autoSubmitted = firstHeader(message, 'auto-submitted');
  if (autoSubmitted && !/^\s*no\b/i.test(autoSubmitted)) {
    return { kind: 'auto_reply', reason: `Auto-Submitted: ${truncate(autoSubmitted.trim())}` };
  }
  for (const header of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
    if (headerValues(message, header).length > 0) return { kind: 'auto_reply', reason: `${header} header` };
  }
  const precedence = firstHeader(message, 'precedence');
  if (precedence && AUTO_REPLY_PRECEDENCE.test(precedence)) return { kind: 'auto_reply', reason: `Precedence: ${precedence.trim()}` };
  if (AUTO_REPLY_SUBJECT.test(message.subject)) {
    const suppress = firstHeader(message, 'x-auto-response-suppress');
    const detail = suppress ? ` with X-Auto-Response-Suppress: ${truncate(suppress.trim())}` : '';
    return { kind: 'auto_reply', reason: `auto-reply subject "${truncate(message.subject)}"${detail}` };
  }
  return null;
}

function bulk(message: MailMessage): AutomatedVerdict | null {
  const listId = firstHeader(message, 'list-id');
  if (listId) return { kind: 'bulk', reason: `mailing list (List-Id: ${truncate(listId.trim())})` };
  const precedence = firstHeader(message, 'precedence');
  if (precedence && BULK_PRECEDENCE.test(precedence)) return { kind: 'bulk', reason: `Precedence: ${precedence.trim()}` };
  return null;
}

function truncate(value: string, length = 80): string {
  const singleLine = value.replace(/\s+/g, ' ');
  return singleLine.length > length ? `${singleLine.slice(0, length - 1)}…` : singleLine;
}

/** The sender as understanding reads it: the first From entry that is a person (garbage before it does not hide us). */
function senderAddress(message: MailMessage): string | null {
  return peopleFrom(message.from)[0]?.address ?? null;
}
