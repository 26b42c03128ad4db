import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { ANSWER_LINK_DAYS } from '../../functions/adapters/links/booking-link-builder.ts';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { changeStatus } from '../../functions/domain/followup/answer-question.ts';
import type { Question } from '../../functions/domain/followup/answers.ts';
import { day, time } from '../../functions/domain/followup/follow-up-emails.ts';
import type { Introduction } from '../../functions/domain/introductions/introduction.ts';
import { signToken, type TokenClaims } from '../../functions/domain/links/signed-token.ts';
import { makeWebHandler } from '../../functions/handlers/web.ts';
import { parseAmount } from '../../functions/web/amount.ts';
import {
  createWebHarness,
  fetchPage,
  formToken,
  functionUrlEvent,
  headingOf,
  INTRODUCER,
  OWNER,
  postForm,
  PROSPECT,
  textOf,
  tokenOf,
  type WebHarness,
} from '../support/web-harness.ts';

/**
 * One-click answers from the follow-up emails, through the web function as local mode serves it
 * (DynamoDB Local, the real stores, `answerQuestion`): GET shows what the answer will do and changes
 * nothing; only the POST applies it, once.
 */
let h: WebHarness;
beforeAll(async () => {
  h = await createWebHarness();
  await h.registerPartner({ ...OWNER, timeZone: 'America/Chicago' });
  // The introducer is a partner too, so they hear about progress.
  await h.registerPartner({ ...INTRODUCER, timeZone: 'Europe/London', connected: false });
});
afterAll(() => h.stop());
beforeEach(() => h.booking.resetBetweenTests());

const DAY_S = 86_400;

/** An introduction from Sam to Victor and Lena, at `status` (booked through the loopback calendar for `meeting_booked` and after). */
async function introductionAt(status: 'introduced' | 'meeting_booked' | 'met', introducer: { email: string; name: string } = INTRODUCER): Promise<Introduction> {
  const introduction = await h.booking.createIntroduction({ introducer, parties: [OWNER, PROSPECT], subject: 'Victor, meet Lena' });
  if (status === 'introduced') return introduction;
  expect((await bookIntroduction(introduction.id, h.dependencies)).outcome).toBe('booked');
  if (status === 'met') {
    const moved = await changeStatus(introduction.id, 'meeting_booked', 'met', { by: OWNER.email, how: 'cli', detail: 'set by the test' }, h.followThrough);
    expect(moved.outcome).toBe('applied');
  }
  return h.booking.introduction(introduction.id);
}

const answerLink = (introduction: Introduction, question: Question, answer: string) => h.links.answer(introduction.id, question, answer, OWNER.email);
const claimsOf = (link: string): TokenClaims => h.booking.verifyLink(link, 'answer');

/** The used-token record of an answer link (read off the link's own claims, so also after it expired). */
async function usedTokenItem(link: string): Promise<Record<string, unknown> | undefined> {
  const claims = JSON.parse(Buffer.from(tokenOf(link).split('.')[0] ?? '', 'base64url').toString('utf8')) as TokenClaims;
  const id = claims.data?.id ?? '';
  expect(id).not.toBe('');
  const { Item } = await h.booking.connection.client.send(new GetCommand({ TableName: h.booking.connection.tableName, Key: keys.usedToken(id), ConsistentRead: true }));
  return Item;
}

async function statusChanges(introductionId: string) {
  return (await h.booking.history(introductionId)).filter((event) => event.type === 'status_changed');
}

/** Everything a test can see of an introduction: the item and its history. */
async function snapshot(introductionId: string) {
  return { introduction: await h.booking.introduction(introductionId), history: await h.booking.history(introductionId) };
}

