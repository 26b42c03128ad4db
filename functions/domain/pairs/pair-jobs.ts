import { effectiveBookingPreferences, isCalendarConnected, type Partner } from '../partners/partner.ts';
import { findFreeSlots, type Interval } from '../booking/availability.ts';
import { freeBusyQueryWindow } from '../booking/availability.ts';
import { CalendarAuthorizationError } from '../booking/calendar-port.ts';
import { oneToOneEventId } from '../booking/google-ids.ts';
import { addDays, instantToLocal, localToInstant } from '../booking/time-zones.ts';
import type { Introduction } from '../introductions/introduction.ts';
import { answerLinks } from '../followup/question-jobs.ts';
import { send, type FollowThroughDependencies } from '../followup/follow-through.ts';
import { groupDigestEmail, weeklyCheckInEmail } from './pair-emails.ts';
import { DAY_MS, HELD, introductionLine, lineOf, NUMBERS_LOOKBACK_DAYS, pairNumbersFrom } from './pair-numbers.ts';
import { buildPairView, type PairIntroduction } from './pair-view.ts';
import { EmailInProgressError, OUTBOX_CLAIM_LEASE_MS, type EmailThread, type OutboundEmail } from '../outbound/outbound-email.ts';
import type { OpenItem } from './pair-views.ts';
import type { Pair } from './pair.ts';
import { scheduleName } from '../schedules/scheduler-port.ts';

export type PairJobOutcome = 'sent' | 'already_sent' | 'off' | 'not_found' | 'booked' | 'already_booked' | 'waiting_for_calendar' | 'no_free_slot';

/**
 * The weekly accountability email, one copy to each partner of the pair (their own open items
 * and unsubscribe link): introductions each gave the other this week and this quarter against
 * the goal, meetings booked and held, closed business, open items with one-click answers, the
 * next one-to-one, and what each said last week. Everything comes from the pair's read model (one
 * query; built first when the pair has none), and both copies are claimed and marked sent together.
 */
export async function runWeekly(pairIdValue: string, at: Date, dependencies: FollowThroughDependencies): Promise<PairJobOutcome[]> {
  const since = new Date(at.getTime() - NUMBERS_LOOKBACK_DAYS * DAY_MS);
  const read = await dependencies.pairViews.readPairView(pairIdValue, since);
  if (!read) return [await orphaned('weekly', pairIdValue, dependencies)];
  if (!read.pair.weekly) return ['off'];
  const view = read.built ? read : await buildPairView(read, at, since, dependencies);
  const [a, b] = view ? view.pair.partners.map((email) => view.profiles.find((profile) => profile.email === email)) : [];
  if (!view || !a || !b) return ['not_found'];
  const { pair } = view;

  const numbers = pairNumbersFrom(pair, a, b, at, view.introductions);
  const [aGave, bGave] = numbers.given;
  const notes = view.notes.filter((note) => note.receivedAt >= numbers.week.start && note.receivedAt < numbers.week.end);
  const nextOneToOne = pair.nextOneToOne && new Date(pair.nextOneToOne.start) > at ? { start: pair.nextOneToOne.start, end: pair.nextOneToOne.end } : null;
  const weekLabel = localDateLabel(at, pair.timeZone);

  const emails: OutboundEmail[] = [];
  for (const [recipient, other, mineGiven, theirsGiven] of [
    [a, b, aGave, bGave],
    [b, a, bGave, aGave],
  ] as const) {
    if (pair.unsubscribed.includes(recipient.email)) continue;
    const view = {
      outboxKey: `weekly#${pair.id}#${weekLabel}#${recipient.email}`,
      pair,
      recipient,
      other,
      week: numbers.week,
      quarter: numbers.quarter,
      directions: recipient === a ? numbers.directions : ([numbers.directions[1], numbers.directions[0]] as const),
      meetingsBooked: numbers.meetingsBooked,
      meetingsHeld: numbers.meetingsHeld,
      closedBusiness: numbers.closedBusiness,
      openItems: {
        // The recipient acts on what the other introduced to them, and the other way round.
        mine: openItems(theirsGiven, recipient.email, at, dependencies),
        theirs: openItems(mineGiven, other.email, at, dependencies).map((item) => item.line),
      },
      nextOneToOne,
      lastNotes: notes,
      unsubscribeUrl: dependencies.links.unsubscribe('pair', pair.id, recipient.email),
    };
    emails.push(weeklyCheckInEmail(view, dependencies.captureAddress));
  }
  return sendWeek(emails, dependencies);
}

/**
 * Sends a pair's emails of one week once each: one request claims them all, one marks them all
 * sent. When a send fails (the process still running), what already went out is marked before the
 * error goes on, so the retry sends only the rest. As with a single email, a process that dies
 * after a send and before the marking leaves claims that run out: the retry sends those again.
 */
