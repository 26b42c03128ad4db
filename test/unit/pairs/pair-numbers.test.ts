import { describe, expect, it } from 'vitest';
import type { Introduction } from '../../../functions/domain/introductions/introduction.ts';
import { EMPTY_FOLLOW_UP } from '../../../functions/domain/followup/follow-up-state.ts';
import { pairNumbers, partnerNumbers, startOfQuarter, weeklyActivity } from '../../../functions/domain/pairs/pair-numbers.ts';
import type { Pair } from '../../../functions/domain/pairs/pair.ts';
import { introduction, meeting, partner } from '../followup/views.ts';

// Mon 30 Nov 2026, 08:00 in London: the week reported on is 23–30 Nov, the quarter Q4 2026.
const AT = new Date('2026-11-30T08:00:00.000Z');
const ana = partner('ana@costa.example', 'Ana Costa', 'Europe/London');
const victor = partner('victor@hale.example', 'Victor Hale', 'Europe/London');
const lena = { email: 'lena@park.example', name: 'Lena Park' };
const tom = { email: 'tom@okoye.example', name: 'Tom Okoye' };
const pair: Pair = {
  id: 'pair-1',
  partners: [ana.email, victor.email],
  timeZone: 'Europe/London',
  weekly: { day: 'mon', time: '08:00' },
  oneToOne: 'monthly',
  goalPerMonth: 2,
  createdAt: '2026-10-01T08:00:00.000Z',
  unsubscribed: [],
  nextOneToOne: null,
};

function intro(id: string, from: typeof ana, to: typeof ana, prospect: typeof lena, createdAt: string, extra: Partial<Introduction> = {}): Introduction {
  return introduction({ id, introducer: { email: from.email, name: from.name }, parties: [{ email: to.email, name: to.name }, prospect], owner: to.email, createdAt, ...extra });
}

const held = meeting('2026-11-26T10:00:00.000Z', 30, { calendarOwner: victor.email, timeZone: 'Europe/London' });
const ahead = meeting('2026-12-02T10:00:00.000Z', 30, { calendarOwner: ana.email, timeZone: 'Europe/London' });
const introductions: Introduction[] = [
  // Ana → Victor: one last month (won this quarter), one this week (met), one this week (booked ahead).
  intro('i1', ana, victor, tom, '2026-10-20T09:00:00.000Z', { status: 'won', followUp: { ...EMPTY_FOLLOW_UP, amount: 1200, closedAt: '2026-11-10T09:00:00.000Z' } }),
  intro('i2', ana, victor, lena, '2026-11-24T09:00:00.000Z', { status: 'met', meeting: held }),
  // Victor → Ana: one this week, booked for next week.
  intro('i3', victor, ana, lena, '2026-11-25T09:00:00.000Z', { status: 'meeting_booked', meeting: ahead }),
  // Last quarter: counts for neither this week nor this quarter.
  intro('i0', victor, ana, tom, '2026-09-15T09:00:00.000Z'),
];

describe('pair numbers', () => {
  it('counts what each gave the other this week and this quarter, meetings and closed business, as the weekly check-in reports them', async () => {
    const store = {
      listGivenBy: (email: string, from: Date, to: Date) =>
        Promise.resolve(introductions.filter((item) => item.introducer.email === email && new Date(item.createdAt) >= from && new Date(item.createdAt) < to)),
    };
    const numbers = await pairNumbers(pair, ana, victor, AT, store);
    expect(numbers.week).toEqual({ start: '2026-11-23T08:00:00.000Z', end: AT.toISOString() });
    expect(numbers.quarter).toEqual({ label: 'Q4 2026', start: '2026-09-30T23:00:00.000Z' });
    const [anaToVictor, victorToAna] = numbers.directions;
    expect(anaToVictor.thisWeek.map((line) => line.prospect.name)).toEqual(['Lena Park']);
    expect(anaToVictor.thisQuarter).toBe(2);
    // Goal per month × months begun in the quarter (Oct, Nov).
    expect(anaToVictor.quarterGoal).toBe(4);
    expect(victorToAna.thisWeek.map((line) => line.introductionId)).toEqual(['i3']);
    expect(victorToAna.thisQuarter).toBe(1);
    expect(numbers.meetingsBooked.map((line) => line.introductionId)).toEqual(['i3']);
    expect(numbers.meetingsHeld.map((line) => line.introductionId)).toEqual(['i2']);
    expect(numbers.closedBusiness).toEqual({ count: 1, amount: 1200 });
  });
});

describe('partner numbers', () => {
  it('counts given and received, meetings in their calendar and closed business, from any list of introductions', () => {
    expect(partnerNumbers(ana, introductions, AT)).toEqual({
      email: ana.email,
      quarter: { label: 'Q4 2026', start: '2026-09-30T23:00:00.000Z' },
      given: { thisWeek: 1, thisQuarter: 2 },
      received: { thisWeek: 1, thisQuarter: 1 },
      meetings: { upcoming: 1, heldThisQuarter: 0 },
      closedBusiness: { received: { count: 0, amount: 0 }, given: { count: 1, amount: 1200 } },
    });
    expect(partnerNumbers(victor, introductions, AT)).toMatchObject({
      given: { thisWeek: 1, thisQuarter: 1 },
      received: { thisWeek: 1, thisQuarter: 2 },
      meetings: { upcoming: 0, heldThisQuarter: 1 },
      closedBusiness: { received: { count: 1, amount: 1200 }, given: { count: 0, amount: 0 } },
    });
  });

  it('ignores introductions made after the time asked about', () => {
    const later = intro('i9', ana, victor, tom, '2026-12-01T09:00:00.000Z');
    expect(partnerNumbers(ana, [...introductions, later], AT).given.thisWeek).toBe(1);
  });

  it('uses the quarter of the partner’s own time zone', () => {
    // 31 Dec 23:30 in London is already 1 Jan in Tokyo.
    const newYear = new Date('2026-12-31T23:30:00.000Z');
    expect(startOfQuarter(newYear, 'Europe/London').toISOString()).toBe('2026-09-30T23:00:00.000Z');
    expect(startOfQuarter(newYear, 'Asia/Tokyo').toISOString()).toBe('2026-12-31T15:00:00.000Z');
  });
});

describe('weekly activity', () => {
  it('splits the weeks before a time into seven-day periods, oldest first, counting given and received', () => {
    const weeks = weeklyActivity(ana.email, introductions, AT, 4);
    expect(weeks.map((week) => week.start)).toEqual(['2026-11-02T08:00:00.000Z', '2026-11-09T08:00:00.000Z', '2026-11-16T08:00:00.000Z', '2026-11-23T08:00:00.000Z']);
    expect(weeks.map((week) => [week.given, week.received])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 1],
    ]);
    expect(weeklyActivity(ana.email, introductions, AT, 10).reduce((sum, week) => sum + week.given, 0)).toBe(1 + 1);
  });
});
