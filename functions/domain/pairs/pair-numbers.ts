import type { FollowUpStore } from '../followup/follow-up-ports.ts';
import { instantToLocal, localToInstant } from '../booking/time-zones.ts';
import type { Introduction } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import type { Partner } from '../partners/partner.ts';
import { pairIntroductionOf, VIEW_LOOKBACK_DAYS, type PairIntroduction } from './pair-view.ts';
import type { Direction, IntroductionLine } from './pair-views.ts';
import type { Pair } from './pair.ts';

/**
 * The numbers that keep partners accountable, as the weekly check-in reports them and the local
 * dashboard shows them: introductions given and received this week and this quarter, meetings
 * booked and held, closed business. "This week" is the seven days before `at`; the quarter is
 * the calendar quarter in the pair's (or partner's) time zone.
 */

/** How far back introductions count for the numbers (closed business arrives months after). */
export const NUMBERS_LOOKBACK_DAYS = VIEW_LOOKBACK_DAYS;
export const DAY_MS = 86_400_000;
/** Statuses of a meeting that took place. */
export const HELD: readonly IntroductionStatus[] = ['met', 'won', 'lost', 'not_a_fit'];

export interface ClosedBusiness {
  readonly count: number;
  readonly amount: number;
}

export interface PairNumbers {
  /** The seven days reported on, [start, end). */
  readonly week: { readonly start: string; readonly end: string };
  readonly quarter: { readonly label: string; readonly start: string };
  /** Introductions each partner gave the other within the lookback, oldest first. */
  readonly given: readonly [readonly PairIntroduction[], readonly PairIntroduction[]];
  /** The first partner → the second, and the second → the first. */
  readonly directions: readonly [Direction, Direction];
  readonly meetingsBooked: readonly IntroductionLine[];
  readonly meetingsHeld: readonly IntroductionLine[];
  readonly closedBusiness: ClosedBusiness;
}

/** The pair's numbers as of `at`, for partners `a` and `b` (in that order), from what each gave the other (the dashboard's path). */
export async function pairNumbers(pair: Pair, a: Partner, b: Partner, at: Date, store: Pick<FollowUpStore, 'listGivenBy'>): Promise<PairNumbers> {
  const since = new Date(at.getTime() - NUMBERS_LOOKBACK_DAYS * DAY_MS);
  const given = await Promise.all(
    [
      [a, b],
      [b, a],
    ].map(([from, to]) =>
      store.listGivenBy((from as Partner).email, since, at).then((list) => list.filter((intro) => includesParty(intro, (to as Partner).email)).map((intro) => pairIntroductionOf(intro, (to as Partner).email))),
    ),
  );
  return pairNumbersFrom(pair, a, b, at, given.flat());
}

/**
 * The pair's numbers as of `at` from the introductions between the two partners (the weekly
 * check-in reads them from the pair's read model): those created in the lookback before `at` count.
 */
export function pairNumbersFrom(pair: Pair, a: Partner, b: Partner, at: Date, introductions: readonly PairIntroduction[]): PairNumbers {
  const weekStart = new Date(at.getTime() - 7 * DAY_MS);
  const quarterStart = startOfQuarter(at, pair.timeZone);
  const since = new Date(at.getTime() - NUMBERS_LOOKBACK_DAYS * DAY_MS).toISOString();
  const now = at.toISOString();
  const known = introductions
    .filter((intro) => intro.createdAt >= since && intro.createdAt < now)
    .sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id));
  const gaveTo = (from: Partner, to: Partner) => known.filter((intro) => sameAddress(intro.introducer.email, from.email) && sameAddress(intro.receiver, to.email));
  const aGave = gaveTo(a, b);
  const bGave = gaveTo(b, a);
  const all = [...aGave, ...bGave];
  const quarterGoal = pair.goalPerMonth * monthsBegun(quarterStart, at, pair.timeZone);
  const direction = (from: Partner, to: Partner, given: readonly PairIntroduction[]): Direction => ({
    from,
    to,
    thisWeek: given.filter((intro) => new Date(intro.createdAt) >= weekStart).map(lineOf),
    thisQuarter: given.filter((intro) => new Date(intro.createdAt) >= quarterStart).length,
    quarterGoal,
  });
  const held = (intro: PairIntroduction) => HELD.includes(intro.status) && intro.meeting !== null;
  return {
    week: { start: weekStart.toISOString(), end: now },
    quarter: { label: quarterLabel(at, pair.timeZone), start: quarterStart.toISOString() },
    given: [aGave, bGave],
    directions: [direction(a, b, aGave), direction(b, a, bGave)],
    meetingsBooked: all.filter((intro) => intro.status === 'meeting_booked' && intro.meeting && new Date(intro.meeting.start) >= weekStart).map(lineOf),
    meetingsHeld: all.filter((intro) => held(intro) && new Date(intro.meeting?.end ?? 0) >= weekStart && new Date(intro.meeting?.end ?? 0) < at).map(lineOf),
    closedBusiness: closedBusiness(all.filter((intro) => (intro.closedAt ?? '') >= quarterStart.toISOString())),
  };
}

function sameAddress(x: string, y: string): boolean {
  return x.toLowerCase() === y.toLowerCase();
}

