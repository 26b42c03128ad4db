import type { Interval } from '../domain/booking/availability.ts';
import type { BookingMode } from '../domain/booking/booking-preferences.ts';
import { contactLabel, type Contact, type Introduction } from '../domain/introductions/introduction.ts';
import { firstName } from '../domain/outbound/email-layout.ts';
import { html } from './html.ts';
import type { Page } from './http.ts';
import { timeItem } from './time-display.ts';

/** Pages of "find another time" after a declined or cancelled meeting. For the calendar owner. */

export function confirmRebookPage(input: { introduction: Introduction; prospect: Contact; mode: BookingMode; token: string }): Page {
  const { introduction, prospect } = input;
  const who = contactLabel(prospect);
  const waitingFor = introduction.booking?.waitingFor;
  const why = waitingFor === 'declined' ? `${who} declined the meeting.` : waitingFor === 'cancelled' ? `The meeting with ${who} was cancelled.` : null;
  const what =
    input.mode === 'propose'
      ? `I'll offer ${firstName(prospect)} new times from your calendar to choose from.`
      : `I'll book the next free time in your calendar and send ${firstName(prospect)} a new invitation.`;
  return {
    status: 200,
    heading: `Find another time with ${who}?`,
    body: html`${why ? html`<p>${why}</p>` : null}
<p>${what}</p>
<form method="post" action="rebook">
<input type="hidden" name="token" value="${input.token}">
<button type="submit">Find another time</button>
</form>`,
  };
}

export function proposedPage(prospect: Contact, timeZone: string, slots: readonly Interval[]): Page {
  return {
    status: 200,
    heading: `New times are on their way to ${contactLabel(prospect)}`,
    localTimes: true,
    body: html`<p>${firstName(prospect)} can choose one of these; the invitation goes out from your calendar as soon as they do:</p>
<ul class="times">${slots.map((slot) => timeItem(slot, timeZone))}</ul>`,
  };
}

export function connectFirstPage(prospect: Contact, connectUrl: string, reconnect: boolean): Page {
  return {
    status: 409,
    heading: reconnect ? 'Reconnect your calendar first' : 'Connect your calendar first',
    body: html`<p>Nothing was booked: your Google Calendar can't be reached${reconnect ? ' (access was revoked or expired)' : ''}. As soon as it is connected, the meeting with ${contactLabel(prospect)} is booked.</p>
<p><a class="button" href="${connectUrl}">${reconnect ? 'Reconnect your calendar' : 'Connect your calendar'}</a></p>`,
  };
}

export function noFreeSlotPage(prospect: Contact, horizonBusinessDays: number): Page {
  const who = contactLabel(prospect);
  return {
    status: 200,
    heading: 'No free time found',
    body: html`<p>I couldn't find a free slot in your working hours in the next ${horizonBusinessDays} business days. Please reply to ${who} directly with a time that works; the introduction stays open.</p>`,
  };
}

export function bookingOffPage(prospect: Contact): Page {
  return {
    status: 409,
    heading: 'Booking is turned off for you',
    body: html`<p>Your booking preferences say not to book meetings, so nothing was booked. Reply to ${contactLabel(prospect)} directly to agree a time.</p>`,
  };
}
