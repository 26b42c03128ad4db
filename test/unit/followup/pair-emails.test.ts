import { describe, expect, it } from 'vitest';
import { composeMail } from '../../../functions/adapters/mail/compose-mail.ts';
import type { Contact, Meeting } from '../../../functions/domain/introductions/introduction.ts';
import type { IntroductionStatus } from '../../../functions/domain/introductions/status.ts';
import type { OutboundEmail } from '../../../functions/domain/outbound/outbound-email.ts';
import type { Partner } from '../../../functions/domain/partners/partner.ts';
import { groupDigestEmail, weeklyCheckInEmail } from '../../../functions/domain/pairs/pair-emails.ts';
import type { Group, Pair } from '../../../functions/domain/pairs/pair.ts';
import type { GroupDigestView, IntroductionLine, OpenItem, WeeklyCheckInView } from '../../../functions/domain/pairs/pair-views.ts';
import { escapeHtml } from '../../../functions/domain/shared/html.ts';
import { answers, CAPTURE_ADDRESS, composedAndParsed, expectButtonsOnce, FROM, meeting, occurrences, partner, WEB } from './views.ts';

// The pair meets in Madrid (UTC+1 in November): Thu 26 Nov 10:00 there is 09:00Z.
const ZONE = 'Europe/Madrid';
const ana = partner('ana@ruiz-legal.example', 'Ana Ruiz', ZONE);
const victor = partner('victor@hugo-insure.example', 'Hugo, Victor', ZONE);

const pair: Pair = {
  id: 'pair-3c1e',
  partners: [ana.email, victor.email],
  timeZone: ZONE,
  weekly: { day: 'mon', time: '08:00' },
  oneToOne: 'monthly',
  goalPerMonth: 2,
  createdAt: '2026-10-01T08:00:00.000Z',
  unsubscribed: [],
  nextOneToOne: { start: '2026-12-03T08:00:00.000Z', end: '2026-12-03T08:45:00.000Z', eventId: 'o2o1', period: '2026-12' },
};

const contact = (email: string, name: string): Contact => ({ email, name });
const lena = contact('lena.park@parkbakery.example', 'Lena Park');
const tom = contact('tom@okoye-logistics.example', 'Tom Okoye');
const sara = contact('sara@kim-design.example', 'Sara Kim');
const nina = contact('nina.chen@chen-dental.example', 'Nina Chen');

function at(start: string, owner: Partner, minutes = 30, videoLink: string | null = 'https://meet.google.com/xyz'): Meeting {
  return meeting(start, minutes, { timeZone: owner.timeZone, calendarOwner: owner.email, videoLink });
}

function line(introducer: Partner, prospect: Contact, status: IntroductionStatus, meetingAt: Meeting | null = null, amount: number | null = null): IntroductionLine {
  return { introductionId: `intro-${prospect.email.split('@')[0] ?? ''}`, introducer: { email: introducer.email, name: introducer.name }, prospect, status, meeting: meetingAt, amount };
}

const lenaLine = line(ana, lena, 'meeting_booked', at('2026-11-26T09:00:00.000Z', victor));
const tomLine = line(ana, tom, 'awaiting_booking');
// Introduced last week; the call was Fri 20 Nov 15:00 in Madrid.
const saraLine = line(ana, sara, 'meeting_booked', at('2026-11-20T14:00:00.000Z', victor));
const ninaLine = line(victor, nina, 'awaiting_booking');

function item(forLine: IntroductionLine, question: OpenItem['question'], recipient: Partner): OpenItem {
  return { line: forLine, question, answers: answers(question, forLine.introductionId, recipient.email) };
}

