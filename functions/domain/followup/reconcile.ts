import type { Introduction } from '../introductions/introduction.ts';
import type { Partner } from '../partners/partner.ts';
import { scheduleName } from '../schedules/scheduler-port.ts';
import { deriveFollowUp } from './derive-follow-up.ts';
import { notAFitEmail } from './follow-up-emails.ts';
import { EMPTY_FOLLOW_UP, type FollowUpKind, type FollowUpState } from './follow-up-state.ts';
import { historyEvent, prospectOf, receivingPartner, send, type FollowThroughDependencies } from './follow-through.ts';
import { FollowUpContentionError, MAX_FOLLOW_UP_ATTEMPTS, sameFollowUp } from './update-follow-up.ts';

const DUE_FIELDS: Record<FollowUpKind, keyof Pick<FollowUpState, 'nudgeDueAt' | 'outcomeDueAt' | 'closeDueAt' | 'updateDueAt'>> = {
  nudge: 'nudgeDueAt',
  outcome: 'outcomeDueAt',
  close: 'closeDueAt',
  update: 'updateDueAt',
};

/**
 * Called for every change of an introduction (the table's stream; local mode polls the same
 * stream; the sweep for one whose records were lost): derives when each follow-up is due,
 * stores it, arms or disarms the one-time schedules to match, and prompts the partner once when a
 * prospect turns out not to be a fit.
 *
 * The record is only the trigger: the introduction is read as it is now, and a status change is
 * one the follow-ups were not yet derived for (`reconciledStatus`). So a record that comes late,
 * twice, or after its update already went out changes nothing. The schedules follow the due
 * times as they are now, compared with what the record's old image had (a job, an answer or a
 * reminder changed them there) and with what is stored: new ones are armed before the state is
 * written (a crash in between leaves a schedule that fires and finds nothing due), cleared ones
 * removed after. Returns null when the introduction is gone.
 */
export async function reconcileIntroduction(
  introductionId: string,
  dependencies: FollowThroughDependencies,
  previousImage: FollowUpState | null = null,
): Promise<FollowUpState | null> {
  for (let attempt = 1; attempt <= MAX_FOLLOW_UP_ATTEMPTS; attempt += 1) {
    const current = await dependencies.store.getIntroduction(introductionId);
    if (!current) return null;
    const stored = current.followUp ?? EMPTY_FOLLOW_UP;
    // Never derived yet: every introduction is captured as `introduced`.
    const derivedFor = current.followUp ? (stored.reconciledStatus ?? current.status) : 'introduced';
    const receiving = await receivingPartner(current, dependencies.partners);
    const introducer = await dependencies.partners.getPartner(current.introducer.email);
    const derived = deriveFollowUp(current, {
      previousStatus: derivedFor,
      now: dependencies.clock.now(),
      timeZone: receiving?.timeZone ?? introducer?.timeZone ?? 'UTC',
      introducerIsTold: introducer !== null && introducer.email !== receiving?.email,
    });
    // With no partner among the introduced people there is nobody to nudge or ask.
    const next: FollowUpState = receiving ? derived : { ...derived, nudgeDueAt: null, outcomeDueAt: null, closeDueAt: null };

    if (derivedFor !== 'not_a_fit' && current.status === 'not_a_fit' && receiving) await promptReferralAsk(current, receiving, dependencies);
    const before = previousImage ? [previousImage, stored] : [stored];
    if (sameFollowUp(stored, next)) {
      await armSchedules(current.id, before, next, dependencies);
      return next;
    }
    await armSchedules(current.id, before, next, dependencies, 'arm');
    if (await dependencies.store.saveFollowUp(current.id, { status: current.status, revision: current.followUpRevision ?? 0 }, next)) {
      await armSchedules(current.id, before, next, dependencies, 'disarm');
      return next;
    }
  }
  throw new FollowUpContentionError(`the follow-ups of introduction ${introductionId} changed under ${MAX_FOLLOW_UP_ATTEMPTS} attempts in a row`);
}

/** Not a fit: the partner gets a ready-to-send note asking the prospect for referrals (once: outbox and event are keyed). */
async function promptReferralAsk(current: Introduction, receiving: Partner, dependencies: FollowThroughDependencies): Promise<void> {
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

/**
 * One-time schedules follow the due times: armed when set or moved since any of the states
 * before, removed when cleared (either step, or both).
 */
export async function armSchedules(
  introductionId: string,
  before: readonly FollowUpState[],
  after: FollowUpState,
  dependencies: FollowThroughDependencies,
  steps: 'arm' | 'disarm' | 'both' = 'both',
): Promise<void> {
  for (const [kind, field] of Object.entries(DUE_FIELDS) as [FollowUpKind, (typeof DUE_FIELDS)[FollowUpKind]][]) {
    const due = after[field];
    const name = scheduleName(kind, introductionId);
    if (due && before.some((state) => state[field] !== due) && steps !== 'disarm') await dependencies.scheduler.armOnce(name, new Date(due), { kind, introductionId });
    else if (!due && before.some((state) => state[field] !== null) && steps !== 'arm') await dependencies.scheduler.disarm(name);
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
