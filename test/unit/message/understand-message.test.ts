import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addressesOf, CAPTURE_ADDRESS, composeMime, SENDER_ADDRESS, understandComposed, understandRaw } from '../../support/mime.ts';
import { CORPUS_DIR } from '../../support/corpus.ts';

const FORWARD_MARKERS = join(CORPUS_DIR, 'bodies/forward_markers');
const sam = 'Sam Lee <sam@partners.example>';
const jane = 'Jane Doe <jane@acme.example>';
const bob = 'Bob Roe <bob@roe.example>';

describe('a CC-ed introduction', () => {
  it('records the sender as introducer and the others as parties, never the capture address', async () => {
    const result = await understandComposed({
      from: sam,
      to: jane,
      cc: [bob, CAPTURE_ADDRESS],
      subject: 'Intro: Jane <> Bob',
      text: 'Jane, meet Bob. Bob runs the best bookkeeping shop in town; Jane is looking for one.\n\nI will let you two take it from here.\nSam',
    });
    expect(result.kind).toBe('intro');
    expect(result.introducer).toEqual({ address: 'sam@partners.example', name: 'Sam Lee' });
    // In the order the introducer addressed them: To first, then Cc.
    expect(result.parties).toEqual([
      { address: 'jane@acme.example', name: 'Jane Doe' },
      { address: 'bob@roe.example', name: 'Bob Roe' },
    ]);
    expect(result.forwardedBy).toBeNull();
    expect(result.introText).toBe('Jane, meet Bob. Bob runs the best bookkeeping shop in town; Jane is looking for one.\n\nI will let you two take it from here.\nSam');
  });

  it('keeps the introduction text above the quoted thread, and only so much of it', async () => {
    const long = `Jane, meet Bob. ${'Bob is great. '.repeat(200)}`;
    const result = await understandComposed({ from: sam, to: [bob, jane], cc: CAPTURE_ADDRESS, subject: 'Hello', text: `${long}\n\nOn Mon, Jane Doe <jane@acme.example> wrote:\n> secret quoted text` });
    expect(result.parties.map((party) => party.address)).toEqual(['bob@roe.example', 'jane@acme.example']);
    expect(result.introText.length).toBeLessThanOrEqual(1_000);
    expect(result.introText).not.toContain('secret quoted text');
  });

  it('finds a BCC-ed capture address only through the envelope, and still leaves it out', async () => {
    const raw = await composeMime({ from: sam, to: [jane, bob], subject: 'Connecting you two', text: 'Hi both, connecting you two as promised.' });
    const result = await understandRaw(raw, ['intro+team@refer.local']);
    expect(result.kind).toBe('intro');
    expect(addressesOf(result)).toEqual(['bob@roe.example', 'jane@acme.example']);
  });

  it.each([
    ['I would love for you to meet Bob — he is great with numbers.'],
    ['Happy to introduce you to Bob Roe, who runs a bookkeeping firm.'],
    ['Putting you two in touch: you should compare notes on hiring.'],
    ['Bob, Jane is the person I mentioned. You two should really meet.'],
    ['Quick email intro between two people I trust.'],
    ['I think you both would benefit from knowing each other.'],
  ])('recognizes "%s"', async (text) => {
    const result = await understandComposed({ from: sam, to: jane, cc: [bob, CAPTURE_ADDRESS], subject: 'Hello', text });
    expect(result.kind).toBe('intro');
  });

  it('leaves out an assistant the body says is only copied', async () => {
    const result = await understandComposed({
      from: sam,
      to: [jane, bob],
      cc: ['Pat Kim <pat@partners.example>', CAPTURE_ADDRESS],
      subject: 'Jane, meet Bob',
      text: "Jane, meet Bob! Cc'ing my assistant Pat to help find a time.",
    });
    expect(result.kind).toBe('intro');
    expect(addressesOf(result)).toEqual(['bob@roe.example', 'jane@acme.example']);
    expect(result.reasons.join(' ')).toMatch(/Pat Kim is only copied/);
  });

  it('leaves out someone copied "for visibility"', async () => {
    const result = await understandComposed({
      from: sam,
      to: jane,
      cc: [bob, 'Dana White <dana@partners.example>'],
      subject: 'Introduction',
      text: 'Jane, I want you to meet Bob. Copying Dana for visibility.',
    });
    expect(addressesOf(result)).toEqual(['bob@roe.example', 'jane@acme.example']);
  });

  it('is ambiguous, not a guess, when only one of the people has an address', async () => {
    const result = await understandComposed({ from: sam, to: jane, cc: CAPTURE_ADDRESS, subject: 'Meet Bob', text: 'Jane, I would like to introduce you to Bob Roe, the accountant I mentioned.' });
    expect(result.kind).toBe('ambiguous');
    expect(addressesOf(result)).toEqual(['jane@acme.example']);
    expect(result.reasons.at(-1)).toMatch(/only 1 of the people introduced has an email address/);
  });

  it('does not record a mailing to dozens of people as an introduction', async () => {
    const to = Array.from({ length: 25 }, (_, index) => `person${index}@acme.example`);
    const result = await understandComposed({ from: sam, to, cc: CAPTURE_ADDRESS, subject: 'Meet each other', text: 'Everyone, please meet each other at the mixer.' });
    expect(result.kind).toBe('ambiguous');
    expect(result.parties).toEqual([]);
    expect(result.reasons.at(-1)).toMatch(/25 people are addressed/);
  });

  it.each([
    ['a product pitch', 'I would like to introduce our new staffing service to your team.'],
    ['an offer to introduce later', 'Yes, I know her well. I will be happy to make the introduction.'],
    ['people who already met', 'Both of you met Gary at the breakfast; let me know how it went.'],
    ['an ordinary note', 'Please find the quarterly numbers attached.'],
  ])('does not call %s an introduction', async (_label, text) => {
    const result = await understandComposed({ from: sam, to: [jane, bob], cc: CAPTURE_ADDRESS, subject: 'Update', text });
    expect(result.kind).toBe('not_intro');
    expect(result.introducer).toBeNull();
    expect(result.parties).toEqual([]);
  });
});