describe('GET /answer shows what the answer will do; only POST /answer does it, once', () => {
  it('GET: the introduction in words, the question and the answer, a Confirm form; nothing changes (HEAD neither)', async () => {
    const introduction = await introductionAt('meeting_booked');
    const link = answerLink(introduction, 'outcome', 'promising');
    const before = await snapshot(introduction.id);

    const page = await fetchPage(link);
    expect(page.status).toBe(200);
    expect(headingOf(page.text)).toBe('How did it go with Lena Park?');
    const text = textOf(page.text);
    expect(text).toContain('Sam Lee introduced you to Lena Park on Tue 24 Nov.');
    expect(text).toContain('Your answer: Promising');
    expect(text).toContain('Confirming marks it as met; Sam gets a short update from you, with thanks.');
    expect(page.text).toMatch(/<form method="post" action="answer">\s*<input type="hidden" name="token" value="[^"]+">\s*<button type="submit">Confirm<\/button>/);
    expect(formToken(page.text)).toBe(tokenOf(link));
    expect(page.text).not.toContain('name="amount"');

    // A mail scanner opening every answer of the email, twice, and HEAD: nothing happens.
    for (const answer of ['promising', 'not_a_fit', 'no_show', 'rescheduled']) {
      const each = answerLink(introduction, 'outcome', answer);
      expect((await fetchPage(each)).status).toBe(200);
      expect((await fetchPage(each)).status).toBe(200);
      expect(await usedTokenItem(each)).toBeUndefined();
    }
    expect((await fetchPage(link, { method: 'HEAD' })).status).toBe(200);
    expect(await snapshot(introduction.id)).toEqual(before);
    expect(await usedTokenItem(link)).toBeUndefined();
  });

  it('POST applies it once, recorded as a link answer by the recipient; the same token again says "already used" and changes nothing', async () => {
    const introduction = await introductionAt('meeting_booked');
    const link = answerLink(introduction, 'outcome', 'promising');

    const applied = await postForm(h.url('/answer'), { token: tokenOf(link) });
    expect(applied.status).toBe(200);
    expect(headingOf(applied.text)).toBe('Marked as met with Lena Park');
    expect(textOf(applied.text)).toContain('Sam Lee will hear about it: a short update from you, with thanks.');

    const after = await snapshot(introduction.id);
    expect(after.introduction.status).toBe('met');
    const changes = await statusChanges(introduction.id);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ by: OWNER.email, how: 'link', detail: 'meeting_booked → met: Promising' });
    expect(await usedTokenItem(link)).toMatchObject({ entity: 'used_token', state: 'used', outcome: 'applied:met', expiresAt: claimsOf(link).expiresAt });

    const meeting = after.introduction.meeting;
    const standing = `you met on ${day(meeting?.start ?? '', meeting?.timeZone ?? '')}; not closed yet`;
    for (const again of [await postForm(h.url('/answer'), { token: tokenOf(link) }), await fetchPage(link)]) {
      expect(again.status).toBe(409);
      expect(headingOf(again.text)).toBe('This link was already used');
      const usedAt = (await usedTokenItem(link))?.claimedAt as string;
      expect(textOf(again.text)).toContain(`It was used on ${day(usedAt, 'America/Chicago')} at ${time(usedAt, 'America/Chicago')} (America/Chicago time), so nothing was changed this time.`);
      expect(textOf(again.text)).toContain(`Where your introduction to Lena Park stands now: ${standing}.`);
      expect(again.text).not.toContain('<form');
    }
    expect(await snapshot(introduction.id)).toEqual(after);
  });

  it('concurrent POSTs of one link (a double click): one applies, the others say "already used"', async () => {
    const introduction = await introductionAt('meeting_booked');
    const token = tokenOf(answerLink(introduction, 'outcome', 'no_show'));
    const pages = await Promise.all(Array.from({ length: 6 }, () => postForm(h.url('/answer'), { token })));
    expect(pages.map((page) => page.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(pages.filter((page) => headingOf(page.text) === 'Marked as a no-show: Lena Park')).toHaveLength(1);
    expect((await h.booking.introduction(introduction.id)).status).toBe('no_show');
    expect(await statusChanges(introduction.id)).toHaveLength(1);
  });

  it('a stale question (the status moved on): GET and POST say where it stands, nothing changes', async () => {
    const introduction = await introductionAt('meeting_booked');
    const promising = answerLink(introduction, 'outcome', 'promising');
    const noShow = answerLink(introduction, 'outcome', 'no_show');
    expect((await postForm(h.url('/answer'), { token: tokenOf(promising) })).status).toBe(200);
    const after = await snapshot(introduction.id);

    const shown = await fetchPage(noShow);
    expect(shown.status).toBe(409);
    expect(headingOf(shown.text)).toBe('This answer no longer applies');
    expect(textOf(shown.text)).toContain('Where it stands now: you met on');
    expect(shown.text).not.toContain('<form');
    const posted = await postForm(h.url('/answer'), { token: tokenOf(noShow) });
    expect(posted.status).toBe(409);
    expect(headingOf(posted.text)).toBe('This answer no longer applies');
    expect(textOf(posted.text)).toContain('Nothing was changed: things with Lena Park have moved on since this question was asked.');
    expect(await snapshot(introduction.id)).toEqual(after);

    // A nudge answered after the meeting was booked: also overtaken.
    const booked = await introductionAt('meeting_booked');
    const nudge = await postForm(h.url('/answer'), { token: tokenOf(answerLink(booked, 'nudge', 'could_not_reach')) });
    expect(headingOf(nudge.text)).toBe('This answer no longer applies');
    expect(textOf(nudge.text)).toContain(`Where it stands now: a meeting is booked for ${day(booked.meeting?.start ?? '', 'America/Chicago')}, ${time(booked.meeting?.start ?? '', 'America/Chicago')} (America/Chicago time).`);
    expect((await h.booking.introduction(booked.id)).status).toBe('meeting_booked');
  });

  it('"remind me in 3 days" moves only the next nudge, and says when', async () => {
    const introduction = await introductionAt('introduced');
    const link = answerLink(introduction, 'nudge', 'remind_me_later');
    expect(textOf((await fetchPage(link)).text)).toContain("Nothing changes except that I'll ask you again in 3 business days.");
    const page = await postForm(h.url('/answer'), { token: tokenOf(link) });
    expect(page.status).toBe(200);
    // Tue 24 Nov 03:00 in Chicago, three business days later.
    expect(headingOf(page.text)).toBe("I'll ask again on Fri 27 Nov");
    const stored = await h.booking.introduction(introduction.id);
    expect(stored.status).toBe('introduced');
    expect(stored.followUp?.nudgeDueAt).toMatch(/^2026-11-27T09:00:00\.\d{3}Z$/);
    const reminders = (await h.booking.history(introduction.id)).filter((event) => event.type === 'reminder_set');
    expect(reminders).toEqual([expect.objectContaining({ by: OWNER.email, how: 'link' })]);
    expect(await statusChanges(introduction.id)).toEqual([]);
  });

  it('"rescheduled": the meeting no longer stands and the page offers "Find another time"', async () => {
    const introduction = await introductionAt('meeting_booked');
    const page = await postForm(h.url('/answer'), { token: tokenOf(answerLink(introduction, 'outcome', 'rescheduled')) });
    expect(headingOf(page.text)).toBe('Marked as rescheduling with Lena Park');
    const rebook = /<a class="button" href="([^"]+)">Find another time<\/a>/.exec(page.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(h.booking.verifyLink(rebook, 'rebook').subject).toBe(introduction.id);
    expect(headingOf((await fetchPage(rebook)).text)).toBe('Find another time with Lena Park?');
    expect((await h.booking.introduction(introduction.id)).status).toBe('awaiting_booking');
  });
});