/** Victor's copy of the week of Mon 16 – Sun 22 Nov 2026 (sent Mon 23 Nov, 08:00 in Madrid). */
function victorsWeek(overrides: Partial<WeeklyCheckInView> = {}): WeeklyCheckInView {
  return {
    outboxKey: `weekly_check_in#${pair.id}#2026-W47#${victor.email}`,
    pair,
    recipient: victor,
    other: ana,
    week: { start: '2026-11-15T23:00:00.000Z', end: '2026-11-22T23:00:00.000Z' },
    quarter: { label: 'Q4 2026', start: '2026-09-30T22:00:00.000Z' },
    directions: [
      { from: victor, to: ana, thisWeek: [ninaLine], thisQuarter: 2, quarterGoal: 4 },
      { from: ana, to: victor, thisWeek: [lenaLine, tomLine], thisQuarter: 3, quarterGoal: 4 },
    ],
    meetingsBooked: [lenaLine],
    meetingsHeld: [],
    closedBusiness: { count: 0, amount: 0 },
    openItems: { mine: [item(saraLine, 'outcome', victor), item(tomLine, 'nudge', victor)], theirs: [ninaLine] },
    nextOneToOne: pair.nextOneToOne,
    lastNotes: [
      { pairId: pair.id, from: ana.email, receivedAt: '2026-11-16T09:12:00.000Z', text: 'I will introduce Victor to the Park bakery family.\nAnd ask Tom about his fleet insurance.', deliveryId: 'r1' },
      { pairId: pair.id, from: victor.email, receivedAt: '2026-11-16T10:40:00.000Z', text: 'Call Sara back about the renewal.', deliveryId: 'r2' },
    ],
    unsubscribeUrl: `${WEB}/unsubscribe?token=weekly.${pair.id}.victor.sig`,
    ...overrides,
  };
}

/** Ana's copy of the same week: her own open item first, Victor's for context. */
function anasWeek(): WeeklyCheckInView {
  const victors = victorsWeek();
  return {
    ...victors,
    outboxKey: `weekly_check_in#${pair.id}#2026-W47#${ana.email}`,
    recipient: ana,
    other: victor,
    directions: [victors.directions[1], victors.directions[0]],
    openItems: { mine: [item(ninaLine, 'nudge', ana)], theirs: [saraLine, tomLine] },
    unsubscribeUrl: `${WEB}/unsubscribe?token=weekly.${pair.id}.ana.sig`,
  };
}

const OPENING =
  'Ana and Victor — your week: Ana introduced Victor to 2 people (Lena Park, Tom Okoye), Victor introduced Ana to one (Nina Chen). ' +
  'One meeting is booked (Lena, Thu 10:00). Q4 2026 so far: 5 of your 8-introduction goal (Ana 3 of 4, Victor 2 of 4).';

