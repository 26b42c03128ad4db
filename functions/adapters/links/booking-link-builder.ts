import type { BookingLinks } from '../../domain/booking/booking-ports.ts';
import { signToken } from '../../domain/links/signed-token.ts';
import type { Partner } from '../../domain/partners/partner.ts';

/** A connect link is valid a week: long enough to be acted on from a busy inbox. */
export const CONNECT_LINK_DAYS = 7;
/** A "find another time" link stays valid two weeks. */
export const REBOOK_LINK_DAYS = 14;
const DAY_S = 86_400;

/** Paths the web function serves. */
export const WEB_PATHS = {
  connect: '/connect',
  oauthCallback: '/oauth/callback',
  slot: '/slot',
  rebook: '/rebook',
} as const;

/** Signed, expiring links to the web function, each scoped to one action and one subject. */
export class BookingLinkBuilder implements BookingLinks {
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