describe('"Won" takes an optional amount', () => {
  it('GET shows the amount field; POST stores the amount with the win', async () => {
    const introduction = await introductionAt('met');
    const link = answerLink(introduction, 'close', 'won');
    const shown = await fetchPage(link);
    expect(headingOf(shown.text)).toBe('Did it close with Lena Park?');
    expect(textOf(shown.text)).toContain('Your answer: Won');
    expect(textOf(shown.text)).toContain('Confirming marks it as won; Sam gets a thank-you from you.');
    expect(shown.text).toContain('<label for="amount">Closed business (optional)</label>');
    expect(shown.text).toMatch(/<input type="text" id="amount" name="amount" inputmode="decimal"/);

    const page = await postForm(h.url('/answer'), { token: tokenOf(link), amount: '12,500' });
    expect(page.status).toBe(200);
    expect(headingOf(page.text)).toBe('Marked as won with Lena Park');
    expect(textOf(page.text)).toContain('Closed business: 12,500.');
    expect(textOf(page.text)).toContain('Sam Lee will hear about it: a thank-you from you.');
    const stored = await h.booking.introduction(introduction.id);
    expect(stored.status).toBe('won');
    expect(stored.followUp?.amount).toBe(12_500);
    expect(stored.followUp?.closedAt).toEqual(expect.any(String));
    expect((await statusChanges(introduction.id)).at(-1)).toMatchObject({ how: 'link', by: OWNER.email, detail: 'met → won: Won (12500)' });
  });

  it('refuses nonsense amounts on the same page, keeps the link unused, and then takes a good one', async () => {
    const introduction = await introductionAt('met');
    const link = answerLink(introduction, 'close', 'won');
    const before = await snapshot(introduction.id);
    const nonsense: [string, string][] = [
      ['abc', 'not an amount'],
      ['1.234,56', 'not an amount'],
      ['1e6', 'not an amount'],
      ['12,50', 'not an amount'],
      ['-5', 'more than 0'],
      ['0', 'more than 0'],
      ['2000000000', 'typing slip'],
      ['<b>9</b>', 'not an amount'],
    ];
    for (const [typed, says] of nonsense) {
      const page = await postForm(h.url('/answer'), { token: tokenOf(link), amount: typed });
      expect(page.status, typed).toBe(422);
      expect(headingOf(page.text)).toBe('Did it close with Lena Park?');
      expect(page.text).toMatch(new RegExp(`<p id="amount-error" class="error" role="alert">[^<]*${says}`));
      expect(page.text).toContain('aria-invalid="true"');
      expect(page.text).not.toContain('<b>9</b>');
      expect(formToken(page.text)).toBe(tokenOf(link));
    }
    expect(await snapshot(introduction.id)).toEqual(before);
    expect(await usedTokenItem(link)).toBeUndefined();

    const page = await postForm(h.url('/answer'), { token: tokenOf(link), amount: '€ 1 250.50' });
    expect(headingOf(page.text)).toBe('Marked as won with Lena Park');
    expect((await h.booking.introduction(introduction.id)).followUp?.amount).toBe(1_250.5);
  });

  it('no amount is fine: won without one', async () => {
    const introduction = await introductionAt('met');
    const page = await postForm(h.url('/answer'), { token: tokenOf(answerLink(introduction, 'close', 'won')), amount: '  ' });
    expect(headingOf(page.text)).toBe('Marked as won with Lena Park');
    expect(textOf(page.text)).not.toContain('Closed business');
    const stored = await h.booking.introduction(introduction.id);
    expect(stored.status).toBe('won');
    expect(stored.followUp?.amount ?? null).toBeNull();
  });

  it('parseAmount: what people type', () => {
    expect(parseAmount('')).toEqual({ ok: true, amount: null });
    expect(parseAmount('12500')).toEqual({ ok: true, amount: 12_500 });
    expect(parseAmount('$12,500.00')).toEqual({ ok: true, amount: 12_500 });
    expect(parseAmount('£ 1 000 000')).toEqual({ ok: true, amount: 1_000_000 });
    expect(parseAmount('99.9')).toEqual({ ok: true, amount: 99.9 });
    expect(parseAmount('1000000000')).toEqual({ ok: true, amount: 1_000_000_000 });
    for (const typed of ['12 500,00', '1,2345', '12.345', '12,500 000', 'NaN', 'Infinity', '0x10', '١٢٣', '1.2.3', '.5']) expect(parseAmount(typed), typed).toEqual({ ok: false, problem: 'not_a_number' });
    expect(parseAmount('-1')).toEqual({ ok: false, problem: 'not_positive' });
    expect(parseAmount('0.00')).toEqual({ ok: false, problem: 'not_positive' });
    expect(parseAmount('1000000000.01')).toEqual({ ok: false, problem: 'too_large' });
  });
});