describe('replies', () => {
  it('is a reply when it continues a thread and introduces no one new', async () => {
    const result = await understandComposed({
      from: bob,
      to: [jane, sam],
      cc: CAPTURE_ADDRESS,
      subject: 'Re: Intro: Jane <> Bob',
      inReplyTo: '<intro-1@partners.example>',
      references: ['<intro-1@partners.example>'],
      text: 'Thanks Sam! Jane, does Tuesday work?\n\nOn Mon, 23 Nov 2026 at 09:00, Sam Lee <sam@partners.example> wrote:\n> Jane, meet Bob.',
    });
    expect(result.kind).toBe('reply');
    expect(result.inReplyTo).toBe('<intro-1@partners.example>');
    expect(result.references).toEqual(['<intro-1@partners.example>']);
  });

  it('is an introduction when the reply brings in someone new', async () => {
    const result = await understandComposed({
      from: jane,
      to: bob,
      cc: ['Ann Park <ann@park.example>', CAPTURE_ADDRESS],
      subject: 'Re: Intro: Jane <> Bob',
      inReplyTo: '<intro-1@partners.example>',
      text: "Bob, I'm copying Ann Park, who runs our finance team; she can help you with the details.\n\nOn Mon, Sam Lee wrote:\n> Jane, meet Bob.",
    });
    expect(result.kind).toBe('intro');
    expect(result.introducer?.address).toBe('jane@acme.example');
    expect(addressesOf(result)).toEqual(['ann@park.example', 'bob@roe.example']);
  });
});

