import { MAX_AMOUNT } from '../domain/followup/answer-question.ts';

/** The closed-business amount typed on the "Won" page. */
export type AmountInput = { readonly ok: true; readonly amount: number | null } | { readonly ok: false; readonly problem: 'not_a_number' | 'not_positive' | 'too_large' };

/** More than any amount written out with separators needs. */
const MAX_AMOUNT_CHARS = 32;
/** "12500", "12,500", "12 500", "12500.5", "12,500.00"; groups of three after a separator, one kind of separator. */
const NUMBER = /^(?:\d{1,3}(?:(,|[ \u00a0\u202f])\d{3})(?:\1\d{3})*|\d+)(?:\.\d{1,2})?$/;

/**
 * What someone typed as the amount: empty is no amount (it is optional); a currency sign in
 * front is allowed (the amount is kept without a currency); anything that is not clearly a
 * positive number no bigger than `MAX_AMOUNT` is refused, never guessed ("1.234,56", "1e6", "-5").
 */
export function parseAmount(input: string | null): AmountInput {
  const text = (input ?? '').trim();
  if (text === '') return { ok: true, amount: null };
  if (text.length > MAX_AMOUNT_CHARS) return { ok: false, problem: 'not_a_number' };
  const digits = text.replace(/^[$€£]\s*/, '');
  if (/^[-−]/.test(digits)) return { ok: false, problem: 'not_positive' };
  if (!NUMBER.test(digits)) return { ok: false, problem: 'not_a_number' };
  const amount = Number(digits.replace(/[, \u00a0\u202f]/g, ''));
  if (!Number.isFinite(amount)) return { ok: false, problem: 'not_a_number' };
  if (amount <= 0) return { ok: false, problem: 'not_positive' };
  if (amount > MAX_AMOUNT) return { ok: false, problem: 'too_large' };
  return { ok: true, amount };
}
