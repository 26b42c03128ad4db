import type { IntroductionEvent } from '../introductions/introduction.ts';
import { INTRODUCTION_STATUSES, type IntroductionStatus } from '../introductions/status.ts';
import { QUESTION_APPLIES, answerEffect, type Question } from './answers.ts';
import { businessDaysLater } from './derive-follow-up.ts';
import { EMPTY_FOLLOW_UP, type FollowUpState } from './follow-up-state.ts';
import { historyEvent, receivingPartner, type FollowThroughDependencies } from './follow-through.ts';
import { FollowUpContentionError, MAX_FOLLOW_UP_ATTEMPTS, updateFollowUp } from './update-follow-up.ts';

export type AnswerResult =
  | { readonly outcome: 'applied'; readonly status: IntroductionStatus; readonly label: string }
  | { readonly outcome: 'reminder_set'; readonly at: string; readonly label: string }
  /** The question no longer applies (already answered, or things moved on); nothing changed. */
  | { readonly outcome: 'no_longer_applies'; readonly status: IntroductionStatus }
  | { readonly outcome: 'not_found' | 'invalid' };

/** What answering and status changes use of follow-through (the web function needs no more). */
export type AnswerDependencies = Pick<FollowThroughDependencies, 'store' | 'partners' | 'clock'>;

/** Amounts above this are taken for typing slips, not closed business. */
export const MAX_AMOUNT = 1_000_000_000;

/**
 * A one-click answer (the POST behind a link): moves the status, with an event saying who
 * answered and how; "remind me" and "still open" move the next question instead. Answering a
 * question that no longer applies (the same link twice, or an answer from the CLI first) changes
 * nothing and says where things stand.
 */
export async function answerQuestion(
  answer: { introductionId: string; question: Question; answer: string; by: string; how: IntroductionEvent['how']; amount?: number | null },
  dependencies: AnswerDependencies,
): Promise<AnswerResult> {
  const effect = answerEffect(answer.question, answer.answer);
  if (!effect) return { outcome: 'invalid' };
  const introduction = await dependencies.store.getIntroduction(answer.introductionId);
  if (!introduction) return { outcome: 'not_found' };
  if (!QUESTION_APPLIES[answer.question].includes(introduction.status)) return { outcome: 'no_longer_applies', status: introduction.status };
  const state = introduction.followUp ?? EMPTY_FOLLOW_UP;
  const now = dependencies.clock.now();

  if (effect.status === null) {
    const partner = await receivingPartner(introduction, dependencies.partners);
    const at = businessDaysLater(now, effect.askAgainAfterBusinessDays ?? 3, partner?.timeZone ?? 'UTC');
    const write = await updateFollowUp(introduction.id, dependencies.store, (current, currentState) => {
      // The status moved meanwhile: the question no longer applies, and nothing is changed.
      if (!QUESTION_APPLIES[answer.question].includes(current.status)) return null;
      return answer.question === 'nudge' ? { ...currentState, nudgeDueAt: at } : { ...currentState, closeDueAt: at };
    });
    if (!write || !QUESTION_APPLIES[answer.question].includes(write.introduction.status)) {
      return { outcome: 'no_longer_applies', status: write?.introduction.status ?? introduction.status };
    }
    await dependencies.store.addEvent(
      historyEvent(introduction, dependencies, { type: 'reminder_set', by: answer.by, how: answer.how, detail: `${effect.label}: asks again ${at}`, sourceId: `remind:${answer.question}:${at}` }),
    );
    return { outcome: 'reminder_set', at, label: effect.label };
  }

  const amount = answer.answer === 'won' && answer.amount != null && Number.isFinite(answer.amount) && answer.amount > 0 && answer.amount <= MAX_AMOUNT ? answer.amount : null;
  return changeStatus(
    introduction.id,
    introduction.status,
    effect.status,
    { by: answer.by, how: answer.how, detail: `${effect.label}${amount ? ` (${amount})` : ''}`, amount },
    dependencies,
    // Unique per occasion: the same answer to the same question again (a second "rescheduled" after a rebooking) is a new change.
    `answer:${answer.question}:${answer.answer}:${introduction.status}:${introduction.booking?.round ?? 0}:${introduction.meeting?.eventId ?? ''}:${state.closeAsks}`,
  ).then((result) => (result.outcome === 'applied' ? { ...result, label: effect.label } : result));
}

