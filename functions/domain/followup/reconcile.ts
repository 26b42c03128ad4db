import type { Introduction } from '../introductions/introduction.ts';
import { scheduleName } from '../schedules/scheduler-port.ts';
import { deriveFollowUp } from './derive-follow-up.ts';
import { notAFitEmail } from './follow-up-emails.ts';
import { EMPTY_FOLLOW_UP, type FollowUpKind, type FollowUpState } from './follow-up-state.ts';
import { historyEvent, prospectOf, receivingPartner, send, type FollowThroughDependencies } from './follow-through.ts';

const DUE_FIELDS: Record<FollowUpKind, keyof Pick<FollowUpState, 'nudgeDueAt' | 'outcomeDueAt' | 'closeDueAt' | 'updateDueAt'>> = {
  nudge: 'nudgeDueAt',
  outcome: 'outcomeDueAt',
  close: 'closeDueAt',
  update: 'updateDueAt',
};

/**
 * Called for every change of an introduction (the table's stream; local mode polls the same
 * stream): derives when each follow-up is due, stores it, arms or disarms the one-time schedules
 * to match, and prompts the partner once when a prospect turns out not to be a fit. Safe to run
 * any number of times for the same change.
 */
export async function reconcileIntroduction(previous: Introduction | null, current: Introduction, dependencies: FollowThroughDependencies): Promise<FollowUpState> {
  const receiving = await receivingPartner(current, dependencies.partners);
  const introducer = await dependencies.partners.getPartner(current.introducer.email);
  const derived = deriveFollowUp(current, {
    previousStatus: previous?.status ?? null,
    now: dependencies.clock.now(),
    timeZone: receiving?.timeZone ?? introducer?.timeZone ?? 'UTC',
    introducerIsTold: introducer !== null && introducer.email !== receiving?.email,
  });
  // With no partner among the introduced people there is nobody to nudge or ask.
  const next: FollowUpState = receiving ? derived : { ...derived, nudgeDueAt: null, outcomeDueAt: null, closeDueAt: null };

  const stored = current.followUp ?? EMPTY_FOLLOW_UP;
  if (JSON.stringify(next) !== JSON.stringify(stored)) await dependencies.store.saveFollowUp(current.id, current.status, next);
  await armSchedules(current.id, previous?.followUp ?? EMPTY_FOLLOW_UP, next, dependencies);

  if (previous && previous.status !== 'not_a_fit' && current.status === 'not_a_fit' && receiving) {
    const prospect = prospectOf(current, receiving.email);
    const note = referralAskNote(prospect.name, receiving.name);
    await send(
      notAFitEmail({
        outboxKey: `not_a_fit#${current.id}`,
        introduction: current,
        prospect,
        introducer: current.introducer,
        partner: receiving,
        referralAskNote: note,
        mailtoUrl: `mailto:${encodeURIComponent(prospect.email)}?subject=${encodeURIComponent('Thank you, and a question')}&body=${encodeURIComponent(note)}`,
      }),
      dependencies,
    );
    await dependencies.store.addEvent(
      historyEvent(current, dependencies, { type: 'referral_ask_prompted', detail: `${receiving.email} was given a note asking ${prospect.email} for referrals; kept as an advocate`, sourceId: 'referral-ask' }),
    );
  }
  return next;
}

/** One-time schedules follow the due times: armed when set or moved, removed when cleared. */
export async function armSchedules(introductionId: string, before: FollowUpState, after: FollowUpState, dependencies: FollowThroughDependencies): Promise<void> {
  for (const [kind, field] of Object.entries(DUE_FIELDS) as [FollowUpKind, (typeof DUE_FIELDS)[FollowUpKind]][]) {
    const was = before[field];
    const due = after[field];
    const name = scheduleName(kind, introductionId);
    if (due && due !== was) await dependencies.scheduler.armOnce(name, new Date(due), { kind, introductionId });
    else if (!due && was) await dependencies.scheduler.disarm(name);
  }
}

/** A short, ready-to-send note asking a prospect who was not a fit for referrals anyway. */
export function referralAskNote(prospectName: string | null, partnerName: string | null): string {
  const first = prospectName?.trim().split(/\s+/)[0] ?? 'there';
  return [
    `Hi ${first},`,
    '',
    "Thanks again for your time. Even though we're not the right fit for you right now, I enjoyed the conversation.",
    'If you know someone who could use what we do, I would be grateful for an introduction, and happy to return the favour.',
    '',
    partnerName ? partnerName.split(/\s+/)[0] : '',
  ]
    .join('\n')
    .trim();
}
