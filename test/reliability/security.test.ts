import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_LINK_DAYS, UNSUBSCRIBE_LINK_DAYS } from '../../functions/adapters/links/booking-link-builder.ts';
import { composeMail } from '../../functions/adapters/mail/compose-mail.ts';
import type { OutboundEmail } from '../../functions/domain/outbound/outbound-email.ts';
import { CAPTURE_ADDRESS, composeMessage, SENDER, sesSample, sesSampleNames, type CaptureHarness } from '../support/capture-harness.ts';
import { createWebHarness, fetchPage, postForm, tokenOf, type FetchedPage, type WebHarness } from '../support/web-harness.ts';
import { createCaptureWorld, type CaptureWorld } from './support/capture-world.ts';
import { reportFigures } from './support/figures.ts';
import { bookedIntroduction, proposedTimeLink, weeklyPair } from './support/web-world.ts';
import { forbidInLogs, watchLogSinks } from './support/log-capture.ts';
import { scaled } from './support/scale.ts';

/**
 * Security at the edges: forged senders, hostile display names, one-click links. (The fourth item,
 * logs free of addresses, tokens and bodies, is checked at the end of every reliability test file
 * by test/reliability/support/log-scan-setup.ts.)
 */

const PARTNER = 'sam.lee@partners.example';
const HOSTILE_NAMES = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'Jane\r\nBcc: victim@evil.example',
  'Bob\nX-Injected: yes',
  "Eve </title><script>alert('t')</script>",
  'O\'Brien "Bob" <b>bold</b> & co',
  '=?utf-8?q?Mallory=0D=0ABcc:_x@evil.example?=',
  'Trudy\u2028\u2029\u0000\u0007',
];
/** Header names our outbound mail may carry; anything else got in through a value. */
const OUTBOUND_HEADERS = new Set([
  'content-type',
  'content-transfer-encoding',
  'from',
  'to',
  'reply-to',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'in-reply-to',
  'references',
  'auto-submitted',
  'x-auto-response-suppress',
  'x-refer-outbound',
  'list-unsubscribe',
  'list-unsubscribe-post',
]);

