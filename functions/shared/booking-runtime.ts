import { KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { BookingDependencies } from '../domain/booking/book-introduction.ts';
import { MIN_SIGNING_KEY_BYTES } from '../domain/links/signed-token.ts';
import type { SecretSealer } from '../domain/security/secret-sealer.ts';
import { secretJson, secretString } from '../adapters/aws/secrets.ts';
import { EnvelopeSealer } from '../adapters/crypto/envelope-sealer.ts';
import { KmsKeyWrapper } from '../adapters/crypto/kms-key-wrapper.ts';
import { createDocumentClient, type DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { GoogleCalendarAccess } from '../adapters/google/google-calendar-access.ts';
import { REAL_GOOGLE } from '../adapters/google/google-endpoints.ts';
import { GoogleOAuth } from '../adapters/google/google-oauth.ts';
import { BookingLinkBuilder, WEB_PATHS } from '../adapters/links/booking-link-builder.ts';
import { SesMailSender } from '../adapters/ses/ses-mail-sender.ts';
import { googleOAuthClientSchema, googleServiceAccountSchema, readBookingEnvironment } from './booking-config.ts';
import { bookingDependencies } from './booking-wiring.ts';
import { countingMailSender, noBusinessMetrics, type BusinessMetrics } from './business-metrics.ts';

/** Everything the booking and web functions need on AWS, built once per cold start from the environment and Secrets Manager. */
export interface BookingRuntime {
  readonly booking: BookingDependencies;
  readonly connection: DynamoConnection;
  readonly oauth: GoogleOAuth;
  readonly sealer: SecretSealer;
  /** The link-signing key new links are signed with (the secret's `AWSCURRENT` version). */
  readonly signingKey: Buffer;
  /** Keys links verify with: the signing key first, then (after the first rotation) the `AWSPREVIOUS` version. */
  readonly verificationKeys: readonly Buffer[];
  /** Reads the link keys again (after a rotation, a warm function's keys are out of date). */
  readonly readLinkKeys: () => Promise<LinkKeys>;
  /** Signed links for booking and follow-through emails. */
  readonly links: BookingLinkBuilder;
}

export interface LinkKeys {
  readonly signingKey: Buffer;
  readonly verificationKeys: readonly Buffer[];
}

/** `metrics` counts every email the runtime's sender sends (and every one SES refuses). */
export async function bookingRuntimeFromEnvironment(
  env: NodeJS.ProcessEnv,
  options: { webBaseUrl?: string; metrics?: BusinessMetrics } = {},
): Promise<BookingRuntime> {
  const environment = readBookingEnvironment(env);
  const webBaseUrl = options.webBaseUrl ?? environment.WEB_BASE_URL;
  if (!webBaseUrl) throw new Error('WEB_BASE_URL is not set and no request told the web address');
  const secrets = new SecretsManagerClient({});
  const readKeys = () => readLinkKeys(secrets, environment.LINK_SIGNING_SECRET_ARN);
  const [{ signingKey, verificationKeys }, oauthClient, serviceAccount] = await Promise.all([
    readKeys(),
    secretJson(secrets, environment.GOOGLE_OAUTH_SECRET_ARN, googleOAuthClientSchema),
    environment.GOOGLE_SERVICE_ACCOUNT_SECRET_ARN ? secretJson(secrets, environment.GOOGLE_SERVICE_ACCOUNT_SECRET_ARN, googleServiceAccountSchema) : Promise.resolve(null),
  ]);
  const connection = { client: createDocumentClient(), tableName: environment.TABLE_NAME };
  const sealer = new EnvelopeSealer(new KmsKeyWrapper(new KMSClient({}), environment.TOKEN_KEY_ARN));
  const oauth = new GoogleOAuth({
    clientId: oauthClient.client_id,
    clientSecret: oauthClient.client_secret,
    redirectUri: oauthRedirectUri(webBaseUrl),
    endpoints: REAL_GOOGLE,
  });
  const clock = { now: () => new Date() };
  const links = new BookingLinkBuilder(webBaseUrl, signingKey, clock.now);
  const booking = bookingDependencies({
    connection,
    calendars: new GoogleCalendarAccess({
      oauth,
      serviceAccount: serviceAccount ? { clientEmail: serviceAccount.client_email, privateKey: serviceAccount.private_key } : null,
      sealer,
      endpoints: REAL_GOOGLE,
    }),
    sender: countingMailSender(
      new SesMailSender(new SESv2Client({}), { address: environment.SENDER_ADDRESS, name: environment.SENDER_NAME }),
      options.metrics ?? noBusinessMetrics,
    ),
    links,
    clock,
  });
  return { booking, connection, oauth, sealer, signingKey, verificationKeys, readLinkKeys: readKeys, links };
}

/**
 * The link-signing key (`AWSCURRENT`) and the keys links verify with. The secret rotates every 30
 * days and links signed before a rotation must keep working, so the `AWSPREVIOUS` version verifies
 * too; before the first rotation there is none.
 */
export async function readLinkKeys(secrets: SecretsManagerClient, secretId: string): Promise<LinkKeys> {
  const [current, previous] = await Promise.all([secretString(secrets, secretId), previousSecretString(secrets, secretId)]);
  const signingKey = Buffer.from(current, 'utf8');
  const previousKey = previous === null ? null : Buffer.from(previous, 'utf8');
  // A previous value too short to be a key (a hand-set placeholder) could never have signed a link.
  const usable = previousKey !== null && previousKey.length >= MIN_SIGNING_KEY_BYTES && !previousKey.equals(signingKey);
  return { signingKey, verificationKeys: usable ? [signingKey, previousKey] : [signingKey] };
}

async function previousSecretString(secrets: SecretsManagerClient, secretId: string): Promise<string | null> {
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' }));
    return SecretString ?? null;
  } catch (error) {
    // No version carries the label yet (never rotated).
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
}

/** The OAuth callback URL under the web function's base URL (register it with the Google OAuth client). */
export function oauthRedirectUri(webBaseUrl: string): string {
  return new URL(WEB_PATHS.oauthCallback.slice(1), webBaseUrl.endsWith('/') ? webBaseUrl : `${webBaseUrl}/`).toString();
}
