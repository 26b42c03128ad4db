import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseMail } from '../../../functions/adapters/mail/parse-mail.ts';
import { UnreadableMessageError } from '../../../functions/domain/capture/ports.ts';
import { parseAddressList } from '../../../functions/domain/message/address-list.ts';
import { splitBody } from '../../../functions/domain/message/body-sections.ts';
import { MESSAGE_KINDS, understandMessage, type Understanding } from '../../../functions/domain/message/understand-message.ts';
import { CAPTURE_ADDRESS, composeMime, SENDER_ADDRESS } from '../../support/mime.ts';
import { corpusMessages, mutate, mutationArbitrary } from '../../support/mail-mutations.ts';

/**
 * Whatever arrives, understanding never throws, always gives a kind, and never names the capture
 * or the system's own address as introducer, party or forwarder. The reliability suite runs the
 * same properties at a far larger scale; here they run on every `npm test`.
 */
const context = { captureAddresses: new Set([CAPTURE_ADDRESS]), systemAddresses: new Set([SENDER_ADDRESS]) };

function expectSound(understanding: Understanding): void {
  expect(MESSAGE_KINDS).toContain(understanding.kind);
  expect(understanding.reasons.length).toBeGreaterThan(0);
  const people = [understanding.introducer, understanding.forwardedBy, ...understanding.parties];
  for (const person of people) {
    expect(person?.address).not.toBe(CAPTURE_ADDRESS);
    expect(person?.address).not.toBe(SENDER_ADDRESS);
    if (person?.address) expect(person.address).toBe(person.address.toLowerCase());
  }
  const partyAddresses = understanding.parties.map((party) => party.address);
  expect(new Set(partyAddresses).size).toBe(partyAddresses.length);
  expect(partyAddresses.every((address) => address !== null)).toBe(true);
  if (understanding.kind === 'intro') {
    expect(understanding.parties.length).toBeGreaterThanOrEqual(2);
    expect(understanding.introducer?.address).toBeTruthy();
  }
}

const word = fc.constantFrom('jane', 'bob', 'sam', 'ann', 'pat', 'dana', 'lee', 'roe', 'park', 'kim', 'x', 'mailer-daemon', 'intro');
const domain = fc.constantFrom('acme.example', 'roe.example', 'refer.local', 'partners.example', 'enron.com');
const address = fc.oneof(
  fc.tuple(word, word, domain).map(([first, last, host]) => `${first}.${last}@${host}`),
  fc.constant(CAPTURE_ADDRESS),
  fc.constant(SENDER_ADDRESS),
  fc.constant(CAPTURE_ADDRESS.toUpperCase()),
);
const mailbox = fc.tuple(fc.option(fc.tuple(word, word).map(([first, last]) => `${first} ${last}`), { nil: undefined }), address).map(([name, value]) => (name ? { name, address: value } : value));
const phrase = fc.constantFrom(
  'Jane, meet Bob.',
  'connecting you two',
  "I'm copying Ann Park, she can help you",
  "cc'ing my assistant Pat Kim",
  'I would like to introduce our product',
  '-----Original Message-----\nFrom: Jane Doe <jane.doe@acme.example>\nSent: Monday\nTo: Bob Roe\nSubject: hi',
  '---------- Forwarded message ---------\nFrom: Sam Lee <sam.lee@partners.example>\nTo: intro@refer.local\nCc: Ann <ann.park@acme.example>',
  'On Mon, Sam <sam.lee@partners.example> wrote:\n> meet each other',
  '> quoted line',
  'Begin forwarded message:\n\nFrom: x\nTo: y',
);
const body = fc.array(fc.oneof(phrase, fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 })), { maxLength: 8 }).map((parts) => parts.join('\n'));
const subject = fc.oneof(fc.constantFrom('Intro: Jane <> Bob', 'Re: hi', 'Fwd: intro', 'Automatic reply: x', 'Out of Office AutoReply: y', ''), fc.string({ maxLength: 60 }));
const headers = fc.dictionary(
  fc.constantFrom('Auto-Submitted', 'Precedence', 'List-Id', 'X-Autoreply', 'X-Refer-Outbound', 'X-Auto-Response-Suppress', 'In-Reply-To', 'References'),
  fc.constantFrom('no', 'auto-replied', 'bulk', 'list', 'junk', '<list.example>', 'All', '<a@b.c>', ''),
  { maxKeys: 3 },
);

describe('understanding generated messages', () => {
  test.prop([mailbox, fc.array(mailbox, { maxLength: 5 }), fc.array(mailbox, { maxLength: 5 }), subject, body, headers], { numRuns: 300 })(
    'never throws, always a kind, never the capture or system address as a person in it',
    async (from, to, cc, subjectLine, text, extraHeaders) => {
      const raw = await composeMime({ from, to, cc, subject: subjectLine, text, headers: extraHeaders });
      expectSound(understandMessage(await parseMail(raw), context));
    },
  );
});

describe('understanding mutated corpus messages', () => {
  const corpus = corpusMessages();

  test.prop([fc.nat({ max: corpus.length - 1 }), fc.array(mutationArbitrary, { minLength: 1, maxLength: 6 })], { numRuns: 400 })(
    'reads or cleanly refuses every mutation, and understands what it reads',
    async (index, mutations) => {
      const raw = mutate(corpus[index] ?? Buffer.alloc(0), mutations, corpus);
      let message;
      try {
        message = await parseMail(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(UnreadableMessageError);
        return;
      }
      expectSound(understandMessage(message, context));
    },
  );
});

describe('the text functions on any input', () => {
  test.prop([fc.string({ unit: 'binary', maxLength: 2000 })], { numRuns: 1000 })('splitBody never throws and keeps the new text within the input', (text) => {
    const sections = splitBody(text);
    expect(sections.newText.length).toBeLessThanOrEqual(text.length);
    for (const quoted of sections.quoted) expect(quoted.body.length).toBeLessThanOrEqual(text.length);
  });

  test.prop([fc.string({ unit: 'binary', maxLength: 500 })], { numRuns: 1000 })('parseAddressList never throws and only returns lower-case addresses', (value) => {
    for (const person of parseAddressList(value)) {
      if (person.address) expect(person.address).toBe(person.address.toLowerCase());
      expect(person.address !== null || person.name !== null).toBe(true);
    }
  });
});
