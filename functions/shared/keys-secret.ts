import { hkdfSync } from 'node:crypto';
import * as z from 'zod';
import { MIN_SIGNING_KEY_BYTES } from '../domain/links/signed-token.ts';
import { googleOAuthClientSchema, googleServiceAccountSchema } from './booking-config.ts';

/**
 * The stack's one secret (Secrets Manager, `BookingCredentials`): the keys of the deployment and
 * the Google credentials the operator gives it. Secrets Manager generates it as a random string
 * of letters and digits; the first rotation (or `refer google set`) writes it as a JSON document:
 *
 * ```json
 * { "seed": "<the generated string>", "linkKeys": ["<current>", "<previous>"],
 *   "googleOAuthClient": { "client_id": "…", "client_secret": "…" }, "googleServiceAccount": { … } }
 * ```
 *
 * - `linkKeys` sign (the first) and verify (both) one-click links; the rotation function puts a
 *   new random key first every 30 days and keeps the one before it.
 * - `seed` never changes: the key that seals partners' Google refresh tokens is derived from it
 *   (HKDF-SHA256), so the key is never written anywhere but here, and it is a different key from
 *   the link keys even while the generated string is also the first link key.
 *
 * A stack deployed before the document existed holds the plain generated string, rotated by the
 * older rotation function: its link keys are that string and the `AWSPREVIOUS` version's.
 */
export const LINK_KEY_PATTERN = /^[A-Za-z0-9]+$/;

/** The shortest link key or seed accepted (`linkSigningKeyLength` of `BookingCredentials` is at least this). */
export const MIN_LINK_KEY_LENGTH = 48;

const linkKeySchema = z.string().regex(LINK_KEY_PATTERN, 'letters and digits only').min(MIN_LINK_KEY_LENGTH);

export const keysDocumentSchema = z.object({
  seed: z.string().min(MIN_LINK_KEY_LENGTH),
  /** Newest first: the first signs, every one verifies. */
  linkKeys: z.union([z.tuple([linkKeySchema]), z.tuple([linkKeySchema, linkKeySchema])]),
  googleOAuthClient: googleOAuthClientSchema.optional(),
  googleServiceAccount: googleServiceAccountSchema.optional(),
});

export type KeysDocument = z.infer<typeof keysDocumentSchema>;

/** Whether a secret value is the generated string of a stack never rotated by this version (not a JSON document). */
export function isPlainKeysValue(value: string): boolean {
  return !value.trimStart().startsWith('{');
}

export class KeysSecretError extends Error {
  override readonly name = 'KeysSecretError';
}

/**
 * The document held by a secret value. `previousPlain` is the `AWSPREVIOUS` value, read only for
 * a plain value (a document holds its previous link key itself); one that is not a usable key
 * (a hand-set placeholder, the same key) is left out.
 */
export function parseKeysValue(value: string, previousPlain: string | null = null): KeysDocument {
  if (isPlainKeysValue(value)) {
    if (!linkKeySchema.safeParse(value).success) throw new KeysSecretError(`the keys secret is not a key: it needs at least ${MIN_LINK_KEY_LENGTH} letters and digits`);
    const usablePrevious = previousPlain !== null && previousPlain !== value && linkKeySchema.safeParse(previousPlain).success;
    return { seed: value, linkKeys: usablePrevious ? [value, previousPlain] : [value] };
  }
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new KeysSecretError('the keys secret starts like JSON but is not JSON');
  }
  const parsed = keysDocumentSchema.safeParse(json);
  if (!parsed.success) {
    throw new KeysSecretError(`the keys secret does not have the expected fields (${[...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'value'))].join(', ')})`);
  }
  return parsed.data;
}

/** The document as the secret's value (what the rotation function and `refer google set` write). */
export function keysValue(document: KeysDocument): string {
  return JSON.stringify(keysDocumentSchema.parse(document));
}

export interface LinkKeys {
  readonly signingKey: Buffer;
  readonly verificationKeys: readonly Buffer[];
}

export function linkKeysOf(document: KeysDocument): LinkKeys {
  const keys = document.linkKeys.map((key) => Buffer.from(key, 'utf8'));
  for (const key of keys) if (key.length < MIN_SIGNING_KEY_BYTES) throw new KeysSecretError('a link key is too short');
  return { signingKey: Buffer.from(document.linkKeys[0], 'utf8'), verificationKeys: keys };
}

/** Id of the refresh-token key derived from the seed, stored with every token it seals. */
export const TOKEN_KEY_ID = 'keys-secret/1';

/** The 256-bit key that seals refresh tokens (wraps their data keys), derived from the seed. */
export function tokenSealingKey(document: KeysDocument): { readonly id: string; readonly key: Buffer } {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(document.seed, 'utf8'), Buffer.from('refer keys secret'), Buffer.from('google-refresh-token sealing v1'), 32));
  return { id: TOKEN_KEY_ID, key };
}
