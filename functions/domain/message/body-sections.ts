import { parseAddressList } from './address-list.ts';
import type { Person } from './person.ts';

/**
 * Splits a plain-text body into what the sender wrote now and the messages quoted or forwarded
 * below it, recognizing the separators and header blocks of the common mail clients (Gmail,
 * Outlook desktop and web, Apple Mail, Thunderbird, Yahoo, Lotus Notes) including localized ones.
 */
export interface QuotedMessage {
  /** How the block was introduced: an explicit forward marker, an "Original Message" line, or an "On ... wrote:" line. */
  readonly marker: 'forward' | 'original' | 'attribution' | 'header';
  readonly from: readonly Person[];
  readonly to: readonly Person[];
  readonly cc: readonly Person[];
  readonly subject: string | null;
  /** The quoted message's own text, up to the next quoted block. */
  readonly body: string;
}

export interface BodySections {
  /** What the sender wrote in this message, above any quote or forward. */
  readonly newText: string;
  /** Quoted and forwarded messages, outermost (most recent) first. */
  readonly quoted: readonly QuotedMessage[];
  /** True when an explicit forward separator was seen. */
  readonly hasForwardMarker: boolean;
}

/**
 * Bodies are analyzed up to this size; introductions are short and this bounds the work per
 * message (each line is tried against the separators: 50,000 one-character lines take ~25 ms).
 */
export const MAX_ANALYZED_BODY_CHARS = 50_000;
const MAX_QUOTED_BLOCKS = 20;
const HEADER_LOOKAHEAD_LINES = 8;

const PREFIX = String.raw`^[>\s]*`;
const FORWARD_SEPARATOR = new RegExp(
  PREFIX +
    String.raw`(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada|vidarebefordrat meddelande|videresendt meddelelse|videresendt melding|przekazana wiadomo[śs][ćc]|пересылаемое сообщение|转发的邮件)\s*-*|(?:begin forwarded message|d[ée]but du message r[ée]exp[ée]di[ée]|anfang der weitergeleiteten nachricht|inicio del mensaje reenviado|inizio messaggio inoltrato|begin doorgestuurd bericht|forwarded message)\s*:|-{3,}\s*forwarded by\b)`,
  'i',
);
const ORIGINAL_SEPARATOR = new RegExp(
  PREFIX +
    String.raw`(?:-{2,}\s*(?:original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|originalmeddelande|alkuper[äa]inen viesti)\s*-{2,}|_{10,}\s*$)`,
  'i',
);
const ATTRIBUTION_LINE =
  /^[>\s]*(?:on\b.{0,300}\bwrote|le\b.{0,300}\ba [ée]crit|am\b.{0,300}\bschrieb|el\b.{0,300}\bescribi[óo]|il\b.{0,300}\bha scritto|op\b.{0,300}\bschreef|em\b.{0,300}\bescreveu|den\b.{0,300}\bskrev)\s*:?\s*$/i;
const ATTRIBUTION_START = /^[>\s]*(?:on|le|am|el|il|op|em|den)\s+\S/i;
const ATTRIBUTION_END = /\b(?:wrote|a [ée]crit|schrieb|escribi[óo]|ha scritto|schreef|escreveu|skrev)\s*:\s*$/i;
/** A word every attribution line has (both patterns above need one). */
const ATTRIBUTION_WORD = /wrote|a [ée]crit|schrieb|escribi[óo]|ha scritto|schreef|escreveu|skrev/i;
/** "Jane Doe on 05/05/2020 10:00 AM", matched on the line without its leading blanks (see lotusSender). */
const LOTUS_SENDER_LINE = /^(.{1,200}?)\s+on\s+\d{1,2}\/\d{1,2}\/\d{2,4}\s+\d{1,2}:\d{2}/i;
/** Longer than any Lotus sender line: the pattern's lazy name and `\s+` would try every split of a long line's blanks. */
const MAX_LOTUS_LINE_CHARS = 300;

type HeaderField = 'from' | 'to' | 'cc' | 'subject' | 'date';
const HEADER_KEYS: Record<HeaderField, readonly string[]> = {
  from: ['from', 'de', 'von', 'van', 'da', 'från', 'fra', 'od', 'от', 'lähettäjä', 'kimden', 'feladó', 'afzender', 'remitente', '发件人', '寄件者', '差出人'],
  to: ['to', 'à', 'a', 'an', 'para', 'aan', 'till', 'til', 'do', 'кому', 'vastaanottaja', 'kime', 'címzett', '收件人', '宛先'],
  cc: ['cc', 'kopie', 'copie', 'copia', 'kopia', 'копия', 'kopio', 'bilgi', 'másolat', '抄送'],
  subject: ['subject', 'objet', 'betreff', 'oggetto', 'asunto', 'assunto', 'onderwerp', 'ämne', 'emne', 'temat', 'тема', 'aihe', 'konu', 'tárgy', '主题', '件名'],
  date: ['date', 'sent', 'datum', 'gesendet', 'envoyé', 'enviado', 'inviato', 'verzonden', 'skickat', 'sendt', 'wysłano', 'отправлено', 'data', 'fecha', 'päivämäärä', 'tarih', 'dátum', '日期', '日時', '发送时间'],
};
const KEY_TO_FIELD = new Map<string, HeaderField>(
  (Object.entries(HEADER_KEYS) as [HeaderField, readonly string[]][]).flatMap(([field, keys]) => keys.map((key) => [key, field] as const)),
);
// Each optional run of spaces and stars has one way to match: "[>\s]*\*{0,2}\s*" had as many as the
// line had leading spaces, so a line of spaces took quadratic time (seconds for 40 KB).
const HEADER_LINE = /^[>\s]*(?:\*{1,2}\s*)?([\p{L}]{1,20})\s*(?:\*{1,2}\s*)?[:：]\s*(?:\*{1,2}\s*)?(.*)$/u;
const GLUED_HEADER_KEYS = /(From|To|Cc|Sent|Subject|Date)\s*:/g;

