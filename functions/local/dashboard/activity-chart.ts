import type { WeeklyActivity } from '../../domain/pairs/pair-numbers.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import type { TimeFormat } from './format.ts';

export interface PartnerActivity {
  readonly label: string;
  /** For element ids (the chart's title and description). */
  readonly key: string;
  readonly weeks: readonly WeeklyActivity[];
}

const WIDTH = 320;
const HEIGHT = 150;
const PLOT = { left: 34, right: WIDTH - 8, top: 12, bottom: HEIGHT - 28 };
const COLOURS = { given: '#1a5fb4', received: '#c25e00' } as const;

/**
 * Introductions given and received per partner, week by week: one small bar chart per partner,
 * all on the same scale, drawn as SVG on the server (no chart library, no script). Each chart is
 * an image with a text description, and the numbers are in a table below for screen readers
 * and for reading exact values.
 */
export function activityCharts(partners: readonly PartnerActivity[], format: TimeFormat): SafeHtml {
  if (partners.length === 0) return html`<p class="empty">No partners yet.</p>`;
  const weeks = partners[0]?.weeks ?? [];
  const highest = Math.max(1, ...partners.flatMap((partner) => partner.weeks.flatMap((week) => [week.given, week.received])));
  const figures = partners.map((partner) => html`<li class="card">${chart(partner, highest, format)}</li>`);
  const header = weeks.map((week) => html`<th scope="col" class="num">${format.dayOf(week.start)}</th>`);
  const rows = partners.map(
    (partner) => html`<tr><th scope="row">${partner.label} given</th>${partner.weeks.map((week) => html`<td class="num">${week.given}</td>`)}</tr>
<tr><th scope="row">${partner.label} received</th>${partner.weeks.map((week) => html`<td class="num">${week.received}</td>`)}</tr>`,
  );
  return html`<ul class="legend" aria-hidden="true"><li><span class="swatch given"></span>Given</li><li><span class="swatch received"></span>Received</li></ul>
<ul class="cards chart">${figures}</ul>
<details><summary>The numbers, week by week</summary>
<div class="table-wrap" role="region" aria-label="Introductions per week" tabindex="0"><table>
<caption>Introductions per partner, weeks starting</caption>
<thead><tr><th scope="col">Partner</th>${header}</tr></thead>
<tbody>${rows}</tbody>
</table></div>
</details>`;
}

function chart(partner: PartnerActivity, highest: number, format: TimeFormat): SafeHtml {
  const slot = (PLOT.right - PLOT.left) / Math.max(1, partner.weeks.length);
  const barWidth = Math.max(3, Math.min(14, slot / 2 - 3));
  const y = (value: number) => PLOT.bottom - ((PLOT.bottom - PLOT.top) * value) / highest;
  const round = (value: number) => Math.round(value * 10) / 10;
  const totals = partner.weeks.reduce((sum, week) => ({ given: sum.given + week.given, received: sum.received + week.received }), { given: 0, received: 0 });
  const first = partner.weeks[0];
  const last = partner.weeks.at(-1);
  const bars = partner.weeks.map((week, index) => {
    const centre = PLOT.left + slot * index + slot / 2;
    const bar = (value: number, kind: 'given' | 'received', x: number) =>
      value === 0
        ? html``
        : html`<rect x="${round(x)}" y="${round(y(value))}" width="${round(barWidth)}" height="${round(PLOT.bottom - y(value))}" fill="${COLOURS[kind]}"><title>Week of ${format.dayOf(week.start)}: ${value} ${kind}</title></rect>`;
    return html`${bar(week.given, 'given', centre - barWidth - 1)}${bar(week.received, 'received', centre + 1)}`;
  });
  const id = `chart-${partner.key}`;
  return html`<h3 id="${id}-title">${partner.label}</h3>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">
<desc id="${id}-desc">${totals.given} introductions given and ${totals.received} received in the ${partner.weeks.length} weeks from ${first ? format.dayOf(first.start) : ''}.</desc>
<line x1="${PLOT.left}" y1="${PLOT.bottom}" x2="${PLOT.right}" y2="${PLOT.bottom}" stroke="#4a4a4a" stroke-width="1"/>
<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.right}" y2="${PLOT.top}" stroke="#d0d4da" stroke-width="1" stroke-dasharray="3 3"/>
<text x="${PLOT.left - 6}" y="${PLOT.bottom + 4}" text-anchor="end" font-size="11" fill="#4a4a4a">0</text>
<text x="${PLOT.left - 6}" y="${PLOT.top + 4}" text-anchor="end" font-size="11" fill="#4a4a4a">${highest}</text>
${bars}
<text x="${PLOT.left}" y="${HEIGHT - 8}" font-size="11" fill="#4a4a4a">${first ? format.dayOf(first.start) : ''}</text>
<text x="${PLOT.right}" y="${HEIGHT - 8}" text-anchor="end" font-size="11" fill="#4a4a4a">${last ? `week of ${format.dayOf(last.start)}` : ''}</text>
</svg>
<p class="note">${totals.given} given, ${totals.received} received</p>`;
}
