import { html } from './html.ts';
import type { Page } from './http.ts';
import { PRODUCT_NAME } from './layout.ts';

/**
 * Pages of the one-click unsubscribe from a recurring email (a pair's weekly check-in, a group's
 * monthly digest). Mail clients POST the same address without showing anything (RFC 8058).
 */

export interface UnsubscribeView {
  readonly kind: 'pair' | 'group';
  /** "the weekly check-in with Ana Ruiz", "the monthly digest of North Side Referrals". */
  readonly what: string;
  /** Who still gets it: "Ana still gets theirs." */
  readonly others: string;
}

const NOT_AFFECTED = 'Emails about your own introductions are not affected.';

export function confirmUnsubscribePage(view: UnsubscribeView, token: string): Page {
  return {
    status: 200,
    heading: `Stop ${view.what}?`,
    body: html`<p>You'll no longer get ${view.what} by email. ${view.others}</p>
<form method="post" action="unsubscribe?token=${token}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
<p class="note">Nothing changes until you press the button. ${NOT_AFFECTED}</p>`,
  };
}

export function unsubscribedPage(view: UnsubscribeView): Page {
  return {
    status: 200,
    heading: "You're unsubscribed",
    body: html`<p>You won't get ${view.what} any more. ${NOT_AFFECTED}</p>
<p class="note">To get it again, ask whoever runs ${PRODUCT_NAME} for your group.</p>`,
  };
}

export function alreadyUnsubscribedPage(view: UnsubscribeView): Page {
  return {
    status: 200,
    heading: "You're already unsubscribed",
    body: html`<p>You don't get ${view.what} any more, so nothing needed to change. ${NOT_AFFECTED}</p>`,
  };
}

export function listGonePage(kind: 'pair' | 'group'): Page {
  return {
    status: 404,
    heading: kind === 'pair' ? 'This check-in no longer exists' : 'This group no longer exists',
    body: html`<p>The ${kind === 'pair' ? 'partner pair' : 'group'} this link was for has been removed, so there is nothing to unsubscribe from and no more of these emails will come.</p>`,
  };
}