/** Which status can follow which (a partner correcting a slip is allowed; a closed deal is final). */
export const ALLOWED_NEXT: Record<IntroductionStatus, readonly IntroductionStatus[]> = {
  introduced: ['awaiting_booking', 'meeting_booked', 'met', 'won', 'lost', 'not_a_fit', 'unreachable', 'cancelled'],
  awaiting_booking: ['introduced', 'meeting_booked', 'met', 'won', 'lost', 'not_a_fit', 'unreachable', 'cancelled'],
  meeting_booked: ['awaiting_booking', 'met', 'won', 'lost', 'not_a_fit', 'no_show', 'cancelled'],
  met: ['won', 'lost', 'not_a_fit'],
  no_show: ['awaiting_booking', 'meeting_booked', 'met', 'unreachable', 'not_a_fit'],
  unreachable: ['awaiting_booking', 'meeting_booked', 'met', 'not_a_fit', 'cancelled'],
  not_a_fit: ['met'],
  lost: ['won'],
  won: [],
  cancelled: ['introduced'],
};

/**
 * Moves an introduction to `to` (from an answer, the CLI, or a reply), conditional on it still
 * being `from`. On `won` the amount and date are kept for the numbers; "rescheduled" puts the
 * booking into a new round so a new time can be found.
 */
export async function changeStatus(
  introductionId: string,
  from: IntroductionStatus,
  to: IntroductionStatus,
  change: { by: string; how: IntroductionEvent['how']; detail: string; amount?: number | null },
  dependencies: AnswerDependencies,
  sourceId = `status:${from}:${to}`,
): Promise<{ readonly outcome: 'applied'; readonly status: IntroductionStatus } | { readonly outcome: 'no_longer_applies'; readonly status: IntroductionStatus } | { readonly outcome: 'not_found' | 'invalid' }> {
  if (!INTRODUCTION_STATUSES.includes(to)) return { outcome: 'invalid' };
  for (let attempt = 1; attempt <= MAX_FOLLOW_UP_ATTEMPTS; attempt += 1) {
    const introduction = await dependencies.store.getIntroduction(introductionId);
    if (!introduction) return { outcome: 'not_found' };
    if (introduction.status !== from || !ALLOWED_NEXT[from].includes(to)) return { outcome: 'no_longer_applies', status: introduction.status };
    const now = dependencies.clock.now().toISOString();
    const state = introduction.followUp ?? EMPTY_FOLLOW_UP;
    // Follow-through has not derived anything yet: it must still see this as a change from `from`.
    const followUp: FollowUpState = { ...(to === 'won' ? { ...state, amount: change.amount ?? state.amount, closedAt: now } : state), reconciledStatus: state.reconciledStatus ?? from };
    const booking =
      from === 'meeting_booked' && to === 'awaiting_booking' && introduction.booking
        ? { ...introduction.booking, round: introduction.booking.round + 1, waitingFor: 'declined' as const, proposedSlots: [] }
        : undefined;
    const applied = await dependencies.store.changeStatus(
      introduction.id,
      { from, revision: introduction.followUpRevision ?? 0, to, followUp, ...(booking ? { booking } : {}) },
      historyEvent(introduction, dependencies, { type: 'status_changed', by: change.by, how: change.how, detail: `${from} → ${to}: ${change.detail}`, sourceId }),
    );
    // Not applied: someone else moved the status (answered first), or only wrote follow-ups (read again and retry).
    if (applied) return { outcome: 'applied', status: to };
  }
  throw new FollowUpContentionError(`the follow-ups of introduction ${introductionId} changed under ${MAX_FOLLOW_UP_ATTEMPTS} attempts in a row`);
}