describe('links that are not good answer links change nothing', () => {
  it('tampered, wrong-action, malformed data, missing and repeated tokens: 400; expired: 410 with what to do', async () => {
    const introduction = await introductionAt('meeting_booked');
    const link = answerLink(introduction, 'outcome', 'promising');
    const token = tokenOf(link);
    const [payload, mac] = token.split('.') as [string, string];
    const claims = claimsOf(link);
    const forged = (data: Record<string, string>) => `${Buffer.from(JSON.stringify({ ...claims, data: { ...claims.data, ...data } })).toString('base64url')}.${mac}`;
    const signed = (data: Record<string, string | undefined>, action: 'answer' | 'rebook' = 'answer') =>
      signToken({ action, subject: introduction.id, expiresAt: claims.expiresAt, data: Object.fromEntries(Object.entries({ ...claims.data, ...data }).filter(([, value]) => value !== undefined)) as Record<string, string> }, h.booking.linkKey);
    const before = await snapshot(introduction.id);

    const bad = [
      `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`,
      forged({ answer: 'no_show' }),
      forged({ recipient: 'someone.else@partner.test' }),
      tokenOf(h.dependencies.links.rebook(introduction.id)),
      tokenOf(h.links.unsubscribe('pair', 'some-pair', OWNER.email)),
      signed({}, 'rebook'),
      signed({ question: 'nudge', answer: 'won' }),
      signed({ question: 'weather', answer: 'sunny' }),
      signed({ id: undefined }),
      signed({ recipient: undefined }),
      'not-a-token',
      `${token}.x`,
    ];
    for (const each of bad) {
      const shown = await fetchPage(h.url(`/answer?token=${encodeURIComponent(each)}`));
      expect(shown.status).toBe(400);
      expect(headingOf(shown.text)).toBe("This link isn't valid");
      const posted = await postForm(h.url('/answer'), { token: each });
      expect(posted.status).toBe(400);
      expect(headingOf(posted.text)).toBe("This link isn't valid");
    }
    expect((await fetchPage(h.url('/answer'))).status).toBe(400);
    expect((await fetchPage(`${link}&token=${token}`)).status).toBe(400);
    expect((await postForm(h.url('/answer'), {})).status).toBe(400);
    expect((await fetchPage(h.url('/answer'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `token=${token}` })).status).toBe(415);
    expect((await fetchPage(h.url('/answer'), { method: 'PUT' })).status).toBe(405);

    h.booking.clock.advance(ANSWER_LINK_DAYS * DAY_S * 1000);
    const expired = await fetchPage(link);
    expect(expired.status).toBe(410);
    expect(headingOf(expired.text)).toBe('This link has expired');
    expect(textOf(expired.text)).toContain(`Answer links work for ${ANSWER_LINK_DAYS} days.`);
    expect((await postForm(h.url('/answer'), { token })).status).toBe(410);

    expect(await snapshot(introduction.id)).toEqual(before);
    expect(await usedTokenItem(link)).toBeUndefined();
  });

  it('an introduction that is gone: 404, nothing to update', async () => {
    const token = signToken(
      { action: 'answer', subject: 'no-such-introduction', expiresAt: 4_102_444_800, data: { question: 'outcome', answer: 'promising', recipient: OWNER.email, id: 'abc123' } },
      h.booking.linkKey,
    );
    for (const page of [await fetchPage(h.url(`/answer?token=${token}`)), await postForm(h.url('/answer'), { token })]) {
      expect(page.status).toBe(404);
      expect(headingOf(page.text)).toBe('This introduction is no longer on record');
    }
  });

  it('escapes every value: names with markup are shown as text', async () => {
    const introduction = await introductionAt('meeting_booked', { email: 'mallory@introducer.test', name: 'Mal "<script>alert(1)</script>" Lory' });
    const page = await fetchPage(answerLink(introduction, 'outcome', 'promising'));
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>alert');
    expect(textOf(page.text)).toContain('<script>alert(1)</script>');
    // Not a partner: the page does not promise them an update.
    expect(textOf(page.text)).toContain('Confirming marks it as met.');
  });
});

