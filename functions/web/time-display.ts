import type { Interval } from '../domain/booking/availability.ts';
import { formatSlot } from '../domain/booking/booking-emails.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * A meeting time as the calendar owner booked it ("Thu 26 Nov, 10:00–10:30 (America/Chicago
 * time)"), with a place the page's script fills with the same time in the viewer's zone.
 */
export function timeBlock(slot: Interval, timeZone: string): SafeHtml {
  return html`<p class="when" data-start="${slot.start.toISOString()}" data-end="${slot.end.toISOString()}" data-zone="${timeZone}"><time datetime="${slot.start.toISOString()}">${formatSlot(slot, timeZone)}</time> (${timeZone} time)<span class="local" data-local hidden></span></p>`;
}

/** The same as a list item; with a URL, a link to choose it. */
export function timeItem(slot: Interval, timeZone: string, url: string | null = null): SafeHtml {
  const time = html`<time datetime="${slot.start.toISOString()}">${formatSlot(slot, timeZone)}</time>`;
  return html`<li data-start="${slot.start.toISOString()}" data-end="${slot.end.toISOString()}" data-zone="${timeZone}">${url ? html`<a href="${url}">${time}</a>` : time} (${timeZone} time)<span class="local" data-local hidden></span></li>`;
}

export function minutesOf(slot: Interval): number {
  return Math.round((slot.end.getTime() - slot.start.getTime()) / 60_000);
}
