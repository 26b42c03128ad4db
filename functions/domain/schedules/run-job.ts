import { bookIntroduction } from '../booking/book-introduction.ts';
import { EMPTY_FOLLOW_UP, nextDueAt } from '../followup/follow-up-state.ts';
import type { FollowThroughDependencies } from '../followup/follow-through.ts';
import { armSchedules, reconcileIntroduction } from '../followup/reconcile.ts';
import { runClose, runNudge, runOutcome, runUpdate } from '../followup/question-jobs.ts';
import { runGroupDigest, runOneToOne, runWeekly } from '../pairs/pair-jobs.ts';
import { armPairSchedules, GROUP_DIGEST_CRON } from '../pairs/pair-setup.ts';
import { keepPairViewsUpToDate, REBUILT_STAMP } from '../pairs/pair-view.ts';
import type { Introduction } from '../introductions/introduction.ts';
import type { Job } from './jobs.ts';
import { scheduleName } from './scheduler-port.ts';

/** An introduction captured this long ago and never booked: the booking trigger was lost. */
export const BOOKING_BACKSTOP_MINUTES = 60;
/** Every due time is re-armed up to this far ahead; later ones are armed by a later sweep. */
const FAR_FUTURE = new Date('9999-01-01T00:00:00Z');

export interface JobResult {
  readonly kind: Job['kind'];
  readonly outcomes: readonly string[];
}

/** Runs one job as of `job.at` (or now). Every job is idempotent: running it twice sends nothing twice. */
export async function runJob(job: Job, dependencies: FollowThroughDependencies): Promise<JobResult> {
  const at = job.at ? new Date(job.at) : dependencies.clock.now();
  switch (job.kind) {
    case 'nudge':
      return { kind: job.kind, outcomes: [await runNudge(job.introductionId, at, dependencies)] };
    case 'outcome':
      return { kind: job.kind, outcomes: [await runOutcome(job.introductionId, at, dependencies)] };
    case 'close':
      return { kind: job.kind, outcomes: [await runClose(job.introductionId, at, dependencies)] };
    case 'update':
      return { kind: job.kind, outcomes: [await runUpdate(job.introductionId, at, dependencies)] };
    case 'weekly':
      return { kind: job.kind, outcomes: await runWeekly(job.pairId, at, dependencies) };
    case 'one-to-one':
      return { kind: job.kind, outcomes: [await runOneToOne(job.pairId, at, dependencies)] };
    case 'group-digest':
      return { kind: job.kind, outcomes: await runGroupDigest(job.groupId, at, dependencies) };
    case 'sweep':
      return { kind: job.kind, outcomes: await sweep(at, dependencies) };
  }
}

/**
 * The daily backstop. The table is the source of truth: whatever is due and was missed runs now,
 * every future due time is armed again (arming is idempotent), pairs and groups get their
 * recurring schedules back, and an introduction whose booking trigger was lost, or whose booking
 * failed for good and was dead-lettered, is booked.
 */
export async function sweep(at: Date, dependencies: FollowThroughDependencies): Promise<string[]> {
  const outcomes: string[] = [];
  for (const listed of await dependencies.store.listDue(FAR_FUTURE)) {
    // Never reconciled (its stream record was lost): derive its follow-ups now.
    if (!listed.followUp) await reconcileIntroduction(listed.id, dependencies);
    const introduction = (await dependencies.store.getIntroduction(listed.id)) ?? listed;
    // Its item in a pair's read model is missing too; written only where missing (any stream record wins over it).
    if (!listed.followUp) await keepPairViewsUpToDate(null, introduction, REBUILT_STAMP, dependencies.pairViews);
    const state = introduction.followUp ?? EMPTY_FOLLOW_UP;
    const due = nextDueAt(state);
    if (due && new Date(due) <= at) {
      if (state.nudgeDueAt && new Date(state.nudgeDueAt) <= at) outcomes.push(`nudge:${await runNudge(introduction.id, at, dependencies)}`);
      if (state.outcomeDueAt && new Date(state.outcomeDueAt) <= at) outcomes.push(`outcome:${await runOutcome(introduction.id, at, dependencies)}`);
      if (state.closeDueAt && new Date(state.closeDueAt) <= at) outcomes.push(`close:${await runClose(introduction.id, at, dependencies)}`);
      if (state.updateDueAt && new Date(state.updateDueAt) <= at) outcomes.push(`update:${await runUpdate(introduction.id, at, dependencies)}`);
    }
    // Re-arm whatever is still ahead (a schedule lost or never created is recreated; one that exists is replaced).
    const after = (await dependencies.store.getIntroduction(introduction.id))?.followUp ?? state;
    await armSchedules(introduction.id, [EMPTY_FOLLOW_UP], futureOnly(after, at), dependencies);
    const capturedLongAgo = new Date(introduction.createdAt).getTime() < at.getTime() - BOOKING_BACKSTOP_MINUTES * 60_000;
    if (capturedLongAgo && bookingLeftUndone(introduction)) outcomes.push(`booking:${await bookAgain(introduction.id, dependencies)}`);
  }
  for (const pair of await dependencies.pairs.listPairs()) await armPairSchedules(pair, dependencies);
  for (const group of await dependencies.pairs.listGroups()) {
    await dependencies.scheduler.armRecurring(scheduleName('group-digest', group.id), GROUP_DIGEST_CRON, group.timeZone, { kind: 'group-digest', groupId: group.id });
  }
  return outcomes;
}

/**
 * A booking that never started (its trigger was lost) or never finished: it began ("booking in
 * the partner's calendar") and then failed for good (Google down through every retry, so the
 * trigger went to the dead-letter queue) or crashed. Booking is idempotent, so trying again is safe.
 */
function bookingLeftUndone(introduction: Introduction): boolean {
  if (introduction.status === 'introduced') return !introduction.booking;
  return introduction.status === 'awaiting_booking' && introduction.booking?.waitingFor === 'booking';
}

/** One booking's failure (Google still down) is reported and left for the next sweep, not the end of this one. */
async function bookAgain(introductionId: string, dependencies: FollowThroughDependencies): Promise<string> {
  try {
    return (await bookIntroduction(introductionId, dependencies.booking)).outcome;
  } catch (error) {
    return `failed (${error instanceof Error ? error.name : 'error'})`;
  }
}

function futureOnly(state: typeof EMPTY_FOLLOW_UP, at: Date): typeof EMPTY_FOLLOW_UP {
  const ahead = (due: string | null) => (due && new Date(due) > at ? due : null);
  return { ...state, nudgeDueAt: ahead(state.nudgeDueAt), outcomeDueAt: ahead(state.outcomeDueAt), closeDueAt: ahead(state.closeDueAt), updateDueAt: ahead(state.updateDueAt) };
}
