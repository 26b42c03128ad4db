import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPairViewStore } from '../../functions/adapters/dynamodb/pair-view-store.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { queryAll } from '../../functions/adapters/dynamodb/query-all.ts';
import type { Contact, Introduction } from '../../functions/domain/introductions/introduction.ts';
import type { MailSender } from '../../functions/domain/outbound/outbound-email.ts';
import { addPair, pairId } from '../../functions/domain/pairs/pair-setup.ts';
import { keepPairViewsUpToDate, pairIntroductionOf, streamStamp } from '../../functions/domain/pairs/pair-view.ts';
import type { Pair } from '../../functions/domain/pairs/pair.ts';
import { runJob } from '../../functions/domain/schedules/run-job.ts';
import { meterDynamo } from '../../bench/dynamo-meter.ts';
import { createFollowThroughHarness, plainText, printFollowThroughFigures, type FollowThroughHarness } from '../support/follow-through-harness.ts';

/**
 * The weekly check-in's read model in each pair's partition (pair-view.ts): kept up to date by the
 * table stream's consumer (late, repeated and out-of-order records change nothing; introductions
 * outside the pair are not counted), built once for a pair that has none, read with one query; and
 * the pair's weekly emails claimed and marked together, exactly once when a send fails in between.
 * DynamoDB Local with its real stream, loopback Google, real MIME.
 */

let h: FollowThroughHarness;
let views: DynamoPairViewStore;
let people = 0;
/** Every request to the table, in three categories: the upkeep's writes to the pair partitions, its look-ups of which pairs exist, the rest. */
let meter: ReturnType<typeof meterDynamo>;
const requests = () => meter.tally('write').requests + meter.tally('lookup').requests + meter.tally().requests;

beforeAll(async () => {
  h = await createFollowThroughHarness();
  views = new DynamoPairViewStore(h.booking.connection);
  meter = meterDynamo(h.booking.connection.client, (input) => {
    if ((input.Item as { entity?: string } | undefined)?.entity === 'pair_introduction') return 'write';
    const keysRead = Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: { pk?: string }[] }>).flatMap((request) => request.Keys ?? []);
    return keysRead.some((key) => key.pk?.startsWith('PAIR#')) ? 'lookup' : 'counted';
  });
});
beforeEach(async () => {
  await h.resetBetweenTests();
});
afterAll(async () => {
  await h.stop();
  printFollowThroughFigures('pair-read-model.test.ts', h.figures);
});

async function partner(first: string, last: string): Promise<Contact> {
  people += 1;
  const email = `${first.toLowerCase()}.${people}@${last.toLowerCase()}.example`;
  await h.partner({ email, name: `${first} ${last}`, timeZone: 'Europe/London', connect: 'oauth' });
  return { email, name: `${first} ${last}` };
}

function prospect(first: string): Contact {
  people += 1;
  return { email: `${first.toLowerCase()}.${people}@prospect.example`, name: `${first} Prospect` };
}

async function introduceAt(at: string, from: Contact, to: Contact, who: Contact): Promise<Introduction> {
  h.clock.set(new Date(at));
  return h.introduce({ from, to: [to, who] });
}

async function pairOf(a: Contact, b: Contact): Promise<Pair> {
  const { pair } = await addPair({ a: a.email, b: b.email, timeZone: 'Europe/London', weekly: { day: 'mon', time: '08:00' }, oneToOne: 'off', goalPerMonth: 2 }, h.dependencies);
  await h.drain();
  return pair;
}

const SINCE = new Date('2025-01-01T00:00:00Z');

async function partition(id: string): Promise<Record<string, unknown>[]> {
  return queryAll(h.booking.connection, { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `PAIR#${id}` } });
}

