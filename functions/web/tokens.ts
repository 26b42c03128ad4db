import { randomBytes } from 'node:crypto';
import type { Interval } from '../domain/booking/availability.ts';
import { QUESTIONS, answerEffect, type Answer, type Question } from '../domain/followup/answers.ts';
import { signToken, verifyToken, type TokenAction, type TokenCheck, type TokenClaims } from '../domain/links/signed-token.ts';

/** How long the round trip through Google's consent page may take. */
export const OAUTH_STATE_MINUTES = 30;

export type LinkCheck =
  | { readonly ok: true; readonly token: string; readonly claims: TokenClaims }
  | { readonly ok: false; readonly problem: 'invalid' | 'expired'; readonly reason: Extract<TokenCheck, { valid: false }>['reason'] | 'missing' };

/**
 * A link's token, checked for this action with each of the verification keys (current first):
 * tampered, malformed and wrong-action tokens are all just invalid.
 */
export function checkLink(token: string | null, action: TokenAction, keys: readonly Buffer[], now: Date): LinkCheck {
  if (!token) return { ok: false, problem: 'invalid', reason: 'missing' };
  const check = verifyToken(token, keys, action, now);
  if (check.valid) return { ok: true, token, claims: check.claims };
  return { ok: false, problem: check.reason === 'expired' ? 'expired' : 'invalid', reason: check.reason };
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

/** What an `answer` token asks for: one answer to one question about one introduction, by one person, once. */
export interface AnswerRequest {
  readonly introductionId: string;
  readonly question: Question;
  readonly answer: Answer;
  /** Who the link was sent to: recorded as who answered. */
  readonly recipient: string;
  /** The token's own id: the link is accepted once. */
  readonly tokenId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** The answer an `answer` token carries; null when its data is not a known question and answer. */
export function answerOf(claims: TokenClaims): AnswerRequest | null {
  const { question, answer, recipient, id } = claims.data ?? {};
  if (!question || !Object.hasOwn(QUESTIONS, question) || !answer || !recipient || !id || !claims.subject) return null;
  const known = QUESTIONS[question as Question] as readonly string[];
  if (!known.includes(answer) || !answerEffect(question as Question, answer)) return null;
  return { introductionId: claims.subject, question: question as Question, answer: answer as Answer, recipient, tokenId: id, expiresAt: claims.expiresAt };
}

/** Whose list an `unsubscribe` token takes whom off. */
export interface UnsubscribeRequest {
  readonly kind: 'pair' | 'group';
  /** The pair or group id. */
  readonly id: string;
  readonly recipient: string;
}

export function unsubscribeOf(claims: TokenClaims): UnsubscribeRequest | null {
  const { kind, recipient } = claims.data ?? {};
  if ((kind !== 'pair' && kind !== 'group') || !recipient || !claims.subject) return null;
  return { kind, id: claims.subject, recipient };
}
