import type { Interval } from '../domain/booking/availability.ts';
import { contactLabel, type Introduction, type Meeting } from '../domain/introductions/introduction.ts';
import { naturalName } from '../domain/message/person.ts';
import { firstName } from '../domain/outbound/email-layout.ts';
import type { Partner } from '../domain/partners/partner.ts';
import { html } from './html.ts';
import type { Page } from './http.ts';
import { minutesOf, timeBlock, timeItem } from './time-display.ts';

/** Pages of a proposed time: the confirmation (GET) and what the POST did. For the prospect. */

/** Who the prospect would meet: the calendar owner, by name. */
export interface MeetingHost {
  readonly email: string;
  readonly name: string | null;
  readonly timeZone: string;
  readonly videoLink: boolean;
}

export function hostOf(partner: Partner, videoLink: boolean): MeetingHost {
  return { email: partner.email, name: partner.name, timeZone: partner.timeZone, videoLink };
}

const fullName = (host: MeetingHost): string => (host.name ? naturalName(host.name) : contactLabel({ email: host.email, name: null }));
const first = (host: MeetingHost): string => firstName({ email: host.email, name: host.name });

export function confirmSlotPage(input: { introduction: Introduction; host: MeetingHost; slot: Interval; token: string }): Page {
  const { introduction, host, slot } = input;
  const kind = `${minutesOf(slot)}-minute ${host.videoLink ? 'video call' : 'meeting'}`;
  return {
    status: 200,
    heading: `Confirm your meeting with ${fullName(host)}`,
    localTimes: true,
    body: html`<p>${contactLabel(introduction.introducer)} introduced you to ${fullName(host)}. ${first(host)} offered this time for a ${kind}:</p>
${timeBlock(slot, host.timeZone)}
<form method="post" action="slot">
<input type="hidden" name="token" value="${input.token}">
<button type="submit">Confirm</button>
</form>
<p class="note">Confirming sends you a calendar invitation from ${first(host)}'s Google Calendar. None of the times work? Reply to the email with the times: it reaches ${first(host)} directly.</p>`,
  };
}

/** The meeting is booked; `note` says who gets the invitation, for whoever is reading. */
export function bookedPage(meeting: Meeting, note: string): Page {
  return {
    status: 200,
    heading: 'Booked — the invitation is on its way',
    localTimes: true,
    body: html`${timeBlock(meetingSlot(meeting), meeting.timeZone)}
<p>${note}</p>`,
  };
}

/** For the prospect: where the invitation comes from. */
export function invitationFrom(host: MeetingHost | null, meeting: Meeting): string {
  if (!host) return 'Look for the invitation in your inbox.';
  return `It comes from ${first(host)}'s Google Calendar${meeting.videoLink ? ' and has the video link in it' : ''}.`;
}

export function alreadyBookedPage(meeting: Meeting | null): Page {
  return {
    status: 200,
    heading: 'This meeting is already booked',
    localTimes: meeting !== null,
    body: meeting
      ? html`<p>It is on:</p>
${timeBlock(meetingSlot(meeting), meeting.timeZone)}
<p class="note">The invitation is in the inbox of everyone invited; nothing more to do.</p>`
      : html`<p>Nothing more to do: the invitation has gone out.</p>`,
  };
}

export function slotTakenPage(host: MeetingHost | null, alternatives: readonly { slot: Interval; url: string }[]): Page {
  const who = host ? first(host) : 'your host';
  const zone = host?.timeZone ?? 'UTC';
  return {
    status: 409,
    heading: 'That time was just taken',
    localTimes: alternatives.length > 0,
    body:
      alternatives.length > 0
        ? html`<p>Nothing was booked. These are the next times ${who} is free; choose one to confirm it:</p>
<ul class="times">${alternatives.map(({ slot, url }) => timeItem(slot, zone, url))}</ul>`
        : html`<p>Nothing was booked, and ${who} has no other free time in the next few days. Reply to the email with the times to agree a time directly.</p>`,
  };
}

export function closedPage(): Page {
  return {
    status: 409,
    heading: "This meeting can't be booked from here any more",
    body: html`<p>The introduction is no longer waiting for a time (it was closed or has moved on), so nothing was booked. Reply to the email to sort out a time directly.</p>`,
  };
}

export function noLongerOfferedPage(host: MeetingHost | null): Page {
  const who = host ? first(host) : 'your host';
  return {
    status: 409,
    heading: 'This time is no longer on offer',
    body: html`<p>Nothing was booked. ${who} may have sent newer times since: look for the latest email, or reply to it to agree a time directly.</p>`,
  };
}

export function hostCalendarUnreachablePage(host: MeetingHost | null, askedToReconnect: boolean): Page {
  const who = host ? first(host) : 'your host';
  return {
    status: 409,
    heading: 'Nothing was booked yet',
    body: html`<p>${host ? `${fullName(host)}'s` : "Your host's"} calendar can't be reached right now, so nothing was booked.${askedToReconnect ? ` ${who} has been asked to reconnect it.` : ''}</p>
<p>Try this link again later, or reply to the email to agree the time with ${who} directly.</p>`,
  };
}

export function meetingSlot(meeting: Meeting): Interval {
  return { start: new Date(meeting.start), end: new Date(meeting.end) };
}