describe('the link-signing key rotates', () => {
  const answerToken = (introduction: Introduction, key: Buffer) =>
    signToken(
      {
        action: 'answer',
        subject: introduction.id,
        expiresAt: Math.floor(h.booking.clock.peek().getTime() / 1000) + DAY_S,
        data: { question: 'outcome', answer: 'promising', recipient: OWNER.email, id: randomBytes(12).toString('base64url') },
      },
      key,
    );

  it('a link signed with the previous key works; one signed with an unknown key does not', async () => {
    const introduction = await introductionAt('meeting_booked');
    const unknown = answerToken(introduction, randomBytes(32));
    expect((await fetchPage(h.url(`/answer?token=${unknown}`))).status).toBe(400);
    expect((await postForm(h.url('/answer'), { token: unknown })).status).toBe(400);
    expect((await h.booking.introduction(introduction.id)).status).toBe('meeting_booked');

    const previous = answerToken(introduction, h.previousLinkKey);
    expect(headingOf((await fetchPage(h.url(`/answer?token=${previous}`))).text)).toBe('How did it go with Lena Park?');
    expect(headingOf((await postForm(h.url('/answer'), { token: previous })).text)).toBe('Marked as met with Lena Park');
    expect((await h.booking.introduction(introduction.id)).status).toBe('met');
  });

  it('a warm function reads the keys again when a link matches none (a rotation since it started), at most once a minute', async () => {
    const introduction = await introductionAt('meeting_booked');
    const rotated = randomBytes(32);
    let reads = 0;
    const handler = makeWebHandler({
      ...h.webDependencies,
      // Started before the rotation: it knows only the key that is now the previous one.
      verificationKeys: [h.booking.linkKey],
      reloadLinkKeys: () => {
        reads += 1;
        return Promise.resolve({ verificationKeys: [rotated, h.booking.linkKey] });
      },
    });
    const show = (token: string) => handler(functionUrlEvent('GET', '/answer', { query: `token=${token}` }));
    expect((await show(answerToken(introduction, rotated))).statusCode).toBe(200);
    expect(reads).toBe(1);
    // Known keys need no read; forgeries are refused without another read within the minute.
    expect((await show(answerToken(introduction, h.booking.linkKey))).statusCode).toBe(200);
    expect((await show(answerToken(introduction, randomBytes(32)))).statusCode).toBe(400);
    expect((await show(answerToken(introduction, randomBytes(32)))).statusCode).toBe(400);
    expect(reads).toBe(1);

    // The signing key must be one of the keys it verifies with (it signs the OAuth state).
    expect(() => makeWebHandler({ ...h.webDependencies, verificationKeys: [rotated] })).toThrow('the link signing key must be one of the verification keys');
  });
});