async function sendWeek(emails: readonly OutboundEmail[], dependencies: FollowThroughDependencies): Promise<PairJobOutcome[]> {
  if (emails.length === 0) return [];
  const now = dependencies.clock.now();
  const claim = await dependencies.pairViews.claimWeek(emails, now, new Date(now.getTime() + OUTBOX_CLAIM_LEASE_MS));
  if (claim.outcome === 'already_sent') return emails.map(() => 'already_sent');
  if (claim.outcome === 'in_progress') throw new EmailInProgressError(emails[0]?.outboxKey ?? '');
  const sent: { outboxKey: string; messageId: string; thread: EmailThread }[] = [];
  try {
    for (const email of emails) {
      if (claim.alreadySent.includes(email.outboxKey)) continue;
      const { messageId } = await dependencies.sender.send(email);
      sent.push({ outboxKey: email.outboxKey, messageId, thread: { introductionId: null, pairId: email.pairId ?? null } });
    }
  } catch (error) {
    if (sent.length > 0) await dependencies.pairViews.markWeekSent(sent, dependencies.clock.now());
    throw error;
  }
  await dependencies.pairViews.markWeekSent(sent, dependencies.clock.now());
  return emails.map((email) => (claim.alreadySent.includes(email.outboxKey) ? 'already_sent' : 'sent'));
}

/**
 * The pair's one-to-one for this period (month, quarter or half year), booked once: in the
 * first partner's calendar with a connected calendar, the other invited, at a time free in both
 * calendars where both are connected.
 */
export async function runOneToOne(pairIdValue: string, at: Date, dependencies: FollowThroughDependencies): Promise<PairJobOutcome> {
  const pair = await dependencies.pairs.getPair(pairIdValue);
  if (!pair) return orphaned('one-to-one', pairIdValue, dependencies);
  if (pair.oneToOne === 'off') return 'off';
  const period = periodOf(pair, at);
  if (pair.nextOneToOne?.period === period) return 'already_booked';
  const partners = (await Promise.all(pair.partners.map((email) => dependencies.partners.getPartner(email)))).filter((partner): partner is Partner => partner !== null);
  const organizer = partners.find(isCalendarConnected);
  const attendee = partners.find((partner) => partner !== organizer);
  if (!organizer || !attendee) return 'waiting_for_calendar';

  const preferences = effectiveBookingPreferences(organizer);
  const calendar = await dependencies.booking.calendars.forPartner(organizer);
  const eventId = oneToOneEventId(pair.id, period);
  let event = await calendar.getEvent('primary', eventId);
  if (!event || event.status === 'cancelled') {
    const window = freeBusyQueryWindow({ now: at, preferences });
    if (!window) return 'no_free_slot';
    const busy: Interval[] = await calendar.busy({ calendars: preferences.busyCalendars, ...window });
    // Free in both calendars: the attendee's busy time counts too when they are connected.
    if (isCalendarConnected(attendee)) {
      try {
        const theirs = await dependencies.booking.calendars.forPartner(attendee);
        busy.push(...(await theirs.busy({ calendars: ['primary'], ...window })));
      } catch (error) {
        if (!(error instanceof CalendarAuthorizationError)) throw error;
      }
    }
    const [slot] = findFreeSlots({ now: at, preferences, busy, count: 1 });
    if (!slot) return 'no_free_slot';
    const cadence = pair.oneToOne === 'twice_a_year' ? 'twice-yearly' : pair.oneToOne;
    const created = await calendar.createEvent({
      id: eventId,
      calendarId: 'primary',
      summary: `${nameOf(organizer)} <> ${nameOf(attendee)}: ${cadence} one-to-one`,
      description: `Your ${cadence} one-to-one as referral partners: who could each of you use an introduction to, and what helped since last time.\n\nBooked by Referral desk.`,
      start: slot.start,
      end: slot.end,
      timeZone: preferences.timeZone,
      attendees: [{ email: attendee.email, name: attendee.name }],
      videoRequestId: preferences.videoLink ? eventId : null,
    });
    event = created.created ? created.event : await calendar.getEvent('primary', eventId);
  }
  if (!event) return 'no_free_slot';
  await dependencies.pairs.setNextOneToOne(pair.id, { start: event.start.toISOString(), end: event.end.toISOString(), eventId, period });
  return 'booked';
}

