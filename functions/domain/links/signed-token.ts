import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tokens carried by one-click links and the OAuth `state`: a JSON payload and an HMAC-SHA256
 * signature, both base64url. Each token is scoped to one action and one subject and expires.
 * Links are for convenience, not secrecy, but a token cannot be forged, widened or revived.
 */
export type TokenAction = 'connect_calendar' | 'oauth_state' | 'book_slot' | 'rebook' | 'answer' | 'unsubscribe';

export interface TokenClaims {
  readonly action: TokenAction;
  /** What the token is about: a partner's email, or an introduction id. */
  readonly subject: string;
  /** Expiry, epoch seconds. */
  readonly expiresAt: number;
  /** Action-specific data (the proposed slot, a nonce...). */
  readonly data?: Readonly<Record<string, string>>;
}

export type TokenCheck =
  | { readonly valid: true; readonly claims: TokenClaims }
  | { readonly valid: false; readonly reason: 'malformed' | 'bad_signature' | 'expired' | 'wrong_action' };

/** Below this a key is too weak for HMAC-SHA256 links. */
export const MIN_SIGNING_KEY_BYTES = 32;
/** Tokens are small; anything longer is not ours. */
const MAX_TOKEN_CHARS = 2_048;

export function signToken(claims: TokenClaims, key: Buffer): string {
  assertKey(key);
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${signature(payload, key)}`;
}

/**
 * Checks a token against each key in turn (constant-time comparison each): links signed with the
 * current key or, after a rotation, the previous one verify. New tokens are signed with the first
 * key only (`signToken`). One key alone is accepted as well.
 */
export function verifyToken(token: string, keys: Buffer | readonly Buffer[], expectedAction: TokenAction, now: Date): TokenCheck {
  const candidates: readonly Buffer[] = Buffer.isBuffer(keys) ? [keys] : keys;
  if (candidates.length === 0) throw new Error('no link verification keys');
  for (const key of candidates) assertKey(key);
  if (token.length > MAX_TOKEN_CHARS) return { valid: false, reason: 'malformed' };
  const [payload, mac, ...rest] = token.split('.');
  if (!payload || !mac || rest.length > 0) return { valid: false, reason: 'malformed' };
  const given = Buffer.from(mac);
  if (!candidates.some((key) => signatureMatches(payload, given, key))) return { valid: false, reason: 'bad_signature' };
  const claims = parseClaims(payload);
  if (!claims) return { valid: false, reason: 'malformed' };
  if (claims.action !== expectedAction) return { valid: false, reason: 'wrong_action' };
  if (claims.expiresAt * 1000 <= now.getTime()) return { valid: false, reason: 'expired' };
  return { valid: true, claims };
}

function signatureMatches(payload: string, given: Buffer, key: Buffer): boolean {
  const expected = Buffer.from(signature(payload, key));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function signature(payload: string, key: Buffer): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

function parseClaims(payload: string): TokenClaims | null {
  try {
    const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<TokenClaims>;
    const dataValid =
      value.data === undefined || (typeof value.data === 'object' && value.data !== null && Object.values(value.data).every((item) => typeof item === 'string'));
    if (typeof value.action !== 'string' || typeof value.subject !== 'string' || typeof value.expiresAt !== 'number' || !dataValid) return null;
    return value as TokenClaims;
  } catch {
    return null;
  }
}

function assertKey(key: Buffer): void {
  if (key.length < MIN_SIGNING_KEY_BYTES) throw new Error(`link signing key must be at least ${MIN_SIGNING_KEY_BYTES} bytes`);
}
