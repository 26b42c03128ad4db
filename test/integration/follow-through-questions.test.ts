import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkUpcomingMeetings } from '../../functions/domain/booking/check-meetings.ts';
import { changeStatus } from '../../functions/domain/followup/answer-question.ts';
import { EmailInProgressError } from '../../functions/domain/outbound/outbound-email.ts';
import type { Contact, Introduction } from '../../functions/domain/introductions/introduction.ts';
import { scheduleName } from '../../functions/domain/schedules/scheduler-port.ts';
import { createFollowThroughHarness, plainText, printFollowThroughFigures, type FollowThroughHarness, type SentMime } from '../support/follow-through-harness.ts';

/**
 * The questions follow-through asks about one introduction, and what the introducer hears: each
 * job through the jobs handler at a fixed time, against DynamoDB Local, the table's real stream
 * and the loopback Google; every email real MIME. Every job is run twice (or at once), and must
 * send once.
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
  printFollowThroughFigures('follow-through-questions.test.ts', h.figures);
});

/** A fresh cast for one test: Sam the introducer (a partner), Ana who receives the introduction, Bob the prospect. */
async function cast(options: { anaZone?: string; anaConnected?: boolean; samIsPartner?: boolean } = {}) {
  people += 1;
  const tag = `q${people}`;
  const sam: Contact = { email: `sam.${tag}@lee-partners.example`, name: 'Sam Lee' };
  const bob: Contact = { email: `bob.${tag}@roe.example`, name: 'Bob Roe' };
  if (options.samIsPartner ?? true) await h.partner({ email: sam.email, name: sam.name, timeZone: 'Europe/London', connect: 'none' });
  const ana = await h.partner({ email: `ana.${tag}@ruiz.example`, name: 'Ana Ruiz', timeZone: options.anaZone ?? 'Europe/London', connect: options.anaConnected === false ? 'none' : 'oauth' });
  return { sam, bob, ana: { email: ana.email, name: ana.name } as Contact };
}

const only = (emails: readonly SentMime[]): SentMime => {
  expect(emails).toHaveLength(1);
  return emails[0] as SentMime;
};

/** An ISO time to the second: the test clock moves on a millisecond at each reading, as real time would. */
const sameSecond = (iso: string): unknown => expect.stringMatching(new RegExp(`^${iso.slice(0, 19).replace(/[.]/g, '\\.')}\\.\\d{3}Z$`));

async function history(id: string, type?: string) {
  return (await h.booking.history(id)).filter((event) => type === undefined || event.type === type);
}

