import type { Weekday } from '../booking/time-zones.ts';

/**
 * Two partners who keep each other accountable (power partners): a weekly check-in in the pair's
 * time zone, and a one-to-one meeting at a cadence, booked in both calendars.
 */
export const ONE_TO_ONE_CADENCES = ['monthly', 'quarterly', 'twice_a_year', 'off'] as const;
export type OneToOneCadence = (typeof ONE_TO_ONE_CADENCES)[number];

export interface Pair {
  /** Deterministic from the two addresses, so adding the same pair twice finds the first. */
  readonly id: string;
  /** The two partners' addresses, sorted. */
  readonly partners: readonly [string, string];
  readonly timeZone: string;
  /** When the weekly check-in goes out, in the pair's time zone; null when off. */
  readonly weekly: { readonly day: Weekday; readonly time: string } | null;
  readonly oneToOne: OneToOneCadence;
  /** The goal: introductions each partner gives the other per month. */
  readonly goalPerMonth: number;
  readonly createdAt: string;
  /** Partners who unsubscribed from the weekly email (one click, RFC 8058). */
  readonly unsubscribed: readonly string[];
  /** The next booked one-to-one, if any. */
  readonly nextOneToOne: { readonly start: string; readonly end: string; readonly eventId: string; readonly period: string } | null;
}

/** What a partner wrote back to a weekly check-in: quoted in the next one ("what you said you would do"). */
export interface PairNote {
  readonly pairId: string;
  readonly from: string;
  readonly receivedAt: string;
  /** The reply's own words (above the quote), trimmed. */
  readonly text: string;
  readonly deliveryId: string;
}

/** A referral group of 2 to 12 partners: a monthly digest with public thanks. */
export interface Group {
  readonly id: string;
  readonly name: string;
  readonly members: readonly string[];
  readonly timeZone: string;
  readonly createdAt: string;
  readonly unsubscribed: readonly string[];
}

export const MIN_GROUP_MEMBERS = 2;
export const MAX_GROUP_MEMBERS = 12;
/** The default goal: two introductions a month in each direction. */
export const DEFAULT_GOAL_PER_MONTH = 2;
