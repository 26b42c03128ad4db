import type { InboundOutcome, InboundRecord } from '../../domain/capture/model.ts';
import { html, trustedHtml } from '../../web/html.ts';
import type { DashboardPage } from './dashboard-layout.ts';
import { OUTCOME_LABELS, relativeTime, type TimeFormat } from './format.ts';

/** What the inbound page lists: the deliveries that did not become or join an introduction, or all of them. */
export type InboundView = 'not_captured' | 'all';

const CAPTURED: readonly InboundOutcome[] = ['captured', 'attached'];

export function readInboundView(query: URLSearchParams): InboundView {
  return query.get('show') === 'all' ? 'all' : 'not_captured';
}

export function inboundPage(records: readonly InboundRecord[], view: InboundView, format: TimeFormat, now: Date): DashboardPage {
  const shown = view === 'all' ? records : records.filter((record) => !CAPTURED.includes(record.outcome));
  const tone = (outcome: InboundOutcome) => (CAPTURED.includes(outcome) ? 'booked' : outcome === 'rejected' || outcome === 'ambiguous' ? 'bad' : 'closed');
  const rows = shown.map(
    (record) => html`<tr>
<td data-label="Received">${format.element(record.receivedAt)}<br><span class="note">${relativeTime(record.receivedAt, now)}</span></td>
<td data-label="Outcome"><span class="badge tone-${tone(record.outcome)}">${OUTCOME_LABELS[record.outcome] ?? record.outcome}</span>${record.kind ? html`<br><span class="note">${record.kind.replace(/_/g, ' ')}</span>` : ''}</td>
<td data-label="From">${record.sender ?? '—'}</td>
<td data-label="Subject">${record.subject ?? ''}</td>
<td data-label="Why">${record.reasons.length > 0 ? html`<ul>${record.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>` : ''}${
      record.introductionId ? html`<a href="/introductions/${encodeURIComponent(record.introductionId)}">its introduction</a>` : ''
    }</td>
</tr>`,
  );
  const body = html`<nav aria-label="Which deliveries"><ul class="counts">
<li><a href="/inbound"${view === 'not_captured' ? trustedHtml(' aria-current="page"') : ''}>Not captured (${records.filter((record) => !CAPTURED.includes(record.outcome)).length})</a></li>
<li><a href="/inbound?show=all"${view === 'all' ? trustedHtml(' aria-current="page"') : ''}>All deliveries (${records.length})</a></li>
</ul></nav>
<div id="inbound" data-live>
<p>Every message delivered to the capture address gets one recorded outcome, with the reasons. Nothing is thrown away: the raw message is kept in the inbound folder of the data directory.</p>
${
  shown.length === 0
    ? html`<p class="empty">${view === 'all' ? 'Nothing received yet.' : 'Every message received so far was captured.'}</p>`
    : html`<div class="table-wrap" role="region" aria-label="Deliveries" tabindex="0"><table class="stack">
<thead><tr><th scope="col">Received</th><th scope="col">Outcome</th><th scope="col">From</th><th scope="col">Subject</th><th scope="col">Why</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
</div>`;
  return { title: view === 'all' ? 'Inbound mail' : 'Ignored and rejected mail', section: '/inbound', body };
}
