import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changeStatus } from '../../functions/domain/followup/answer-question.ts';
import type { Contact, Introduction } from '../../functions/domain/introductions/introduction.ts';
import { addGroup, addPair } from '../../functions/domain/pairs/pair-setup.ts';
import type { Pair } from '../../functions/domain/pairs/pair.ts';
import { scheduleName } from '../../functions/domain/schedules/scheduler-port.ts';
import { createFollowThroughHarness, plainText, printFollowThroughFigures, type FollowThroughHarness, type SentMime } from '../support/follow-through-harness.ts';

/**
 * Partner pairs and groups: the weekly check-in with its numbers, open items and last week's
 * replies; the one-to-one booked in both calendars; the monthly group digest; and replies to the
 * system's emails coming back through the capture. DynamoDB Local, the table's stream, loopback
 * Google, real MIME; every job run twice or at once.
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
  printFollowThroughFigures('follow-through-pairs.test.ts', h.figures);
});

const only = (emails: readonly SentMime[]): SentMime => {
  expect(emails).toHaveLength(1);
  return emails[0] as SentMime;
};

/** A partner of this test: a unique address, London unless told, calendar connected unless told. */
async function partner(first: string, last: string, options: { zone?: string; connected?: boolean } = {}): Promise<Contact> {
  people += 1;
  const email = `${first.toLowerCase()}.${people}@${last.toLowerCase()}.example`;
  const name = `${first} ${last}`;
  await h.partner({ email, name, timeZone: options.zone ?? 'Europe/London', connect: options.connected === false ? 'none' : 'oauth' });
  return { email, name };
}

function prospect(first: string, last: string): Contact {
  people += 1;
  return { email: `${first.toLowerCase()}.${people}@prospect.example`, name: `${first} ${last}` };
}

/** Introduces at `at` (the stream books it and derives its follow-ups). */
async function introduceAt(at: string, from: Contact, to: Contact, who: Contact): Promise<Introduction> {
  h.clock.set(new Date(at));
  return h.introduce({ from, to: [to, who] });
}

/** Runs an introduction's question job (or update) a second after it is due, as its schedule would. */
async function runWhenDue(kind: 'nudge' | 'outcome' | 'close' | 'update', introductionId: string): Promise<readonly string[]> {
  const state = (await h.introduction(introductionId)).followUp;
  const due = { nudge: state?.nudgeDueAt, outcome: state?.outcomeDueAt, close: state?.closeDueAt, update: state?.updateDueAt }[kind];
  if (!due) throw new Error(`no ${kind} due for ${introductionId}`);
  return h.run({ kind, introductionId }, new Date(Date.parse(due) + 1000));
}

async function pairOf(a: Contact, b: Contact, options: Partial<Pick<Pair, 'oneToOne' | 'goalPerMonth'>> = {}): Promise<Pair> {
  const { pair } = await addPair(
    { a: a.email, b: b.email, timeZone: 'Europe/London', weekly: { day: 'mon', time: '08:00' }, oneToOne: options.oneToOne ?? 'monthly', goalPerMonth: options.goalPerMonth ?? 2 },
    h.dependencies,
  );
  await h.drain();
  return pair;
}

