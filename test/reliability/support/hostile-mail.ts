import fc from 'fast-check';
import type { MailAddress, MailMessage } from '../../../functions/domain/message/mail-message.ts';
import { MESSAGE_KINDS, type Understanding, type UnderstandingContext } from '../../../functions/domain/message/understand-message.ts';

/**
 * Hostile and broken mail, generated: raw MIME built from parts chosen to hurt a parser and our
 * regular expressions (long runs of the characters they look for, broken structure, odd charsets),
 * and `MailMessage`s with huge or strange fields for the pure understanding function.
 */

export const CAPTURE = 'intro@in.example.com';
export const SYSTEM = 'desk@in.example.com';
/** A partner the generated mail often comes from, so some of it is captured (the biggest writes). */
export const HOSTILE_PARTNER = 'sam.lee@partners.example';

export const understandingContext: UnderstandingContext = { captureAddresses: new Set([CAPTURE]), systemAddresses: new Set([SYSTEM]) };

/** What our regular expressions look for, to be repeated until a backtracking one would choke. */
const PATHOLOGICAL = [
  '> ',
  '>',
  ' ',
  '\t',
  '-',
  '_',
  '=',
  '*',
  'a',
  'On ',
  ' wrote:',
  'From: ',
  'Sent: ',
  '-----Original Message-----',
  '---------- Forwarded message ---------',
  'Begin forwarded message:',
  'meet ',
  'Jane, meet Bob. ',
  'connecting you two ',
  "I'm copying ",
  "cc'ing ",
  'Re: ',
  'Fwd: ',
  'Intro: Jane <> Bob ',
  '<> ',
  '<',
  '@',
  'a@b.',
  'x.y@z.example ',
  '"',
  '\\',
  '=?utf-8?q?',
  '?=',
  '=?utf-8?B?SmFuZQ==?= ',
  ',',
  ';',
  ':',
  '(',
  ')',
  '[',
  '\r\n',
  '\n',
  '\n\n',
  '\u00a0',
  '\u200b',
  'é',
  '日本',
  'Ab-',
  "A'",
  'Jane ',
  'Aa ',
  'my assistant ',
  'From: a@b.example\nTo: c@d.example\n',
  'On Mon, Jane wrote:\n',
];

const repeated = fc.tuple(fc.constantFrom(...PATHOLOGICAL), fc.integer({ min: 1, max: 2_000 })).map(([piece, times]) => piece.repeat(times));

