import type { Contact, Introduction, Meeting } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import type { Partner } from '../partners/partner.ts';
import type { Answer } from './answers.ts';

/**
 * What each follow-up email needs, gathered by the jobs; the email functions only word and lay it
 * out. Links are ready to use (signed, expiring, scoped to one answer and one recipient).
 */
export interface AnswerLink {
  readonly answer: Answer;
  readonly label: string;
  readonly url: string;
}

interface FollowUpBase {
  /** Deterministic: one email per purpose and period. */
  readonly outboxKey: string;
  readonly introduction: Introduction;
  /** The person introduced to the partner. */
  readonly prospect: Contact;
  readonly introducer: Contact;
}

/** To the receiving partner, two business days after capture with no meeting booked. */
export interface NudgeView extends FollowUpBase {
  readonly partner: Partner;
  readonly answers: readonly AnswerLink[];
}

/** To the partner, two hours after the meeting ended: "How did it go with Bob?". */
export interface OutcomeQuestionView extends FollowUpBase {
  readonly partner: Partner;
  /** Null when the partner said they booked it themselves (no time recorded). */
  readonly meeting: Meeting | null;
  readonly answers: readonly AnswerLink[];
}

/** To the partner, later: "Did it close?" (won leads to a page where an amount can be given). */
export interface CloseQuestionView extends FollowUpBase {
  readonly partner: Partner;
  readonly answers: readonly AnswerLink[];
  /** 1 for the first time, 2 and 3 for the reminders. */
  readonly askNumber: number;
}

/**
 * To the introducer, in the partner's voice: what happened since the last update (several
 * changes within an hour combined), with thanks; on `won`, a clear thank-you for closed business.
 */
export interface ProgressUpdateView extends FollowUpBase {
  /** The partner who received the introduction: the email speaks for them (Reply-To them). */
  readonly partner: Partner;
  readonly changes: readonly { readonly status: IntroductionStatus; readonly at: string }[];
  readonly meeting: Meeting | null;
  /** Closed business, when won and the partner gave an amount. */
  readonly amount: number | null;
}

/** To the partner when a prospect was not a fit: ask for referrals anyway, with a ready note. */
export interface NotAFitView extends FollowUpBase {
  readonly partner: Partner;
  /** The note the partner can send the prospect as it is. */
  readonly referralAskNote: string;
  /** `mailto:` with the prospect, a subject and the note filled in. */
  readonly mailtoUrl: string;
}
