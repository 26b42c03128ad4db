import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UNSUBSCRIBE_LINK_DAYS } from '../../functions/adapters/links/booking-link-builder.ts';
import { signToken } from '../../functions/domain/links/signed-token.ts';
import { groupId, pairId } from '../../functions/domain/pairs/pair-setup.ts';
import type { Group, Pair } from '../../functions/domain/pairs/pair.ts';
import { createWebHarness, fetchPage, headingOf, postForm, textOf, tokenOf, type FetchedPage, type WebHarness } from '../support/web-harness.ts';

/**
 * One-click unsubscribe from the recurring emails (RFC 8058): mail clients POST
 * `List-Unsubscribe=One-Click` to the link in `List-Unsubscribe`; a person opening the link sees a
 * confirm page whose button POSTs the same. Against DynamoDB Local through the real pair store.
 */
let h: WebHarness;
beforeAll(async () => {
  h = await createWebHarness();
  for (const partner of [ANA, VICTOR, LENA]) await h.registerPartner({ ...partner, timeZone: 'Europe/London', connected: false });
});
afterAll(() => h.stop());
beforeEach(() => h.booking.resetBetweenTests());

const ANA = { email: 'ana.ruiz@partner.test', name: 'Ana Ruiz' };
const VICTOR = { email: 'victor.ng@partner.test', name: 'Victor Ng' };
const LENA = { email: 'lena.park@partner.test', name: 'Lena Park' };
const DAY_S = 86_400;
let groups = 0;

async function savePair(): Promise<Pair> {
  const pair: Pair = {
    id: pairId(ANA.email, VICTOR.email),
    partners: [ANA.email, VICTOR.email],
    timeZone: 'Europe/London',
    weekly: { day: 'mon', time: '08:00' },
    oneToOne: 'monthly',
    goalPerMonth: 2,
    createdAt: h.booking.clock.now().toISOString(),
    unsubscribed: [],
    nextOneToOne: null,
  };
  await h.pairs.savePair(pair);
  return pair;
}

async function saveGroup(): Promise<Group> {
  groups += 1;
  const name = `North Side Referrals ${groups}`;
  const group: Group = { id: groupId(name), name, members: [ANA.email, VICTOR.email, LENA.email], timeZone: 'Europe/London', createdAt: h.booking.clock.now().toISOString(), unsubscribed: [] };
  await h.pairs.saveGroup(group);
  return group;
}

/** The POST a mail client sends for a one-click unsubscribe (RFC 8058 section 3.2), urlencoded. */
function oneClick(link: string, body = 'List-Unsubscribe=One-Click', contentType = 'application/x-www-form-urlencoded'): Promise<FetchedPage> {
  return fetchPage(link, { method: 'POST', headers: { 'content-type': contentType }, body });
}

const pairNow = async (id: string) => (await h.pairs.getPair(id))?.unsubscribed;
const groupNow = async (id: string) => (await h.pairs.getGroup(id))?.unsubscribed;