describe('forwarded introductions', () => {
  const formats = [
    'crisp__gmail_en_body.txt',
    'crisp__gmail_de_body.txt',
    'crisp__gmail_fr_body.txt',
    'crisp__hubspot_en_body.txt',
    'crisp__apple_mail_en_body.txt',
    'crisp__apple_mail_fr_body.txt',
    'crisp__outlook_2013_en_body.txt',
    'crisp__new_outlook_2019_en_body.txt',
    'crisp__outlook_live_body.txt',
    'crisp__thunderbird_en_body.txt',
    'crisp__yahoo_en_body.txt',
    'crisp__mailmate_en_body.txt',
    'crisp__missive_en_body.txt',
  ];

  it.each(formats)('reads the original sender and recipients from a %s forward to the capture address', async (file) => {
    const body = readFileSync(join(FORWARD_MARKERS, file), 'utf8');
    const result = await understandComposed({
      from: 'Bessie Berry <bessie.berry@acme.com>',
      to: CAPTURE_ADDRESS,
      subject: 'Fwd: Integer consequat non purus',
      text: `Please capture this one.\n\n${body}`,
    });
    expect(result.kind).toBe('intro');
    expect(result.introducer?.address).toBe('john.doe@acme.com');
    expect(result.forwardedBy?.address).toBe('bessie.berry@acme.com');
    expect(addressesOf(result)).toEqual(['bessie.berry@acme.com', 'nicholas@globex.corp', 'walter.sheltan@acme.com']);
  });

  it('takes the forwarder for a name-only recipient with the forwarder’s name', async () => {
    const body = readFileSync(join(FORWARD_MARKERS, 'crisp__unknown_en_body_variant_12.txt'), 'utf8');
    const result = await understandComposed({ from: 'Bessie Berry <bessie.berry@acme.com>', to: CAPTURE_ADDRESS, subject: 'FW: x', text: body });
    expect(result.kind).toBe('ambiguous');
    expect(addressesOf(result)).toEqual(['bessie.berry@acme.com']);
    expect(result.reasons.join(' ')).toMatch(/no address for its sender, John Doe/);
  });

  it('reads a forward sent as a message/rfc822 attachment', async () => {
    const original = await composeMime({ from: sam, to: jane, cc: bob, subject: 'Jane, meet Bob', text: 'Jane, meet Bob.', messageId: '<original@partners.example>' });
    const result = await understandComposed({
      from: jane,
      to: CAPTURE_ADDRESS,
      subject: 'Fwd: Jane, meet Bob',
      text: 'Forwarding as attachment.',
      attachments: [{ content: original, contentType: 'message/rfc822', filename: 'intro.eml' }],
    });
    expect(result.kind).toBe('intro');
    expect(result.introducer?.address).toBe('sam@partners.example');
    expect(result.forwardedBy?.address).toBe('jane@acme.example');
    expect(addressesOf(result)).toEqual(['bob@roe.example', 'jane@acme.example']);
  });

  it('treats an introducer forwarding a note to a party as introducing the note’s writer', async () => {
    const result = await understandComposed({
      from: sam,
      to: jane,
      cc: CAPTURE_ADDRESS,
      subject: 'FW: looking for a bookkeeper',
      text: [
        'Jane, Bob Roe is the bookkeeper I told you about; you might want to talk with him.',
        '',
        '---------- Forwarded message ---------',
        'From: Bob Roe <bob@roe.example>',
        'Date: Mon, Nov 23, 2026 at 9:31 AM',
        'Subject: looking for a bookkeeper',
        'To: Sam Lee <sam@partners.example>',
        '',
        'Sam, any clients who need help with their books?',
      ].join('\n'),
    });
    expect(result.kind).toBe('intro');
    expect(result.introducer?.address).toBe('sam@partners.example');
    expect(addressesOf(result)).toEqual(['bob@roe.example', 'jane@acme.example']);
  });
});

describe('mail that is not written by a person making an introduction', () => {
  const base = { from: sam, to: [jane, bob], cc: CAPTURE_ADDRESS, text: 'Jane, meet Bob.' };
  it.each([
    ['auto_reply', { subject: 'Away', headers: { 'Auto-Submitted': 'auto-replied' } }],
    ['auto_reply', { subject: 'Away', headers: { 'X-Autoreply': 'yes' } }],
    ['auto_reply', { subject: 'Away', headers: { 'X-Autorespond': 'Vacation' } }],
    ['auto_reply', { subject: 'Automatic reply: Jane, meet Bob', headers: { 'X-Auto-Response-Suppress': 'All' } }],
    ['auto_reply', { subject: 'Out of Office AutoReply: Jane, meet Bob' }],
    ['bulk', { subject: 'Newsletter', headers: { 'List-Id': '<news.example.com>' } }],
    ['bulk', { subject: 'Newsletter', headers: { Precedence: 'bulk' } }],
    ['bulk', { subject: 'Newsletter', headers: { Precedence: 'junk' } }],
    ['not_intro', { subject: 'Captured: Jane <> Bob', headers: { 'X-Refer-Outbound': 'capture_confirmation' } }],
  ] as const)('recognizes %s (%j)', async (kind, extra) => {
    const result = await understandComposed({ ...base, ...extra });
    expect(result.kind).toBe(kind);
    expect(result.parties).toEqual([]);
  });

  it('recognizes a calendar notification', async () => {
    const result = await understandComposed({ ...base, subject: 'Invitation: Coffee', icalEvent: { method: 'REQUEST', content: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR' } });
    expect(result.kind).toBe('calendar');
  });

  it('never captures mail from the system’s own sender address', async () => {
    const result = await understandComposed({ ...base, from: SENDER_ADDRESS, subject: 'Jane, meet Bob' });
    expect(result.kind).toBe('not_intro');
    expect(result.reasons[0]).toMatch(/own address/);
  });

  it('recognizes a bounce from the mailer daemon', async () => {
    const result = await understandComposed({ ...base, from: 'MAILER-DAEMON@mail.example', subject: 'failure notice' });
    expect(result.kind).toBe('bounce');
  });
});
