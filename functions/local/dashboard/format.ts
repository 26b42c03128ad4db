import { contactLabel, type Contact, type Introduction } from '../../domain/introductions/introduction.ts';
import type { IntroductionStatus } from '../../domain/introductions/status.ts';
import { html, type SafeHtml } from '../../web/html.ts';

/** How the dashboard names statuses, email purposes and delivery outcomes. */
export const STATUS_LABELS: Readonly<Record<IntroductionStatus, string>> = {
  introduced: 'Introduced',
  awaiting_booking: 'Awaiting booking',
  meeting_booked: 'Meeting booked',
  met: 'Met',
  won: 'Won',
  lost: 'Lost',
  not_a_fit: 'Not a fit',
  no_show: 'No-show',
  unreachable: 'Unreachable',
  cancelled: 'Cancelled',
};

/** Colour families of the status badges (the text always says the status; colour only helps scanning). */
const STATUS_TONES: Readonly<Record<IntroductionStatus, 'new' | 'waiting' | 'booked' | 'good' | 'closed'>> = {
  introduced: 'new',
  awaiting_booking: 'waiting',
  meeting_booked: 'booked',
  met: 'good',
  won: 'good',
  lost: 'closed',
  not_a_fit: 'closed',
  no_show: 'closed',
  unreachable: 'closed',
  cancelled: 'closed',
};

export const PURPOSE_LABELS: Readonly<Record<string, string>> = {
  capture_confirmation: 'Capture confirmation',
  capture_needs_attention: 'Needs attention',
  calendar_connect: 'Connect your calendar',
  calendar_reconnect: 'Reconnect your calendar',
  booking_no_slot: 'No free time',
  booking_proposal: 'Proposed times',
  meeting_declined: 'Meeting declined',
  meeting_moved: 'Meeting moved',
  meeting_cancelled: 'Meeting cancelled',
  nudge: 'Nudge',
  outcome_question: 'How did it go?',
  close_question: 'Did it close?',
  progress_update: 'Update to the introducer',
  not_a_fit: 'Not a fit: ask for referrals',
  weekly_check_in: 'Weekly check-in',
  group_digest: 'Group digest',
};

export const OUTCOME_LABELS: Readonly<Record<string, string>> = {
  captured: 'Captured',
  attached: 'Attached to a thread',
  duplicate: 'Duplicate',
  ignored: 'Ignored',
  ambiguous: 'Ambiguous',
  rejected: 'Rejected',
};

export function statusBadge(status: IntroductionStatus): SafeHtml {
  return html`<span class="badge tone-${STATUS_TONES[status]}">${STATUS_LABELS[status]}</span>`;
}

/** "Ana Costa" (or the address when no name is known), with the address for a tooltip. */
export function person(contact: Contact): SafeHtml {
  return html`<span title="${contact.email}">${contactLabel(contact)}</span>`;
}

/** "Lena Park and Victor Hale" */
export function partiesOf(introduction: Introduction): SafeHtml {
  const names = introduction.parties.map(person);
  return html`${names.flatMap((name, index) => (index === 0 ? [name] : [index === names.length - 1 ? ' and ' : ', ', name]))}`;
}

/** Formats instants in one time zone (the dashboard's, or a meeting owner's). */
export class TimeFormat {
  private readonly dateTime: Intl.DateTimeFormat;
  private readonly day: Intl.DateTimeFormat;
  private readonly time: Intl.DateTimeFormat;
  private readonly isoDay: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.dateTime = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
    this.day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short' });
    this.time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false });
    this.isoDay = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  }

  /** "Thu 12 Mar, 14:30" */
  dateTimeOf(iso: string | Date): string {
    return this.dateTime.format(new Date(iso));
  }

  /** "Thu 12 Mar" */
  dayOf(iso: string | Date): string {
    return this.day.format(new Date(iso));
  }

  /** "14:30" */
  timeOf(iso: string | Date): string {
    return this.time.format(new Date(iso));
  }

  /** "2026-03-12": the calendar day in this zone. */
  isoDayOf(iso: string | Date): string {
    return this.isoDay.format(new Date(iso));
  }

  /** "Thu 12 Mar, 14:30–15:00" */
  rangeOf(start: string, end: string): string {
    return `${this.dateTimeOf(start)}–${this.timeOf(end)}`;
  }

  /** A `<time>` element: machine-readable instant, human text in this zone. */
  element(iso: string, text: string = this.dateTimeOf(iso)): SafeHtml {
    return html`<time datetime="${iso}">${text}</time>`;
  }
}

/** "in 3 h", "5 min ago", "in 2 days": how far `iso` is from `now`, roughly. */
export function relativeTime(iso: string | Date, now: Date): string {
  const minutes = Math.round((new Date(iso).getTime() - now.getTime()) / 60_000);
  const size = Math.abs(minutes);
  const amount = size < 1 ? null : size < 60 ? `${size} min` : size < 48 * 60 ? `${Math.round(size / 60)} h` : `${Math.round(size / (24 * 60))} days`;
  if (!amount) return 'now';
  return minutes > 0 ? `in ${amount}` : `${amount} ago`;
}

/** "€1,200"-style amounts are currency-neutral here: closed business is recorded as a number. */
export function amountOf(amount: number): string {
  return new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 }).format(amount);
}

/** A short, readable id of an introduction for tables (ids are long base32 strings). */
export function introductionTitle(introduction: Introduction): string {
  const parties = introduction.parties.map(contactLabel);
  const who = parties.length <= 2 ? parties.join(' and ') : `${parties.slice(0, -1).join(', ')} and ${parties.at(-1) ?? ''}`;
  return `${who}, introduced by ${contactLabel(introduction.introducer)}`;
}
