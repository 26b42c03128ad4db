import * as z from 'zod';

/**
 * Environment of the booking and web functions (the same variables; each uses what it needs).
 * Secrets are never in the environment: only the ARNs of where they are kept.
 */
export const bookingEnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  SENDER_ADDRESS: z.email().transform((value) => value.toLowerCase()),
  SENDER_NAME: z.string().default('Referral desk'),
  /**
   * The web function's URL (Lambda Function URL), which one-click links and the OAuth callback
   * use. Set on the booking function; the web function cannot be given its own URL (a
   * CloudFormation cycle), so it reads it from the request's domain instead.
   */
  WEB_BASE_URL: z.url().optional(),
  /**
   * The stack's keys secret (`functions/shared/keys-secret.ts`): the link keys, the seed of the
   * refresh-token key and the Google OAuth client, read once per cold start.
   */
  KEYS_SECRET_ARN: z.string().min(1),
  /** `true` when the stack was deployed with `googleServiceAccount`: the keys secret must hold a Workspace service account key. */
  GOOGLE_SERVICE_ACCOUNT: z.enum(['true', 'false']).optional(),
  /**
   * The customer managed KMS key that sealed refresh tokens before they were sealed with the keys
   * secret, while a deployment upgraded with `-c legacyTokenKey=true` still has tokens sealed by
   * it (docs/deploy.md, "Upgrading"): they are opened with it; nothing new is sealed with it.
   */
  LEGACY_TOKEN_KEY_ARN: z.string().min(1).optional(),
});

export type BookingEnvironment = z.infer<typeof bookingEnvironmentSchema>;

export function readBookingEnvironment(env: NodeJS.ProcessEnv): BookingEnvironment {
  return bookingEnvironmentSchema.parse(env);
}

/** The Google OAuth client as the keys secret holds it. */
export const googleOAuthClientSchema = z.object({ client_id: z.string().min(1), client_secret: z.string().min(1) });

/** A service account key as Google issues it (only the fields used). */
export const googleServiceAccountSchema = z.object({ client_email: z.email(), private_key: z.string().min(1) });

/** Scopes the system asks for: free/busy and managing the events it creates, nothing more. */
export const GOOGLE_CALENDAR_SCOPES = ['https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.freebusy'] as const;
