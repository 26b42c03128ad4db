import type { Introduction } from '../introductions/introduction.ts';
import { QUESTION_APPLIES, QUESTIONS, answerEffect, type Question } from './answers.ts';
import { closeQuestionEmail, nudgeEmail, outcomeQuestionEmail, progressUpdateEmail } from './follow-up-emails.ts';
import { EMPTY_FOLLOW_UP, MAX_CLOSE_ASKS, UPDATE_COMBINE_MINUTES, type FollowUpState } from './follow-up-state.ts';
import type { AnswerLink } from './follow-up-views.ts';
import { historyEvent, prospectOf, receivingPartner, send, type FollowThroughDependencies } from './follow-through.ts';
import { updateFollowUp } from './update-follow-up.ts';

export type JobOutcome = 'sent' | 'already_sent' | 'not_due' | 'not_found' | 'no_partner';

/** Nudge: two business days after capture and still no meeting, one short email with one-click answers. */
export function runNudge(introductionId: string, at: Date, dependencies: FollowThroughDependencies): Promise<JobOutcome> {
  return askQuestion('nudge', 'nudgeDueAt', introductionId, at, dependencies);
}

/** Two hours after the meeting ended: "How did it go with Bob?". */
export function runOutcome(introductionId: string, at: Date, dependencies: FollowThroughDependencies): Promise<JobOutcome> {
  return askQuestion('outcome', 'outcomeDueAt', introductionId, at, dependencies);
}

/** After a good meeting: "Did it close?" (asked again after "still open", a bounded number of times). */
export function runClose(introductionId: string, at: Date, dependencies: FollowThroughDependencies): Promise<JobOutcome> {
  return askQuestion('close', 'closeDueAt', introductionId, at, dependencies);
}

async function askQuestion(
  question: Question,
  field: 'nudgeDueAt' | 'outcomeDueAt' | 'closeDueAt',
  introductionId: string,
  at: Date,
  dependencies: FollowThroughDependencies,
): Promise<JobOutcome> {
  const introduction = await dependencies.store.getIntroduction(introductionId);
  if (!introduction) return 'not_found';
  const state = introduction.followUp ?? EMPTY_FOLLOW_UP;
  const due = state[field];
  if (!QUESTION_APPLIES[question].includes(introduction.status) || !due || new Date(due) > at) return 'not_due';
  // "Still open" after the last ask leaves a due time until the stream's reconcile clears it; the sweep may come first.
  if (question === 'close' && state.closeAsks >= MAX_CLOSE_ASKS) {
    await updateFollowUp(introduction.id, dependencies.store, (_current, now) => (now.closeDueAt === due ? { ...now, closeDueAt: null } : null));
    return 'not_due';
  }
  const partner = await receivingPartner(introduction, dependencies.partners);
  if (!partner) {
    await updateFollowUp(introduction.id, dependencies.store, (_current, now) => (now[field] === due ? { ...now, [field]: null } : null));
    return 'no_partner';
  }
  const answers = answerLinks(introduction, question, partner.email, dependencies);
  const base = { introduction, prospect: prospectOf(introduction, partner.email), introducer: introduction.introducer, partner, answers };
  const email =
    question === 'nudge'
      ? nudgeEmail({ ...base, outboxKey: `nudge#${introduction.id}#${due}` })
      : question === 'outcome'
        ? outcomeQuestionEmail({ ...base, outboxKey: `outcome#${introduction.id}#${due}`, meeting: introduction.meeting ?? null })
        : closeQuestionEmail({ ...base, outboxKey: `close#${introduction.id}#${state.closeAsks + 1}`, askNumber: state.closeAsks + 1 });
  const result = await send(email, dependencies);
  // The event before the state: a crash between them is retried (the due time still set), and both are keyed, so neither is lost or doubled.
  const type = question === 'nudge' ? 'nudge_sent' : question === 'outcome' ? 'outcome_asked' : 'close_asked';
  await dependencies.store.addEvent(historyEvent(introduction, dependencies, { type, detail: `asked ${partner.email}`, sourceId: `${question}:${due}` }));
  // Recorded once: a run that finds the due time already cleared (by a concurrent run of this job) leaves it.
  await updateFollowUp(introduction.id, dependencies.store, (_current, now): FollowUpState | null => {
    if (now[field] !== due) return null;
    return question === 'nudge'
      ? { ...now, nudgeDueAt: null, nudgesSent: now.nudgesSent + 1 }
      : question === 'outcome'
        ? { ...now, outcomeDueAt: null, outcomeAskedFor: due }
        : { ...now, closeDueAt: null, closeAsks: now.closeAsks + 1 };
  });
  return result;
}

/**
 * The introducer's update: every status change since the last one (within the hour they are
 * combined), in the partner's voice, with thanks.
 */
export async function runUpdate(introductionId: string, at: Date, dependencies: FollowThroughDependencies): Promise<JobOutcome> {
  const introduction = await dependencies.store.getIntroduction(introductionId);
  if (!introduction) return 'not_found';
  const state = introduction.followUp ?? EMPTY_FOLLOW_UP;
  if (state.pendingUpdates.length === 0 || !state.updateDueAt || new Date(state.updateDueAt) > at) return 'not_due';
  const partner = await receivingPartner(introduction, dependencies.partners);
  if (!partner) {
    await updateFollowUp(introduction.id, dependencies.store, (_current, now) => ({ ...now, pendingUpdates: [], updateDueAt: null }));
    return 'no_partner';
  }
  const changes = state.pendingUpdates;
  const key = `update#${introduction.id}#${changes.map((change) => `${change.status}@${change.at}`).join('+')}`;
  const result = await send(
    progressUpdateEmail({
      outboxKey: key,
      introduction,
      prospect: prospectOf(introduction, partner.email),
      introducer: introduction.introducer,
      partner,
      changes,
      meeting: introduction.meeting ?? null,
      amount: state.amount,
    }),
    dependencies,
  );
  // The event before the state, as for the questions: a retry after a crash in between finds the update still pending.
  await dependencies.store.addEvent(
    historyEvent(introduction, dependencies, { type: 'update_sent', detail: `told ${introduction.introducer.email}: ${changes.map((change) => change.status).join(', ')}`, sourceId: key }),
  );
  // Only what was sent is cleared: a change recorded meanwhile waits for the next update.
  await updateFollowUp(introduction.id, dependencies.store, (_current, now) => {
    const remaining = now.pendingUpdates.filter((pending) => !changes.some((change) => change.status === pending.status && change.at === pending.at));
    return { ...now, pendingUpdates: remaining, updateDueAt: remaining.length > 0 ? new Date(at.getTime() + UPDATE_COMBINE_MINUTES * 60_000).toISOString() : null };
  });
  return result;
}

export function answerLinks(introduction: Pick<Introduction, 'id'>, question: Question, recipient: string, dependencies: FollowThroughDependencies): AnswerLink[] {
  return QUESTIONS[question].map((answer) => ({
    answer,
    label: answerEffect(question, answer)?.label ?? answer,
    url: dependencies.links.answer(introduction.id, question, answer, recipient),
  }));
}
