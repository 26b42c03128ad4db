import type { IntroductionStatus } from '../introductions/status.ts';

/**
 * The one-click answers the follow-up emails offer, and what each does. Every answer is a status
 * change (or, for "remind me" and "still open", a later question), recorded in the history with
 * who answered and how.
 */
export const QUESTIONS = {
  /** Two business days after capture with no meeting booked. */
  nudge: ['booked_elsewhere', 'could_not_reach', 'not_a_fit', 'remind_me_later'],
  /** Two hours after the booked meeting ended. */
  outcome: ['promising', 'not_a_fit', 'no_show', 'rescheduled'],
  /** Some time after a good meeting. */
  close: ['won', 'lost', 'still_open'],
} as const;

export type Question = keyof typeof QUESTIONS;
export type Answer = (typeof QUESTIONS)[Question][number];

export interface AnswerEffect {
  /** The status the introduction moves to, or null when the answer only moves the next question. */
  readonly status: IntroductionStatus | null;
  /** Ask again after this many business days (remind me later, still open). */
  readonly askAgainAfterBusinessDays?: number;
  /** Words for buttons and pages. */
  readonly label: string;
}

/** "Remind me in 3 days". */
export const REMIND_AFTER_BUSINESS_DAYS = 3;
/** "Still open": ask whether it closed again two weeks later. */
export const CLOSE_ASK_AGAIN_BUSINESS_DAYS = 10;

export const ANSWER_EFFECTS: Record<Question, Partial<Record<Answer, AnswerEffect>>> = {
  nudge: {
    booked_elsewhere: { status: 'meeting_booked', label: 'We booked a meeting ourselves' },
    could_not_reach: { status: 'unreachable', label: "I couldn't reach them" },
    not_a_fit: { status: 'not_a_fit', label: 'Not a fit' },
    remind_me_later: { status: null, askAgainAfterBusinessDays: REMIND_AFTER_BUSINESS_DAYS, label: 'Remind me in 3 days' },
  },
  outcome: {
    promising: { status: 'met', label: 'Promising' },
    not_a_fit: { status: 'not_a_fit', label: 'Not a fit' },
    no_show: { status: 'no_show', label: 'No-show' },
    rescheduled: { status: 'awaiting_booking', label: 'We rescheduled' },
  },
  close: {
    won: { status: 'won', label: 'Won' },
    lost: { status: 'lost', label: 'Lost' },
    still_open: { status: null, askAgainAfterBusinessDays: CLOSE_ASK_AGAIN_BUSINESS_DAYS, label: 'Still open' },
  },
};

export function answerEffect(question: Question, answer: string): AnswerEffect | null {
  return (ANSWER_EFFECTS[question] as Record<string, AnswerEffect | undefined>)[answer] ?? null;
}

/** Statuses in which a question still makes sense; an answer to a stale question changes nothing. */
export const QUESTION_APPLIES: Record<Question, readonly IntroductionStatus[]> = {
  nudge: ['introduced', 'awaiting_booking'],
  outcome: ['meeting_booked'],
  close: ['met'],
};