describe('weekly check-in', () => {
  it('gives each partner their copy with the numbers both ways (week, quarter vs goal), meetings, closed business, open items with working links; the replies are quoted next week; an unsubscribed partner gets none', async () => {
    const ana = await partner('Ana', 'Ruiz');
    const victor = await partner('Victor', 'Hale');
    h.clock.set(new Date('2026-10-01T09:00:00Z'));
    const pair = await pairOf(ana, victor);

    // Earlier this quarter: Ana introduced Victor to Pat (met in October, still open, signed this week), Victor introduced Ana to Quinn.
    const pat = prospect('Pat', 'Quinn');
    const patIntro = await introduceAt('2026-10-14T08:55:00Z', ana, victor, pat);
    await runWhenDue('outcome', patIntro.id);
    await h.answerByLink(only(h.mail.emails({ purpose: 'outcome_question', introductionId: patIntro.id })), 'Promising', { at: '2026-10-15T15:00:00Z' });
    await runWhenDue('close', patIntro.id);
    await h.answerByLink(only(h.mail.emails({ purpose: 'close_question', introductionId: patIntro.id })), 'Still open', { at: '2026-10-30T09:00:00Z' });
    await runWhenDue('close', patIntro.id);
    const quinn = prospect('Quinn', 'Adams');
    await introduceAt('2026-11-10T08:55:00Z', victor, ana, quinn);

    // This week (Mon 23 – Sun 29 Nov): Ana introduced Victor to Lena and Tom, Victor introduced Ana to Sara.
    const lena = prospect('Lena', 'Park');
    const tom = prospect('Tom', 'Okoye');
    const sara = prospect('Sara', 'Kim');
    const lenaIntro = await introduceAt('2026-11-24T08:55:00Z', ana, victor, lena);
    const tomIntro = await introduceAt('2026-11-24T09:10:00Z', ana, victor, tom);
    const saraIntro = await introduceAt('2026-11-24T09:20:00Z', victor, ana, sara);
    for (const intro of [lenaIntro, tomIntro, saraIntro]) expect(intro.status).toBe('meeting_booked');
    // Lena's meeting went well; Pat signed (12,000) on Thursday, from the reminder's link.
    await runWhenDue('outcome', lenaIntro.id);
    await h.answerByLink(only(h.mail.emails({ purpose: 'outcome_question', introductionId: lenaIntro.id })), 'Promising', { at: '2026-11-25T15:00:00Z' });
    const patReminder = h.mail.emails({ purpose: 'close_question', introductionId: patIntro.id }).at(-1) as SentMime;
    expect(await h.answerByLink(patReminder, 'Won', { at: '2026-11-26T10:00:00Z', amount: 12_000 })).toMatchObject({ outcome: 'applied', status: 'won' });

    const monday = '2026-11-30T08:00:00Z';
    const [first, second] = await h.runTwice({ kind: 'weekly', pairId: pair.id }, monday);
    expect(first).toEqual(['sent', 'sent']);
    expect(second).toEqual(['already_sent', 'already_sent']);
    const settled = await h.runConcurrently({ kind: 'weekly', pairId: pair.id }, '2026-11-30T08:00:30Z', 3);
    for (const result of settled) expect(result).toEqual({ status: 'fulfilled', value: ['already_sent', 'already_sent'] });
    const weekly = h.mail.emails({ purpose: 'weekly_check_in', pairId: pair.id });
    expect(weekly.map((sent) => sent.email.to[0]?.email).sort()).toEqual([ana.email, victor.email].sort());
    const anaCopy = only(weekly.filter((sent) => sent.email.to[0]?.email === ana.email));
    const victorCopy = only(weekly.filter((sent) => sent.email.to[0]?.email === victor.email));
    const anaText = await plainText(anaCopy);
    const victorText = await plainText(victorCopy);
    console.log(`--- weekly check-in (Ana's copy) ---\n${anaText}\n---`);
    expect(anaCopy.email.subject).toBe('Ana and Victor — your week (23–29 Nov)');
    expect(victorCopy.email.subject).toBe(anaCopy.email.subject);
    for (const text of [anaText, victorText]) {
      expect(text).toContain('Ana and Victor — your week: Ana introduced Victor to 2 people (Lena Park, Tom Okoye), Victor introduced Ana to one (Sara Kim).');
      expect(text).toContain('Q4 2026 so far: 5 of your 8-introduction goal (');
      expect(text).toContain('1 deal closed, worth 12,000.'.replace('1 deal', 'One deal'));
      expect(text).toContain('What help do you need this week? Just reply.');
    }
    // Each copy asks its recipient about what the other introduced to them, with the one-click answers under each question.
    expect(h.answerLinks(anaCopy).map((link) => `${link.question} ${link.label}`)).toEqual(
      ['Ana: how did the call with Quinn go (Wed 11 Nov 09:00)?', 'How did the call with Sara go (Wed 09:30)?'].flatMap((question) =>
        ['Promising', 'Not a fit', 'No-show', 'We rescheduled'].map((label) => `${question} ${label}`),
      ),
    );
    expect(h.answerLinks(victorCopy).map((link) => `${link.question} ${link.label}`)).toEqual([
      'Victor: did it close with Lena Park? Won',
      'Victor: did it close with Lena Park? Lost',
      'Victor: did it close with Lena Park? Still open',
      ...['Promising', 'Not a fit', 'No-show', 'We rescheduled'].map((label) => `How did the call with Tom go (Wed 10:00)? ${label}`),
    ]);
    expect(victorText).toContain("Open on Ana's side:\n  - Quinn Adams: meeting Wed 11 Nov 09:00\n  - Sara Kim: meeting Wed 25 Nov 09:30");
    expect(anaText).toContain("Open on Victor's side:\n  - Lena Park: met, not closed yet\n  - Tom Okoye: meeting Wed 25 Nov 10:00");
    // The links work: Ana says Sara's call was promising, straight from the weekly email.
    expect(await h.answerByLink(anaCopy, 'Promising', { under: 'Sara', at: '2026-11-30T09:00:00Z' })).toMatchObject({ outcome: 'applied', status: 'met' });
    expect((await h.introduction(saraIntro.id)).status).toBe('met');
    expect((await h.booking.history(saraIntro.id)).filter((event) => event.type === 'status_changed')).toMatchObject([{ by: ana.email, how: 'link' }]);
    // Recurring email: replies come back to the capture address; one-click unsubscribe.
    expect(anaCopy.email.replyTo).toEqual([{ email: 'intro@in.example.com', name: null }]);
    expect(h.booking.verifyLink(anaCopy.email.unsubscribeUrl ?? '', 'unsubscribe')).toMatchObject({ subject: pair.id, data: { kind: 'pair', recipient: ana.email } });

    // Both reply on Monday; Victor then unsubscribes with his copy's link.
    h.clock.set(new Date('2026-11-30T10:00:00Z'));
    expect(await h.reply(anaCopy, ana, 'I will introduce Victor to Dana (my accountant) by Friday.')).toMatchObject({ outcome: 'attached' });
    h.clock.set(new Date('2026-11-30T11:00:00Z'));
    const victorReply = await h.reply(victorCopy, victor, 'Need: an intro to a family-law firm. I will call Tom back on Tuesday.');
    expect(victorReply).toMatchObject({ outcome: 'attached', reasons: [`reply to the weekly check-in of pair ${pair.id}, kept for next week`] });
    const notes = await h.pairs.notes(pair.id, new Date('2026-11-30T00:00:00Z'), new Date('2026-12-07T00:00:00Z'));
    expect(notes.map((note) => [note.from, note.text])).toEqual([
      [ana.email, 'I will introduce Victor to Dana (my accountant) by Friday.'],
      [victor.email, 'Need: an intro to a family-law firm. I will call Tom back on Tuesday.'],
    ]);
    const victorUnsubscribe = h.booking.verifyLink(victorCopy.email.unsubscribeUrl ?? '', 'unsubscribe');
    expect(await h.pairs.setUnsubscribed(victorUnsubscribe.subject, (victorUnsubscribe.data as { recipient: string }).recipient)).toBe(true);

    const nextMonday = '2026-12-07T08:00:00Z';
    const [again, repeat] = await h.runTwice({ kind: 'weekly', pairId: pair.id }, nextMonday);
    expect([again, repeat]).toEqual([['sent'], ['already_sent']]);
    const week2 = h.mail.emails({ purpose: 'weekly_check_in', pairId: pair.id }).slice(2);
    expect(week2.map((sent) => sent.email.to[0]?.email)).toEqual([ana.email]);
    const week2Text = await plainText(week2[0] as SentMime);
    expect((week2[0] as SentMime).email.subject).toBe('Ana and Victor — your week (30 Nov – 6 Dec)');
    expect(week2Text).toContain('Last week you wrote:\n> I will introduce Victor to Dana (my accountant) by Friday.');
    expect(week2Text).toContain('Last week Victor wrote:\n> Need: an intro to a family-law firm. I will call Tom back on Tuesday.');
    expect(week2Text).toContain('no introductions either way this week.');
    expect(week2Text).toContain('Q4 2026 so far: 5 of your 12-introduction goal (Ana 3 of 6, Victor 2 of 6).');
  });
});

