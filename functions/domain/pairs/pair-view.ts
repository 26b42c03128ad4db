import { EMPTY_FOLLOW_UP } from '../followup/follow-up-state.ts';
import type { FollowUpStore } from '../followup/follow-up-ports.ts';
import { prospectOf } from '../followup/follow-through.ts';
import type { BookingPartners } from '../booking/booking-ports.ts';
import type { Contact, Introduction, Meeting } from '../introductions/introduction.ts';
import type { IntroductionStatus } from '../introductions/status.ts';
import type { Partner } from '../partners/partner.ts';
import type { EmailThread, OutboundEmail } from '../outbound/outbound-email.ts';
import { pairId } from './pair-setup.ts';
import type { Pair, PairNote } from './pair.ts';

/**
 * The weekly check-in's read model: everything one pair's check-in shows, kept in the pair's own
 * partition so the job reads it with one query. Next to the pair (and its notes, already there):
 * a copy of each partner's profile (name, time zone), one small item per introduction between the
 * two partners with the fields the check-in shows, and a marker saying the model was built.
 *
 * Introduction items follow the table's stream: each change of an introduction rewrites its item
 * in the partition of every pair it is between (one write per pair, only when a shown field
 * changed), stamped with the stream record's sequence number and written only over an older stamp,
 * so a record that comes late or twice changes nothing. A pair whose model was never built (an
 * existing deployment, or a pair added after its partners introduced each other) is built by its
 * first check-in from the introductions themselves, stamped lowest, so any record wins over it.
 */

/** A meeting as the check-in shows it. */
export type PairMeeting = Pick<Meeting, 'start' | 'end' | 'videoLink'>;

/** An introduction from one partner of a pair to the other, as the check-in shows it. */
export interface PairIntroduction {
  readonly id: string;
  readonly introducer: Contact;
  /** The partner it was given to. */
  readonly receiver: string;
  /** Who the receiver was introduced to. */
  readonly prospect: Contact;
  readonly status: IntroductionStatus;
  readonly createdAt: string;
  readonly meeting: PairMeeting | null;
  readonly amount: number | null;
  readonly closedAt: string | null;
}

/** A partner's profile as the pair's check-in needs it (a copy: the partner item stays the source). */
export type PartnerProfile = Pick<Partner, 'email' | 'name' | 'timeZone' | 'createdAt'>;

/** What the pair's partition holds for its check-in. */
export interface PairView {
  readonly pair: Pair;
  readonly profiles: readonly PartnerProfile[];
  /** Introductions created at or after the `since` the view was read with. */
  readonly introductions: readonly PairIntroduction[];
  readonly notes: readonly PairNote[];
  /** False until the model was built for this pair: its introduction items may be incomplete. */
  readonly built: boolean;
}

/**
 * Which version of a change an item reflects: the stream record's sequence number (fixed width,
 * so strings compare as numbers). A rebuild reads the introduction as it is and stamps the lowest.
 */
export type ViewStamp = string;
export const REBUILT_STAMP: ViewStamp = '0'.padStart(40, '0');

export function streamStamp(sequenceNumber: string): ViewStamp {
  return sequenceNumber.padStart(40, '0');
}

/** One email of a pair's week, and its thread (replies come back to the pair). */
export interface WeekEmail {
  readonly email: OutboundEmail;
  readonly thread: EmailThread;
}

export type WeekClaim = { readonly outcome: 'claimed'; readonly alreadySent: readonly string[] } | { readonly outcome: 'already_sent' } | { readonly outcome: 'in_progress' };

/** The pair read model's storage, and the outbox of a pair's weekly emails (claimed and marked together). */
export interface PairViewStore {
  /** The pair's partition in one query (paginated): null when the pair does not exist. */
  readPairView(pairIdValue: string, since: Date): Promise<PairView | null>;
  /** Of these pair ids, those that exist. */
  existingPairs(ids: readonly string[]): Promise<Set<string>>;
  /** Writes the item unless one with a newer or equal stamp is there; false when it was not written. */
  putIntroduction(pairIdValue: string, introduction: PairIntroduction, stamp: ViewStamp): Promise<boolean>;
  /** Writes the partner's profile copy in the pair's partition. */
  putProfile(pairIdValue: string, profile: PartnerProfile): Promise<void>;
  /** The partner's profile copy in every pair they belong to (their name or time zone changed). */
  refreshProfile(profile: PartnerProfile): Promise<void>;
  /** The partner was removed: their pairs' check-ins stop (no profile, no check-in). */
  removeProfile(email: string): Promise<void>;
  /** The model of this pair is complete from now on. */
  markBuilt(pairIdValue: string, at: Date): Promise<void>;
  /**
   * Claims the right to send a pair's emails of one week, in one request: every email whose
   * outbox key is not sent and not held by another attempt's lease. `alreadySent` lists the keys a
   * crashed attempt sent and marked.
   */
  claimWeek(emails: readonly OutboundEmail[], now: Date, leaseUntil: Date): Promise<WeekClaim>;
  /** Marks these emails sent, with their Message-IDs threaded to the pair, in one request. */
  markWeekSent(sent: readonly { readonly outboxKey: string; readonly messageId: string; readonly thread: EmailThread }[], at: Date): Promise<void>;
}

