import { randomBytes } from 'node:crypto';
import type { BookingLinks } from '../../domain/booking/booking-ports.ts';
import type { Question } from '../../domain/followup/answers.ts';
import type { FollowUpLinks } from '../../domain/followup/follow-up-ports.ts';
import { signToken } from '../../domain/links/signed-token.ts';
import type { Partner } from '../../domain/partners/partner.ts';

/** A connect link is valid a week: long enough to be acted on from a busy inbox. */
export const CONNECT_LINK_DAYS = 7;
/** A "find another time" link stays valid two weeks. */
export const REBOOK_LINK_DAYS = 14;
/** Answer links (nudge, outcome, close) stay valid two weeks; a newer email carries fresh ones. */
export const ANSWER_LINK_DAYS = 14;
/**
 * Unsubscribe links live almost as long as a link can: the signing key rotates every 30 days
 * (at a random hour of the due day) and the previous key still verifies, so a link must expire
 * a little before 30 days to always verify.
 */
export const UNSUBSCRIBE_LINK_DAYS = 28;
const DAY_S = 86_400;

/** Paths the web function serves. */
export const WEB_PATHS = {
  connect: '/connect',
  oauthCallback: '/oauth/callback',
  slot: '/slot',
  rebook: '/rebook',
  answer: '/answer',
  unsubscribe: '/unsubscribe',
} as const;

/** Signed, expiring links to the web function, each scoped to one action and one subject. */
export class BookingLinkBuilder implements BookingLinks, FollowUpLinks {
  constructor(
    private readonly baseUrl: string,
    private readonly signingKey: Buffer,
    private readonly now: () => Date,
  ) {}

  connectCalendar(partner: Partner): string {
    return this.url(WEB_PATHS.connect, signToken({ action: 'connect_calendar', subject: partner.email, expiresAt: this.inDays(CONNECT_LINK_DAYS) }, this.signingKey));
  }

  /** Valid until the slot starts: a time in the past cannot be chosen. */
  bookSlot(introductionId: string, slot: { start: Date; end: Date }): string {
    const token = signToken(
      {
        action: 'book_slot',
        subject: introductionId,
        expiresAt: Math.floor(slot.start.getTime() / 1000),
        data: { start: slot.start.toISOString(), end: slot.end.toISOString() },
      },
      this.signingKey,
    );
    return this.url(WEB_PATHS.slot, token);
  }

  /** One answer to one question, for one recipient; single use (the web function records its id). */
  answer(introductionId: string, question: Question, answer: string, recipient: string): string {
    const token = signToken(
      { action: 'answer', subject: introductionId, expiresAt: this.inDays(ANSWER_LINK_DAYS), data: { question, answer, recipient, id: tokenId() } },
      this.signingKey,
    );
    return this.url(WEB_PATHS.answer, token);
  }

  unsubscribe(kind: 'pair' | 'group', id: string, recipient: string): string {
    return this.url(WEB_PATHS.unsubscribe, signToken({ action: 'unsubscribe', subject: id, expiresAt: this.inDays(UNSUBSCRIBE_LINK_DAYS), data: { kind, recipient } }, this.signingKey));
  }

  rebook(introductionId: string): string {
    return this.url(WEB_PATHS.rebook, signToken({ action: 'rebook', subject: introductionId, expiresAt: this.inDays(REBOOK_LINK_DAYS) }, this.signingKey));
  }

  private inDays(days: number): number {
    return Math.floor(this.now().getTime() / 1000) + days * DAY_S;
  }

  private url(path: string, token: string): string {
    // Relative to the base, so a base URL with a path prefix keeps it.
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    url.searchParams.set('token', token);
    return url.toString();
  }
}

/** A random id per answer link, so the web function can accept each link once. */
function tokenId(): string {
  return randomBytes(12).toString('base64url');
}