describe('the pair read model', () => {
  it('follows every change of an introduction between the two partners through the stream, and nothing else', async () => {
    const ana = await partner('Ana', 'Ruiz');
    const victor = await partner('Victor', 'Hale');
    const carl = await partner('Carl', 'Moss');
    h.clock.set(new Date('2026-11-02T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    meter.reset();

    const lena = await introduceAt('2026-11-03T09:00:00Z', ana, victor, prospect('Lena'));
    const sara = await introduceAt('2026-11-04T09:00:00Z', victor, ana, prospect('Sara'));
    // Between partners who are no pair: counted nowhere, and no item anywhere.
    await introduceAt('2026-11-04T10:00:00Z', ana, carl, prospect('Omar'));

    const view = await views.readPairView(pair.id, SINCE);
    const current = async (intro: Introduction, receiver: string) => pairIntroductionOf(await h.introduction(intro.id), receiver);
    expect(view?.introductions).toEqual([await current(lena, victor.email), await current(sara, ana.email)]);
    expect(view?.introductions.map((intro) => intro.status)).toEqual(['meeting_booked', 'meeting_booked']);
    expect(await partition(pairId(ana.email, carl.email))).toEqual([]);

    // A status change (won, with an amount) reaches the item.
    const due = (await h.introduction(lena.id)).followUp?.outcomeDueAt ?? expect.unreachable('no outcome question due');
    await h.run({ kind: 'outcome', introductionId: lena.id }, new Date(Date.parse(due) + 1000));
    const question = h.mail.emails({ purpose: 'outcome_question', introductionId: lena.id }).at(-1);
    if (!question) throw new Error('no outcome question');
    await h.answerByLink(question, 'Promising', { at: new Date(Date.parse(due) + 3_600_000) });
    const after = await views.readPairView(pair.id, SINCE);
    expect(after?.introductions[0]).toEqual(await current(lena, victor.email));
    expect(after?.introductions[0]?.status).toBe('met');
    const [writes, lookups] = [meter.tally('write'), meter.tally('lookup')];
    console.log(
      `pair read model upkeep for 3 introductions (2 in the pair, 1 outside it) through capture, booking, an outcome question and its answer: ${writes.requests} writes (${writes.writeUnits} WRU), ${lookups.requests} pair look-ups (${lookups.readUnits} RRU)`,
    );
    // One write per change the check-in shows, only for the pair's two: Lena introduced, awaiting booking, booked, met; Sara the first three.
    expect(writes.requests).toBe(7);
    expect(writes.writeUnits).toBe(writes.requests);
  });

  it('keeps the newest version when records come late, twice or out of order', async () => {
    const ana = await partner('Ana', 'Lind');
    const victor = await partner('Victor', 'Berg');
    h.clock.set(new Date('2026-11-02T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    h.clock.set(new Date('2026-11-03T09:00:00Z'));
    const intro = await h.introduce({ from: ana, to: [victor, prospect('Tess')] }, { drain: false });
    const { records } = await h.drain();
    const ofIntro = records.filter((record) => (record.dynamodb.NewImage?.id as { S?: string } | undefined)?.S === intro.id);
    expect(ofIntro.length).toBeGreaterThanOrEqual(2);
    const newest = pairIntroductionOf(await h.introduction(intro.id), victor.email);
    expect((await views.readPairView(pair.id, SINCE))?.introductions).toEqual([newest]);

    // Every record again, newest first, then oldest first: nothing changes.
    await h.redeliver([...ofIntro].reverse());
    await h.redeliver(ofIntro);
    expect((await views.readPairView(pair.id, SINCE))?.introductions).toEqual([newest]);

    // Straight through the upkeep: an older version after a newer one is refused, the same one twice writes once.
    const captured: Introduction = { ...(await h.introduction(intro.id)), status: 'introduced', meeting: null };
    const booked = await h.introduction(intro.id);
    const later = streamStamp('9'.repeat(39));
    expect(await keepPairViewsUpToDate(null, booked, later, views)).toBe(1);
    expect(await keepPairViewsUpToDate(null, booked, later, views)).toBe(0);
    expect(await keepPairViewsUpToDate(null, captured, streamStamp(`${'9'.repeat(38)}8`), views)).toBe(0);
    expect((await views.readPairView(pair.id, SINCE))?.introductions).toEqual([newest]);
    // A change that shows nothing new (its follow-ups only) costs no request at all.
    meter.reset();
    expect(await keepPairViewsUpToDate(booked, { ...booked, followUpRevision: (booked.followUpRevision ?? 0) + 5 }, streamStamp('9'.repeat(40)), views)).toBe(0);
    expect(requests()).toBe(0);
  });

  it('is built once for a pair that has none (partners who introduced each other before they paired), then the check-in reads one query and writes twice', async () => {
    const ana = await partner('Ana', 'Kovac');
    const victor = await partner('Victor', 'Sol');
    // Before the pair exists: the stream writes nothing for them.
    const early = await introduceAt('2026-11-03T09:00:00Z', ana, victor, prospect('Mia'));
    await introduceAt('2026-11-04T09:00:00Z', victor, ana, prospect('Noor'));
    h.clock.set(new Date('2026-11-05T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    expect((await partition(pair.id)).map((item) => item.entity)).toEqual(['pair']);

    meter.reset();
    const first = await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-09T08:00:00Z', { drain: false });
    expect(first).toEqual(['sent', 'sent']);
    const building = requests();
    expect(building).toBeGreaterThan(3);
    const text = await plainText(h.mail.emails({ purpose: 'weekly_check_in', to: ana.email }).at(-1) ?? expect.unreachable('no check-in'));
    expect(text).toMatch(/Ana introduced Victor to one person \(Mia Prospect\), Victor introduced Ana to one \(Noor Prospect\)/);
    expect((await views.readPairView(pair.id, SINCE))?.built).toBe(true);
    expect((await views.readPairView(pair.id, SINCE))?.introductions.map((intro) => intro.id)).toContain(early.id);

    await h.drain();
    meter.reset();
    const next = await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-16T08:00:00Z', { drain: false });
    expect(next).toEqual(['sent', 'sent']);
    const steady = meter.tally();
    console.log(`pair read model: building the check-in's read model took ${building} requests once; the next check-in ${steady.requests}`);
    expect(steady.byOperation).toEqual({ QueryCommand: 1, TransactWriteItemsCommand: 2 });
    // Run again: both already sent, at the cost of the query and the refused claim.
    meter.reset();
    expect(await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-16T08:00:10Z', { drain: false })).toEqual(['already_sent', 'already_sent']);
    expect(requests()).toBe(2);
    await h.drain();
  });

  it('gets the item of an introduction whose stream records were lost from the daily sweep', async () => {
    const ana = await partner('Ana', 'Dahl');
    const victor = await partner('Victor', 'Holm');
    h.clock.set(new Date('2026-11-02T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    h.clock.set(new Date('2026-11-03T09:00:00Z'));
    const lost = await h.introduce({ from: ana, to: [victor, prospect('Ines')] }, { drain: false });
    expect(await h.loseStreamRecords()).toBeGreaterThan(0);
    expect((await views.readPairView(pair.id, SINCE))?.introductions).toEqual([]);
    await h.run({ kind: 'sweep' }, '2026-11-03T09:10:00Z', { drain: false });
    expect((await views.readPairView(pair.id, SINCE))?.introductions.map((intro) => [intro.id, intro.receiver])).toEqual([[lost.id, victor.email]]);
    await h.drain();
  });

  it('shows a partner’s new name in the next check-in, none once a partner is removed, and again once they are back', async () => {
    const ana = await partner('Ana', 'Vale');
    const victor = await partner('Victor', 'Penn');
    h.clock.set(new Date('2026-11-02T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-09T08:00:00Z');
    await new DynamoPartnerStore(h.booking.connection).savePartner({ email: victor.email, name: 'Vic Penn', timeZone: 'Europe/London', createdAt: '2026-01-01T00:00:00Z' });
    await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-16T08:00:00Z');
    const latest = h.mail.emails({ purpose: 'weekly_check_in', to: ana.email }).at(-1);
    expect(latest?.email.subject).toMatch(/^Ana and Vic — your week/);
    // A removed partner's pair gets no more check-ins.
    expect(await new DynamoPartnerStore(h.booking.connection).removePartner(victor.email)).toBe(true);
    expect(await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-23T08:00:00Z')).toEqual(['not_found']);
    // Added back: the check-ins resume.
    await new DynamoPartnerStore(h.booking.connection).savePartner({ email: victor.email, name: 'Victor Penn', timeZone: 'Europe/London', createdAt: '2026-11-24T00:00:00Z' });
    expect(await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-30T08:00:00Z')).toEqual(['sent', 'sent']);
  });
});

describe('the weekly emails of a pair', () => {
  it('are claimed and marked together; when the second send fails, the retry sends only the second', async () => {
    const ana = await partner('Ana', 'Frost');
    const victor = await partner('Victor', 'Lamb');
    h.clock.set(new Date('2026-11-02T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    let sends = 0;
    const failingSecond: MailSender = {
      send: async (email) => {
        sends += 1;
        if (sends === 2) throw Object.assign(new Error('Throttling: Maximum sending rate exceeded.'), { name: 'Throttling' });
        return h.mail.send(email);
      },
    };
    const at = new Date('2026-11-09T08:00:00Z');
    h.clock.set(at);
    await expect(runJob({ kind: 'weekly', pairId: pair.id, at: at.toISOString() }, { ...h.dependencies, sender: failingSecond })).rejects.toThrow('Throttling');
    expect(h.mail.emails({ purpose: 'weekly_check_in', pairId: pair.id })).toHaveLength(1);
    // Lambda's retry a minute later (the second claim's lease has run out).
    const retried = new Date(at.getTime() + 60_000);
    h.clock.set(retried);
    expect([...(await runJob({ kind: 'weekly', pairId: pair.id, at: at.toISOString() }, h.dependencies)).outcomes].sort()).toEqual(['already_sent', 'sent']);
    const weekly = h.mail.emails({ purpose: 'weekly_check_in', pairId: pair.id });
    expect(weekly.map((sent) => sent.email.to[0]?.email).sort()).toEqual([ana.email, victor.email].sort());
    expect((await runJob({ kind: 'weekly', pairId: pair.id, at: at.toISOString() }, h.dependencies)).outcomes).toEqual(['already_sent', 'already_sent']);
    await h.drain();
  });
});
