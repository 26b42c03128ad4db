import type { IntroductionStatus } from '../introductions/status.ts';

/**
 * What follow-through keeps on an introduction. The due times are the source of truth; the
 * EventBridge schedules (and local mode's scheduler) are derived from them and can be rebuilt.
 */
export interface FollowUpState {
  /** When to nudge the receiving partner (no meeting booked yet), or null. */
  readonly nudgeDueAt: string | null;
  readonly nudgesSent: number;
  /** When to ask how the meeting went (meeting end + 2 h), or null. */
  readonly outcomeDueAt: string | null;
  /** The due time the outcome question was last asked for: a moved meeting is asked about again. */
  readonly outcomeAskedFor: string | null;
  /** When to ask whether it closed, or null. */
  readonly closeDueAt: string | null;
  readonly closeAsks: number;
  /** Status changes the introducer has not been told about yet (combined into one update). */
  readonly pendingUpdates: readonly PendingUpdate[];
  /** When the combined update goes out (the first pending change + 1 h), or null. */
  readonly updateDueAt: string | null;
  /** Closed business, when won. */
  readonly amount: number | null;
  /** When it was won (counted in that period's numbers). */
  readonly closedAt: string | null;
  /** A prospect who was not a fit but is kept as an advocate (asked for referrals). */
  readonly advocate: boolean;
  /**
   * The status these follow-ups were derived for. A different status on the introduction is a
   * change follow-through has not handled yet; comparing with it (not with a stream record's old
   * image) keeps late and repeated records from queueing an update twice.
   */
  readonly reconciledStatus: IntroductionStatus | null;
}

export interface PendingUpdate {
  readonly status: IntroductionStatus;
  readonly at: string;
}

export const EMPTY_FOLLOW_UP: FollowUpState = {
  nudgeDueAt: null,
  nudgesSent: 0,
  outcomeDueAt: null,
  outcomeAskedFor: null,
  closeDueAt: null,
  closeAsks: 0,
  pendingUpdates: [],
  updateDueAt: null,
  amount: null,
  closedAt: null,
  advocate: false,
  reconciledStatus: null,
};

/** Business days after capture before the nudge. */
export const NUDGE_AFTER_BUSINESS_DAYS = 2;
/** Hours after the meeting ends before "how did it go?". */
export const OUTCOME_AFTER_HOURS = 2;
/** Business days after a good meeting before "did it close?". */
export const CLOSE_AFTER_BUSINESS_DAYS = 10;
/** "Did it close?" is asked at most this many times. */
export const MAX_CLOSE_ASKS = 3;
/** Changes within this window are combined into one update to the introducer. */
export const UPDATE_COMBINE_MINUTES = 60;
/** Statuses the introducer hears about. */
export const UPDATE_STATUSES: readonly IntroductionStatus[] = ['meeting_booked', 'met', 'won', 'not_a_fit'];

export type FollowUpKind = 'nudge' | 'outcome' | 'close' | 'update';

/** The earliest follow-up due, for the sweep's index (GSI2 sort key), or null. */
export function nextDueAt(state: FollowUpState): string | null {
  const dues = [state.nudgeDueAt, state.outcomeDueAt, state.closeDueAt, state.updateDueAt].filter((due): due is string => due !== null).sort();
  return dues[0] ?? null;
}
