import { firstName } from '../domain/outbound/email-layout.ts';
import type { Partner } from '../domain/partners/partner.ts';
import { html } from './html.ts';
import type { Page } from './http.ts';

/** Pages of the Google Calendar connection (the OAuth callback's outcomes). */

const ACCESS = 'Referral desk only sees when you are busy, and manages the meetings it books for you.';

export function redirectingPage(consentUrl: string): Page {
  return {
    status: 302,
    heading: 'Connecting your calendar',
    body: html`<p><a href="${consentUrl}">Continue to Google</a> to allow access to your calendar.</p>`,
  };
}

export function connectedPage(partner: Partner, waiting: number): Page {
  const next =
    waiting === 0
      ? 'Nothing is waiting to be booked right now; new introductions will be booked as they come in.'
      : waiting === 1
        ? '1 introduction was waiting for your calendar. It is being booked now, and the invitation goes out from your calendar.'
        : `${waiting} introductions were waiting for your calendar. They are being booked now, and the invitations go out from your calendar.`;
  return {
    status: 200,
    heading: 'Your calendar is connected',
    body: html`<p>Thanks, ${firstName(partner)}. From now on the meetings from your introductions are booked straight into your Google Calendar.</p>
<p id="waiting">${next}</p>
<p class="note">${ACCESS} You can close this page.</p>`,
  };
}

export function alreadyConnectedPage(partner: Partner): Page {
  return {
    status: 200,
    heading: 'Your calendar is connected',
    body: html`<p>Thanks, ${firstName(partner)}: your Google Calendar is already connected, nothing more to do. You can close this page.</p>`,
  };
}

export function consentDeniedPage(tryAgainUrl: string): Page {
  return {
    status: 200,
    heading: "Your calendar isn't connected",
    body: html`<p>You chose not to allow access, so nothing was connected and nothing changed. Introductions waiting for your calendar stay waiting.</p>
<p>${ACCESS} If you change your mind:</p>
<p><a class="button" href="${tryAgainUrl}">Try again</a></p>`,
  };
}

/** Google answered with an error other than a refusal, or gave no lasting access, or the code was spent. */
export function connectFailedPage(reason: 'google_error' | 'no_offline_access' | 'code_used', tryAgainUrl: string): Page {
  const what = {
    google_error: "Google didn't complete the connection, so nothing was connected.",
    no_offline_access: "Google didn't grant lasting access to your calendar, so it couldn't be connected. On Google's page, please allow both kinds of access.",
    code_used: 'This sign-in was already used or took too long, so nothing was connected.',
  }[reason];
  return {
    status: 400,
    heading: "Your calendar isn't connected yet",
    body: html`<p>${what}</p>
<p><a class="button" href="${tryAgainUrl}">Try again</a></p>`,
  };
}