/** The header names of a raw message's top-level header block, lines unfolded. */
function headerNames(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return text
    .slice(0, end)
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n')
    .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

function headerProblems(raw: Buffer, label: string): string[] {
  const unexpected = headerNames(raw).filter((name) => !OUTBOUND_HEADERS.has(name));
  return unexpected.length > 0 ? [`${label}: unexpected header(s) ${unexpected.join(', ')}`] : [];
}

/** The hostile names' markup, as it would appear if it were not escaped: a tag, or a way out of an attribute. */
const LIVE_MARKUP = ['<script>alert', '<img src=x', '</title><script>', '<b>bold</b>'];

/** Markup from a hostile name must reach a page or an email's HTML as text, never as markup. */
function markupProblems(html: string, label: string): string[] {
  const found = LIVE_MARKUP.filter((markup) => html.includes(markup));
  return found.length > 0 ? [`${label}: markup from a name is live (${found.join(', ')})`] : [];
}

describe('security', () => {
  describe('mail (capture and what it sends)', () => {
    let world: CaptureWorld;
    let h: CaptureHarness;
    beforeAll(async () => {
      world = await createCaptureWorld([[PARTNER, 'Sam Lee']]);
      h = world.h;
    });
    afterAll(() => world.stop());
    const handler = () => world.handler();

    it('a forged sender (DMARC FAIL) is rejected in every SES event shape, the message never read, no one emailed; the same message with DMARC PASS is captured', async () => {
      const samples = sesSampleNames().filter((name) => {
        const event = sesSample(name) as { Records?: { eventSource?: string; ses?: { receipt?: { action?: { type?: string } } } }[] };
        return (event.Records ?? []).some((record) => record.eventSource === 'aws:ses' && ['Lambda', 'S3'].includes(record.ses?.receipt?.action?.type ?? ''));
      });
      const problems: string[] = [];
      let tried = 0;
      const verdictSets = [
        { dmarc: 'FAIL' as const },
        { dmarc: 'FAIL' as const, spf: 'FAIL' as const, dkim: 'FAIL' as const },
        { dmarc: 'FAIL' as const, spf: 'PASS' as const, dkim: 'PASS' as const },
      ];
      for (const sample of samples) {
        for (const [index, verdicts] of verdictSets.entries()) {
          tried += 1;
          const id = h.sesId(`spoof-${sample}-${index}`);
          // Someone else's server claims to be the partner.
          const raw = await composeMessage({
            from: `Sam Lee <${PARTNER}>`,
            to: ['jane@acme.example', 'bob@roe.example'],
            cc: [CAPTURE_ADDRESS],
            subject: 'Jane, meet Bob',
            text: 'Jane, meet Bob.',
            messageId: `<spoof-${tried}@forger.example>`,
          });
          h.s3.resetHistory();
          const event = h.delivery(id, raw, { sample, verdicts });
          // Where this sample's action says SES stored the message, if it says.
          const [summary] = await handler()(event);
          const inbound = await h.store.findInbound(id);
          if (summary?.outcome !== 'rejected' || inbound?.outcome !== 'rejected') problems.push(`${sample} ${JSON.stringify(verdicts)}: ${summary?.outcome ?? 'none'}`);
          if (!inbound?.reasons.includes("the sender's domain failed DMARC, so the sender may be forged")) problems.push(`${sample}: reason ${JSON.stringify(inbound?.reasons)}`);
          if (h.s3.calls().length > 0) problems.push(`${sample}: the forged message was read`);
        }
      }
      const forgedIds = new Set(Array.from({ length: tried }, (_, index) => `<spoof-${index + 1}@forger.example>`));
      if ((await h.introductions()).some((introduction) => forgedIds.has(introduction.messageId ?? ''))) problems.push('a forged introduction was captured');
      await h.mail.drain();
      if ((await h.sentEmails()).length > 0) problems.push('someone was emailed about a forged message');
      // The control: the same kind of message, DMARC PASS.
      const [genuine] = await handler()(
        h.delivery(
          h.sesId('genuine'),
          await composeMessage({ from: `Sam Lee <${PARTNER}>`, to: ['jane@acme.example', 'bob@roe.example'], cc: [CAPTURE_ADDRESS], subject: 'Jane, meet Bob', text: 'Jane, meet Bob.', messageId: '<genuine@partners.example>' }),
        ),
      );
      if (genuine?.outcome !== 'captured') problems.push(`the genuine message: ${genuine?.outcome ?? 'none'}`);
      reportFigures('security: forged senders', { 'cases tried': tried, 'SES event shapes': samples.length, rejected: tried - problems.length, failures: problems.length });
      expect(problems).toEqual([]);
    });

    it('CR/LF and markup in display names and subjects never reach an outbound header or the HTML of an email as such (capture confirmations and needs-attention emails)', async () => {
      const problems: string[] = [];
      let emails = 0;
      for (const [index, name] of HOSTILE_NAMES.entries()) {
        forbidInLogs(name);
        const quoted = `"${name.replace(/["\\]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`;
        // Raw MIME, as a hostile client writes it (a composer would encode the names safely).
        const headers = [
          `From: ${quoted} <${PARTNER}>`,
          `To: ${quoted} <jane.${index}@acme.example>, "Bob ${index}" <bob.${index}@roe.example>`,
          `Cc: ${CAPTURE_ADDRESS}`,
          `Subject: Intro: ${name.replace(/[\r\n]/g, ' ')} <> Bob`,
          `Message-ID: <hostile-name-${index}@partners.example>`,
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=utf-8',
        ];
        const intro = Buffer.from(`${headers.join('\r\n')}\r\n\r\nJane, meet Bob. You two should talk.\r\n`);
        const unclear = Buffer.from(
          [
            `From: ${quoted} <${PARTNER}>`,
            `To: "Jane" <jane.u${index}@acme.example>`,
            `Cc: ${CAPTURE_ADDRESS}`,
            `Subject: =?utf-8?b?${Buffer.from(`${name} meets Bob`).toString('base64')}?=`,
            `Message-ID: <hostile-subject-${index}@partners.example>`,
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=utf-8',
            '',
            'Jane, I am connecting you two: Bob will call you.',
          ].join('\r\n'),
        );
        await handler()(h.delivery(h.sesId(`name-${index}`), intro));
        await handler()(h.delivery(h.sesId(`subject-${index}`), unclear));
      }
      // The jobs side sends the confirmations and needs-attention emails from the stream.
      await h.mail.drain();
      for (const email of await h.sentEmails()) {
        emails += 1;
        const label = `${email.parsed.subject ?? ''}`.slice(0, 60);
        problems.push(...headerProblems(email.raw, label));
        if (typeof email.parsed.html === 'string') problems.push(...markupProblems(email.parsed.html, label));
        if (/[\r\n]/.test(email.parsed.subject ?? '')) problems.push(`${label}: a line break in the subject`);
        const to = email.parsed.to && !Array.isArray(email.parsed.to) ? email.parsed.to.value : [];
        if (to.map((address) => address.address).join() !== PARTNER) problems.push(`${label}: sent to ${JSON.stringify(to)}`);
        if (to.some((address) => /[\r\n]/.test(address.name))) problems.push(`${label}: a line break in a recipient's name`);
        if (email.parsed.bcc) problems.push(`${label}: has a Bcc`);
      }
      reportFigures('security: hostile names in outbound mail', { 'cases tried': HOSTILE_NAMES.length * 2, 'emails checked': emails, failures: problems.length });
      expect(emails).toBeGreaterThanOrEqual(HOSTILE_NAMES.length * 2);
      expect(problems).toEqual([]);
    });

    it(`the composer keeps every hostile subject, name and reply-to on its line (${scaled(150, 3_000)} generated emails)`, async () => {
      const encodedWord = fc.string({ maxLength: 30 }).map((text) => `=?utf-8?b?${Buffer.from(`${text}\r\nBcc: x@evil.example`).toString('base64')}?=`);
      const hostile = fc.oneof(fc.constantFrom(...HOSTILE_NAMES), encodedWord, fc.string({ unit: 'binary', maxLength: 80 }), fc.stringMatching(/^[\w <>"'=?:;,@\r\n\t\\-]{0,60}$/));
      const emails = fc.sample(
        fc.record({ subject: hostile, toName: hostile, replyName: hostile, text: hostile }).map(
          ({ subject, toName, replyName, text }): OutboundEmail => ({
            outboxKey: `security#${subject}`,
            purpose: 'nudge',
            to: [{ email: 'ana@partner.example', name: toName }],
            replyTo: [{ email: CAPTURE_ADDRESS, name: replyName }],
            subject,
            text,
            html: '<p>fixed</p>',
            inReplyTo: '<intro@partners.example>',
            references: ['<intro@partners.example>'],
            introductionId: 'abc',
            unsubscribeUrl: `https://refer.test/unsubscribe?token=x${text.slice(0, 20)}`,
          }),
        ),
        { numRuns: scaled(150, 3_000), seed: 8_058 },
      );
      const problems: string[] = [];
      for (const email of emails) {
        const { raw } = await composeMail(email, SENDER);
        problems.push(...headerProblems(raw, JSON.stringify(email.subject).slice(0, 40)));
        const parsed = await simpleParser(raw);
        const to = parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : [];
        if (to.map((address) => address.address).join() !== 'ana@partner.example') problems.push(`${JSON.stringify(email.to[0]?.name)}: sent to ${JSON.stringify(to)}`);
        // As the recipient's mail client reads them (encoded words decoded): still one line each.
        const replyTo = parsed.replyTo && !Array.isArray(parsed.replyTo) ? parsed.replyTo.value : [];
        for (const text of [parsed.subject ?? '', ...to.map((address) => address.name), ...replyTo.map((address) => address.name)]) {
          if (/[\r\n]/.test(text)) problems.push(`a line break reaches the recipient: ${JSON.stringify(text).slice(0, 80)}`);
        }
      }
      reportFigures('security: composer headers', { 'cases tried': emails.length, failures: problems.length });
      expect(problems.slice(0, 10)).toEqual([]);
    });
  });

  describe('pages and one-click links (the web function)', () => {
    let h: WebHarness;
    beforeAll(async () => {
      h = await createWebHarness();
      watchLogSinks(h.logs, h.booking.logs);
    });
    afterAll(() => h.stop());

    const hostileIntroduction = (name: string, mode: 'auto' | 'propose' = 'auto') => bookedIntroduction(h, name, mode);

    function pageProblems(page: FetchedPage, label: string): string[] {
      const problems = markupProblems(page.text, label);
      for (const [header, value] of page.headers) if (/injected|x=1|victim/i.test(`${header}: ${value}`)) problems.push(`${label}: header ${header} carries a name`);
      return problems;
    }

    it('names with CR/LF or markup are shown as text on every page that shows them', async () => {
      const problems: string[] = [];
      let pages = 0;
      for (const name of HOSTILE_NAMES.filter((candidate) => !candidate.includes('\u0000'))) {
        const { owner, introduction } = await hostileIntroduction(name);
        const proposal = await hostileIntroduction(name, 'propose');
        const slotLink = proposedTimeLink(h, proposal.introduction.id);
        const links = [
          h.links.answer(introduction.id, 'outcome', 'promising', owner.email),
          h.links.answer(introduction.id, 'outcome', 'not_a_fit', owner.email),
          h.dependencies.links.rebook(introduction.id),
          ...(slotLink ? [slotLink] : []),
        ];
        if (!slotLink) problems.push(`${JSON.stringify(name)}: no proposal email`);
        for (const link of links) {
          pages += 1;
          const page = await fetchPage(link);
          if (page.status >= 500) problems.push(`${JSON.stringify(name)}: ${page.status} for ${new URL(link).pathname}`);
          problems.push(...pageProblems(page, `${JSON.stringify(name)} on ${new URL(link).pathname}`));
        }
      }
      reportFigures('security: hostile names on pages', { 'cases tried': pages, failures: problems.length });
      expect(problems).toEqual([]);
    });

    /** One kind of one-click link: how to make one, apply it, and see the state it changes. */
    interface LinkKind {
      readonly name: string;
      readonly make: () => Promise<{ link: string; state: () => Promise<unknown> }>;
      readonly apply: (link: string) => Promise<FetchedPage>;
      readonly expire: (link: string) => void;
    }

    const kinds: LinkKind[] = [
      {
        name: 'answer',
        async make() {
          const { owner, introduction } = await hostileIntroduction('Ana Ruiz');
          return {
            link: h.links.answer(introduction.id, 'outcome', 'promising', owner.email),
            state: async () => ({ introduction: await h.booking.introduction(introduction.id), history: (await h.booking.history(introduction.id)).length }),
          };
        },
        apply: (link) => postForm(h.url('/answer'), { token: tokenOf(link) }),
        expire: () => h.booking.clock.advance(ANSWER_LINK_DAYS * 86_400_000),
      },
      {
        name: 'unsubscribe',
        async make() {
          const pair = await weeklyPair(h);
          return { link: h.links.unsubscribe('pair', pair.id, pair.partner), state: async () => (await h.pairs.getPair(pair.id))?.unsubscribed };
        },
        apply: (link) => fetchPage(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' }),
        expire: () => h.booking.clock.advance(UNSUBSCRIBE_LINK_DAYS * 86_400_000),
      },
      {
        name: 'slot',
        async make() {
          const { owner, introduction } = await hostileIntroduction('Victor Ng', 'propose');
          const link = proposedTimeLink(h, introduction.id) ?? '';
          return { link, state: async () => ({ introduction: await h.booking.introduction(introduction.id), events: h.booking.calendarEvents(owner.email, { showDeleted: true }).length }) };
        },
        apply: (link) => postForm(h.url('/slot'), { token: tokenOf(link) }),
        expire: (link) => {
          const claims = JSON.parse(Buffer.from(tokenOf(link).split('.')[0] ?? '', 'base64url').toString('utf8')) as { data: { start: string } };
          h.booking.clock.set(new Date(claims.data.start));
        },
      },
    ];

    /** Ways a link is not the link that was sent. */
    function tampered(link: string): string[] {
      const token = tokenOf(link);
      const [payload = '', mac = ''] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const reclaimed = (changes: Record<string, unknown>) => `${Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')}.${mac}`;
      return [
        `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`,
        reclaimed({ subject: 'another-introduction' }),
        reclaimed({ expiresAt: 4_102_444_800 }),
        reclaimed({ action: claims.action === 'answer' ? 'unsubscribe' : 'answer' }),
        token.slice(0, -1),
        `${token}.extra`,
        payload,
        '',
        'x'.repeat(3_000),
      ];
    }

    const withToken = (link: string, token: string) => {
      const url = new URL(link);
      url.searchParams.set('token', token);
      return url.toString();
    };

    it('tampered, expired, replayed or prefetched (GET, HEAD) links change nothing; the one real click changes it once', async () => {
      const problems: string[] = [];
      let tried = 0;
      for (const kind of kinds) {
        const { link, state } = await kind.make();
        if (!link) {
          problems.push(`${kind.name}: no link`);
          continue;
        }
        const untouched = JSON.stringify(await state());
        const unchanged = async (what: string) => {
          tried += 1;
          if (JSON.stringify(await state()) !== untouched) problems.push(`${kind.name}: ${what} changed something`);
        };
        // Mail scanners and link previews open links, sometimes several times.
        for (let opened = 0; opened < 3; opened += 1) await fetchPage(link);
        await fetchPage(link, { method: 'HEAD' });
        await unchanged('opening the link (GET, HEAD)');
        for (const token of tampered(link)) {
          const shown = await fetchPage(withToken(link, token));
          const posted = await kind.apply(withToken(link, token));
          if (shown.status !== 400 || posted.status !== 400) problems.push(`${kind.name}: a tampered token got ${shown.status}/${posted.status}`);
          await unchanged(`a tampered token (${token.slice(0, 20)}…)`);
        }
        // The one real click.
        const applied = await kind.apply(link);
        if (applied.status !== 200) problems.push(`${kind.name}: the real click got ${applied.status}`);
        const after = JSON.stringify(await state());
        if (after === untouched) problems.push(`${kind.name}: the real click changed nothing`);
        // Replays: the same POST again, and again, and a GET.
        for (let replay = 0; replay < 3; replay += 1) await kind.apply(link);
        await fetchPage(link);
        tried += 1;
        if (JSON.stringify(await state()) !== after) problems.push(`${kind.name}: a replayed click changed something`);

        // An expired link, never used: shown and posted, it changes nothing.
        const fresh = await kind.make();
        const before = JSON.stringify(await fresh.state());
        const clock = h.booking.clock.peek();
        kind.expire(fresh.link);
        const [shown, posted] = [await fetchPage(fresh.link), await kind.apply(fresh.link)];
        tried += 1;
        if (shown.status !== 410 || posted.status !== 410) problems.push(`${kind.name}: an expired link got ${shown.status}/${posted.status}`);
        if (JSON.stringify(await fresh.state()) !== before) problems.push(`${kind.name}: an expired link changed something`);
        h.booking.clock.set(clock);
      }
      reportFigures('security: one-click links', { 'link kinds': kinds.length, 'cases tried': tried, failures: problems.length });
      expect(problems).toEqual([]);
    });
  });
});