describe('one-click unsubscribe', () => {
  it('a mail client’s POST (no page in between) unsubscribes that recipient from the pair’s weekly email; repeating is harmless', async () => {
    const pair = await savePair();
    const link = h.links.unsubscribe('pair', pair.id, ANA.email);

    const done = await oneClick(link);
    expect(done.status).toBe(200);
    expect(done.headers.get('location')).toBeNull();
    expect(headingOf(done.text)).toBe("You're unsubscribed");
    expect(textOf(done.text)).toContain("You won't get the weekly check-in with Victor Ng any more.");
    expect(await pairNow(pair.id)).toEqual([ANA.email]);

    const again = await oneClick(link);
    expect(again.status).toBe(200);
    expect(headingOf(again.text)).toBe("You're already unsubscribed");
    expect(await pairNow(pair.id)).toEqual([ANA.email]);
    // Opening the link now says so, without a button.
    const shown = await fetchPage(link);
    expect(headingOf(shown.text)).toBe("You're already unsubscribed");
    expect(shown.text).not.toContain('<form');

    // Victor's own link still works, for Victor only.
    expect(headingOf((await oneClick(h.links.unsubscribe('pair', pair.id, VICTOR.email))).text)).toBe("You're unsubscribed");
    expect(await pairNow(pair.id)).toEqual([ANA.email, VICTOR.email]);
  });

  it('multipart/form-data (the other encoding RFC 8058 allows) unsubscribes from a group’s digest', async () => {
    const group = await saveGroup();
    const link = h.links.unsubscribe('group', group.id, LENA.email);
    const other = new FormData();
    other.set('List-Unsubscribe', 'Later');
    expect((await fetchPage(link, { method: 'POST', body: other })).status).toBe(400);
    expect(await groupNow(group.id)).toEqual([]);
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const done = await fetchPage(link, { method: 'POST', body: form });
    expect(done.status).toBe(200);
    expect(headingOf(done.text)).toBe("You're unsubscribed");
    expect(textOf(done.text)).toContain(`You won't get the monthly digest of ${group.name} any more.`);
    expect(await groupNow(group.id)).toEqual([LENA.email]);
  });

  it('GET shows a confirm page that changes nothing; its button POSTs the same one-click request', async () => {
    const group = await saveGroup();
    const link = h.links.unsubscribe('group', group.id, ANA.email);
    const page = await fetchPage(link);
    expect(page.status).toBe(200);
    expect(headingOf(page.text)).toBe(`Stop the monthly digest of ${group.name}?`);
    expect(textOf(page.text)).toContain('The other members still get it.');
    const action = /<form method="post" action="([^"]+)">/.exec(page.text)?.[1] ?? '';
    expect(action).toBe(`unsubscribe?token=${tokenOf(link)}`);
    expect(page.text).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect((await fetchPage(link, { method: 'HEAD' })).status).toBe(200);
    expect(await groupNow(group.id)).toEqual([]);

    const done = await postForm(new URL(action, link).toString(), { 'List-Unsubscribe': 'One-Click' });
    expect(headingOf(done.text)).toBe("You're unsubscribed");
    expect(await groupNow(group.id)).toEqual([ANA.email]);
  });

  it('a POST without "List-Unsubscribe=One-Click", or not a form, changes nothing', async () => {
    const pair = await savePair();
    const link = h.links.unsubscribe('pair', pair.id, ANA.email);
    for (const body of ['', 'List-Unsubscribe=Yes', 'one-click=1']) {
      const page = await oneClick(link, body);
      expect(page.status, body).toBe(400);
      expect(headingOf(page.text)).toBe('Not a form we know');
    }
    expect((await oneClick(link, 'List-Unsubscribe=One-Click', 'text/plain')).status).toBe(415);
    expect((await oneClick(link, `List-Unsubscribe=One-Click&x=${'y'.repeat(10_000)}`)).status).toBe(413);
    expect((await fetchPage(link, { method: 'DELETE' })).status).toBe(405);
    expect(await pairNow(pair.id)).toEqual([]);
  });

  it('tampered, wrong-action and malformed tokens: 400; expired: 410; a removed pair: 404; nothing changes', async () => {
    const pair = await savePair();
    const link = h.links.unsubscribe('pair', pair.id, ANA.email);
    const token = tokenOf(link);
    const [payload, mac] = token.split('.') as [string, string];
    const claims = h.booking.verifyLink(link, 'unsubscribe');
    const forged = (data: Record<string, string>) => `${Buffer.from(JSON.stringify({ ...claims, data: { ...claims.data, ...data } })).toString('base64url')}.${mac}`;
    const bad = [
      `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`,
      forged({ recipient: VICTOR.email }),
      signToken({ ...claims, action: 'rebook' }, h.booking.linkKey),
      signToken({ ...claims, data: { kind: 'team', recipient: ANA.email } }, h.booking.linkKey),
      signToken({ ...claims, data: { kind: 'pair' } }, h.booking.linkKey),
      'not-a-token',
    ];
    for (const each of bad) {
      const url = h.url(`/unsubscribe?token=${encodeURIComponent(each)}`);
      for (const page of [await fetchPage(url), await oneClick(url)]) {
        expect(page.status).toBe(400);
        expect(headingOf(page.text)).toBe("This link isn't valid");
      }
    }
    expect((await oneClick(h.url('/unsubscribe'))).status).toBe(400);

    const gone = h.links.unsubscribe('pair', 'no-such-pair', ANA.email);
    for (const page of [await fetchPage(gone), await oneClick(gone)]) {
      expect(page.status).toBe(404);
      expect(headingOf(page.text)).toBe('This check-in no longer exists');
    }

    h.booking.clock.advance(UNSUBSCRIBE_LINK_DAYS * DAY_S * 1000);
    for (const page of [await fetchPage(link), await oneClick(link)]) {
      expect(page.status).toBe(410);
      expect(textOf(page.text)).toContain(`Unsubscribe links work for ${UNSUBSCRIBE_LINK_DAYS} days.`);
    }
    expect(await pairNow(pair.id)).toEqual([]);
  });

  it('a link signed with the previous key works; one signed with an unknown key does not', async () => {
    const pair = await savePair();
    const sign = (key: Buffer) =>
      signToken({ action: 'unsubscribe', subject: pair.id, expiresAt: Math.floor(h.booking.clock.peek().getTime() / 1000) + DAY_S, data: { kind: 'pair', recipient: VICTOR.email } }, key);
    expect((await oneClick(h.url(`/unsubscribe?token=${sign(randomBytes(32))}`))).status).toBe(400);
    expect(await pairNow(pair.id)).toEqual([]);
    const done = await oneClick(h.url(`/unsubscribe?token=${sign(h.previousLinkKey)}`));
    expect(headingOf(done.text)).toBe("You're unsubscribed");
    expect(textOf(done.text)).toContain('the weekly check-in with Ana Ruiz');
    expect(await pairNow(pair.id)).toEqual([VICTOR.email]);
  });
});
