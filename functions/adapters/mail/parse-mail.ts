import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { UnreadableMessageError, type MessageReader } from '../../domain/capture/ports.ts';
import type { MailAddress, MailMessage } from '../../domain/message/mail-message.ts';

/** How deep attached messages (message/rfc822 inside message/rfc822) are parsed. */
const MAX_ATTACHED_MESSAGE_DEPTH = 2;
/** Header lines kept per message; a hostile message can carry thousands. */
const MAX_HEADER_LINES = 500;
/**
 * Only the text is used: no HTML made from text, no links made from text, no image links, no
 * attachment checksums. HTML is turned into text up to 1 MB (html-to-text takes about a second
 * per megabyte and far more memory): a longer HTML-only body is read as having no text.
 */
export const MAIL_PARSER_OPTIONS = {
  skipImageLinks: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  keepCidLinks: false,
  checksumAlgo: false,
  maxHtmlLengthToParse: 1_000_000,
} as const;

/**
 * Parses raw MIME into the domain's `MailMessage`. A message mailparser cannot read at all is
 * reported as an `UnreadableMessageError` with the reason, so the caller can record the outcome
 * (the raw bytes stay where they are).
 */
export const mimeMessageReader: MessageReader = { read: (raw) => parseMail(raw) };

export async function parseMail(raw: Buffer | string): Promise<MailMessage> {
  return parseAtDepth(raw, 0);
}

async function parseAtDepth(raw: Buffer | string, depth: number): Promise<MailMessage> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, MAIL_PARSER_OPTIONS);
  } catch (error) {
    throw new UnreadableMessageError(`unreadable MIME: ${error instanceof Error ? error.message : String(error)}`);
  }
  const attachedMessages: MailMessage[] = [];
  for (const attachment of parsed.attachments) {
    if (depth < MAX_ATTACHED_MESSAGE_DEPTH && partType(attachment) === 'message/rfc822') {
      try {
        attachedMessages.push(await parseAtDepth(attachment.content, depth + 1));
      } catch {
        // An unreadable attached message is just not used; the outer message still counts.
      }
    }
  }
  const contentTypeHeader = parsed.headers.get('content-type');
  const contentType =
    contentTypeHeader && typeof contentTypeHeader === 'object' && 'value' in contentTypeHeader && typeof contentTypeHeader.value === 'string'
      ? contentTypeHeader.value.toLowerCase()
      : 'text/plain';
  return {
    headers: headerMap(parsed.headerLines),
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    subject: oneLine(parsed.subject ?? ''),
    messageId: messageIds(parsed.messageId)[0] ?? null,
    inReplyTo: messageIds(parsed.inReplyTo),
    references: messageIds(parsed.references),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    text: parsed.text ?? '',
    contentType,
    partTypes: parsed.attachments.map(partType),
    attachedMessages,
  };
}

/**
 * A subject is one line: an encoded word can decode to CR/LF or other control characters
 * ("=?utf-8?q?Hi=0D=0ABcc:_x?="), which must not travel on into the subjects we write.
 */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/** Broken MIME can leave a part without a type; mailparser then gives `false`, whatever its types say. */
function partType(attachment: { contentType?: unknown }): string {
  return typeof attachment.contentType === 'string' ? attachment.contentType.toLowerCase() : 'application/octet-stream';
}

function headerMap(lines: ParsedMail['headerLines']): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of lines.slice(0, MAX_HEADER_LINES)) {
    const separator = line.indexOf(':');
    const value = (separator >= 0 ? line.slice(separator + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim();
    const name = key.toLowerCase();
    const values = map.get(name);
    if (values) values.push(value);
    else map.set(name, [value]);
  }
  return map;
}

function addresses(field: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const result: MailAddress[] = [];
  for (const object of objects) {
    for (const entry of object.value) {
      if (entry.group) {
        for (const member of entry.group) result.push({ address: member.address ?? null, name: member.name ?? '' });
      } else {
        result.push({ address: entry.address ?? null, name: entry.name ?? '' });
      }
    }
  }
  return result;
}

/** Message-IDs in angle brackets, from a header that may hold one, several, or junk. */
export function messageIds(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(' ') : (value ?? '');
  const bracketed = text.match(/<[^<>\s]{1,500}>/g);
  if (bracketed) return [...new Set(bracketed)];
  const bare = text.trim();
  return bare && !/\s/.test(bare) && bare.length <= 500 ? [`<${bare.replace(/^<|>$/g, '')}>`] : [];
}
