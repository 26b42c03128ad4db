import { randomBytes } from 'node:crypto';
import type { Interval } from '../domain/booking/availability.ts';
import { signToken, verifyToken, type TokenAction, type TokenClaims } from '../domain/links/signed-token.ts';

/** How long the round trip through Google's consent page may take. */
export const OAUTH_STATE_MINUTES = 30;

export type LinkCheck = { readonly ok: true; readonly token: string; readonly claims: TokenClaims } | { readonly ok: false; readonly problem: 'invalid' | 'expired' };

/** A link's token, checked for this action: tampered, malformed and wrong-action tokens are all just invalid. */
export function checkLink(token: string | null, action: TokenAction, key: Buffer, now: Date): LinkCheck {
  if (!token) return { ok: false, problem: 'invalid' };
  const check = verifyToken(token, key, action, now);
  if (check.valid) return { ok: true, token, claims: check.claims };
  return { ok: false, problem: check.reason === 'expired' ? 'expired' : 'invalid' };
}

/** The OAuth `state`: signed, bound to the partner, short-lived, with a nonce so no two are alike. */
export function oauthState(partnerEmail: string, key: Buffer, now: Date): string {
  return signToken(
    {
      action: 'oauth_state',
      subject: partnerEmail,
      expiresAt: Math.floor(now.getTime() / 1000) + OAUTH_STATE_MINUTES * 60,
      data: { nonce: randomBytes(16).toString('base64url') },
    },
    key,
  );
}

/** The slot a `book_slot` token offers; null when its data is not a well-formed interval. */
export function slotOf(claims: TokenClaims): Interval | null {
  const start = new Date(claims.data?.start ?? '');
  const end = new Date(claims.data?.end ?? '');
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) return null;
  return { start, end };
}