/** An introduction as it appears in the check-in of the pair (introducer, `receiver`). */
export function pairIntroductionOf(introduction: Introduction, receiver: string): PairIntroduction {
  const followUp = introduction.followUp ?? EMPTY_FOLLOW_UP;
  const meeting = introduction.meeting;
  return {
    id: introduction.id,
    introducer: introduction.introducer,
    receiver,
    prospect: prospectOf(introduction, receiver),
    status: introduction.status,
    createdAt: introduction.createdAt,
    meeting: meeting ? { start: meeting.start, end: meeting.end, videoLink: meeting.videoLink } : null,
    amount: followUp.amount,
    closedAt: followUp.closedAt,
  };
}

/** Every pair an introduction could count for: its introducer with each introduced person. */
function candidatePairs(introduction: Introduction): { pairId: string; receiver: string }[] {
  const introducer = introduction.introducer.email.toLowerCase();
  const receivers = [...new Set(introduction.parties.map((party) => party.email.toLowerCase()))].filter((email) => email !== introducer);
  return receivers.map((receiver) => ({ pairId: pairId(introducer, receiver), receiver }));
}

/**
 * Called for each stream record of an introduction: rewrites its item in the partition of every
 * existing pair of its introducer and an introduced person, when a field the check-in shows changed.
 * Returns how many items were written.
 */
export async function keepPairViewsUpToDate(previous: Introduction | null, current: Introduction, stamp: ViewStamp, store: Pick<PairViewStore, 'existingPairs' | 'putIntroduction'>): Promise<number> {
  const candidates = candidatePairs(current);
  const changed = candidates.filter(({ receiver }) => !previous || !sameShown(pairIntroductionOf(previous, receiver), pairIntroductionOf(current, receiver)));
  if (changed.length === 0) return 0;
  const existing = await store.existingPairs(changed.map((candidate) => candidate.pairId));
  let written = 0;
  for (const { pairId: id, receiver } of changed) {
    if (existing.has(id) && (await store.putIntroduction(id, pairIntroductionOf(current, receiver), stamp))) written += 1;
  }
  return written;
}

function sameShown(a: PairIntroduction, b: PairIntroduction): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** How far back introductions count for the numbers (closed business arrives months after). */
export const VIEW_LOOKBACK_DAYS = 365;
const END_OF_TIME = new Date('9999-12-31T23:59:59.999Z');

/**
 * Builds the model of a pair that has none: the partners' profiles and every introduction each
 * gave the other within the lookback, read from the introductions themselves (the cost of the old
 * read path, once), then the marker. Returns the view as built.
 */
export async function buildPairView(
  view: PairView,
  at: Date,
  since: Date,
  dependencies: { readonly store: Pick<FollowUpStore, 'listGivenBy'>; readonly partners: BookingPartners; readonly pairViews: PairViewStore },
): Promise<PairView | null> {
  const [a, b] = view.pair.partners;
  const partners = await Promise.all([a, b].map((email) => dependencies.partners.getPartner(email)));
  if (partners.some((partner) => partner === null)) return null;
  const profiles = (partners as Partner[]).map((partner) => ({ email: partner.email, name: partner.name, timeZone: partner.timeZone, createdAt: partner.createdAt }));
  for (const profile of profiles) await dependencies.pairViews.putProfile(view.pair.id, profile);
  // Everything the lookback of any later check-in can reach; newer ones come through the stream.
  const [aGave, bGave] = await Promise.all([
    dependencies.store.listGivenBy(a, since, END_OF_TIME).then((list) => list.filter((intro) => includes(intro, b)).map((intro) => pairIntroductionOf(intro, b))),
    dependencies.store.listGivenBy(b, since, END_OF_TIME).then((list) => list.filter((intro) => includes(intro, a)).map((intro) => pairIntroductionOf(intro, a))),
  ]);
  for (const introduction of [...aGave, ...bGave]) await dependencies.pairViews.putIntroduction(view.pair.id, introduction, REBUILT_STAMP);
  await dependencies.pairViews.markBuilt(view.pair.id, at);
  // Read again: an item the stream wrote meanwhile is newer than what was listed.
  return dependencies.pairViews.readPairView(view.pair.id, since);
}

function includes(introduction: Introduction, email: string): boolean {
  return introduction.parties.some((party) => party.email.toLowerCase() === email);
}
