import { formatSlot } from '../booking/booking-emails.ts';
import type { Weekday } from '../booking/time-zones.ts';
import { contactLabel } from '../introductions/introduction.ts';
import { firstName } from '../outbound/email-layout.ts';
import type { OutboundEmail } from '../outbound/outbound-email.ts';
import type { Partner } from '../partners/partner.ts';
import {
  ask,
  callName,
  day,
  formatAmount,
  joinNames,
  list,
  note,
  oneLine,
  paragraph,
  quote,
  renderHtml,
  renderText,
  time,
  weekday,
  type Block,
} from '../followup/follow-up-emails.ts';
import type { Direction, GroupDigestView, IntroductionLine, OpenItem, WeeklyCheckInView } from './pair-views.ts';

/**
 * The recurring emails: the weekly check-in to each partner of a pair, and the monthly digest to
 * a group. Replies come back to the capture address and are recorded against the pair (or group).
 */

const DAY_MS = 86_400_000;
/** A note quoted back is someone's own words, but an email is no place for a whole letter. */
const NOTE_MAX_CHARS = 600;
/** The digest lists this many introductions, then says how many more. */
const DIGEST_MAX_LINES = 12;

/**
 * "Ana and Victor — your week: Ana introduced Victor to 2 people (Lena Park, Tom Okoye), Victor
 * introduced Ana to 1 (Sara Kim). One meeting is booked (Lena, Thu 10:00). Q4 2026 so far: 5 of
 * your 6-introduction goal." Then the recipient's open items with their answers, "What help do you
 * need this week? Just reply.", the other's open items, the next one-to-one, last week's notes.
 */
export function weeklyCheckInEmail(view: WeeklyCheckInView, captureAddress: string): OutboundEmail {
  const { pair, recipient, other } = view;
  const zone = pair.timeZone;
  // Both copies open the same way: the partners in the pair's own (stable) order.
  const [first, second] = pair.partners[0] === other.email ? [other, recipient] : [recipient, other];
  const byFrom = (partner: Partner) => view.directions.find((direction) => direction.from.email === partner.email);
  // First names, unless the two share one.
  const name: Name = callName(recipient) === callName(other) ? (partner) => contactLabel(partner) : (partner) => callName(partner);

  const opening = [
    `${name(first)} and ${name(second)} — your week: ${directionsSentence(byFrom(first), byFrom(second), name)}`,
    meetingsSentence(view, zone),
    closedSentence(view.closedBusiness),
    quarterSentence(view, [byFrom(first), byFrom(second)], name),
  ].filter((sentence) => sentence !== null);

  const mine = view.openItems.mine.map((item, index) => ask(openItemQuestion(item, view.week, zone, index === 0 ? name(recipient) : null), item.answers));
  const theirs = view.openItems.theirs.map((line) => `${contactLabel(line.prospect)}: ${lineStatus(line, zone)}`);
  const notes = [...view.lastNotes]
    .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
    .map((pairNote) => quote(clip(pairNote.text), pairNote.from === recipient.email ? 'Last week you wrote:' : `Last week ${pairNote.from === other.email ? name(other) : pairNote.from} wrote:`));

  const blocks: Block[] = [
    paragraph(opening.join(' ')),
    ...mine,
    paragraph('What help do you need this week? Just reply.', true),
    ...(theirs.length > 0 ? [list(`Open on ${name(other)}'s side:`, theirs)] : []),
    ...(view.nextOneToOne ? [paragraph(`Your next one-to-one: ${formatSlot({ start: new Date(view.nextOneToOne.start), end: new Date(view.nextOneToOne.end) }, zone)}.`)] : []),
    ...notes,
    note([`Times are ${zone} time.`, cadence(pair.weekly)].filter(Boolean).join(' '), { label: 'Stop these weekly emails', url: view.unsubscribeUrl }),
  ];
  return {
    outboxKey: view.outboxKey,
    purpose: 'weekly_check_in',
    to: [{ email: recipient.email, name: recipient.name }],
    replyTo: [{ email: captureAddress, name: null }],
    subject: oneLine(`${name(first)} and ${name(second)} — your week (${weekRange(view.week, zone)})`),
    text: renderText(blocks),
    html: renderHtml(blocks),
    inReplyTo: null,
    references: [],
    introductionId: null,
    pairId: pair.id,
    unsubscribeUrl: view.unsubscribeUrl,
  };
}

/**
 * The monthly digest to a group: introductions made, meetings held, closed business, and public
 * thanks to the members who gave introductions, most first.
 */
