import type { Answer, Question } from '../domain/followup/answers.ts';
import { callName, day, formatAmount, time } from '../domain/followup/follow-up-emails.ts';
import { contactLabel, type Contact, type Introduction } from '../domain/introductions/introduction.ts';
import type { IntroductionStatus } from '../domain/introductions/status.ts';
import { MAX_AMOUNT } from '../domain/followup/answer-question.ts';
import type { AmountInput } from './amount.ts';
import { html, type SafeHtml } from './html.ts';
import type { Page } from './http.ts';

/**
 * Pages of a one-click answer from a follow-up email (nudge, "how did it go?", "did it close?"):
 * the confirmation (GET) and what the POST did. For the partner the question was sent to.
 */

/** Everything a page says about one answer to one introduction. */
export interface AnswerView {
  readonly introduction: Introduction;
  /** The person the partner was introduced to. */
  readonly prospect: Contact;
  readonly question: Question;
  readonly answer: Answer;
  readonly label: string;
  /** The status confirming moves to; null for "remind me" and "still open". */
  readonly to: IntroductionStatus | null;
  readonly askAgainAfterBusinessDays: number | null;
  /** The answering partner's time zone, for dates. */
  readonly timeZone: string;
  /** Whether the introducer hears about `to` (a registered partner other than the one answering). */
  readonly introducerHears: boolean;
}

const HEADINGS: Record<Question, (who: string) => string> = {
  nudge: (who) => `Any luck with ${who}?`,
  outcome: (who) => `How did it go with ${who}?`,
  close: (who) => `Did it close with ${who}?`,
};

/** "marks it as …" */
const STATUS_WORDS: Record<IntroductionStatus, string> = {
  introduced: 'introduced',
  awaiting_booking: 'rescheduling',
  meeting_booked: 'booked',
  met: 'met',
  won: 'won',
  lost: 'lost',
  not_a_fit: 'not a fit',
  no_show: 'a no-show',
  unreachable: "couldn't reach them",
  cancelled: 'cancelled',
};

/** The heading once it is done: "Marked as met with Bob Roe". */
const MARKED: Record<IntroductionStatus, (who: string) => string> = {
  introduced: (who) => `Marked as introduced: ${who}`,
  awaiting_booking: (who) => `Marked as rescheduling with ${who}`,
  meeting_booked: (who) => `Marked as booked with ${who}`,
  met: (who) => `Marked as met with ${who}`,
  won: (who) => `Marked as won with ${who}`,
  lost: (who) => `Marked as lost: ${who}`,
  not_a_fit: (who) => `Marked as not a fit: ${who}`,
  no_show: (who) => `Marked as a no-show: ${who}`,
  unreachable: (who) => `Marked as couldn't reach ${who}`,
  cancelled: (who) => `Marked as cancelled: ${who}`,
};

/** What is wrong with a typed amount, in words (made when needed: number formatting is slow to start up). */
export function amountProblem(problem: Exclude<AmountInput, { ok: true }>['problem']): string {
  switch (problem) {
    case 'not_a_number':
      return 'That is not an amount this page understands. Type a number, like 12500 or 12,500.00, or leave the box empty.';
    case 'not_positive':
      return 'The amount has to be more than 0. Leave the box empty if there is no amount to record.';
    case 'too_large':
      return `That is more than ${formatAmount(MAX_AMOUNT)}, which looks like a typing slip. Check the amount, or leave the box empty.`;
  }
}

const introducedLine = (view: AnswerView): SafeHtml =>
  html`<p>${contactLabel(view.introduction.introducer)} introduced you to ${contactLabel(view.prospect)} on ${day(view.introduction.createdAt, view.timeZone)}.</p>`;

/** What confirming will do, in a sentence or two. */
function effectSentence(view: AnswerView): string {
  const introducer = callName(view.introduction.introducer);
  const prospect = callName(view.prospect);
  if (view.to === null) {
    const days = view.askAgainAfterBusinessDays ?? 0;
    return view.question === 'close'
      ? `Nothing changes except that I'll ask you again in ${days} business days whether it closed.`
      : `Nothing changes except that I'll ask you again in ${days} business days.`;
  }
  const told = view.introducerHears ? (view.to === 'won' ? `; ${introducer} gets a thank-you from you` : `; ${introducer} gets a short update from you, with thanks`) : '';
  const extra =
    view.to === 'not_a_fit'
      ? ` You'll also get a note you can send ${prospect}, asking for referrals anyway.`
      : view.to === 'awaiting_booking'
        ? ' The booked meeting no longer stands; you can find another time next.'
        : '';
  return `Confirming marks it as ${STATUS_WORDS[view.to]}${told}.${extra}`;
}

