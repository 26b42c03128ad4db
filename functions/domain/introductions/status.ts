/**
 * Where an introduction stands. The booking capability moves it from `introduced` through
 * `awaiting_booking` to `meeting_booked`; follow-through (outcomes after the meeting) moves it on.
 */
export const INTRODUCTION_STATUSES = [
  'introduced',
  'awaiting_booking',
  'meeting_booked',
  'met',
  'won',
  'lost',
  'not_a_fit',
  'no_show',
  'unreachable',
  'cancelled',
] as const;

export type IntroductionStatus = (typeof INTRODUCTION_STATUSES)[number];

/** Statuses in which the booking still has work to do. */
export const BOOKABLE_STATUSES: readonly IntroductionStatus[] = ['introduced', 'awaiting_booking'];

export function isBookable(status: IntroductionStatus): boolean {
  return BOOKABLE_STATUSES.includes(status);
}
