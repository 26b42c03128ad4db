import { addDays, compareDates, localDateOf, localToInstant, weekdayOf, type LocalDate } from '../../domain/booking/time-zones.ts';
import { contactLabel, type Introduction } from '../../domain/introductions/introduction.ts';
import { HELD } from '../../domain/pairs/pair-numbers.ts';
import type { Partner } from '../../domain/partners/partner.ts';
import { html, trustedHtml, type SafeHtml } from '../../web/html.ts';
import type { PairWithNumbers } from './dashboard-data.ts';
import type { DashboardPage } from './dashboard-layout.ts';
import { statusBadge, type TimeFormat } from './format.ts';

/** Days the calendar grid shows: this week and the next two, from Monday. */
export const CALENDAR_DAYS = 21;

interface CalendarEntry {
  readonly start: string;
  readonly end: string;
  readonly kind: 'introduction' | 'one-to-one';
  readonly content: SafeHtml;
}

/**
 * Booked meetings (introductions whose meeting stands or was held) and the pairs' next
 * one-to-ones, day by day in the dashboard's time zone: three weeks from this Monday as a grid,
 * anything earlier or later listed below it.
 */
export function calendarPage(input: {
  readonly introductions: readonly Introduction[];
  readonly pairs: readonly PairWithNumbers[];
  readonly partners: readonly Partner[];
  readonly format: TimeFormat;
  readonly now: Date;
}): DashboardPage {
  const { format, now } = input;
  const zone = format.timeZone;
  const entries: CalendarEntry[] = [
    ...input.introductions
      .filter((intro) => intro.meeting && (intro.status === 'meeting_booked' || HELD.includes(intro.status)))
      .map((intro) => {
        const meeting = intro.meeting as NonNullable<Introduction['meeting']>;
        const prospect = intro.parties.find((party) => party.email !== meeting.calendarOwner) ?? intro.parties[0];
        const owner = input.partners.find((partner) => partner.email === meeting.calendarOwner);
        return {
          start: meeting.start,
          end: meeting.end,
          kind: 'introduction' as const,
          content: html`<a href="/introductions/${encodeURIComponent(intro.id)}">${format.timeOf(meeting.start)}–${format.timeOf(meeting.end)} ${owner ? contactLabel(owner) : meeting.calendarOwner} with ${prospect ? contactLabel(prospect) : 'the prospect'}</a> ${statusBadge(intro.status)}`,
        };
      }),
    ...input.pairs
      .filter(({ pair }) => pair.nextOneToOne)
      .map(({ pair, partners: [a, b] }) => {
        const next = pair.nextOneToOne as NonNullable<typeof pair.nextOneToOne>;
        return {
          start: next.start,
          end: next.end,
          kind: 'one-to-one' as const,
          content: html`${format.timeOf(next.start)}–${format.timeOf(next.end)} One-to-one: ${contactLabel(a)} &amp; ${contactLabel(b)}`,
        };
      }),
  ].sort((x, y) => x.start.localeCompare(y.start));

  const today = localDateOf(now, zone);
  const monday = addDays(today, -['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].indexOf(weekdayOf(today)));
  const days = Array.from({ length: CALENDAR_DAYS }, (_, index) => addDays(monday, index));
  const gridStart = localToInstant({ ...monday, hour: 0, minute: 0 }, zone).toISOString();
  const gridEnd = localToInstant({ ...addDays(monday, CALENDAR_DAYS), hour: 0, minute: 0 }, zone).toISOString();
  const onDay = (day: LocalDate) => entries.filter((entry) => compareDates(localDateOf(new Date(entry.start), zone), day) === 0);
  const list = (items: readonly CalendarEntry[]) =>
    html`<ul>${items.map((entry) => html`<li${entry.kind === 'one-to-one' ? trustedHtml(' class="one-to-one"') : ''}>${format.dayOf(entry.start)}, ${entry.content}</li>`)}</ul>`;
  const grid = days.map((day) => {
    const items = onDay(day);
    const order = compareDates(day, today);
    const classes = [order === 0 ? 'today' : order < 0 ? 'past' : '', items.length === 0 ? 'quiet' : ''].filter(Boolean).join(' ');
    const noon = localToInstant({ ...day, hour: 12, minute: 0 }, zone);
    return html`<li${classes ? html` class="${classes}"` : ''}${order === 0 ? trustedHtml(' aria-current="date"') : ''}>
<h3>${format.dayOf(noon)}${order === 0 ? ' (today)' : ''}</h3>
${items.length > 0 ? html`<ul>${items.map((entry) => html`<li${entry.kind === 'one-to-one' ? trustedHtml(' class="one-to-one"') : ''}>${entry.content}</li>`)}</ul>` : html`<p class="note">No meetings</p>`}
</li>`;
  });
  const earlier = entries.filter((entry) => entry.start < gridStart);
  const later = entries.filter((entry) => entry.start >= gridEnd);
  const body = html`<div id="calendar" data-live>
<p>${entries.filter((entry) => entry.start >= now.toISOString()).length} meetings ahead. Times are ${zone}; each meeting is in its partner's calendar (the loopback Google Calendar unless real Google is configured).</p>
<ol class="days" aria-label="Three weeks from Monday">${grid}</ol>
${later.length > 0 ? html`<h2>Later</h2>${list(later)}` : ''}
${earlier.length > 0 ? html`<h2>Earlier</h2>${list(earlier)}` : ''}
</div>`;
  return { title: 'Calendar', section: '/calendar', body };
}