/** One partner's numbers across everyone they work with (the dashboard's partner table). */
export interface PartnerNumbers {
  readonly email: string;
  readonly quarter: { readonly label: string; readonly start: string };
  readonly given: { readonly thisWeek: number; readonly thisQuarter: number };
  readonly received: { readonly thisWeek: number; readonly thisQuarter: number };
  /** Meetings in their calendar still ahead, and those held this quarter. */
  readonly meetings: { readonly upcoming: number; readonly heldThisQuarter: number };
  /** Business they closed from introductions they received, and business closed from introductions they gave, this quarter. */
  readonly closedBusiness: { readonly received: ClosedBusiness; readonly given: ClosedBusiness };
}

/** A partner's numbers as of `at`, from a list of introductions (any superset of theirs). */
export function partnerNumbers(partner: Pick<Partner, 'email' | 'timeZone'>, introductions: readonly Introduction[], at: Date): PartnerNumbers {
  const weekStart = new Date(at.getTime() - 7 * DAY_MS).toISOString();
  const quarterStart = startOfQuarter(at, partner.timeZone).toISOString();
  const now = at.toISOString();
  const known = introductions.filter((intro) => intro.createdAt < now);
  const gave = known.filter((intro) => intro.introducer.email === partner.email);
  const received = known.filter((intro) => intro.introducer.email !== partner.email && includesParty(intro, partner.email));
  const count = (list: readonly Introduction[], from: string) => list.filter((intro) => intro.createdAt >= from).length;
  const inQuarter = (iso: string | null | undefined) => Boolean(iso) && (iso as string) >= quarterStart && (iso as string) < now;
  const closedIn = (list: readonly Introduction[]) =>
    closedBusiness(list.filter((intro) => inQuarter(intro.followUp?.closedAt)).map((intro) => ({ status: intro.status, amount: intro.followUp?.amount ?? null })));
  const hosted = known.filter((intro) => intro.meeting?.calendarOwner === partner.email);
  return {
    email: partner.email,
    quarter: { label: quarterLabel(at, partner.timeZone), start: quarterStart },
    given: { thisWeek: count(gave, weekStart), thisQuarter: count(gave, quarterStart) },
    received: { thisWeek: count(received, weekStart), thisQuarter: count(received, quarterStart) },
    meetings: {
      upcoming: hosted.filter((intro) => intro.status === 'meeting_booked' && (intro.meeting?.start ?? '') >= now).length,
      heldThisQuarter: hosted.filter((intro) => wasHeld(intro) && inQuarter(intro.meeting?.end)).length,
    },
    closedBusiness: { received: closedIn(received), given: closedIn(gave) },
  };
}

/** Introductions a partner gave and received in each of the `weeks` seven-day periods before `at`, oldest first. */
export interface WeeklyActivity {
  readonly start: string;
  readonly given: number;
  readonly received: number;
}

export function weeklyActivity(email: string, introductions: readonly Introduction[], at: Date, weeks: number): WeeklyActivity[] {
  const periods: WeeklyActivity[] = [];
  for (let index = weeks; index > 0; index -= 1) {
    const start = new Date(at.getTime() - index * 7 * DAY_MS).toISOString();
    const end = new Date(at.getTime() - (index - 1) * 7 * DAY_MS).toISOString();
    const within = introductions.filter((intro) => intro.createdAt >= start && intro.createdAt < end);
    periods.push({
      start,
      given: within.filter((intro) => intro.introducer.email === email).length,
      received: within.filter((intro) => intro.introducer.email !== email && includesParty(intro, email)).length,
    });
  }
  return periods;
}

/** An introduction as a line in an email: who introduced whom to `receiver`, where it stands. */
export function introductionLine(intro: Introduction, receiver: string): IntroductionLine {
  return lineOf(pairIntroductionOf(intro, receiver));
}

/** An introduction between two partners as a line in an email. */
export function lineOf(intro: PairIntroduction): IntroductionLine {
  return { introductionId: intro.id, introducer: intro.introducer, prospect: intro.prospect, status: intro.status, meeting: intro.meeting, amount: intro.amount };
}

function wasHeld(intro: Introduction): boolean {
  return HELD.includes(intro.status) && Boolean(intro.meeting);
}

function closedBusiness(candidates: readonly Pick<PairIntroduction, 'status' | 'amount'>[]): ClosedBusiness {
  const won = candidates.filter((intro) => intro.status === 'won');
  return { count: won.length, amount: won.reduce((sum, intro) => sum + (intro.amount ?? 0), 0) };
}

export function includesParty(intro: Introduction, email: string): boolean {
  return intro.parties.some((party) => party.email === email);
}

export function startOfQuarter(at: Date, timeZone: string): Date {
  const local = instantToLocal(at, timeZone);
  const month = Math.floor((local.month - 1) / 3) * 3 + 1;
  return localToInstant({ year: local.year, month, day: 1, hour: 0, minute: 0 }, timeZone);
}

function monthsBegun(quarterStart: Date, at: Date, timeZone: string): number {
  const start = instantToLocal(quarterStart, timeZone);
  const now = instantToLocal(at, timeZone);
  return (now.year - start.year) * 12 + (now.month - start.month) + 1;
}

function quarterLabel(at: Date, timeZone: string): string {
  const local = instantToLocal(at, timeZone);
  return `Q${Math.floor((local.month - 1) / 3) + 1} ${local.year}`;
}