/** The monthly digest to a group: introductions made, meetings held, closed business, public thanks. */
export async function runGroupDigest(groupIdValue: string, at: Date, dependencies: FollowThroughDependencies): Promise<PairJobOutcome[]> {
  const group = await dependencies.pairs.getGroup(groupIdValue);
  if (!group) return [await orphaned('group-digest', groupIdValue, dependencies)];
  const members = (await Promise.all(group.members.map((email) => dependencies.partners.getPartner(email)))).filter((partner): partner is Partner => partner !== null);
  const { start, end, label } = previousMonth(at, group.timeZone);
  const since = new Date(start.getTime() - NUMBERS_LOOKBACK_DAYS * DAY_MS);
  const given = new Map<string, Introduction[]>();
  for (const member of members) given.set(member.email, await dependencies.store.listGivenBy(member.email, since, end));
  const all = [...new Map([...given.values()].flat().map((intro) => [intro.id, intro])).values()];
  const inMonth = (iso: string | null | undefined) => Boolean(iso) && (iso as string) >= start.toISOString() && (iso as string) < end.toISOString();
  const introductions = all.filter((intro) => inMonth(intro.createdAt)).map((intro) => introductionLine(intro, receiverAmong(intro, group.members)));
  const meetingsHeld = all.filter((intro) => HELD.includes(intro.status) && inMonth(intro.meeting?.end)).length;
  const won = all.filter((intro) => intro.status === 'won' && inMonth(intro.followUp?.closedAt));
  const thanks = members
    .map((member) => ({ member, given: (given.get(member.email) ?? []).filter((intro) => inMonth(intro.createdAt)).length }))
    .filter((entry) => entry.given > 0)
    .sort((x, y) => y.given - x.given);
  const outcomes: PairJobOutcome[] = [];
  for (const recipient of members) {
    if (group.unsubscribed.includes(recipient.email)) continue;
    const view = {
      outboxKey: `digest#${group.id}#${label}#${recipient.email}`,
      group,
      recipient,
      members,
      month: { label, start: start.toISOString(), end: end.toISOString() },
      introductions,
      meetingsHeld,
      closedBusiness: { count: won.length, amount: won.reduce((sum, intro) => sum + (intro.followUp?.amount ?? 0), 0) },
      thanks,
      unsubscribeUrl: dependencies.links.unsubscribe('group', group.id, recipient.email),
    };
    outcomes.push(await send(groupDigestEmail(view, dependencies.captureAddress), dependencies));
  }
  return outcomes;
}

/** The pair or group is gone: its recurring schedule removes itself. */
async function orphaned(kind: 'weekly' | 'one-to-one' | 'group-digest', id: string, dependencies: FollowThroughDependencies): Promise<'not_found'> {
  await dependencies.scheduler.disarm(scheduleName(kind, id));
  return 'not_found';
}

function openItems(given: readonly PairIntroduction[], receiver: string, at: Date, dependencies: FollowThroughDependencies): OpenItem[] {
  const items: OpenItem[] = [];
  for (const intro of given) {
    const question =
      intro.status === 'introduced' || intro.status === 'awaiting_booking'
        ? 'nudge'
        : intro.status === 'meeting_booked' && intro.meeting && new Date(intro.meeting.end) < at
          ? 'outcome'
          : intro.status === 'met'
            ? 'close'
            : null;
    if (question) items.push({ line: lineOf(intro), question, answers: answerLinks(intro, question, receiver, dependencies) });
  }
  return items;
}

function receiverAmong(intro: Introduction, members: readonly string[]): string {
  return intro.parties.find((party) => members.includes(party.email))?.email ?? intro.parties[0]?.email ?? '';
}

function nameOf(partner: Partner): string {
  return partner.name ?? partner.email;
}

function localDateLabel(at: Date, timeZone: string): string {
  const local = instantToLocal(at, timeZone);
  return `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
}

/** The period a one-to-one belongs to, in the pair's zone: 2026-11, 2026-Q4 or 2026-H2. */
export function periodOf(pair: Pair, at: Date): string {
  const local = instantToLocal(at, pair.timeZone);
  if (pair.oneToOne === 'quarterly') return `${local.year}-Q${Math.floor((local.month - 1) / 3) + 1}`;
  if (pair.oneToOne === 'twice_a_year') return `${local.year}-H${local.month <= 6 ? 1 : 2}`;
  return `${local.year}-${String(local.month).padStart(2, '0')}`;
}

/** The calendar month before `at`, in the zone: [start, end) and "2026-10". */
export function previousMonth(at: Date, timeZone: string): { start: Date; end: Date; label: string } {
  const local = instantToLocal(at, timeZone);
  const end = localToInstant({ year: local.year, month: local.month, day: 1, hour: 0, minute: 0 }, timeZone);
  const lastDay = addDays({ year: local.year, month: local.month, day: 1 }, -1);
  const start = localToInstant({ year: lastDay.year, month: lastDay.month, day: 1, hour: 0, minute: 0 }, timeZone);
  return { start, end, label: `${lastDay.year}-${String(lastDay.month).padStart(2, '0')}` };
}
