import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { BookingDependencies } from '../domain/booking/book-introduction.ts';
import type { CalendarAccess } from '../domain/booking/booking-ports.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';
import type { SecretSealer } from '../domain/security/secret-sealer.ts';
import { readKeysDocument } from '../adapters/aws/secrets.ts';
import { AesKeyWrapper, EnvelopeSealer, type KeyWrapper } from '../adapters/crypto/envelope-sealer.ts';
import { createDocumentClient, type DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import type { CalendarConsent } from '../adapters/google/google-consent.ts';
import { REAL_GOOGLE } from '../adapters/google/google-endpoints.ts';
import { BookingLinkBuilder, WEB_PATHS } from '../adapters/links/booking-link-builder.ts';
import { readBookingEnvironment } from './booking-config.ts';
import { KeysSecretError, linkKeysOf, tokenSealingKey, type KeysDocument, type LinkKeys } from './keys-secret.ts';
import { bookingDependencies } from './booking-wiring.ts';
import { countingMailSender, noBusinessMetrics, type BusinessMetrics } from './business-metrics.ts';
import { loadOnFirstUse } from './load-on-first-use.ts';

/**
 * Everything the booking and web functions need on AWS, built once per cold start from the
 * environment and Secrets Manager. Google's clients and the mail composer with SES are loaded
 * when first used: many invocations need neither (a page that only reads the table, a booking
 * waiting for a calendar), and loading them is most of a cold start.
 */
export interface BookingRuntime {
  readonly booking: BookingDependencies;
  readonly connection: DynamoConnection;
  readonly oauth: CalendarConsent;
  readonly sealer: SecretSealer;
  /** The link-signing key new links are signed with (the keys secret's current link key). */
  readonly signingKey: Buffer;
  /** Keys links verify with: the signing key first, then (after the first rotation) the previous one. */
  readonly verificationKeys: readonly Buffer[];
  /** Reads the link keys again (after a rotation, a warm function's keys are out of date). */
  readonly readLinkKeys: () => Promise<LinkKeys>;
  /** Signed links for booking and follow-through emails. */
  readonly links: BookingLinkBuilder;
}

export type { LinkKeys };

/** `metrics` counts every email the runtime's sender sends (and every one SES refuses). */
export async function bookingRuntimeFromEnvironment(
  env: NodeJS.ProcessEnv,
  options: { webBaseUrl?: string; metrics?: BusinessMetrics } = {},
): Promise<BookingRuntime> {
  const environment = readBookingEnvironment(env);
  const webBaseUrl = options.webBaseUrl ?? environment.WEB_BASE_URL;
  if (!webBaseUrl) throw new Error('WEB_BASE_URL is not set and no request told the web address');
  const secrets = new SecretsManagerClient({});
  const document = await readKeysDocument(secrets, environment.KEYS_SECRET_ARN);
  const { signingKey, verificationKeys } = linkKeysOf(document);
  const oauthClient = requireOAuthClient(document);
  const serviceAccount = environment.GOOGLE_SERVICE_ACCOUNT === 'true' ? requireServiceAccount(document) : null;
  const connection = { client: createDocumentClient(), tableName: environment.TABLE_NAME };
  const tokenKey = tokenSealingKey(document);
  const sealer = new EnvelopeSealer(
    new AesKeyWrapper(tokenKey.id, tokenKey.key),
    environment.LEGACY_TOKEN_KEY_ARN ? [await legacyKmsWrapper(environment.LEGACY_TOKEN_KEY_ARN)] : [],
  );
  const google = loadOnFirstUse(async () => {
    const [{ GoogleOAuth }, { GoogleCalendarAccess }] = await Promise.all([import('../adapters/google/google-oauth.ts'), import('../adapters/google/google-calendar-access.ts')]);
    const googleOAuth = new GoogleOAuth({
      clientId: oauthClient.client_id,
      clientSecret: oauthClient.client_secret,
      redirectUri: oauthRedirectUri(webBaseUrl),
      endpoints: REAL_GOOGLE,
    });
    return { oauth: googleOAuth, calendars: new GoogleCalendarAccess({ oauth: googleOAuth, serviceAccount, sealer, endpoints: REAL_GOOGLE }) };
  });
  const oauth: CalendarConsent = {
    consentUrl: async (state, loginHint) => (await google()).oauth.consentUrl(state, loginHint),
    exchangeCode: async (code) => (await google()).oauth.exchangeCode(code),
  };
  const calendars: CalendarAccess = { forPartner: async (partner) => (await google()).calendars.forPartner(partner) };
  const ses = loadOnFirstUse(async () => {
    const [{ SESv2Client }, { SesMailSender }] = await Promise.all([import('@aws-sdk/client-sesv2'), import('../adapters/ses/ses-mail-sender.ts')]);
    return new SesMailSender(new SESv2Client({}), { address: environment.SENDER_ADDRESS, name: environment.SENDER_NAME });
  });
  const sesSender: MailSender = { send: async (email) => (await ses()).send(email) };
  const clock = { now: () => new Date() };
  const links = new BookingLinkBuilder(webBaseUrl, signingKey, clock.now);
  const booking = bookingDependencies({
    connection,
    calendars,
    sender: countingMailSender(sesSender, options.metrics ?? noBusinessMetrics),
    links,
    clock,
  });
  const readLinkKeys = async () => linkKeysOf(await readKeysDocument(secrets, environment.KEYS_SECRET_ARN));
  return { booking, connection, oauth, sealer, signingKey, verificationKeys, readLinkKeys, links };
}

/** Opens tokens sealed before the keys secret held their key; loaded only by a deployment that still has such tokens. */
async function legacyKmsWrapper(keyArn: string): Promise<KeyWrapper> {
  const [{ KMSClient }, { KmsKeyWrapper }] = await Promise.all([import('@aws-sdk/client-kms'), import('../adapters/crypto/kms-key-wrapper.ts')]);
  return new KmsKeyWrapper(new KMSClient({}), keyArn);
}

const SET_GOOGLE = 'npx refer google set (docs/deploy.md, step 5)';

function requireOAuthClient(document: KeysDocument): NonNullable<KeysDocument['googleOAuthClient']> {
  if (!document.googleOAuthClient) throw new KeysSecretError(`the keys secret has no Google OAuth client yet: ${SET_GOOGLE}`);
  return document.googleOAuthClient;
}

function requireServiceAccount(document: KeysDocument): { clientEmail: string; privateKey: string } {
  if (!document.googleServiceAccount) throw new KeysSecretError(`the stack uses a Google service account but the keys secret has none yet: ${SET_GOOGLE}`);
  return { clientEmail: document.googleServiceAccount.client_email, privateKey: document.googleServiceAccount.private_key };
}

/** The OAuth callback URL under the web function's base URL (register it with the Google OAuth client). */
export function oauthRedirectUri(webBaseUrl: string): string {
  return new URL(WEB_PATHS.oauthCallback.slice(1), webBaseUrl.endsWith('/') ? webBaseUrl : `${webBaseUrl}/`).toString();
}