/** Text of every kind, up to tens of kilobytes when repeated. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 3, arbitrary: repeated },
  { weight: 2, arbitrary: fc.array(fc.oneof(repeated, fc.constantFrom(...PATHOLOGICAL), fc.string({ maxLength: 40 })), { maxLength: 12 }).map((parts) => parts.join('')) },
);

const word = fc.constantFrom('jane', 'bob', 'sam', 'ann', 'pat', 'lee', 'roe', 'x', 'mailer-daemon', 'intro', 'desk');
const domain = fc.constantFrom('acme.example', 'roe.example', 'partners.example', 'in.example.com', 'enron.com');
const plainAddress = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(word, word, domain).map(([first, last, host]) => `${first}.${last}@${host}`) },
  { weight: 2, arbitrary: fc.constantFrom(HOSTILE_PARTNER, CAPTURE, SYSTEM, CAPTURE.toUpperCase()) },
  { weight: 1, arbitrary: hostileText },
);
const displayName = fc.oneof(fc.constantFrom('Jane Doe', 'Bob Roe', 'Sam Lee', '"Lee, Sam"', 'Pat =?utf-8?q?K=C3=BCm?='), hostileText);

/** One header's worth of mailboxes: names, quotes, groups, comments and garbage. */
const mailboxList = fc
  .array(
    fc.oneof(
      plainAddress,
      fc.tuple(displayName, plainAddress).map(([name, address]) => `${name} <${address}>`),
      fc.tuple(displayName, plainAddress).map(([name, address]) => `"${name.replace(/"/g, '\\"')}" <${address}>`),
      fc.tuple(word, fc.array(plainAddress, { maxLength: 3 })).map(([name, members]) => `${name}: ${members.join(', ')};`),
      fc.tuple(plainAddress, hostileText).map(([address, comment]) => `${address} (${comment})`),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(', '));

const messageIdValue = fc.oneof(
  fc.tuple(word, domain, fc.nat()).map(([local, host, n]) => `<${local}.${n}@${host}>`),
  hostileText,
  fc.constant(''),
);

const headerName = fc.constantFrom(
  'Auto-Submitted',
  'Precedence',
  'List-Id',
  'X-Autoreply',
  'X-Autorespond',
  'X-Refer-Outbound',
  'Bcc',
  'Reply-To',
  'Content-Type',
  'Content-Transfer-Encoding',
  'MIME-Version',
  'Date',
  'Return-Path',
  'X-Hostile',
);

/** A body part: plain, HTML (kept small, as html-to-text is linear but not cheap), calendar, report, attached message, nested multipart. */
function bodyPart(depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(
    hostileText.map((text) => `Content-Type: text/plain; charset=utf-8\r\n\r\n${text}`),
    fc
      .tuple(hostileText, fc.constantFrom('utf-8', 'iso-8859-1', 'iso-2022-jp', 'x-unknown', 'utf-7', ''))
      .map(([text, charset]) => `Content-Type: text/plain; charset="${charset}"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${text}`),
    hostileText.map((text) => `Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(text).toString('base64')}\r\n`),
    fc.string({ maxLength: 8_000 }).map((text) => `Content-Type: text/html\r\n\r\n<html><body><p>${text}</p><blockquote>${text.slice(0, 500)}</blockquote></body></html>`),
    fc.constant('Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR'),
    hostileText.map((text) => `Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; ${text}`),
    hostileText.map((text) => `Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="${text.slice(0, 80)}"\r\n\r\n${text}`),
  );
  if (depth <= 0) return leaf;
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('mixed', 'alternative', 'report', 'related'), fc.array(bodyPart(depth - 1), { minLength: 0, maxLength: 3 }), fc.boolean())
        .map(([subtype, parts, closed]) => {
          const boundary = `b${depth}x`;
          return `Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\n${parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('')}${closed ? `--${boundary}--\r\n` : ''}`;
        }),
    },
    { weight: 1, arbitrary: rawMessageText(depth - 1).map((inner) => `Content-Type: message/rfc822\r\n\r\n${inner}`) },
  );
}

function rawMessageText(depth: number): fc.Arbitrary<string> {
  return fc
    .record({
      from: mailboxList,
      to: mailboxList,
      cc: fc.option(mailboxList, { nil: undefined }),
      subject: fc.oneof(fc.constantFrom('Intro: Jane <> Bob', 'Jane, meet Bob', 'Re: hi', 'Fwd: intro', 'Automatic reply: away', ''), hostileText),
      messageId: messageIdValue,
      inReplyTo: fc.option(messageIdValue, { nil: undefined }),
      references: fc.option(fc.array(messageIdValue, { maxLength: 30 }).map((ids) => ids.join(' ')), { nil: undefined }),
      extra: fc.array(fc.tuple(headerName, hostileText), { maxLength: 6 }),
      body: bodyPart(depth),
    })
    .map(({ from, to, cc, subject, messageId, inReplyTo, references, extra, body }) =>
      [
        `From: ${from}`,
        `To: ${to}`,
        ...(cc === undefined ? [] : [`Cc: ${cc}`]),
        `Subject: ${subject}`,
        `Message-ID: ${messageId}`,
        ...(inReplyTo === undefined ? [] : [`In-Reply-To: ${inReplyTo}`]),
        ...(references === undefined ? [] : [`References: ${references}`]),
        ...extra.map(([name, value]) => `${name}: ${value}`),
        'MIME-Version: 1.0',
        body,
      ].join('\r\n'),
    );
}

