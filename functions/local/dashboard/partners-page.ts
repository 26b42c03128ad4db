import { contactLabel, type Introduction } from '../../domain/introductions/introduction.ts';
import { partnerNumbers, weeklyActivity, type ClosedBusiness } from '../../domain/pairs/pair-numbers.ts';
import type { Direction } from '../../domain/pairs/pair-views.ts';
import type { Group } from '../../domain/pairs/pair.ts';
import { effectiveBookingPreferences, type Partner } from '../../domain/partners/partner.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { activityCharts } from './activity-chart.ts';
import type { PairWithNumbers } from './dashboard-data.ts';
import type { DashboardPage } from './dashboard-layout.ts';
import { amountOf, type TimeFormat } from './format.ts';

/** Weeks the activity chart covers. */
export const CHART_WEEKS = 8;

const CADENCES: Readonly<Record<string, string>> = { monthly: 'monthly', quarterly: 'quarterly', twice_a_year: 'twice a year', off: 'off' };

export function partnersPage(input: {
  readonly partners: readonly Partner[];
  readonly pairs: readonly PairWithNumbers[];
  readonly groups: readonly Group[];
  readonly introductions: readonly Introduction[];
  readonly format: TimeFormat;
  readonly now: Date;
}): DashboardPage {
  const { partners, format, now } = input;
  const nameOf = (email: string) => {
    const partner = partners.find((item) => item.email === email);
    return partner ? contactLabel({ email: partner.email, name: partner.name }) : email;
  };
  const partnerRows = partners.map((partner) => {
    const numbers = partnerNumbers(partner, input.introductions, now);
    const preferences = effectiveBookingPreferences(partner);
    return html`<tr>
<th scope="row">${contactLabel({ email: partner.email, name: partner.name })}<br><span class="note">${partner.email}</span></th>
<td>${partner.timeZone}<br><span class="note">booking ${preferences.bookingMode}, ${preferences.meetingMinutes} min</span></td>
<td>${partner.calendar ? (partner.calendar.status === 'connected' ? `connected (${partner.calendar.method})` : 'disconnected') : 'not connected'}</td>
<td class="num">${numbers.given.thisWeek}</td><td class="num">${numbers.given.thisQuarter}</td>
<td class="num">${numbers.received.thisWeek}</td><td class="num">${numbers.received.thisQuarter}</td>
<td class="num">${numbers.meetings.upcoming}</td><td class="num">${numbers.meetings.heldThisQuarter}</td>
<td class="num">${closed(numbers.closedBusiness.received)}</td><td class="num">${closed(numbers.closedBusiness.given)}</td>
</tr>`;
  });
  const pairCards = input.pairs.map(({ pair, partners: [a, b], numbers }) => {
    const direction = (item: Direction) =>
      html`<li>${contactLabel(item.from)} → ${contactLabel(item.to)}: <strong>${item.thisWeek.length}</strong> this week, <strong>${item.thisQuarter}</strong> of ${item.quarterGoal} this quarter${
        item.thisWeek.length > 0 ? html` <span class="note">(${item.thisWeek.map((line) => contactLabel(line.prospect)).join(', ')})</span>` : ''
      }</li>`;
    return html`<li class="card">
<h3>${contactLabel(a)} &amp; ${contactLabel(b)}</h3>
<ul>${numbers.directions.map(direction)}</ul>
<dl class="facts">
<dt>Meetings</dt><dd>${numbers.meetingsBooked.length} booked, ${numbers.meetingsHeld.length} held this week</dd>
<dt>Closed</dt><dd>${closed(numbers.closedBusiness)} in ${numbers.quarter.label}</dd>
<dt>Check-in</dt><dd>${pair.weekly ? `${pair.weekly.day} ${pair.weekly.time} (${pair.timeZone})` : 'off'}</dd>
<dt>One-to-one</dt><dd>${CADENCES[pair.oneToOne] ?? pair.oneToOne}${pair.nextOneToOne ? html`, next ${format.element(pair.nextOneToOne.start)}` : ''}</dd>
<dt>Goal</dt><dd>${pair.goalPerMonth} a month each way</dd>
</dl>
</li>`;
  });
  const groupCards = input.groups.map(
    (group) => html`<li class="card"><h3>${group.name}</h3><p>${group.members.map(nameOf).join(', ')}</p><p class="note">Monthly digest on the 1st (${group.timeZone}).</p></li>`,
  );
  const charts = activityCharts(
    partners.map((partner, index) => ({
      label: contactLabel({ email: partner.email, name: partner.name }),
      key: String(index),
      weeks: weeklyActivity(partner.email, input.introductions, now, CHART_WEEKS),
    })),
    format,
  );
  const body = html`<div id="partners" data-live>
<p>This week is the seven days up to now; the quarter is the calendar quarter in each partner's time zone. Closed business: <em>won</em> from introductions they received, <em>referred</em> from introductions they gave.</p>
${
  partners.length === 0
    ? html`<p class="empty">No partners yet. Add one with <code>npx refer partner add EMAIL --name NAME --tz ZONE</code>, or run <code>npx refer demo</code>.</p>`
    : html`<div class="table-wrap" role="region" aria-label="Partners" tabindex="0"><table>
<caption>Partners</caption>
<thead>
<tr><th scope="col" rowspan="2">Partner</th><th scope="col" rowspan="2">Time zone</th><th scope="col" rowspan="2">Calendar</th><th scope="colgroup" colspan="2">Given</th><th scope="colgroup" colspan="2">Received</th><th scope="colgroup" colspan="2">Meetings</th><th scope="colgroup" colspan="2">Closed (quarter)</th></tr>
<tr><th scope="col" class="num">week</th><th scope="col" class="num">quarter</th><th scope="col" class="num">week</th><th scope="col" class="num">quarter</th><th scope="col" class="num">ahead</th><th scope="col" class="num">held</th><th scope="col" class="num">won</th><th scope="col" class="num">referred</th></tr>
</thead>
<tbody>${partnerRows}</tbody>
</table></div>`
}
<h2>Pairs</h2>
${pairCards.length > 0 ? html`<ul class="cards">${pairCards}</ul>` : html`<p class="empty">No pairs yet: <code>npx refer pair add A B</code>.</p>`}
<h2>Groups</h2>
${groupCards.length > 0 ? html`<ul class="cards">${groupCards}</ul>` : html`<p class="empty">No groups yet: <code>npx refer group add NAME A B C</code>.</p>`}
<h2>Introductions given and received, week by week</h2>
${charts}
</div>`;
  return { title: 'Partners & pairs', section: '/partners', body };
}

function closed(business: ClosedBusiness): SafeHtml {
  return business.count === 0 ? html`0` : html`${business.count} (${amountOf(business.amount)})`;
}