describe('nudge', () => {
  it('goes out two business days after capture in the partner’s zone: a Friday-afternoon introduction is nudged on Tuesday, once', async () => {
    const { sam, bob, ana } = await cast({ anaConnected: false });
    h.clock.set(new Date('2026-11-27T15:00:00Z')); // Friday 15:00 in London
    const intro = await h.introduce({ from: sam, to: [ana, bob] });
    // Ana has not connected her calendar: nothing is booked.
    expect(intro.status).toBe('awaiting_booking');
    expect(intro.followUp?.nudgeDueAt).toBe('2026-12-01T15:00:00.000Z');
    expect((await h.schedule(scheduleName('nudge', intro.id)))?.nextRunAt.toISOString()).toBe('2026-12-01T15:00:00.000Z');

    expect(await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-11-30T15:00:00Z')).toEqual(['not_due']);
    expect(h.mail.sent).toHaveLength(0);

    const [first, second] = await h.runTwice({ kind: 'nudge', introductionId: intro.id }, '2026-12-01T15:00:00Z');
    expect(first).toEqual(['sent']);
    expect(second).toEqual(['not_due']);
    const nudge = only(h.mail.emails({ purpose: 'nudge' }));
    expect(nudge.email.to).toEqual([ana]);
    expect(nudge.email.subject).toBe('Any luck with Bob Roe?');
    const text = await plainText(nudge);
    expect(text).toContain('Any luck with Bob Roe? Sam Lee introduced you on Fri 27 Nov, and no meeting is booked yet.');
    expect(h.answerLinks(nudge).map((link) => link.label)).toEqual(['We booked a meeting ourselves', "I couldn't reach them", 'Not a fit', 'Remind me in 3 days']);
    for (const { url } of h.answerLinks(nudge)) {
      expect(h.booking.verifyLink(url, 'answer')).toMatchObject({ subject: intro.id, data: { question: 'nudge', recipient: ana.email } });
    }
    // Threaded to the introduction.
    expect(nudge.email.inReplyTo).toBe(intro.messageId);
    expect(await history(intro.id, 'nudge_sent')).toHaveLength(1);
    expect((await h.introduction(intro.id)).followUp).toMatchObject({ nudgeDueAt: null, nudgesSent: 1 });
    // Its schedule is gone: nothing more to ask.
    expect(await h.schedule(scheduleName('nudge', intro.id))).toBeNull();
  });

  it('counts business days in the receiving partner’s zone (Friday evening in New York is Saturday in UTC), and sends once when run concurrently', async () => {
    const { sam, bob, ana } = await cast({ anaConnected: false, anaZone: 'America/New_York' });
    h.clock.set(new Date('2026-11-28T01:00:00Z')); // Friday 20:00 in New York
    const intro = await h.introduce({ from: sam, to: [ana, bob] });
    // Tuesday 20:00 in New York; counted in UTC it would have been Tuesday 01:00 UTC.
    expect(intro.followUp?.nudgeDueAt).toBe('2026-12-02T01:00:00.000Z');
    expect(await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-12-01T01:00:00Z')).toEqual(['not_due']);

    const settled = await h.runConcurrently({ kind: 'nudge', introductionId: intro.id }, '2026-12-02T01:00:00Z', 4);
    const outcomes = settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    const refused = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    // One run sends; the others find it sent, no longer due, or (still being sent) retry later.
    expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(1);
    expect(outcomes.every((outcome) => ['sent', 'already_sent', 'not_due'].includes(outcome))).toBe(true);
    for (const error of refused) expect(error).toBeInstanceOf(EmailInProgressError);
    // The retry of a refused run sends nothing.
    expect(await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-12-02T01:05:00Z')).toEqual(['not_due']);
    expect(only(h.mail.emails({ purpose: 'nudge' })).email.to).toEqual([ana]);
    expect(await history(intro.id, 'nudge_sent')).toHaveLength(1);
  });
});

describe('nudge, when things move on', () => {
  it('is not sent when a meeting got booked meanwhile (the partner connected her calendar)', async () => {
    const { sam, bob, ana } = await cast({ anaConnected: false });
    h.clock.set(new Date('2026-11-24T09:00:00Z')); // Tuesday 09:00 in London
    const intro = await h.introduce({ from: sam, to: [ana, bob] });
    expect(intro.followUp?.nudgeDueAt).toBe('2026-11-26T09:00:00.000Z');
    // Wednesday: Ana connects Google Calendar; the waiting introduction is booked from the stream.
    h.clock.set(new Date('2026-11-25T10:00:00Z'));
    await h.booking.connectCalendar(ana.email);
    await h.drain();
    const booked = await h.introduction(intro.id);
    expect(booked.status).toBe('meeting_booked');
    expect(booked.followUp?.nudgeDueAt).toBeNull();
    expect(await h.schedule(scheduleName('nudge', intro.id))).toBeNull();

    expect(await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-11-26T09:00:00Z')).toEqual(['not_due']);
    await h.run({ kind: 'sweep' }, '2026-11-26T09:00:00Z');
    expect(h.mail.emails({ purpose: 'nudge', introductionId: intro.id })).toHaveLength(0);
  });

  it('"Remind me in 3 days" asks again three business days later, once, and then no more', async () => {
    const { sam, bob, ana } = await cast({ anaConnected: false });
    h.clock.set(new Date('2026-11-24T09:00:00Z')); // Tuesday 09:00 in London
    const intro = await h.introduce({ from: sam, to: [ana, bob] });
    await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-11-26T09:00:00Z');
    const nudge = only(h.mail.emails({ purpose: 'nudge' }));

    // Thursday 26 Nov, 11:00: three business days later is Tuesday 1 Dec, 11:00 (London).
    const answered = await h.answerByLink(nudge, 'Remind me in 3 days', { at: '2026-11-26T11:00:00Z' });
    expect(answered).toMatchObject({ outcome: 'reminder_set', at: '2026-12-01T11:00:00.000Z' });
    expect((await h.introduction(intro.id)).followUp?.nudgeDueAt).toBe('2026-12-01T11:00:00.000Z');
    expect((await h.schedule(scheduleName('nudge', intro.id)))?.nextRunAt.toISOString()).toBe('2026-12-01T11:00:00.000Z');
    expect(await history(intro.id, 'reminder_set')).toMatchObject([{ by: ana.email, how: 'link' }]);

    expect(await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-11-30T11:00:00Z')).toEqual(['not_due']);
    const [again, repeat] = await h.runTwice({ kind: 'nudge', introductionId: intro.id }, '2026-12-01T11:00:00Z');
    expect([again, repeat]).toEqual([['sent'], ['not_due']]);
    expect(h.mail.emails({ purpose: 'nudge' })).toHaveLength(2);
    expect((await h.introduction(intro.id)).followUp).toMatchObject({ nudgeDueAt: null, nudgesSent: 2 });
    // No third nudge, whatever runs later.
    await h.run({ kind: 'sweep' }, '2026-12-10T09:00:00Z');
    expect(h.mail.emails({ purpose: 'nudge', introductionId: intro.id })).toHaveLength(2);
  });

  it('a crash after the nudge went out, before its state was saved: the retry sends nothing', async () => {
    const { sam, bob, ana } = await cast({ anaConnected: false });
    h.clock.set(new Date('2026-11-24T09:00:00Z')); // Tuesday 09:00 in London
    const intro = await h.introduce({ from: sam, to: [ana, bob] });
    h.clock.set(new Date('2026-11-26T09:00:00Z'));
    const crashing = { ...h.dependencies, store: h.booking.crashOnce(h.dependencies.store, 'saveFollowUp') };
    const { runJob } = await import('../../functions/domain/schedules/run-job.ts');
    await expect(runJob({ kind: 'nudge', introductionId: intro.id }, crashing)).rejects.toThrow(/simulated crash/);
    expect(h.mail.emails({ purpose: 'nudge' })).toHaveLength(1);
    // The schedule's retry (or the sweep) finds the nudge still due, and the outbox says it went.
    expect((await h.introduction(intro.id)).followUp?.nudgeDueAt).toBe('2026-11-26T09:00:00.000Z');
    h.figures.duplicatesTried += 1;
    expect(await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-11-26T09:01:00Z')).toEqual(['already_sent']);
    expect(h.mail.emails({ purpose: 'nudge' })).toHaveLength(1);
    expect((await h.introduction(intro.id)).followUp).toMatchObject({ nudgeDueAt: null, nudgesSent: 1 });
  });
});

describe('how did it go', () => {
  it('is asked two hours after the meeting ends; a moved meeting is asked about at its new time, once', async () => {
    const { sam, bob, ana } = await cast();
    h.clock.set(new Date('2026-11-24T08:55:00Z'));
    const intro = await h.introduce({ from: sam, to: [ana, bob] });
    const meeting = intro.meeting;
    expect(intro.status).toBe('meeting_booked');
    // Booked for Wednesday 09:00–09:30 London: asked at 11:30.
    expect(meeting).toMatchObject({ start: '2026-11-25T09:00:00.000Z', end: '2026-11-25T09:30:00.000Z', calendarOwner: ana.email });
    expect(intro.followUp?.outcomeDueAt).toBe('2026-11-25T11:30:00.000Z');
    expect((await h.schedule(scheduleName('outcome', intro.id)))?.nextRunAt.toISOString()).toBe('2026-11-25T11:30:00.000Z');

    // Sam hears about the booking an hour later.
    expect(await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-24T09:56:00Z')).toEqual(['sent']);
    expect(only(h.mail.emails({ purpose: 'progress_update' })).email.subject).toBe('Update from Ana: meeting booked with Bob Roe');

    // Ana drags the meeting to Friday 14:00 in Google Calendar; the hourly check notices.
    h.booking.google.control.moveEvent(ana.email, meeting?.eventId ?? '', { start: '2026-11-27T14:00:00.000Z', end: '2026-11-27T14:30:00.000Z' });
    h.clock.set(new Date('2026-11-25T08:00:00Z'));
    expect(await checkUpcomingMeetings(h.booking.dependencies)).toMatchObject({ moved: 1 });
    await h.drain();
    expect((await h.introduction(intro.id)).followUp?.outcomeDueAt).toBe('2026-11-27T16:30:00.000Z');
    expect((await h.schedule(scheduleName('outcome', intro.id)))?.nextRunAt.toISOString()).toBe('2026-11-27T16:30:00.000Z');

    // The old time asks nothing.
    expect(await h.run({ kind: 'outcome', introductionId: intro.id }, '2026-11-25T11:30:00Z')).toEqual(['not_due']);
    const [first, second] = await h.runTwice({ kind: 'outcome', introductionId: intro.id }, '2026-11-27T16:30:00Z');
    expect([first, second]).toEqual([['sent'], ['not_due']]);
    const settled = await h.runConcurrently({ kind: 'outcome', introductionId: intro.id }, '2026-11-27T16:31:00Z', 3);
    expect(settled.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as unknown)))).toEqual([['not_due'], ['not_due'], ['not_due']]);

    const asked = only(h.mail.emails({ purpose: 'outcome_question' }));
    expect(asked.email.to).toEqual([ana]);
    expect(asked.email.subject).toBe('How did it go with Bob Roe?');
    expect(await plainText(asked)).toContain('How did it go with Bob? You met on Fri 27 Nov at 14:00 (Sam Lee’s introduction).'.replace('’', "'"));
    expect(h.answerLinks(asked).map((link) => link.label)).toEqual(['Promising', 'Not a fit', 'No-show', 'We rescheduled']);
    // Asked about this meeting: the stream's later records re-arm nothing.
    const after = await h.introduction(intro.id);
    expect(after.followUp).toMatchObject({ outcomeDueAt: null, outcomeAskedFor: '2026-11-27T16:30:00.000Z' });
    expect(await h.schedule(scheduleName('outcome', intro.id))).toBeNull();
    expect(await history(intro.id, 'outcome_asked')).toHaveLength(1);
  });
});

/** Booked for Wednesday 25 Nov 09:00–09:30 London; Sam told at 09:56 Tuesday; "how did it go?" Wednesday 11:30. Returns that email. */
async function metAndAsked(tag: { sam: Contact; bob: Contact; ana: Contact }): Promise<{ intro: Introduction; asked: SentMime }> {
  h.clock.set(new Date('2026-11-24T08:55:00Z'));
  const intro = await h.introduce({ from: tag.sam, to: [tag.ana, tag.bob] });
  expect(intro.meeting?.end).toBe('2026-11-25T09:30:00.000Z');
  await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-24T09:56:00Z');
  expect(await h.run({ kind: 'outcome', introductionId: intro.id }, '2026-11-25T11:30:00Z')).toEqual(['sent']);
  return { intro, asked: only(h.mail.emails({ purpose: 'outcome_question', introductionId: intro.id })) };
}

describe('answers', () => {
  it('apply once, with who answered and how; a second click, and a stale answer, change nothing', async () => {
    const tag = await cast();
    const { intro, asked } = await metAndAsked(tag);
    expect(await h.answerByLink(asked, 'Promising', { at: '2026-11-25T16:00:00Z' })).toMatchObject({ outcome: 'applied', status: 'met' });
    h.figures.duplicatesTried += 2;
    expect(await h.answerByLink(asked, 'Promising', { at: '2026-11-25T16:01:00Z' })).toEqual({ outcome: 'no_longer_applies', status: 'met' });
    expect(await h.answerByLink(asked, 'No-show', { at: '2026-11-25T16:02:00Z' })).toEqual({ outcome: 'no_longer_applies', status: 'met' });

    const changes = await history(intro.id, 'status_changed');
    expect(changes).toEqual([
      expect.objectContaining({ by: tag.ana.email, how: 'link', detail: 'meeting_booked → met: Promising', at: sameSecond('2026-11-25T16:00:00') }),
    ]);
    expect((await h.introduction(intro.id)).status).toBe('met');
  });

  it('two different answers clicked at the same moment: exactly one applies', async () => {
    const tag = await cast();
    const { intro, asked } = await metAndAsked(tag);
    h.figures.duplicatesTried += 1;
    const [promising, noShow] = await Promise.all([
      h.answerByLink(asked, 'Promising', { at: '2026-11-25T16:00:00Z' }),
      h.answerByLink(asked, 'No-show', { at: '2026-11-25T16:00:00Z' }),
    ]);
    const applied = [promising, noShow].filter((result) => result.outcome === 'applied');
    expect(applied).toHaveLength(1);
    const status = (await h.introduction(intro.id)).status;
    expect(['met', 'no_show']).toContain(status);
    expect([promising, noShow]).toContainEqual({ outcome: 'no_longer_applies', status });
    expect(await history(intro.id, 'status_changed')).toHaveLength(1);
  });
});

describe('did it close', () => {
  it('is asked after a good meeting; "still open" asks again; never more than three times', async () => {
    const tag = await cast();
    const { intro, asked } = await metAndAsked(tag);
    await h.answerByLink(asked, 'Promising', { at: '2026-11-25T16:00:00Z' });
    // Ten business days after the answer.
    expect((await h.introduction(intro.id)).followUp?.closeDueAt).toEqual(sameSecond('2026-12-09T16:00:00'));
    expect((await h.schedule(scheduleName('close', intro.id)))?.nextRunAt.toISOString()).toEqual(sameSecond('2026-12-09T16:00:00'));

    const answeredAt = ['2026-12-10T09:00:00Z', '2026-12-24T09:00:00Z', '2027-01-07T09:00:00Z'];
    const nextDue = ['2026-12-24T09:00:00', '2027-01-07T09:00:00', null];
    for (let ask = 1; ask <= 3; ask += 1) {
      const due = (await h.introduction(intro.id)).followUp?.closeDueAt ?? '';
      expect(await h.run({ kind: 'close', introductionId: intro.id }, new Date(Date.parse(due) - 60_000))).toEqual(['not_due']);
      const [first, second] = await h.runTwice({ kind: 'close', introductionId: intro.id }, due);
      expect([first, second]).toEqual([['sent'], ['not_due']]);
      const emails = h.mail.emails({ purpose: 'close_question', introductionId: intro.id });
      expect(emails).toHaveLength(ask);
      const email = emails[ask - 1] as SentMime;
      expect(email.email.subject).toBe('Did it close with Bob Roe?');
      expect(await plainText(email)).toContain(ask === 1 ? 'Did it close with Bob Roe? You met on Wed 25 Nov (Sam Lee' : 'You met on Wed 25 Nov, and last time it was still open');
      expect(h.answerLinks(email).map((link) => link.label)).toEqual(['Won', 'Lost', 'Still open']);
      await h.answerByLink(email, 'Still open', { at: answeredAt[ask - 1] as string });
      const state = (await h.introduction(intro.id)).followUp;
      expect(state?.closeAsks).toBe(ask);
      const expected = nextDue[ask - 1];
      expect(state?.closeDueAt).toEqual(expected ? sameSecond(expected) : null);
    }
    // After the third "still open": no schedule, and nothing the jobs or the sweep send.
    expect(await h.schedule(scheduleName('close', intro.id))).toBeNull();
    await h.run({ kind: 'close', introductionId: intro.id }, '2027-01-21T09:00:00Z');
    await h.run({ kind: 'sweep' }, '2027-01-21T09:00:00Z');
    expect(h.mail.emails({ purpose: 'close_question', introductionId: intro.id })).toHaveLength(3);
    expect((await h.introduction(intro.id)).status).toBe('met');
  });
  it('stays at three asks when the third "still open" was never reconciled (its stream record lost) and the sweep finds it', async () => {
    const tag = await cast();
    const { intro, asked } = await metAndAsked(tag);
    await h.answerByLink(asked, 'Promising', { at: '2026-11-25T16:00:00Z' });
    for (let ask = 1; ask <= 3; ask += 1) {
      const due = (await h.introduction(intro.id)).followUp?.closeDueAt ?? '';
      await h.run({ kind: 'close', introductionId: intro.id }, due);
      const email = h.mail.emails({ purpose: 'close_question', introductionId: intro.id }).at(-1) as SentMime;
      await h.answerByLink(email, 'Still open', { at: new Date(Date.parse(due) + 3_600_000), drain: false });
      // The stream's record of this answer is lost: only the sweep will see the introduction.
      if (ask === 3) await h.loseStreamRecords();
      else await h.drain();
    }
    expect((await h.introduction(intro.id)).followUp?.closeAsks).toBe(3);
    await h.run({ kind: 'sweep' }, '2027-02-01T09:00:00Z');
    await h.run({ kind: 'close', introductionId: intro.id }, '2027-02-01T09:00:00Z');
    expect(h.mail.emails({ purpose: 'close_question', introductionId: intro.id })).toHaveLength(3);
  });
});

describe('progress updates to the introducer', () => {
  it('combine the changes of an hour into one email, and thank for closed business with the amount', async () => {
    const tag = await cast();
    const { intro, asked } = await metAndAsked(tag);
    expect(h.mail.emails({ purpose: 'progress_update' }).map((sent) => sent.email.subject)).toEqual(['Update from Ana: meeting booked with Bob Roe']);

    // 16:00 "Promising", 16:20 the deal is signed and Ana records it from the CLI: one email at 17:00.
    await h.answerByLink(asked, 'Promising', { at: '2026-11-25T16:00:00Z' });
    h.clock.set(new Date('2026-11-25T16:20:00Z'));
    expect(await changeStatus(intro.id, 'met', 'won', { by: 'cli', how: 'cli', detail: 'set from the command line', amount: 12_000 }, h.dependencies)).toEqual({ outcome: 'applied', status: 'won' });
    await h.drain();
    const state = (await h.introduction(intro.id)).followUp;
    expect(state?.pendingUpdates.map((update) => update.status)).toEqual(['met', 'won']);
    expect(state).toMatchObject({ updateDueAt: sameSecond('2026-11-25T17:00:00'), amount: 12_000, closedAt: sameSecond('2026-11-25T16:20:00') });

    expect(await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-25T16:59:00Z')).toEqual(['not_due']);
    const settled = await h.runConcurrently({ kind: 'update', introductionId: intro.id }, '2026-11-25T17:01:00Z', 3);
    expect(settled.filter((result) => result.status === 'fulfilled' && result.value.includes('sent'))).toHaveLength(1);
    await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-25T17:05:00Z');

    const updates = h.mail.emails({ purpose: 'progress_update' });
    expect(updates).toHaveLength(2);
    const thanks = updates[1] as SentMime;
    expect(thanks.email.to).toEqual([tag.sam]);
    expect(thanks.email.replyTo).toEqual([tag.ana]);
    expect(thanks.email.subject).toBe('Thank you: Bob Roe became a client');
    const text = await plainText(thanks);
    expect(text).toContain('We met on Wed 25 Nov, and it looks promising. Bob is now a client: 12,000 of closed business.');
    expect(text).toContain('Thank you, Sam. This business came from your introduction');
    expect(text).toContain("Sent automatically on Ana's behalf. Reply and it goes to Ana directly.");
    expect((await h.introduction(intro.id)).followUp).toMatchObject({ pendingUpdates: [], updateDueAt: null });
    expect(await h.schedule(scheduleName('update', intro.id))).toBeNull();
  });

  it('are not sent to an introducer who is not a partner', async () => {
    const tag = await cast({ samIsPartner: false });
    h.clock.set(new Date('2026-11-24T08:55:00Z'));
    // Written as capture writes it (capture itself would not take an introduction from a non-partner).
    const intro = await h.booking.createIntroduction({ introducer: tag.sam, parties: [tag.ana, tag.bob] });
    await h.drain();
    const booked = await h.introduction(intro.id);
    expect(booked.status).toBe('meeting_booked');
    expect(booked.followUp).toMatchObject({ pendingUpdates: [], updateDueAt: null, outcomeDueAt: '2026-11-25T11:30:00.000Z' });
    expect(await h.schedule(scheduleName('update', intro.id))).toBeNull();
    await h.run({ kind: 'outcome', introductionId: intro.id }, '2026-11-25T11:30:00Z');
    await h.answerByLink(only(h.mail.emails({ purpose: 'outcome_question' })), 'Promising', { at: '2026-11-25T16:00:00Z' });
    expect(await h.run({ kind: 'update', introductionId: intro.id }, '2026-11-25T18:00:00Z')).toEqual(['not_due']);
    await h.run({ kind: 'sweep' }, '2026-11-25T18:00:00Z');
    expect(h.mail.emails({ to: tag.sam.email })).toHaveLength(0);
    expect(h.mail.emails({ purpose: 'outcome_question', introductionId: intro.id })).toHaveLength(1);
  });
});

describe('not a fit', () => {
  it('prompts the partner once with a ready note, keeps the prospect as an advocate, and thanks the introducer all the same', async () => {
    const tag = await cast();
    const { intro, asked } = await metAndAsked(tag);
    expect(await h.answerByLink(asked, 'Not a fit', { at: '2026-11-25T16:00:00Z' })).toMatchObject({ outcome: 'applied', status: 'not_a_fit' });

    const prompt = only(h.mail.emails({ purpose: 'not_a_fit' }));
    expect(prompt.email.to).toEqual([tag.ana]);
    expect(prompt.email.subject).toBe("Bob Roe wasn't a fit: ask for referrals anyway?");
    const text = await plainText(prompt);
    expect(text).toContain("> Hi Bob,\n>\n> Thanks again for your time. Even though we're not the right fit for you right now, I enjoyed the conversation.");
    expect(text).toContain('> Ana');
    const mailto = /Send the note to Bob: (mailto:\S+)/.exec(text)?.[1] ?? '';
    expect(decodeURIComponent(mailto)).toContain(`mailto:${tag.bob.email}?subject=Thank you, and a question&body=Hi Bob,`);
    expect(text).toContain('Bob stays on record as an advocate');
    const stored = await h.introduction(intro.id);
    expect(stored.followUp?.advocate).toBe(true);
    expect(await history(intro.id, 'referral_ask_prompted')).toHaveLength(1);

    // The stream delivers the change again (a Lambda retry): still one prompt.
    const records = (await h.drain()).records;
    expect(records).toHaveLength(0);
    await h.answerByLink(asked, 'Not a fit', { at: '2026-11-25T16:05:00Z' });
    expect(h.mail.emails({ purpose: 'not_a_fit' })).toHaveLength(1);

    await h.runTwice({ kind: 'update', introductionId: intro.id }, '2026-11-25T17:01:00Z');
    const update = h.mail.emails({ purpose: 'progress_update' }).at(-1) as SentMime;
    expect(update.email.subject).toBe('Update from Ana: Bob Roe, not a fit this time');
    expect(await plainText(update)).toContain('It turns out not to be a fit for what I do this time.');
    expect(await plainText(update)).toContain('Thank you for thinking of me all the same.');
    expect(h.mail.emails({ purpose: 'progress_update' })).toHaveLength(2);
  });
});

describe('every email of this file', () => {
  it('parses back with mailparser (text and HTML, threaded to its introduction) and is ignored by capture as the system’s own', async () => {
    expect(await h.expectEveryEmailOwn()).toBeGreaterThan(20);
  });
});