describe('one-to-one', () => {
  it('is booked once per period in the first connected partner’s calendar, the other invited, at a time free in both calendars', async () => {
    const ana = await partner('Ana', 'Ruiz');
    const victor = await partner('Victor', 'Hale');
    h.clock.set(new Date('2026-11-20T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    expect([...pair.partners]).toEqual([ana.email, victor.email].sort());
    // Ana's first free time would be Wednesday 2 Dec 09:00; Victor is busy that morning.
    h.booking.google.control.addBusyBlock(victor.email, { start: '2026-12-02T09:00:00Z', end: '2026-12-02T12:00:00Z', label: 'court' });

    const [first, second] = await h.runTwice({ kind: 'one-to-one', pairId: pair.id }, '2026-12-01T09:00:00Z');
    expect([first, second]).toEqual([['booked'], ['already_booked']]);
    const events = h.booking.calendarEvents(ana.email).filter((event) => (event.summary ?? '').includes('one-to-one'));
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event?.summary).toBe('Ana Ruiz <> Victor Hale: monthly one-to-one');
    expect(event?.attendees?.map((attendee) => attendee.email)).toContain(victor.email);
    const start = Date.parse(String(event?.start?.dateTime));
    expect(start).toBeGreaterThanOrEqual(Date.parse('2026-12-02T12:00:00Z'));
    expect(start).toBeLessThan(Date.parse('2026-12-02T17:00:00Z'));
    expect(h.booking.invitations(ana.email, { eventId: event?.id ?? '' }).map((invitation) => invitation.to)).toEqual([victor.email]);
    expect(h.booking.calendarEvents(victor.email).filter((entry) => (entry.summary ?? '').includes('one-to-one'))).toHaveLength(0);
    const stored = await h.pairs.getPair(pair.id);
    expect(stored?.nextOneToOne).toEqual({ period: '2026-12', eventId: event?.id, start: new Date(start).toISOString(), end: new Date(start + 30 * 60_000).toISOString() });

    // January: a new one.
    expect(await h.run({ kind: 'one-to-one', pairId: pair.id }, '2027-01-01T09:00:00Z')).toEqual(['booked']);
    expect(h.booking.calendarEvents(ana.email).filter((entry) => (entry.summary ?? '').includes('one-to-one'))).toHaveLength(2);
    expect((await h.pairs.getPair(pair.id))?.nextOneToOne?.period).toBe('2027-01');
  });

  it('is booked by the partner who connected a calendar when the first has not, once when run at the same moment', async () => {
    const aaron = await partner('Aaron', 'Abel', { connected: false });
    const zoe = await partner('Zoe', 'Zeller');
    h.clock.set(new Date('2026-11-20T09:00:00Z'));
    const pair = await pairOf(aaron, zoe, { oneToOne: 'quarterly' });
    const settled = await h.runConcurrently({ kind: 'one-to-one', pairId: pair.id }, '2027-01-01T09:00:00Z', 3);
    for (const result of settled) expect(result).toEqual({ status: 'fulfilled', value: ['booked'] });
    const events = h.booking.calendarEvents(zoe.email).filter((event) => (event.summary ?? '').includes('one-to-one'));
    expect(events.map((event) => event.summary)).toEqual(['Zoe Zeller <> Aaron Abel: quarterly one-to-one']);
    expect(h.booking.invitations(zoe.email, { eventId: events[0]?.id ?? '' }).map((invitation) => invitation.to)).toEqual([aaron.email]);
    expect((await h.pairs.getPair(pair.id))?.nextOneToOne?.period).toBe('2027-Q1');
    expect(await h.run({ kind: 'one-to-one', pairId: pair.id }, '2027-02-01T09:00:00Z')).toEqual(['already_booked']);
  });
});

describe('group digest', () => {
  it('sends each member last month’s introductions, meetings and closed business, thanking the givers most first, once', async () => {
    const gia = await partner('Gia', 'Lopez');
    const hal = await partner('Hal', 'Baker');
    const ivy = await partner('Ivy', 'Chen');
    h.clock.set(new Date('2026-10-20T09:00:00Z'));
    const { group } = await addGroup({ name: 'Tuesday Breakfast Club', members: [gia.email, hal.email, ivy.email], timeZone: 'Europe/London' }, h.dependencies);
    expect((await h.schedule(scheduleName('group-digest', group.id)))?.nextRunAt.toISOString()).toBe('2026-11-01T08:00:00.000Z');

    // November: Gia introduces Hal to two people, Ivy to one; one of Gia's becomes a client (5,000). October's does not count.
    await introduceAt('2026-10-28T09:00:00Z', ivy, hal, prospect('Old', 'News'));
    const won = await introduceAt('2026-11-24T08:55:00Z', gia, hal, prospect('Mia', 'Wong'));
    await introduceAt('2026-11-24T09:10:00Z', gia, hal, prospect('Noah', 'Reed'));
    await introduceAt('2026-11-24T09:20:00Z', ivy, hal, prospect('Omar', 'Said'));
    await runWhenDue('outcome', won.id);
    await h.answerByLink(only(h.mail.emails({ purpose: 'outcome_question', introductionId: won.id })), 'Promising', { at: '2026-11-25T15:00:00Z' });
    h.clock.set(new Date('2026-11-26T10:00:00Z'));
    expect(await changeStatus(won.id, 'met', 'won', { by: hal.email, how: 'cli', detail: 'signed', amount: 5_000 }, h.dependencies)).toMatchObject({ outcome: 'applied' });
    await h.drain();

    const [first, second] = await h.runTwice({ kind: 'group-digest', groupId: group.id }, '2026-12-01T08:00:00Z');
    expect(first).toEqual(['sent', 'sent', 'sent']);
    expect(second).toEqual(['already_sent', 'already_sent', 'already_sent']);
    const digests = h.mail.emails({ purpose: 'group_digest' });
    expect(digests.map((sent) => sent.email.to[0]?.email).sort()).toEqual([gia.email, hal.email, ivy.email].sort());
    for (const digest of digests) {
      expect(digest.email.subject).toBe('Tuesday Breakfast Club in November 2026: 3 introductions, one meeting held, 1 closed');
      const text = await plainText(digest);
      expect(text).toContain('Tuesday Breakfast Club in November 2026: 3 introductions made, one meeting held, one deal closed, worth 5,000.');
      expect(text).toContain('Thank you, Gia Lopez (2 introductions) and Ivy Chen (1).');
      expect(text).toContain('The introductions:\n  - Gia Lopez introduced Mia Wong: now a client (5,000)\n  - Gia Lopez introduced Noah Reed: meeting Wed 25 Nov\n  - Ivy Chen introduced Omar Said: meeting Wed 25 Nov');
      expect(text).not.toContain('Old News');
      expect(digest.email.replyTo).toEqual([{ email: 'intro@in.example.com', name: null }]);
      expect(h.booking.verifyLink(digest.email.unsubscribeUrl ?? '', 'unsubscribe')).toMatchObject({ subject: group.id, data: { kind: 'group', recipient: digest.email.to[0]?.email } });
    }
  });
});

describe('replies to the system’s emails', () => {
  it('a reply to a nudge attaches to its introduction, once however often it is delivered', async () => {
    const sam = await partner('Sam', 'Lee', { connected: false });
    const ana = await partner('Ana', 'Moss', { connected: false });
    const intro = await introduceAt('2026-11-24T09:00:00Z', sam, ana, prospect('Bob', 'Roe'));
    await h.run({ kind: 'nudge', introductionId: intro.id }, '2026-11-26T09:00:00Z');
    const nudge = only(h.mail.emails({ purpose: 'nudge', introductionId: intro.id }));
    h.clock.set(new Date('2026-11-26T10:00:00Z'));
    // Replies come back to the capture address (Reply-To), the one address the receipt rule delivers.
    expect(nudge.email.replyTo).toEqual([{ email: 'intro@in.example.com', name: null }]);
    const reply = await h.reply(nudge, ana, 'We spoke on the phone, meeting him next Tuesday.');
    expect(reply).toMatchObject({ outcome: 'attached', introductionId: intro.id });
    const replies = (await h.booking.history(intro.id)).filter((event) => event.type === 'reply_received');
    expect(replies).toMatchObject([{ by: ana.email, how: 'reply', detail: 'Re: Any luck with Bob Roe?' }]);
    expect(reply.reasons).toEqual([`reply in the thread of introduction ${intro.id}`]);
    // The same message delivered again (a second copy, a retry): recorded once.
    h.figures.duplicatesTried += 1;
    expect(await h.deliver(reply.raw)).toMatchObject({ outcome: 'duplicate', introductionId: intro.id });
    expect((await h.booking.history(intro.id)).filter((event) => event.type === 'reply_received')).toHaveLength(1);
    // And it changed nothing else: the introduction still waits for a meeting.
    expect((await h.introduction(intro.id)).status).toBe('awaiting_booking');
  });

  it('a reply to a weekly check-in from someone outside the pair is not kept', async () => {
    const ana = await partner('Ana', 'Quist');
    const victor = await partner('Victor', 'Quist');
    h.clock.set(new Date('2026-11-20T09:00:00Z'));
    const pair = await pairOf(ana, victor);
    await h.run({ kind: 'weekly', pairId: pair.id }, '2026-11-30T08:00:00Z');
    const copy = h.mail.emails({ purpose: 'weekly_check_in', to: ana.email })[0] as SentMime;
    // Ana forwarded it to her assistant, who replies.
    h.clock.set(new Date('2026-11-30T12:00:00Z'));
    const result = await h.reply(copy, { email: 'pat@assistants.example', name: 'Pat' }, 'Noted, I will book the calls.');
    expect(result).toMatchObject({ outcome: 'ignored', reasons: ['a reply to a weekly check-in from someone outside the pair'] });
    expect(await h.pairs.notes(pair.id, new Date('2026-11-30T00:00:00Z'), new Date('2026-12-07T00:00:00Z'))).toEqual([]);
  });
});

describe('every email of this file', () => {
  it('parses back with mailparser (text and HTML, threading, RFC 8058 headers) and is ignored by capture as the system’s own', async () => {
    expect(await h.expectEveryEmailOwn()).toBeGreaterThan(15);
  });
});
