import type { Contact } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import type { AnswerLink } from '../followup/follow-up-views.ts';
import type { Partner } from '../partners/partner.ts';
import type { PairMeeting } from './pair-view.ts';
import type { Group, Pair, PairNote } from './pair.ts';

/** An introduction as a line in a weekly or monthly email. */
export interface IntroductionLine {
  readonly introductionId: string;
  readonly introducer: Contact;
  readonly prospect: Contact;
  readonly status: IntroductionStatus;
  readonly meeting: PairMeeting | null;
  readonly amount: number | null;
}

/** Introductions one partner gave the other (A introduced B to these people). */
export interface Direction {
  readonly from: Partner;
  readonly to: Partner;
  readonly thisWeek: readonly IntroductionLine[];
  readonly thisQuarter: number;
  /** The goal for the quarter to date (goal per month × months begun). */
  readonly quarterGoal: number;
}

/** Something one partner must act on, with its one-click answers inline. */
export interface OpenItem {
  readonly line: IntroductionLine;
  readonly question: 'nudge' | 'outcome' | 'close';
  readonly answers: readonly AnswerLink[];
}

/**
 * The weekly accountability email to one partner of a pair (each gets their own copy: their own
 * open items first, their own unsubscribe link), opening like
 * "Ana and Victor — your week: Ana introduced Victor to 2 people (Lena Park, Tom Okoye), ...".
 */
export interface WeeklyCheckInView {
  readonly outboxKey: string;
  readonly pair: Pair;
  readonly recipient: Partner;
  readonly other: Partner;
  /** The week reported on, [start, end), and the quarter to date. */
  readonly week: { readonly start: string; readonly end: string };
  readonly quarter: { readonly label: string; readonly start: string };
  /** recipient → other, and other → recipient. */
  readonly directions: readonly [Direction, Direction];
  readonly meetingsBooked: readonly IntroductionLine[];
  readonly meetingsHeld: readonly IntroductionLine[];
  readonly closedBusiness: { readonly count: number; readonly amount: number };
  /** The recipient's open items first, then the other's (for context, without links). */
  readonly openItems: { readonly mine: readonly OpenItem[]; readonly theirs: readonly IntroductionLine[] };
  readonly nextOneToOne: { readonly start: string; readonly end: string } | null;
  /** What each said last week (replies to last week's email). */
  readonly lastNotes: readonly PairNote[];
  /** One-click unsubscribe (RFC 8058) for this recipient. */
  readonly unsubscribeUrl: string;
}

/** The monthly digest to a group: what the members did for each other, and public thanks. */
export interface GroupDigestView {
  readonly outboxKey: string;
  readonly group: Group;
  readonly recipient: Partner;
  readonly members: readonly Partner[];
  readonly month: { readonly label: string; readonly start: string; readonly end: string };
  readonly introductions: readonly IntroductionLine[];
  readonly meetingsHeld: number;
  readonly closedBusiness: { readonly count: number; readonly amount: number };
  /** Members who gave introductions this month, most first. */
  readonly thanks: readonly { readonly member: Partner; readonly given: number }[];
  readonly unsubscribeUrl: string;
}
