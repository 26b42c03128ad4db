import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import type { Contact } from '../../functions/domain/introductions/introduction.ts';
import { addGroup, addPair } from '../../functions/domain/pairs/pair-setup.ts';
import { scheduleName } from '../../functions/domain/schedules/scheduler-port.ts';
import type { LambdaStreamRecord } from '../../functions/local/stream-poller.ts';
import { createFollowThroughHarness, printFollowThroughFigures, type FollowThroughHarness } from '../support/follow-through-harness.ts';

/**
 * Follow-through from the table's stream: the jobs handler gets DynamoDB Local's own stream
 * records (NEW_AND_OLD_IMAGES, the stack's filters) and re-derives each introduction's follow-ups.
 * It must converge (its own write is a record too), change nothing when a record comes again, and
 * the daily sweep must make up for whatever the stream or the schedules lost.
 */

let h: FollowThroughHarness;
let people = 0;

beforeAll(async () => {
  h = await createFollowThroughHarness();
});
beforeEach(async () => {
  await h.resetBetweenTests();
});
afterAll(async () => {
  await h.stop();
  printFollowThroughFigures('follow-through-stream.test.ts', h.figures);
});

async function cast(options: { connected?: boolean } = {}) {
  people += 1;
  const sam: Contact = { email: `sam.s${people}@lee-partners.example`, name: 'Sam Lee' };
  const ana: Contact = { email: `ana.s${people}@ruiz.example`, name: 'Ana Ruiz' };
  const bob: Contact = { email: `bob.s${people}@roe.example`, name: 'Bob Roe' };
  await h.partner({ email: sam.email, name: sam.name, timeZone: 'Europe/London', connect: 'none' });
  await h.partner({ email: ana.email, name: ana.name, timeZone: 'Europe/London', connect: options.connected === false ? 'none' : 'oauth' });
  return { sam, ana, bob };
}

const KINDS = ['nudge', 'outcome', 'close', 'update'] as const;

/** The introduction's one-time schedules in the table: kind → when. */
async function schedulesOf(id: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const kind of KINDS) {
    const schedule = await h.schedule(scheduleName(kind, id));
    if (schedule) found[kind] = schedule.nextRunAt.toISOString();
  }
  return found;
}

const entityOf = (record: LambdaStreamRecord) => (record.dynamodb.NewImage?.entity as { S?: string } | undefined)?.S;
const introductionRecords = (records: readonly LambdaStreamRecord[]) => records.filter((record) => entityOf(record) === 'introduction');

