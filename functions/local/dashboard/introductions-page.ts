import { contactLabel, type Introduction } from '../../domain/introductions/introduction.ts';
import { INTRODUCTION_STATUSES, type IntroductionStatus } from '../../domain/introductions/status.ts';
import { addDays, localToInstant } from '../../domain/booking/time-zones.ts';
import { EMPTY_FOLLOW_UP } from '../../domain/followup/follow-up-state.ts';
import type { Partner } from '../../domain/partners/partner.ts';
import { html, trustedHtml, type SafeHtml } from '../../web/html.ts';
import type { IntroductionDetail } from './dashboard-data.ts';
import type { DashboardPage } from './dashboard-layout.ts';
import { amountOf, introductionTitle, partiesOf, person, PURPOSE_LABELS, relativeTime, STATUS_LABELS, statusBadge, TimeFormat } from './format.ts';

/** The introductions list's filters, as read from the query string (anything else is ignored). */
export interface IntroductionFilter {
  readonly status: IntroductionStatus | null;
  readonly partner: string | null;
  /** Calendar days (YYYY-MM-DD) in the dashboard's zone, inclusive. */
  readonly from: string | null;
  readonly to: string | null;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function readIntroductionFilter(query: URLSearchParams): IntroductionFilter {
  const status = query.get('status');
  const day = (name: string) => {
    const value = query.get(name);
    return value && DAY.test(value) ? value : null;
  };
  return {
    status: (INTRODUCTION_STATUSES as readonly string[]).includes(status ?? '') ? (status as IntroductionStatus) : null,
    partner: query.get('partner')?.trim().toLowerCase() || null,
    from: day('from'),
    to: day('to'),
  };
}

/** The introductions that pass the filter: by status, by a partner on either side, by the day they were made. */
export function filterIntroductions(introductions: readonly Introduction[], filter: IntroductionFilter, timeZone: string): Introduction[] {
  const from = filter.from ? startOfDay(filter.from, timeZone, 0) : null;
  const to = filter.to ? startOfDay(filter.to, timeZone, 1) : null;
  return introductions.filter((intro) => {
    if (filter.status && intro.status !== filter.status) return false;
    if (filter.partner && ![intro.introducer, ...intro.parties, ...(intro.forwardedBy ? [intro.forwardedBy] : [])].some((contact) => contact.email === filter.partner)) return false;
    const created = new Date(intro.createdAt);
    if (from && created < from) return false;
    if (to && created >= to) return false;
    return true;
  });
}

function startOfDay(day: string, timeZone: string, plusDays: number): Date {
  const [, year, month, date] = DAY.exec(day) ?? [];
  const local = addDays({ year: Number(year), month: Number(month), day: Number(date) }, plusDays);
  return localToInstant({ ...local, hour: 0, minute: 0 }, timeZone);
}

export function introductionsPage(input: {
  readonly introductions: readonly Introduction[];
  readonly partners: readonly Partner[];
  readonly filter: IntroductionFilter;
  readonly format: TimeFormat;
  readonly now: Date;
}): DashboardPage {
  const { filter, format, now } = input;
  const shown = filterIntroductions(input.introductions, filter, format.timeZone).reverse();
  const counts = INTRODUCTION_STATUSES.map((status) => ({ status, count: input.introductions.filter((intro) => intro.status === status).length })).filter((entry) => entry.count > 0);
  const statusOptions = INTRODUCTION_STATUSES.map((status) => html`<option value="${status}"${selected(filter.status === status)}>${STATUS_LABELS[status]}</option>`);
  const partnerOptions = [...input.partners]
    .sort((a, b) => (a.name ?? a.email).localeCompare(b.name ?? b.email))
    .map((partner) => html`<option value="${partner.email}"${selected(filter.partner === partner.email)}>${partner.name ?? partner.email}</option>`);
  const filtered = filter.status || filter.partner || filter.from || filter.to;
  const rows = shown.map(
    (intro) => html`<tr${new Date(intro.createdAt).getTime() > now.getTime() - 5 * 60_000 ? trustedHtml(' class="fresh"') : ''}>
<td data-label="Made">${format.element(intro.createdAt)}<br><span class="note">${relativeTime(intro.createdAt, now)}</span></td>
<td data-label="Introduced"><a href="/introductions/${encodeURIComponent(intro.id)}">${partiesOf(intro)}</a></td>
<td data-label="By">${person(intro.introducer)}${intro.forwardedBy ? html`<br><span class="note">forwarded by ${person(intro.forwardedBy)}</span>` : ''}</td>
<td data-label="Status">${statusBadge(intro.status)}</td>
<td data-label="Meeting">${intro.meeting ? format.element(intro.meeting.start, format.rangeOf(intro.meeting.start, intro.meeting.end)) : html`<span class="note">${waitingLabel(intro)}</span>`}</td>
<td data-label="Subject">${intro.subject}</td>
</tr>`,
  );
  const body = html`<form class="filters" method="get" action="/" role="search" aria-label="Filter introductions">
<div><label for="filter-status">Status</label><select id="filter-status" name="status"><option value="">Any status</option>${statusOptions}</select></div>
<div><label for="filter-partner">Partner</label><select id="filter-partner" name="partner"><option value="">Any partner</option>${partnerOptions}</select></div>
<div><label for="filter-from">From</label><input type="date" id="filter-from" name="from" value="${filter.from ?? ''}"></div>
<div><label for="filter-to">To</label><input type="date" id="filter-to" name="to" value="${filter.to ?? ''}"></div>
<div><button type="submit">Filter</button> ${filtered ? html`<a class="button secondary" href="/">Clear</a>` : ''}</div>
</form>
<div id="introductions" data-live>
<h2 class="visually-hidden">Where they stand</h2>
<ul class="counts" aria-label="Introductions by status">${counts.map(
    (entry) => html`<li><a href="/?status=${entry.status}">${statusBadge(entry.status)} <span>${entry.count}</span></a></li>`,
  )}</ul>
<p>${shown.length} of ${input.introductions.length} introductions${filtered ? ' match the filter' : ''}, newest first. Times are ${format.timeZone}.</p>
${
  shown.length === 0
    ? html`<p class="empty">${input.introductions.length === 0 ? trustedHtml('Nothing captured yet. Send an introduction to the capture address, or run <code>npx refer demo</code>.') : 'No introduction matches the filter.'}</p>`
    : html`<div class="table-wrap" role="region" aria-label="Introductions" tabindex="0"><table class="stack">
<thead><tr><th scope="col">Made</th><th scope="col">Introduced</th><th scope="col">By</th><th scope="col">Status</th><th scope="col">Meeting</th><th scope="col">Subject</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
</div>`;
  return { title: 'Introductions', section: '/', body };
}

export function introductionDetailPage(detail: IntroductionDetail, format: TimeFormat, now: Date): DashboardPage {
  const { introduction: intro } = detail;
  const followUp = intro.followUp ?? EMPTY_FOLLOW_UP;
  const meeting = intro.meeting;
  const owner = meeting ? new TimeFormat(meeting.timeZone) : null;
  const due = [
    { label: 'Nudge', at: followUp.nudgeDueAt },
    { label: '“How did it go?”', at: followUp.outcomeDueAt },
    { label: '“Did it close?”', at: followUp.closeDueAt },
    { label: 'Update to the introducer', at: followUp.updateDueAt },
  ].filter((item): item is { label: string; at: string } => item.at !== null);
  const thread = [
    ...detail.messages.map((message) => ({
      at: message.receivedAt,
      item: html`<li><p><strong>${message.role === 'introduction' ? 'The introduction' : 'A reply'}</strong> from ${message.sender ?? 'an unknown sender'}, ${format.element(message.receivedAt)}</p>
<p class="note">${message.subject ?? ''}</p>
${message.words ? html`<blockquote>${message.words}</blockquote>` : ''}</li>`,
    })),
    ...detail.emails.map((email) => ({
      at: email.sentAt ?? email.claimedAt,
      item: html`<li class="sent"><p><strong>Sent: ${PURPOSE_LABELS[email.purpose] ?? email.purpose}</strong> to ${email.to.join(', ')}, ${format.element(email.sentAt ?? email.claimedAt)}</p>
<p><a href="/outbox/email?key=${encodeURIComponent(email.outboxKey)}">${email.subject}</a></p></li>`,
    })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  // The thread shows what the sender of each message wrote; a forward's sender is not the introducer, so their words come first.
  const showContext = intro.context !== '' && (intro.forwardedBy !== null || !detail.messages.some((message) => message.role === 'introduction' && message.words));
  const body = html`<div id="introduction" data-live>
<p>${statusBadge(intro.status)} Made ${format.element(intro.createdAt)} (${relativeTime(intro.createdAt, now)}). <a href="/">All introductions</a></p>
<dl class="facts">
<dt>Introducer</dt><dd>${person(intro.introducer)} &lt;${intro.introducer.email}&gt;</dd>
${intro.forwardedBy ? html`<dt>Forwarded by</dt><dd>${person(intro.forwardedBy)} &lt;${intro.forwardedBy.email}&gt;</dd>` : ''}
<dt>Introduced</dt><dd>${intro.parties.map((party) => html`${person(party)} &lt;${party.email}&gt;<br>`)}</dd>
<dt>Subject</dt><dd>${intro.subject}</dd>
<dt>Partner</dt><dd>${intro.booking?.calendarOwner ?? intro.owner}</dd>
${followUp.amount !== null ? html`<dt>Closed business</dt><dd>${amountOf(followUp.amount)}</dd>` : ''}
</dl>
${showContext ? html`<h2>What ${contactLabel(intro.introducer)} wrote</h2><blockquote>${intro.context}</blockquote>` : ''}
<h2>Meeting</h2>
${
  meeting && owner
    ? html`<dl class="facts" id="meeting">
<dt>When</dt><dd>${owner.rangeOf(meeting.start, meeting.end)} (${meeting.timeZone})${meeting.timeZone === format.timeZone ? '' : html`<br><span class="note">${format.rangeOf(meeting.start, meeting.end)} here (${format.timeZone})</span>`}</dd>
<dt>Calendar</dt><dd>${meeting.calendarOwner}</dd>
<dt>Invited</dt><dd>${meeting.attendees.join(', ')}</dd>
${meeting.videoLink ? html`<dt>Video</dt><dd>${meeting.videoLink}</dd>` : ''}
<dt>Event id</dt><dd><code>${meeting.eventId}</code></dd>
</dl>`
    : html`<p id="meeting">${waitingLabel(intro)}${
        intro.booking?.proposedSlots.length
          ? html` Times offered: ${intro.booking.proposedSlots.map((slot, index) => html`${index > 0 ? '; ' : ''}${format.rangeOf(slot.start, slot.end)}`)}.`
          : ''
      }</p>`
}
<h2>Follow-through</h2>
${
  due.length > 0
    ? html`<ul>${due.map((item) => html`<li>${item.label}: ${format.element(item.at)} (${relativeTime(item.at, now)})</li>`)}</ul>`
    : html`<p class="note">Nothing is due.</p>`
}
<h2>History</h2>
<div class="table-wrap" role="region" aria-label="History" tabindex="0"><table>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">How</th><th scope="col">Detail</th></tr></thead>
<tbody>${detail.history.map(
    (event) => html`<tr><td>${format.element(event.at)}</td><td>${event.type.replace(/_/g, ' ')}</td><td>${event.by}</td><td>${event.how}</td><td>${event.detail}</td></tr>`,
  )}</tbody>
</table></div>
<h2>Thread</h2>
${thread.length > 0 ? html`<ol class="thread">${thread.map((entry) => entry.item)}</ol>` : html`<p class="note">No messages.</p>`}
</div>`;
  return { title: introductionTitle(intro), section: '/', body };
}

function waitingLabel(intro: Introduction): string {
  switch (intro.booking?.waitingFor) {
    case 'calendar_connection':
      return 'Waiting for the partner to connect a calendar.';
    case 'calendar_reconnect':
      return 'Waiting for the partner to reconnect their calendar.';
    case 'free_slot':
      return 'No free time in the booking horizon yet.';
    case 'prospect_choice':
      return 'Times proposed; waiting for a choice.';
    case 'declined':
      return 'The invitation was declined; a new time is needed.';
    case 'cancelled':
      return 'The meeting was cancelled; a new time is needed.';
    case 'booking':
      return 'Booking…';
    default:
      return intro.status === 'introduced' ? 'Not booked yet.' : 'No meeting.';
  }
}

function selected(yes: boolean): SafeHtml | '' {
  return yes ? trustedHtml(' selected') : '';
}
