import { addBusinessDays } from '../booking/business-days.ts';
import { instantToLocal, localToInstant } from '../booking/time-zones.ts';
import type { Introduction } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import {
  CLOSE_AFTER_BUSINESS_DAYS,
  EMPTY_FOLLOW_UP,
  MAX_CLOSE_ASKS,
  NUDGE_AFTER_BUSINESS_DAYS,
  OUTCOME_AFTER_HOURS,
  UPDATE_COMBINE_MINUTES,
  UPDATE_STATUSES,
  type FollowUpState,
} from './follow-up-state.ts';

/** When no meeting time is known ("we booked it ourselves"), ask how it went this much later. */
export const OUTCOME_WITHOUT_MEETING_BUSINESS_DAYS = 5;

export interface DeriveContext {
  /** The status the stored follow-ups were derived for (null: none yet, nothing changed). */
  readonly previousStatus: IntroductionStatus | null;
  /** Now, as the change is seen. */
  readonly now: Date;
  /** The time zone business days are counted in: the receiving partner's. */
  readonly timeZone: string;
  /** Whether the introducer is told about progress (they are a registered partner, not the receiving one). */
  readonly introducerIsTold: boolean;
}

/**
 * The follow-up state an introduction should have after a change: which questions are due when,
 * and which status changes the introducer has yet to hear about. Pure and idempotent: deriving
 * twice from the same introduction and context gives the same state, so the stream consumer
 * that calls it can be retried freely.
 */
export function deriveFollowUp(introduction: Introduction, context: DeriveContext): FollowUpState {
  const state = introduction.followUp ?? EMPTY_FOLLOW_UP;
  const status = introduction.status;
  const changed = context.previousStatus !== null && context.previousStatus !== status;
  const now = context.now;

  let nudgeDueAt: string | null = null;
  if (status === 'introduced' || status === 'awaiting_booking') {
    // A new introduction is nudged after two business days; "remind me" set its own time; after that, no more.
    nudgeDueAt = state.nudgeDueAt ?? (state.nudgesSent === 0 ? businessDaysLater(new Date(introduction.createdAt), NUDGE_AFTER_BUSINESS_DAYS, context.timeZone) : null);
  }

  let outcomeDueAt: string | null = null;
  if (status === 'meeting_booked') {
    const meeting = introduction.meeting;
    if (meeting) outcomeDueAt = new Date(new Date(meeting.end).getTime() + OUTCOME_AFTER_HOURS * 3_600_000).toISOString();
    else outcomeDueAt = state.outcomeDueAt ?? businessDaysLater(now, OUTCOME_WITHOUT_MEETING_BUSINESS_DAYS, context.timeZone);
    // Already asked about this meeting (same end time): don't ask again.
    if (outcomeDueAt !== null && state.outcomeAskedFor === outcomeDueAt) outcomeDueAt = null;
  }

  let closeDueAt: string | null = null;
  if (status === 'met' && state.closeAsks < MAX_CLOSE_ASKS) {
    closeDueAt = changed ? businessDaysLater(now, CLOSE_AFTER_BUSINESS_DAYS, context.timeZone) : state.closeDueAt;
  }

  let pendingUpdates = state.pendingUpdates;
  let updateDueAt = state.updateDueAt;
  if (changed && context.introducerIsTold && UPDATE_STATUSES.includes(status) && !pendingUpdates.some((update) => update.status === status)) {
    pendingUpdates = [...pendingUpdates, { status, at: now.toISOString() }];
    // Changes within the hour after the first one go out together.
    updateDueAt ??= new Date(now.getTime() + UPDATE_COMBINE_MINUTES * 60_000).toISOString();
  }

  return {
    ...state,
    nudgeDueAt,
    outcomeDueAt,
    closeDueAt,
    pendingUpdates,
    updateDueAt: pendingUpdates.length > 0 ? updateDueAt : null,
    advocate: state.advocate || status === 'not_a_fit',
    reconciledStatus: status,
  };
}

/** The same local time n business days later, in the zone given. */
export function businessDaysLater(from: Date, days: number, timeZone: string): string {
  const local = instantToLocal(from, timeZone);
  const day = addBusinessDays(local, days);
  return localToInstant({ ...local, ...day }, timeZone).toISOString();
}