describe('a failure while answering loses nothing', () => {
  it('the answer failed: a 500 page, the link is given back, and trying again applies it once', async () => {
    const introduction = await introductionAt('meeting_booked');
    const link = answerLink(introduction, 'outcome', 'promising');
    const failing = makeWebHandler({
      ...h.webDependencies,
      followThrough: { ...h.followThrough, store: h.booking.crashOnce(h.followThrough.store, 'changeStatus') },
    });
    const response = await failing(functionUrlEvent('POST', '/answer', { form: { token: tokenOf(link) } }));
    expect(response.statusCode).toBe(500);
    expect((await h.booking.introduction(introduction.id)).status).toBe('meeting_booked');
    expect(await usedTokenItem(link)).toMatchObject({ state: 'released' });

    const retried = await postForm(h.url('/answer'), { token: tokenOf(link) });
    expect(headingOf(retried.text)).toBe('Marked as met with Lena Park');
    expect(await statusChanges(introduction.id)).toHaveLength(1);
    expect(await usedTokenItem(link)).toMatchObject({ state: 'used', outcome: 'applied:met' });
    expect(headingOf((await postForm(h.url('/answer'), { token: tokenOf(link) })).text)).toBe('This link was already used');
  });

  it('a claim left behind by a function that died mid-answer is taken over once it is stale', async () => {
    const introduction = await introductionAt('meeting_booked');
    const link = answerLink(introduction, 'outcome', 'promising');
    const claims = claimsOf(link);
    // What a crash right after the claim leaves.
    const claim = await h.usedTokens.claim(claims.data?.id ?? '', { attempt: 'died', at: h.booking.clock.now(), expiresAt: claims.expiresAt });
    expect(claim.claimed).toBe(true);
    expect(headingOf((await postForm(h.url('/answer'), { token: tokenOf(link) })).text)).toBe('This link was already used');

    h.booking.clock.advance(3 * 60_000);
    expect(headingOf((await fetchPage(link)).text)).toBe('How did it go with Lena Park?');
    expect(headingOf((await postForm(h.url('/answer'), { token: tokenOf(link) })).text)).toBe('Marked as met with Lena Park');
    expect(await statusChanges(introduction.id)).toHaveLength(1);
  });

  it('the web function logged no one by address in this file', () => {
    expect(h.logs.some((call) => call.args[0] === 'answer handled')).toBe(true);
    for (const call of h.logs) expect(JSON.stringify(call.args), 'a log line contains an email address').not.toMatch(/[^\s"'<>@]+@[^\s"'<>@]+\.[a-z]{2,}/i);
  });
});
