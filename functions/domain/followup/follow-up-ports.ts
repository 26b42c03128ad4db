import type { BookingState, Introduction, IntroductionEvent } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import type { Group, Pair, PairNote } from '../pairs/pair.ts';
import type { Question } from './answers.ts';
import type { FollowUpState } from './follow-up-state.ts';

/** What a conditional follow-up write expects to find: the status and follow-up revision it read. */
export interface FollowUpExpectation {
  readonly status: IntroductionStatus;
  readonly revision: number;
}

/** Persistence follow-through needs for introductions. Conditional writes, events keyed by cause. */
export interface FollowUpStore {
  getIntroduction(id: string): Promise<Introduction | null>;
  getIntroductions(ids: readonly string[]): Promise<Introduction[]>;
  /**
   * Writes the follow-up state (and the sweep's index) if the introduction is still as read: the
   * same status and follow-up revision. False when someone wrote in between (read again, retry).
   */
  saveFollowUp(id: string, expected: FollowUpExpectation, followUp: FollowUpState): Promise<boolean>;
  /**
   * Moves the status from `from` to `to` with its history event, in one transaction; false when
   * the introduction changed since it was read (status or follow-up revision) or the event exists (a retry).
   */
  changeStatus(
    id: string,
    change: { from: IntroductionStatus; revision: number; to: IntroductionStatus; followUp: FollowUpState; booking?: BookingState | null },
    event: IntroductionEvent,
  ): Promise<boolean>;
  addEvent(event: IntroductionEvent): Promise<void>;
  /** Introductions whose next follow-up is due at or before `at` (the daily sweep). */
  listDue(at: Date): Promise<Introduction[]>;
  /** Introductions a partner gave (as introducer) with createdAt in [from, to), oldest first. */
  listGivenBy(email: string, from: Date, to: Date): Promise<Introduction[]>;
}

export interface PairStore {
  getPair(id: string): Promise<Pair | null>;
  savePair(pair: Pair): Promise<'added' | 'updated'>;
  listPairs(): Promise<Pair[]>;
  pairsOf(email: string): Promise<Pair[]>;
  setUnsubscribed(pairId: string, email: string): Promise<boolean>;
  setNextOneToOne(pairId: string, next: Pair['nextOneToOne']): Promise<void>;
  addNote(note: PairNote): Promise<'saved' | 'exists'>;
  /** Notes received in [from, to). */
  notes(pairId: string, from: Date, to: Date): Promise<PairNote[]>;
  getGroup(id: string): Promise<Group | null>;
  saveGroup(group: Group): Promise<'added' | 'updated'>;
  listGroups(): Promise<Group[]>;
  setGroupUnsubscribed(groupId: string, email: string): Promise<boolean>;
}

/** Signed, expiring, single-use one-click links for follow-through emails. */
export interface FollowUpLinks {
  answer(introductionId: string, question: Question, answer: string, recipient: string): string;
  unsubscribe(kind: 'pair' | 'group', id: string, recipient: string): string;
}