describe('reconcile through the stream', () => {
  it('a capture, its booking and an answer give the right due times and schedules, and the stream goes quiet', async () => {
    const { sam, ana, bob } = await cast();
    h.clock.set(new Date('2026-11-24T08:55:00Z'));
    const intro = await h.introduce({ from: sam, to: [ana, bob] }, { drain: false });
    const captured = await h.drain();
    // The capture (INSERT), the booking's two writes (claimed, booked), follow-through's own; then nothing: it converged.
    expect(introductionRecords(captured.records).map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'MODIFY', 'MODIFY']);
    expect(captured.rounds).toBeLessThanOrEqual(3);
    const booked = await h.introduction(intro.id);
    expect(booked.status).toBe('meeting_booked');
    expect(booked.followUp).toMatchObject({
      nudgeDueAt: null,
      outcomeDueAt: '2026-11-25T11:30:00.000Z',
      pendingUpdates: [{ status: 'meeting_booked', at: expect.stringMatching(/^2026-11-24T08:55:00\.\d{3}Z$/) as unknown }],
      updateDueAt: expect.stringMatching(/^2026-11-24T09:55:00\.\d{3}Z$/) as unknown,
    });
    // Exactly the schedules of what is due: no nudge for a booked meeting.
    expect(await schedulesOf(intro.id)).toEqual({ outcome: '2026-11-25T11:30:00.000Z', update: booked.followUp?.updateDueAt });
    // The sweep's index holds the earliest due time.
    expect((await h.booking.item(keys.introduction(intro.id))).gsi2sk).toBe(`${booked.followUp?.updateDueAt}#${intro.id}`);

    await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-24T10:00:00Z');
    await h.run({ kind: 'outcome', introductionId: intro.id }, '2026-11-25T11:30:00Z');
    expect(await schedulesOf(intro.id)).toEqual({});
    const asked = h.mail.emails({ purpose: 'outcome_question', introductionId: intro.id })[0];
    if (!asked) throw new Error('no outcome question');
    await h.answerByLink(asked, 'Promising', { at: '2026-11-25T16:00:00Z', drain: false });
    const answered = await h.drain();
    // The answer's write and follow-through's own; the second changes nothing and stops there.
    expect(introductionRecords(answered.records)).toHaveLength(2);
    const met = await h.introduction(intro.id);
    expect(met.followUp).toMatchObject({ closeDueAt: expect.stringMatching(/^2026-12-09T16:00:00\.\d{3}Z$/) as unknown, pendingUpdates: [{ status: 'met' }] });
    expect(await schedulesOf(intro.id)).toEqual({ close: met.followUp?.closeDueAt, update: met.followUp?.updateDueAt });
  });

  it('records delivered again change nothing: the same item and schedules, no history, no email, no new records', async () => {
    const { sam, ana, bob } = await cast();
    h.clock.set(new Date('2026-11-24T08:55:00Z'));
    const intro = await h.introduce({ from: sam, to: [ana, bob] }, { drain: false });
    const { records } = await h.drain();
    const item = await h.booking.item(keys.introduction(intro.id));
    const schedules = await Promise.all(KINDS.map((kind) => h.schedule(scheduleName(kind, intro.id))));
    const history = await h.booking.history(intro.id);

    // The whole batch again (a Lambda retry after a timeout), twice.
    await h.redeliver(records);
    await h.redeliver(records);
    const after = await h.drain();
    expect(introductionRecords(after.records)).toEqual([]);
    expect(await h.booking.item(keys.introduction(intro.id))).toEqual(item);
    expect(await Promise.all(KINDS.map((kind) => h.schedule(scheduleName(kind, intro.id))))).toEqual(schedules);
    expect(await h.booking.history(intro.id)).toEqual(history);
    expect(h.mail.sent).toHaveLength(0);
  });

  it('a record delivered again after its update went out does not tell the introducer twice', async () => {
    const { sam, ana, bob } = await cast();
    h.clock.set(new Date('2026-11-24T08:55:00Z'));
    const intro = await h.introduce({ from: sam, to: [ana, bob] }, { drain: false });
    const { records } = await h.drain();
    expect(await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-24T10:00:00Z')).toEqual(['sent']);
    // The batch comes again later (its retry, or a replay from the stream's 24 hours).
    h.clock.set(new Date('2026-11-24T10:30:00Z'));
    await h.redeliver(records);
    await h.drain();
    await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-24T12:00:00Z');
    await h.run({ kind: 'sweep' }, '2026-11-24T12:00:00Z');
    expect(h.mail.emails({ purpose: 'progress_update', introductionId: intro.id })).toHaveLength(1);
    expect((await h.introduction(intro.id)).followUp).toMatchObject({ pendingUpdates: [], updateDueAt: null });
  });

  it('a new or changed pair or group arms its recurring schedules from the stream', async () => {
    const { sam, ana } = await cast({ connected: false });
    h.clock.set(new Date('2026-11-24T09:00:00Z'));
    const { pair } = await addPair({ a: sam.email, b: ana.email, timeZone: 'America/New_York', weekly: { day: 'fri', time: '16:30' }, oneToOne: 'quarterly' }, h.dependencies);
    const { group } = await addGroup({ name: `Stream Club ${people}`, members: [sam.email, ana.email], timeZone: 'Europe/London' }, h.dependencies);
    // Lost (someone cleared the schedule group); the pair and group change: the stream's records arm them again.
    for (const name of [scheduleName('weekly', pair.id), scheduleName('one-to-one', pair.id), scheduleName('group-digest', group.id)]) await h.tableScheduler.disarm(name);
    await h.pairs.savePair({ ...pair, goalPerMonth: 3 });
    await h.pairs.saveGroup({ ...group, name: `${group.name} (renamed)` });
    const { records } = await h.drain();
    expect(records.map((record) => `${record.eventName} ${entityOf(record)}`)).toEqual(['INSERT pair', 'INSERT group', 'MODIFY pair', 'MODIFY group']);
    const weekly = await h.schedule(scheduleName('weekly', pair.id));
    expect(weekly).toMatchObject({ kind: 'recurring', cron: '30 16 ? * FRI *', timeZone: 'America/New_York', job: { kind: 'weekly', pairId: pair.id } });
    // Friday 27 Nov, 16:30 in New York.
    expect(weekly?.nextRunAt.toISOString()).toBe('2026-11-27T21:30:00.000Z');
    expect(await h.schedule(scheduleName('one-to-one', pair.id))).toMatchObject({ cron: '0 9 1 1,4,7,10 ? *', nextRunAt: new Date('2027-01-01T14:00:00.000Z') });
    expect(await h.schedule(scheduleName('group-digest', group.id))).toMatchObject({ cron: '0 8 1 * ? *', nextRunAt: new Date('2026-12-01T08:00:00.000Z') });
  });
});