/**
 * Generated messages are cut at this size: mailparser alone takes up to ~0.4 ms per kilobyte of
 * header-heavy mail, so the per-message bound is about our work, not the parser's. Longer runs
 * and larger mail have tests of their own.
 */
export const MAX_GENERATED_BYTES = 64 * 1024;

/** Raw MIME, generated: up to three levels of nested parts and attached messages (cut at `MAX_GENERATED_BYTES`). */
export const hostileRawMessage: fc.Arbitrary<Buffer> = rawMessageText(3).map((text) => Buffer.from(text, 'utf8').subarray(0, MAX_GENERATED_BYTES));

/** Pieces that made (or could make) a regular expression backtrack, for the linearity table. */
export const PATHOLOGICAL_PIECES: readonly string[] = PATHOLOGICAL;

const mailAddress: fc.Arbitrary<MailAddress> = fc.record({ address: fc.option(plainAddress, { nil: null }), name: fc.oneof(fc.constant(''), displayName) });

function mailMessage(depth: number): fc.Arbitrary<MailMessage> {
  return fc.record({
    headers: fc.array(fc.tuple(headerName.map((name) => name.toLowerCase()), fc.array(hostileText, { minLength: 1, maxLength: 3 })), { maxLength: 6 }).map((entries) => new Map(entries)),
    from: fc.array(mailAddress, { maxLength: 3 }),
    to: fc.array(mailAddress, { maxLength: 30 }),
    cc: fc.array(mailAddress, { maxLength: 30 }),
    replyTo: fc.array(mailAddress, { maxLength: 2 }),
    subject: hostileText,
    messageId: fc.option(messageIdValue, { nil: null }),
    inReplyTo: fc.array(messageIdValue, { maxLength: 3 }),
    references: fc.array(messageIdValue, { maxLength: 60 }),
    date: fc.constant(null),
    // Bodies far longer than the raw generator's: the pure function gets the worst of it.
    text: fc.array(hostileText, { maxLength: 20 }).map((parts) => parts.join('\n')),
    contentType: fc.constantFrom('text/plain', 'text/html', 'multipart/mixed', 'multipart/report', 'multipart/alternative'),
    partTypes: fc.array(fc.constantFrom('text/calendar', 'message/delivery-status', 'message/rfc822', 'application/pdf', 'image/png'), { maxLength: 4 }),
    attachedMessages: depth <= 0 ? fc.constant([]) : fc.array(mailMessage(depth - 1), { maxLength: 1 }),
  });
}

/** `MailMessage`s as the mail adapter could hand them over, with every field hostile. */
export const hostileMailMessage: fc.Arbitrary<MailMessage> = mailMessage(2);

/** What is wrong with an understanding (nothing, for a sound one): the checks of test/unit/message/properties.test.ts, as data. */
export function soundnessProblems(understanding: Understanding): string[] {
  const problems: string[] = [];
  if (!(MESSAGE_KINDS as readonly string[]).includes(understanding.kind)) problems.push(`unknown kind ${String(understanding.kind)}`);
  if (understanding.reasons.length === 0) problems.push('no reason given');
  const system = new Set([...understandingContext.captureAddresses, ...understandingContext.systemAddresses]);
  for (const person of [understanding.introducer, understanding.forwardedBy, ...understanding.parties]) {
    if (person?.address && system.has(person.address)) problems.push(`the system's own address ${person.address} is a person in it`);
    if (person?.address && person.address !== person.address.toLowerCase()) problems.push('an address is not lower-case');
  }
  if (understanding.kind === 'intro' && (understanding.parties.length < 2 || !understanding.introducer?.address)) problems.push('an intro without two parties and an introducer');
  return problems;
}