/**
 * `quotedBlocks` says how many of the quoted messages to read (their headers and text), for a
 * caller that only looks at the first ones; the new text and the forward marker are the same.
 */
export function splitBody(text: string, quotedBlocks = MAX_QUOTED_BLOCKS): BodySections {
  const normalized = text.slice(0, MAX_ANALYZED_BODY_CHARS).replace(/\r\n?/g, '\n').replace(/\u00a0/g, ' ');
  const lines = normalizeLines(normalized);
  // Every line is tried against the attribution patterns only when some line can match them.
  const starts = findBlockStarts(lines, ATTRIBUTION_WORD.test(normalized));
  const firstStart = starts[0]?.line ?? lines.length;
  const firstQuoteLine = lines.findIndex((line, index) => index < firstStart && /^\s*>/.test(line));
  const newTextEnd = firstQuoteLine >= 0 ? Math.min(firstQuoteLine, firstStart) : firstStart;

  const quoted: QuotedMessage[] = [];
  for (const [index, start] of starts.slice(0, Math.min(quotedBlocks, MAX_QUOTED_BLOCKS)).entries()) {
    const end = starts[index + 1]?.line ?? lines.length;
    quoted.push(readQuotedMessage(lines, start, end));
  }
  return {
    newText: lines.slice(0, newTextEnd).join('\n').trim(),
    quoted,
    hasForwardMarker: starts.some((start) => start.marker === 'forward'),
  };
}

interface BlockStart {
  readonly line: number;
  readonly marker: QuotedMessage['marker'];
  /** First line of the header block (for separators, the line after the separator). */
  readonly headerLine: number;
}

/** Lines of a text whose line ends and no-break spaces are already normalized. */
function normalizeLines(text: string): string[] {
  const lines = text.split('\n');
  // Yahoo writes a forwarded header block on one line: "----- Forwarded Message ----- From: a To: b Sent: ...".
  const normalized: string[] = [];
  for (const line of lines) {
    if (hasGluedHeaders(line) && FORWARD_SEPARATOR.test(line)) normalized.push(...line.replace(GLUED_HEADER_KEYS, '\n$1:').split('\n'));
    else normalized.push(line);
  }
  return normalized;
}

/**
 * A From field and, after it, a To, Sent or Subject field on the same line. Two searches, not
 * /From\s*:.*\b(To|...)/: its ".*" rescanned the rest of the line from every "From:", quadratic
 * on a line of many of them.
 */
function hasGluedHeaders(line: string): boolean {
  if (!line.includes('From')) return false;
  const from = /\bFrom\s*:/.exec(line);
  return from !== null && /\b(?:To|Sent|Subject)\s*:/.test(line.slice(from.index + from[0].length));
}

function findBlockStarts(lines: readonly string[], mayHaveAttribution: boolean): BlockStart[] {
  const starts: BlockStart[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    const start = blockStartAt(lines, index, line, mayHaveAttribution);
    if (start) {
      starts.push(start);
      index = Math.max(start.headerLine + 1, index + 1);
      // Skip the header block itself so its From: line is not counted again.
      while (index < lines.length && index <= start.headerLine + HEADER_LOOKAHEAD_LINES && isHeaderishLine(lines[index] ?? '')) index += 1;
      continue;
    }
    index += 1;
  }
  return starts;
}

function blockStartAt(lines: readonly string[], index: number, line: string, mayHaveAttribution: boolean): BlockStart | null {
  // Every line is tried: the separators are only looked for on lines with the characters they need.
  const hasDashes = line.includes('--');
  if ((hasDashes || line.includes(':')) && FORWARD_SEPARATOR.test(line)) return { line: index, marker: 'forward', headerLine: nextNonBlank(lines, index + 1) };
  if ((hasDashes || line.includes('__________')) && ORIGINAL_SEPARATOR.test(line)) {
    const next = nextNonBlank(lines, index + 1);
    // An underscore rule only separates a message when a header block follows it.
    if (/_{10,}/.test(line) && !startsHeaderBlock(lines, next)) return null;
    return { line: index, marker: 'original', headerLine: next };
  }
  if (mayHaveAttribution && ATTRIBUTION_LINE.test(line)) return { line: index, marker: 'attribution', headerLine: index };
  if (mayHaveAttribution && ATTRIBUTION_START.test(line) && ATTRIBUTION_END.test(lines[index + 1] ?? '') && line.length < 300) {
    return { line: index, marker: 'attribution', headerLine: index };
  }
  if (startsHeaderBlock(lines, index)) return { line: index, marker: 'header', headerLine: index };
  return null;
}