/** GET: what the answer will do, and the Confirm button (with the optional amount for "Won"). */
export function confirmAnswerPage(view: AnswerView, token: string, amount: { readonly value: string; readonly problem: string | null } | null = null): Page {
  const won = view.answer === 'won';
  const problem = amount?.problem ?? null;
  const amountHelp = view.introducerHears ? `It goes in your numbers and in your thank-you to ${callName(view.introduction.introducer)}.` : 'It goes in your numbers.';
  const amountField = won
    ? html`${problem ? html`<p id="amount-error" class="error" role="alert">${problem}</p>` : null}
<label for="amount">Closed business (optional)</label>
<input type="text" id="amount" name="amount" inputmode="decimal" autocomplete="off" maxlength="32" value="${amount?.value ?? ''}" aria-describedby="${problem ? 'amount-error amount-help' : 'amount-help'}"${problem ? html` aria-invalid="true"` : null}>
<p id="amount-help" class="note">A number, like 12500 or 12,500.00. ${amountHelp}</p>
`
    : null;
  return {
    status: problem ? 422 : 200,
    heading: HEADINGS[view.question](contactLabel(view.prospect)),
    body: html`${introducedLine(view)}
<p class="answer">Your answer: <strong>${view.label}</strong></p>
<p>${effectSentence(view)}</p>
<form method="post" action="answer">
<input type="hidden" name="token" value="${token}">
${amountField}<button type="submit">Confirm</button>
</form>
<p class="note">Not what you meant? Close this page: nothing changes until you confirm, and the email has the other answers.</p>`,
  };
}

/** POST: the status moved. */
export function answerAppliedPage(view: AnswerView & { readonly to: IntroductionStatus }, outcome: { amount: number | null; rebookUrl: string | null }): Page {
  const introducer = contactLabel(view.introduction.introducer);
  const prospect = callName(view.prospect);
  const heard = view.introducerHears
    ? html`<p>${introducer} will hear about it: ${view.to === 'won' ? 'a thank-you from you' : 'a short update from you, with thanks'}.</p>`
    : null;
  return {
    status: 200,
    heading: MARKED[view.to](contactLabel(view.prospect)),
    body: html`${view.to === 'won' && outcome.amount !== null ? html`<p>Closed business: ${formatAmount(outcome.amount)}.</p>` : null}
${heard}
${view.to === 'not_a_fit' ? html`<p>Look out for an email with a note you can send ${prospect}, asking for referrals anyway: people who weren't a fit often know someone who is.</p>` : null}
${
  view.to === 'awaiting_booking' && outcome.rebookUrl
    ? html`<p>When you're ready to book the new time with ${prospect}:</p>
<p><a class="button" href="${outcome.rebookUrl}">Find another time</a></p>`
    : null
}
<p class="note">Thanks for answering. You can close this page.</p>`,
  };
}

/** POST: "remind me" or "still open": only the next question moved. */
export function reminderSetPage(view: AnswerView, at: string): Page {
  const when = day(at, view.timeZone);
  return {
    status: 200,
    heading: view.question === 'close' ? `Still open: I'll ask again on ${when}` : `I'll ask again on ${when}`,
    body: html`<p>Nothing else changed: your introduction to ${contactLabel(view.prospect)} stays open, and the question comes back on ${when}.</p>
<p class="note">You can close this page.</p>`,
  };
}

/** The question was overtaken (answered another way, or things moved on): nothing changed. */
export function answerNoLongerAppliesPage(view: AnswerView, current: Introduction): Page {
  return {
    status: 409,
    heading: 'This answer no longer applies',
    body: html`<p>Nothing was changed: things with ${contactLabel(view.prospect)} have moved on since this question was asked.</p>
<p>Where it stands now: ${standing(current)}.</p>
<p class="note">Newer emails about ${callName(view.prospect)} carry the answers that apply now.</p>`,
  };
}

/** The single-use link was used before (a second click, the back button, a forwarded email). */
export function answerAlreadyUsedPage(view: AnswerView, current: Introduction, usedAt: string): Page {
  return {
    status: 409,
    heading: 'This link was already used',
    body: html`<p>It was used on ${day(usedAt, view.timeZone)} at ${time(usedAt, view.timeZone)} (${view.timeZone} time), so nothing was changed this time.</p>
<p>Where your introduction to ${contactLabel(view.prospect)} stands now: ${standing(current)}.</p>`,
  };
}

export function answerIntroductionGonePage(): Page {
  return {
    status: 404,
    heading: 'This introduction is no longer on record',
    body: html`<p>The introduction this answer was about has been removed, so there is nothing to update.</p>`,
  };
}

/** Where an introduction stands, in a few words. */
export function standing(introduction: Introduction): string {
  const meeting = introduction.meeting ?? null;
  const amount = introduction.followUp?.amount ?? null;
  switch (introduction.status) {
    case 'introduced':
    case 'awaiting_booking':
      return 'no meeting booked yet';
    case 'meeting_booked':
      return meeting ? `a meeting is booked for ${day(meeting.start, meeting.timeZone)}, ${time(meeting.start, meeting.timeZone)} (${meeting.timeZone} time)` : 'a meeting is booked';
    case 'met':
      return meeting ? `you met on ${day(meeting.start, meeting.timeZone)}; not closed yet` : 'you have met; not closed yet';
    case 'won':
      return amount !== null && amount > 0 ? `won, ${formatAmount(amount)} of closed business` : 'won';
    case 'lost':
      return 'lost';
    case 'not_a_fit':
      return 'not a fit';
    case 'no_show':
      return 'a no-show';
    case 'unreachable':
      return "couldn't reach them";
    case 'cancelled':
      return 'cancelled';
  }
}