export function groupDigestEmail(view: GroupDigestView, captureAddress: string): OutboundEmail {
  const { group } = view;
  const zone = group.timeZone;
  // "November 2026", from the month's start in the group's zone (the view's label may be 2026-11).
  const month = monthName(view.month.start, zone);
  const made = view.introductions.length;
  const held = view.meetingsHeld;
  const closed = view.closedBusiness;
  const thanks = [...view.thanks].filter((entry) => entry.given > 0).sort((a, b) => b.given - a.given);

  const numbers =
    made === 0 && held === 0 && closed.count === 0
      ? `${group.name} in ${month}: no introductions this month.`
      : `${group.name} in ${month}: ${count(made, 'introduction')} made, ${count(held, 'meeting')} held${closed.count > 0 ? `, ${closedPhrase(closed)}` : ''}.`;
  const thanked = thanks.map((entry, index) => `${contactLabel(entry.member)} (${index === 0 ? count(entry.given, 'introduction') : entry.given})`);
  const lines = view.introductions.slice(0, DIGEST_MAX_LINES).map((line) => digestLine(line, zone));
  const more = made - lines.length;

  const blocks: Block[] = [
    paragraph(`Hi ${firstName(view.recipient)},`),
    paragraph(numbers),
    ...(thanked.length > 0 ? [paragraph(`Thank you, ${joinNames(thanked)}.`, true)] : []),
    ...(lines.length > 0 ? [list('The introductions:', more > 0 ? [...lines, `and ${more} more`] : lines)] : []),
    paragraph(`Know someone a member could help? Introduce them by email and CC ${captureAddress}.`),
    note(`Sent each month to the ${view.members.length} members of ${group.name}.`, { label: 'Stop these monthly emails', url: view.unsubscribeUrl }),
  ];
  const subjectNumbers = [count(made, 'introduction'), `${count(held, 'meeting')} held`, ...(closed.count > 0 ? [`${closed.count} closed`] : [])].join(', ');
  return {
    outboxKey: view.outboxKey,
    purpose: 'group_digest',
    to: [{ email: view.recipient.email, name: view.recipient.name }],
    replyTo: [{ email: captureAddress, name: null }],
    subject: oneLine(`${group.name} in ${month}: ${subjectNumbers}`),
    text: renderText(blocks),
    html: renderHtml(blocks),
    inReplyTo: null,
    references: [],
    introductionId: null,
    pairId: group.id,
    unsubscribeUrl: view.unsubscribeUrl,
  };
}

// ---------------------------------------------------------------------------------------------

type Name = (partner: Partner) => string;

/** "Ana introduced Victor to 2 people (Lena Park, Tom Okoye), Victor introduced Ana to one (Sara Kim)." */
function directionsSentence(first: Direction | undefined, second: Direction | undefined, name: Name): string {
  const given = [first, second].filter((direction): direction is Direction => direction !== undefined && direction.thisWeek.length > 0);
  if (given.length === 0) return 'no introductions either way this week.';
  const phrase = (direction: Direction, index: number) => {
    const people = direction.thisWeek.map((line) => contactLabel(line.prospect)).join(', ');
    const n = direction.thisWeek.length;
    // The second direction leaves "people" implied, in the same style as the first ("one person …, … to one").
    const howMany = index === 0 ? count(n, 'person', 'people') : n === 1 ? 'one' : String(n);
    return `${name(direction.from)} introduced ${name(direction.to)} to ${howMany} (${people})`;
  };
  const sentence = given.map(phrase).join(', ');
  return given.length === 1 ? `${sentence}; none the other way yet.` : `${sentence}.`;
}

/** "One meeting is booked (Lena, Thu 10:00) and 2 were held (Sara, Mon; Pat, Wed)." */
function meetingsSentence(view: WeeklyCheckInView, zone: string): string {
  const when = (line: IntroductionLine, withTime: boolean) => {
    if (!line.meeting) return callName(line.prospect);
    const start = line.meeting.start;
    // Within the week after the one reported on, a weekday says it; further out, the date does.
    const near = Date.parse(start) < Date.parse(view.week.end) + 7 * DAY_MS && Date.parse(start) >= Date.parse(view.week.start);
    const dayLabel = near ? weekday(start, zone) : day(start, zone);
    return `${callName(line.prospect)}, ${withTime ? `${dayLabel} ${time(start, zone)}` : dayLabel}`;
  };
  const booked = view.meetingsBooked;
  const held = view.meetingsHeld;
  const bookedPart = booked.length > 0 ? `${capitalize(count(booked.length, 'meeting'))} ${booked.length === 1 ? 'is' : 'are'} booked (${booked.map((line) => when(line, true)).join('; ')})` : null;
  const heldList = `(${held.map((line) => when(line, false)).join('; ')})`;
  if (bookedPart && held.length > 0) return `${bookedPart} and ${held.length === 1 ? 'one was' : `${held.length} were`} held ${heldList}.`;
  if (bookedPart) return `${bookedPart}.`;
  if (held.length > 0) return `${capitalize(count(held.length, 'meeting'))} ${held.length === 1 ? 'was' : 'were'} held ${heldList}.`;
  return 'No meetings this week.';
}

function closedSentence(closed: { count: number; amount: number }): string | null {
  return closed.count > 0 ? `${capitalize(closedPhrase(closed))}.` : null;
}