function nextNonBlank(lines: readonly string[], from: number): number {
  let index = from;
  while (index < lines.length && /^[>\s-]*$/.test(lines[index] ?? '')) index += 1;
  return index;
}

function headerField(line: string): { field: HeaderField; value: string } | null {
  // Every line is asked; most have no colon, which HEADER_LINE needs.
  if (!line.includes(':') && !line.includes('：')) return null;
  const match = HEADER_LINE.exec(line);
  if (!match?.[1]) return null;
  const field = KEY_TO_FIELD.get(match[1].toLowerCase());
  return field ? { field, value: (match[2] ?? '').replace(/\*+/g, '').trim() } : null;
}

function isHeaderishLine(line: string): boolean {
  return headerField(line) !== null;
}

/** A From line followed closely by another header line (Sent, Date, To, Subject...). */
function startsHeaderBlock(lines: readonly string[], index: number): boolean {
  const first = headerField(lines[index] ?? '');
  if (first?.field !== 'from' || !first.value) return false;
  for (let offset = 1; offset <= 3; offset += 1) {
    const next = headerField(lines[index + offset] ?? '');
    if (next && next.field !== 'from') return true;
  }
  return false;
}

function readQuotedMessage(lines: readonly string[], start: BlockStart, end: number): QuotedMessage {
  const fields: Partial<Record<HeaderField, string>> = {};
  let index = start.headerLine;
  let lastField: HeaderField | null = null;

  if (start.marker === 'attribution') {
    const attribution = [lines[index] ?? '', ATTRIBUTION_END.test(lines[index] ?? '') ? '' : (lines[index + 1] ?? '')].join(' ');
    fields.from = attributionSender(attribution.replace(ATTRIBUTION_END, ''));
    index += ATTRIBUTION_END.test(lines[index] ?? '') ? 1 : 2;
  } else {
    const lotus = lotusSender(lines[index] ?? '');
    if (lotus?.[1] && !headerField(lines[index] ?? '')) {
      fields.from = lotus[1];
      index += 1;
    }
    const limit = Math.min(end, index + HEADER_LOOKAHEAD_LINES + 4);
    while (index < limit) {
      const line = lines[index] ?? '';
      const header = headerField(line);
      if (header) {
        if (fields[header.field] === undefined) fields[header.field] = header.value;
        lastField = header.field;
      } else if (/^\s*$/.test(line.replace(/^[>\s]*/, ''))) {
        // Lotus Notes puts blank lines inside its header block; a blank line after the subject ends it.
        if (fields.subject !== undefined) break;
      } else if (lastField && lastField !== 'subject' && /^\s+\S/.test(line) && /@|,\s*$/.test(line)) {
        fields[lastField] = `${fields[lastField] ?? ''} ${line.trim()}`;
      } else {
        break;
      }
      index += 1;
    }
  }

  const body = lines
    .slice(index, end)
    .map((line) => line.replace(/^\s*>\s?/, ''))
    .join('\n')
    .trim();
  return {
    marker: start.marker,
    from: parseAddressList(fields.from ?? ''),
    to: parseAddressList(fields.to ?? ''),
    cc: parseAddressList(fields.cc ?? ''),
    subject: fields.subject ?? null,
    body,
  };
}

/** The sender line Lotus Notes puts above a quoted message, when this is one. */
function lotusSender(line: string): RegExpExecArray | null {
  const trimmed = line.trimStart();
  return trimmed.length <= MAX_LOTUS_LINE_CHARS ? LOTUS_SENDER_LINE.exec(trimmed) : null;
}

/** The sender named in "On Tue, 5 May 2020 at 10:00, Jane Doe <jane@x.com> wrote:", as an address-list value. */
function attributionSender(attribution: string): string {
  // The address first, then the name just before it: one pattern for both backtracks over every
  // split of a long run of spaces between the name and `\s*` (seconds on a few KB).
  const mailbox = /<([^<>\s]{1,300}@[^<>\s]{1,300})>/.exec(attribution);
  if (mailbox) {
    const before = attribution.slice(Math.max(0, mailbox.index - 202), mailbox.index).trimEnd();
    const quoted = /"([^"]{1,200})"$/.exec(before);
    const name = quoted ? quoted[1] : (/[^,"<>]{1,200}$/.exec(before)?.[0] ?? '');
    return `${(name ?? '').trim()} <${mailbox[1]}>`;
  }
  const bare = /[^\s<>(),;"]{1,300}@[^\s<>(),;"]{1,300}/.exec(attribution);
  if (bare) return bare[0];
  // "On Monday, Jane Doe wrote:": the name is what follows the last comma.
  return (attribution.split(',').at(-1) ?? '').trim();
}
