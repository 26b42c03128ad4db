import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { BookingDependencies } from '../domain/booking/book-introduction.ts';
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

/** Everything the booking and web functions need on AWS, built once per cold start from the environment and Secrets Manager. */
export interface BookingRuntime {
  readonly booking: BookingDependencies;
  readonly connection: DynamoConnection;
  readonly oauth: GoogleOAuth;
  readonly sealer: SecretSealer;
  readonly signingKey: Buffer;
  /** Signed links for booking and follow-through emails. */
  readonly links: BookingLinkBuilder;
}

export async function bookingRuntimeFromEnvironment(env: NodeJS.ProcessEnv, options: { webBaseUrl?: string } = {}): Promise<BookingRuntime> {
  const environment = readBookingEnvironment(env);
  const webBaseUrl = options.webBaseUrl ?? environment.WEB_BASE_URL;
  if (!webBaseUrl) throw new Error('WEB_BASE_URL is not set and no request told the web address');
  const secrets = new SecretsManagerClient({});
  const [signingSecret, oauthClient, serviceAccount] = await Promise.all([
    secretString(secrets, environment.LINK_SIGNING_SECRET_ARN),
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
  const signingKey = Buffer.from(signingSecret, 'utf8');
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
    sender: new SesMailSender(new SESv2Client({}), { address: environment.SENDER_ADDRESS, name: environment.SENDER_NAME }),
    links,
    clock,
  });
  return { booking, connection, oauth, sealer, signingKey, links };
}

/** The OAuth callback URL under the web function's base URL (register it with the Google OAuth client). */
export function oauthRedirectUri(webBaseUrl: string): string {
  return new URL(WEB_PATHS.oauthCallback.slice(1), webBaseUrl.endsWith('/') ? webBaseUrl : `${webBaseUrl}/`).toString();
}