describe('the daily sweep', () => {
  it('runs what is overdue once, and re-arms what is still ahead when the schedules were lost', async () => {
    const { sam, ana, bob } = await cast({ connected: false });
    h.clock.set(new Date('2026-11-24T09:00:00Z'));
    const waiting = await h.introduce({ from: sam, to: [ana, bob] });
    const carol: Contact = { email: `carol.s${people}@prospect.example`, name: 'Carol Diaz' };
    await h.booking.connectCalendar(ana.email);
    // Connecting books what waited: Wednesday 09:30 (one business day's notice from just after 09:00, on the half hour).
    await h.drain();
    expect((await h.introduction(waiting.id)).meeting?.start).toBe('2026-11-25T09:30:00.000Z');
    h.clock.set(new Date('2026-11-25T08:55:00Z'));
    const booked = await h.introduce({ from: sam, to: [ana, carol] });
    expect((await h.introduction(waiting.id)).status).toBe('meeting_booked');
    const dues = (await h.introduction(booked.id)).followUp;
    expect(dues?.outcomeDueAt).toBe('2026-11-26T11:30:00.000Z');

    // Every one-time schedule is lost.
    for (const id of [waiting.id, booked.id]) for (const kind of KINDS) await h.tableScheduler.disarm(scheduleName(kind, id));
    // Thursday 10:00: both updates are overdue; the outcome question is still ahead.
    const [first, second] = await h.runTwice({ kind: 'sweep' }, '2026-11-26T10:00:00Z');
    // The sweep covers the whole table (earlier tests' introductions too): count this test's emails.
    expect(first.filter((outcome) => outcome === 'update:sent').length).toBeGreaterThanOrEqual(2);
    expect(second.filter((outcome) => outcome.endsWith(':sent'))).toEqual([]);
    const updated = (id: string) => h.mail.emails({ purpose: 'progress_update', introductionId: id }).length;
    expect([updated(waiting.id), updated(booked.id)]).toEqual([1, 1]);
    expect(await schedulesOf(booked.id)).toEqual({ outcome: '2026-11-26T11:30:00.000Z' });
    // Later that day the outcome is overdue too (its schedule lost again): the sweep asks, once.
    await h.tableScheduler.disarm(scheduleName('outcome', booked.id));
    await h.runTwice({ kind: 'sweep' }, '2026-11-26T15:00:00Z');
    expect(h.mail.emails({ purpose: 'outcome_question', introductionId: booked.id })).toHaveLength(1);
  });

  it('re-arms the pairs’ and groups’ recurring schedules', async () => {
    const { sam, ana } = await cast({ connected: false });
    h.clock.set(new Date('2026-11-24T09:00:00Z'));
    const { pair } = await addPair({ a: sam.email, b: ana.email, timeZone: 'Europe/London', weekly: { day: 'mon', time: '08:00' }, oneToOne: 'monthly' }, h.dependencies);
    const { group } = await addGroup({ name: `Sweep Club ${people}`, members: [sam.email, ana.email], timeZone: 'Europe/London' }, h.dependencies);
    await h.drain();
    const names = [scheduleName('weekly', pair.id), scheduleName('one-to-one', pair.id), scheduleName('group-digest', group.id)];
    for (const name of names) await h.tableScheduler.disarm(name);
    await h.run({ kind: 'sweep' }, '2026-11-25T05:00:00Z');
    expect((await Promise.all(names.map((name) => h.schedule(name)))).map((schedule) => schedule?.nextRunAt.toISOString())).toEqual([
      '2026-11-30T08:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
      '2026-12-01T08:00:00.000Z',
    ]);
  });

  it('reconciles an introduction whose stream records were lost', async () => {
    const { sam, ana, bob } = await cast({ connected: false });
    h.clock.set(new Date('2026-11-24T09:00:00Z'));
    const intro = await h.introduce({ from: sam, to: [ana, bob] }, { drain: false });
    expect(await h.loseStreamRecords()).toBeGreaterThan(0);
    expect((await h.introduction(intro.id)).followUp ?? null).toBeNull();

    await h.run({ kind: 'sweep' }, '2026-11-24T12:00:00Z', { drain: false });
    const reconciled = await h.introduction(intro.id);
    expect(reconciled.followUp?.nudgeDueAt).toBe('2026-11-26T09:00:00.000Z');
    expect(await schedulesOf(intro.id)).toEqual({ nudge: '2026-11-26T09:00:00.000Z' });
    await h.drain();
    expect(await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-11-26T09:00:00Z')).toEqual(['sent']);
  });

  it('books an introduction whose booking trigger was lost, once it has waited an hour', async () => {
    const { sam, ana, bob } = await cast();
    h.clock.set(new Date('2026-11-24T08:55:00Z'));
    const intro = await h.introduce({ from: sam, to: [ana, bob] }, { drain: false });
    await h.loseStreamRecords();
    expect((await h.introduction(intro.id)).status).toBe('introduced');

    expect(await h.run({ kind: 'sweep' }, '2026-11-24T09:30:00Z')).not.toContain('booking:booked');
    expect((await h.introduction(intro.id)).status).toBe('introduced');
    const [first, second] = await h.runTwice({ kind: 'sweep' }, '2026-11-24T10:00:00Z');
    expect(first).toContain('booking:booked');
    expect(second).not.toContain('booking:booked');
    const booked = await h.introduction(intro.id);
    expect(booked.status).toBe('meeting_booked');
    expect(h.booking.calendarEvents(ana.email).filter((event) => event.id === booked.meeting?.eventId)).toHaveLength(1);
    // The booking's own record reached follow-through: the outcome question is scheduled, the nudge is not.
    // Booked at the sweep (just after 10:00): Wednesday 10:30–11:00, asked about two hours after it ends.
    expect(booked.meeting).toMatchObject({ start: '2026-11-25T10:30:00.000Z', end: '2026-11-25T11:00:00.000Z' });
    expect(booked.followUp).toMatchObject({ nudgeDueAt: null, outcomeDueAt: '2026-11-25T13:00:00.000Z' });
    expect(Object.keys(await schedulesOf(intro.id)).sort()).toEqual(['outcome', 'update']);
  });
});