/** "1 deal closed, worth 12,000". */
function closedPhrase(closed: { count: number; amount: number }): string {
  return `${count(closed.count, 'deal')} closed${closed.amount > 0 ? `, worth ${formatAmount(closed.amount)}` : ''}`;
}

/** "Q4 2026 so far: 5 of your 6-introduction goal (Ana 3 of 3, Victor 2 of 3)." */
function quarterSentence(view: WeeklyCheckInView, directions: readonly (Direction | undefined)[], name: Name): string {
  const present = directions.filter((direction): direction is Direction => direction !== undefined);
  const total = present.reduce((sum, direction) => sum + direction.thisQuarter, 0);
  const goal = present.reduce((sum, direction) => sum + direction.quarterGoal, 0);
  const label = view.quarter.label.trim() ? `${view.quarter.label.trim()} so far` : 'Quarter so far';
  if (goal <= 0) return `${label}: ${count(total, 'introduction')}.`;
  const each = present.map((direction) => `${name(direction.from)} ${direction.thisQuarter} of ${direction.quarterGoal}`).join(', ');
  return total > goal ? `${label}: ${total} introductions, past your ${goal}-introduction goal (${each}).` : `${label}: ${total} of your ${goal}-introduction goal (${each}).`;
}

/** The question an open item asks, in the recipient's terms. */
function openItemQuestion(item: OpenItem, week: WeeklyCheckInView['week'], zone: string, addressee: string | null): string {
  const { line } = item;
  const who = contactLabel(line.prospect);
  const question = (() => {
    switch (item.question) {
      case 'nudge':
        return `any luck with ${who}? ${callName(line.introducer)}'s introduction has no meeting yet.`;
      case 'outcome': {
        const what = line.meeting?.videoLink ? 'call' : 'meeting';
        // A meeting of the week reported on is named by its weekday; an older one (still unanswered) by its date.
        const start = line.meeting?.start;
        const thisWeek = start !== undefined && Date.parse(start) >= Date.parse(week.start);
        const when = start ? ` (${thisWeek ? weekday(start, zone) : day(start, zone)} ${time(start, zone)})` : '';
        return `how did the ${what} with ${callName(line.prospect)} go${when}?`;
      }
      case 'close':
        return `did it close with ${who}?`;
    }
  })();
  return addressee ? `${addressee}: ${question}` : capitalize(question);
}

/** Where one of the other partner's introductions stands, without asking anything. */
function lineStatus(line: IntroductionLine, zone: string): string {
  switch (line.status) {
    case 'introduced':
    case 'awaiting_booking':
      return 'no meeting yet';
    case 'meeting_booked':
      return line.meeting ? `meeting ${day(line.meeting.start, zone)} ${time(line.meeting.start, zone)}` : 'meeting booked';
    case 'met':
      return 'met, not closed yet';
    case 'won':
      return line.amount ? `client (${formatAmount(line.amount)})` : 'client';
    case 'lost':
      return 'decided not to go ahead';
    case 'not_a_fit':
      return 'not a fit';
    case 'no_show':
      return 'missed the meeting';
    case 'unreachable':
      return 'not reached yet';
    case 'cancelled':
      return 'on hold';
  }
}

/** A digest line, public: who introduced whom, and only good news about how it went. */
function digestLine(line: IntroductionLine, zone: string): string {
  const base = `${contactLabel(line.introducer)} introduced ${contactLabel(line.prospect)}`;
  switch (line.status) {
    case 'meeting_booked':
      return line.meeting ? `${base}: meeting ${day(line.meeting.start, zone)}` : `${base}: meeting booked`;
    case 'met':
      return `${base}: met`;
    case 'won':
      return line.amount ? `${base}: now a client (${formatAmount(line.amount)})` : `${base}: now a client`;
    default:
      return base;
  }
}

/**
 * "16–22 Nov", "30 Nov – 6 Dec": the seven days of the week reported on. The week is [start, end),
 * seven days up to the check-in itself (Monday 08:00), so its last full day is the day before `end`.
 */
function weekRange(week: { start: string; end: string }, zone: string): string {
  const last = new Date(Date.parse(week.end) - DAY_MS).toISOString();
  const [startDay, startMonth] = day(week.start, zone).split(' ').slice(1);
  const [endDay, endMonth] = day(last, zone).split(' ').slice(1);
  return startMonth === endMonth ? `${startDay}–${endDay} ${endMonth}` : `${startDay} ${startMonth} – ${endDay} ${endMonth}`;
}

function monthName(iso: string, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = { month: 'long', year: 'numeric' };
  try {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(new Date(iso));
  }
}

const WEEKDAY_NAMES: Record<Weekday, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };

function cadence(weekly: { day: Weekday; time: string } | null): string {
  return weekly ? `This comes every ${WEEKDAY_NAMES[weekly.day]} at ${weekly.time}.` : '';
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n === 1 ? 'one' : n} ${n === 1 ? singular : plural}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= NOTE_MAX_CHARS ? trimmed : `${trimmed.slice(0, NOTE_MAX_CHARS).replace(/\s+\S*$/, '')} …`;
}