describe('the weekly check-in', () => {
  it('opens with the week’s real numbers, by name, like the design’s example', () => {
    const email = weeklyCheckInEmail(victorsWeek(), CAPTURE_ADDRESS);
    expect(email.text.split('\n\n')[0]).toBe(OPENING);
    expect(email.subject).toBe('Ana and Victor — your week (16–22 Nov)');
    expect(email.purpose).toBe('weekly_check_in');
    expect(email.outboxKey).toBe('weekly_check_in#pair-3c1e#2026-W47#victor@hugo-insure.example');
  });

  it('gives the recipient their open items with one-click answers, then asks what help they need', () => {
    const view = victorsWeek();
    const email = weeklyCheckInEmail(view, CAPTURE_ADDRESS);
    const [sarasItem, tomsItem] = view.openItems.mine;
    // Times in the pair's zone: Fri 20 Nov 15:00 in Madrid (14:00Z).
    expect(email.text).toContain('Victor: how did the call with Sara go (Fri 15:00)?\n  Promising: ');
    expect(email.text).toContain("Any luck with Tom Okoye? Ana's introduction has no meeting yet.\n  We booked a meeting ourselves: ");
    expectButtonsOnce(email, [...(sarasItem?.answers ?? []), ...(tomsItem?.answers ?? [])]);
    const help = email.text.indexOf('What help do you need this week? Just reply.');
    expect(help).toBeGreaterThan(email.text.indexOf(tomsItem?.answers.at(-1)?.url ?? '?'));
    expect(email.html).toContain('<strong>What help do you need this week? Just reply.</strong>');
  });

  it('shows the other partner’s open items for context only, without their links', () => {
    const victors = weeklyCheckInEmail(victorsWeek(), CAPTURE_ADDRESS);
    expect(victors.text).toContain("Open on Ana's side:\n  - Nina Chen: no meeting yet");
    const anas = anasWeek();
    for (const link of anas.openItems.mine.flatMap((open) => open.answers)) {
      expect(victors.text).not.toContain(link.url);
      expect(victors.html).not.toContain(escapeHtml(link.url));
    }
    const anasEmail = weeklyCheckInEmail(anas, CAPTURE_ADDRESS);
    expect(anasEmail.text).toContain("Open on Victor's side:\n  - Sara Kim: meeting Fri 20 Nov 15:00\n  - Tom Okoye: no meeting yet");
    expect(anasEmail.text).toContain("Ana: any luck with Nina Chen? Victor's introduction has no meeting yet.");
    expectButtonsOnce(anasEmail, anas.openItems.mine.flatMap((open) => open.answers));
  });

  it('opens both partners’ copies the same way, each to its own recipient with its own unsubscribe link', () => {
    const victors = weeklyCheckInEmail(victorsWeek(), CAPTURE_ADDRESS);
    const anas = weeklyCheckInEmail(anasWeek(), CAPTURE_ADDRESS);
    expect(anas.text.split('\n\n')[0]).toBe(OPENING);
    expect(anas.subject).toBe(victors.subject);
    expect(anas.to).toEqual([{ email: ana.email, name: 'Ana Ruiz' }]);
    expect(victors.to).toEqual([{ email: victor.email, name: 'Hugo, Victor' }]);
    expect(anas.unsubscribeUrl).toBe(anasWeek().unsubscribeUrl);
    expect(victors.unsubscribeUrl).toBe(victorsWeek().unsubscribeUrl);
    expect(anas.outboxKey).not.toBe(victors.outboxKey);
  });

  it('names the next one-to-one and quotes what each said last week', () => {
    const email = weeklyCheckInEmail(victorsWeek(), CAPTURE_ADDRESS);
    // 08:00Z on Thu 3 Dec is 09:00 in Madrid.
    expect(email.text).toContain('Your next one-to-one: Thu 3 Dec, 09:00–09:45.');
    expect(email.text).toContain('Last week Ana wrote:\n> I will introduce Victor to the Park bakery family.\n> And ask Tom about his fleet insurance.');
    expect(email.text).toContain('Last week you wrote:\n> Call Sara back about the renewal.');
    expect(email.html).toContain('I will introduce Victor to the Park bakery family.\nAnd ask Tom about his fleet insurance.</blockquote>');
    expect(email.text).toContain('Times are Europe/Madrid time. This comes every Monday at 08:00.');
  });

  it('replies to the capture address, belongs to the pair, and can be unsubscribed in one click', () => {
    const view = victorsWeek();
    const email = weeklyCheckInEmail(view, CAPTURE_ADDRESS);
    expect(email.replyTo).toEqual([{ email: CAPTURE_ADDRESS, name: null }]);
    expect(email.pairId).toBe('pair-3c1e');
    expect(email.introductionId).toBeNull();
    expect(email.inReplyTo).toBeNull();
    expect(email.unsubscribeUrl).toBe(view.unsubscribeUrl);
    expect(occurrences(email.text, view.unsubscribeUrl)).toBe(1);
    expect(email.text).toContain(`Stop these weekly emails: ${view.unsubscribeUrl}`);
    expect(occurrences(email.html, `href="${escapeHtml(view.unsubscribeUrl)}"`)).toBe(1);
  });

  it('counts meetings held and closed business, and says so when the week was quiet', () => {
    const held = line(ana, sara, 'met', at('2026-11-20T14:00:00.000Z', victor));
    const busy = weeklyCheckInEmail(
      victorsWeek({ meetingsBooked: [lenaLine, line(victor, nina, 'meeting_booked', at('2026-12-09T15:30:00.000Z', ana))], meetingsHeld: [held], closedBusiness: { count: 1, amount: 18500 } }),
      CAPTURE_ADDRESS,
    );
    // A meeting more than a week out carries its date.
    expect(busy.text).toContain('2 meetings are booked (Lena, Thu 10:00; Nina, Wed 9 Dec 16:30) and one was held (Sara, Fri). One deal closed, worth 18,500.');

    const quiet = weeklyCheckInEmail(
      victorsWeek({
        directions: [
          { from: victor, to: ana, thisWeek: [], thisQuarter: 0, quarterGoal: 2 },
          { from: ana, to: victor, thisWeek: [], thisQuarter: 0, quarterGoal: 2 },
        ],
        meetingsBooked: [],
        openItems: { mine: [], theirs: [] },
        nextOneToOne: null,
        lastNotes: [],
      }),
      CAPTURE_ADDRESS,
    );
    expect(quiet.text.split('\n\n')[0]).toBe('Ana and Victor — your week: no introductions either way this week. No meetings this week. Q4 2026 so far: 0 of your 4-introduction goal (Ana 0 of 2, Victor 0 of 2).');
    expect(quiet.text).not.toContain('one-to-one');
    expect(quiet.text).not.toContain('Last week');
    expect(quiet.text).toContain('What help do you need this week? Just reply.');
  });

  it('speaks of one direction only when only one partner gave, and past the goal when past it', () => {
    const email = weeklyCheckInEmail(
      victorsWeek({
        directions: [
          { from: victor, to: ana, thisWeek: [], thisQuarter: 4, quarterGoal: 4 },
          { from: ana, to: victor, thisWeek: [lenaLine], thisQuarter: 5, quarterGoal: 4 },
        ],
      }),
      CAPTURE_ADDRESS,
    );
    expect(email.text).toContain('Ana introduced Victor to one person (Lena Park); none the other way yet.');
    expect(email.text).toContain('Q4 2026 so far: 9 introductions, past your 8-introduction goal (Ana 5 of 4, Victor 4 of 4).');
  });

  it('escapes names and notes in HTML, and keeps the subject on one line', () => {
    const evilAna = { ...ana, name: 'Ana\r\n<script>alert(1)</script>' };
    const evilProspect = contact('x@evil.example', '<img src=x onerror=alert(1)>');
    const view = victorsWeek({
      other: evilAna,
      directions: [
        { from: victor, to: evilAna, thisWeek: [], thisQuarter: 0, quarterGoal: 4 },
        { from: evilAna, to: victor, thisWeek: [line(evilAna, evilProspect, 'introduced')], thisQuarter: 1, quarterGoal: 4 },
      ],
      lastNotes: [{ pairId: pair.id, from: ana.email, receivedAt: '2026-11-16T09:12:00.000Z', text: '</blockquote><script>alert(2)</script>', deliveryId: 'r1' }],
    });
    const email = weeklyCheckInEmail(view, CAPTURE_ADDRESS);
    expect(email.html).not.toMatch(/<script|<img|<\/blockquote><script/);
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it('composes with the one-click unsubscribe headers, and the capture knows it as the system’s own', async () => {
    const view = victorsWeek();
    const { parsed, header } = await composedAndParsed(weeklyCheckInEmail(view, CAPTURE_ADDRESS));
    expect(header('List-Unsubscribe')).toBe(`<${view.unsubscribeUrl}>`);
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(parsed.replyTo?.value.map((address) => address.address)).toEqual([CAPTURE_ADDRESS]);
    expect(parsed.inReplyTo).toBeUndefined();
  });
});

function november(overrides: Partial<GroupDigestView> = {}): GroupDigestView {
  const tomas = partner('tomas@vega-print.example', 'Tomás Vega', ZONE);
  const group: Group = { id: 'group-east', name: 'East Power', members: [ana.email, victor.email, tomas.email], timeZone: ZONE, createdAt: '2026-09-01T08:00:00.000Z', unsubscribed: [] };
  return {
    outboxKey: `group_digest#${group.id}#2026-11#${tomas.email}`,
    group,
    recipient: tomas,
    members: [ana, victor, tomas],
    // The month starts at midnight in Madrid: 23:00Z the day before (October in UTC).
    month: { label: '2026-11', start: '2026-10-31T23:00:00.000Z', end: '2026-11-30T23:00:00.000Z' },
    introductions: [
      line(ana, lena, 'meeting_booked', at('2026-11-26T09:00:00.000Z', victor)),
      line(ana, tom, 'not_a_fit'),
      line(ana, sara, 'won', at('2026-11-20T14:00:00.000Z', victor), 12000),
      line(victor, nina, 'no_show'),
      line(tomas, contact('pat@ortiz.example', 'Pat Ortiz'), 'met'),
    ],
    meetingsHeld: 3,
    closedBusiness: { count: 1, amount: 12000 },
    // Out of order on purpose: the email puts the most generous first.
    thanks: [
      { member: victor, given: 1 },
      { member: ana, given: 3 },
      { member: tomas, given: 1 },
    ],
    unsubscribeUrl: `${WEB}/unsubscribe?token=digest.group-east.tomas.sig`,
    ...overrides,
  };
}

describe('the monthly group digest', () => {
  it('gives the group’s numbers and thanks the members who gave introductions, most first', () => {
    const view = november();
    const email = groupDigestEmail(view, CAPTURE_ADDRESS);
    expect(email.subject).toBe('East Power in November 2026: 5 introductions, 3 meetings held, 1 closed');
    expect(email.purpose).toBe('group_digest');
    expect(email.to).toEqual([{ email: 'tomas@vega-print.example', name: 'Tomás Vega' }]);
    expect(email.text).toContain('Hi Tomás,');
    expect(email.text).toContain('East Power in November 2026: 5 introductions made, 3 meetings held, one deal closed, worth 12,000.');
    expect(email.text).toContain('Thank you, Ana Ruiz (3 introductions), Victor Hugo (1) and Tomás Vega (1).');
    expect(email.html).toContain('<strong>Thank you, Ana Ruiz (3 introductions)');
  });

  it('lists the introductions publicly with good news only', () => {
    const email = groupDigestEmail(november(), CAPTURE_ADDRESS);
    expect(email.text).toContain('  - Ana Ruiz introduced Sara Kim: now a client (12,000)');
    expect(email.text).toContain('  - Ana Ruiz introduced Lena Park: meeting Thu 26 Nov');
    expect(email.text).toContain('  - Ana Ruiz introduced Tom Okoye\n');
    expect(email.text).toContain('  - Victor Hugo introduced Nina Chen\n');
    expect(email.text).not.toMatch(/not a fit|no-show|missed/i);
  });

  it('asks for the next introduction through the capture address, replies there, and can be unsubscribed', async () => {
    const view = november();
    const email = groupDigestEmail(view, CAPTURE_ADDRESS);
    expect(email.text).toContain(`Know someone a member could help? Introduce them by email and CC ${CAPTURE_ADDRESS}.`);
    expect(email.text).toContain(`Sent each month to the 3 members of East Power. Stop these monthly emails: ${view.unsubscribeUrl}`);
    expect(email.replyTo).toEqual([{ email: CAPTURE_ADDRESS, name: null }]);
    expect(email.pairId).toBe('group-east');
    expect(email.unsubscribeUrl).toBe(view.unsubscribeUrl);
    const { header } = await composedAndParsed(email);
    expect(header('List-Unsubscribe')).toBe(`<${view.unsubscribeUrl}>`);
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  });

  it('says a quiet month plainly, and caps a long list', () => {
    const quiet = groupDigestEmail(november({ introductions: [], meetingsHeld: 0, closedBusiness: { count: 0, amount: 0 }, thanks: [] }), CAPTURE_ADDRESS);
    expect(quiet.text).toContain('East Power in November 2026: no introductions this month.');
    expect(quiet.text).not.toContain('Thank you');
    const many = Array.from({ length: 15 }, (_, index) => line(ana, contact(`p${index}@x.example`, `Person ${index}`), 'introduced'));
    const busy = groupDigestEmail(november({ introductions: many }), CAPTURE_ADDRESS);
    expect(busy.text).toContain('  - Ana Ruiz introduced Person 11\n  - and 3 more');
    expect(busy.text).not.toContain('Person 12');
  });

  it('escapes member names in HTML', () => {
    const evil = partner('evil@x.example', '<script>alert(1)</script>', ZONE);
    const email = groupDigestEmail(november({ thanks: [{ member: evil, given: 2 }], group: { ...november().group, name: 'East <b>Power</b>\r\nBcc: x@y.example' } }), CAPTURE_ADDRESS);
    expect(email.html).not.toMatch(/<script|<b>/);
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});

describe('List-Unsubscribe in composed mail', () => {
  const unfolded = (raw: Buffer) => raw.toString().split('\r\n\r\n')[0]?.replace(/\r\n[ \t]+/g, ' ') ?? '';
  const base = (): OutboundEmail => weeklyCheckInEmail(victorsWeek(), CAPTURE_ADDRESS);

  it('is left out when there is no unsubscribe URL', async () => {
    const { raw } = await composeMail({ ...base(), unsubscribeUrl: null }, FROM);
    expect(raw.toString()).not.toMatch(/^List-Unsubscribe/im);
  });

  it('never lets a line break in the URL become a header', async () => {
    const { raw } = await composeMail({ ...base(), unsubscribeUrl: `${WEB}/unsubscribe?token=a\r\nBcc: victim@evil.example` }, FROM);
    expect(raw.toString()).not.toMatch(/^Bcc:/im);
    // Folded onto a continuation line (the URL is long), which is still one header.
    expect(unfolded(raw)).toContain(`\r\nList-Unsubscribe: <${WEB}/unsubscribe?token=aBcc:victim@evil.example>\r\n`);
  });

  it('offers no one-click POST for a mailto address', async () => {
    const { raw } = await composeMail({ ...base(), unsubscribeUrl: 'mailto:intro@refer.local?subject=unsubscribe' }, FROM);
    expect(unfolded(raw)).toContain('\r\nList-Unsubscribe: <mailto:intro@refer.local?subject=unsubscribe>\r\n');
    expect(raw.toString()).not.toMatch(/^List-Unsubscribe-Post/im);
  });
});
