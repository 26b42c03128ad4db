import type { TokenAction } from '../domain/links/signed-token.ts';
import { ANSWER_LINK_DAYS, CONNECT_LINK_DAYS, REBOOK_LINK_DAYS, UNSUBSCRIBE_LINK_DAYS } from '../adapters/links/booking-link-builder.ts';
import { html } from './html.ts';
import type { Page } from './http.ts';
import { PRODUCT_NAME } from './layout.ts';
import { OAUTH_STATE_MINUTES } from './tokens.ts';

/** Pages that are not about one introduction: what this is, and what went wrong with a request. */

export function homePage(): Page {
  return {
    status: 200,
    heading: PRODUCT_NAME,
    body: html`<p>${PRODUCT_NAME} books the meetings that come out of referral introductions, straight into the calendar of the person introduced, and keeps everyone posted on how they went.</p>
<p>This site answers the one-click links in its emails: connecting a Google Calendar, confirming a proposed meeting time, finding another time, answering a follow-up question, unsubscribing from a recurring email. There is nothing to do here without a link from one of those emails.</p>`,
  };
}

export function invalidLinkPage(): Page {
  return {
    status: 400,
    heading: "This link isn't valid",
    body: html`<p>It may have been cut short or changed on its way here. Open it again from the email, or copy the whole link into the address bar.</p>
<p class="note">Nothing was changed.</p>`,
  };
}

const EXPIRED_ADVICE: Readonly<Record<TokenAction, string>> = {
  connect_calendar: `Calendar links work for ${CONNECT_LINK_DAYS} days. Ask whoever runs ${PRODUCT_NAME} for your group to send you a new one; the introductions waiting for your calendar stay waiting.`,
  oauth_state: `Connecting took longer than ${OAUTH_STATE_MINUTES} minutes, so it was stopped. Open the link from your email again to start over.`,
  book_slot: 'The time this link offered has already started or passed. Reply to the email with the times: your reply goes straight to the person you were going to meet, so you can agree another time.',
  rebook: `"Find another time" links work for ${REBOOK_LINK_DAYS} days. Reply to the person you were meeting to agree a new time directly.`,
  answer: `Answer links work for ${ANSWER_LINK_DAYS} days. The next email about this introduction (or the weekly check-in) has fresh ones.`,
  unsubscribe: `Unsubscribe links work for ${UNSUBSCRIBE_LINK_DAYS} days. Use the link in the latest email, or just reply to it and ask to stop.`,
};

export function expiredLinkPage(action: TokenAction): Page {
  return {
    status: 410,
    heading: 'This link has expired',
    body: html`<p>${EXPIRED_ADVICE[action]}</p>
<p class="note">Nothing was changed.</p>`,
  };
}

export function notFoundPage(): Page {
  return {
    status: 404,
    heading: 'Page not found',
    body: html`<p>There is nothing at this address. If you followed a link from an email, open it again from there.</p>`,
  };
}

export function introductionGonePage(): Page {
  return {
    status: 404,
    heading: 'This introduction is no longer on record',
    body: html`<p>The introduction this link was about has been removed, so there is nothing to book. Reply to the email to sort out a time directly.</p>`,
  };
}

export function partnerGonePage(): Page {
  return {
    status: 404,
    heading: 'This link is no longer in use',
    body: html`<p>It was for a partner who is no longer registered with ${PRODUCT_NAME}, so there is no calendar to connect.</p>`,
  };
}

export function methodNotAllowedPage(): Page {
  return { status: 405, heading: 'Not allowed', body: html`<p>This page can't be used that way. Open the link from your email instead.</p>` };
}

/** 413: too big; 415: not a form; 400: a form without what this address needs (a one-click unsubscribe without `List-Unsubscribe=One-Click`). */
export function formProblemPage(status: 400 | 413 | 415): Page {
  return status === 413
    ? { status, heading: 'Too much data', body: html`<p>That form was far bigger than any of ours. Open the link from your email and try again.</p>` }
    : { status, heading: 'Not a form we know', body: html`<p>Please use the button on the page; open the link from your email and try again.</p>
<p class="note">Nothing was changed.</p>` };
}

export function calendarUnavailablePage(): Page {
  return {
    status: 503,
    heading: "Google Calendar isn't answering",
    body: html`<p>Google Calendar didn't respond just now, so nothing was booked. Please try again in a few minutes: you will never get two invitations for the same meeting.</p>`,
  };
}

export function serverErrorPage(): Page {
  return {
    status: 500,
    heading: 'Something went wrong on our side',
    body: html`<p>Sorry: this didn't work. It is safe to try again in a minute; you will never get two invitations for the same meeting.</p>`,
  };
}

export function unavailablePage(): Page {
  return {
    status: 503,
    heading: 'Temporarily unavailable',
    body: html`<p>${PRODUCT_NAME} can't answer right now. Please try again in a few minutes.</p>`,
  };
}

export function badRequestPage(): Page {
  return { status: 400, heading: 'Bad request', body: html`<p>This request could not be understood.</p>` };
}
