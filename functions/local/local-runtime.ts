import type { BookingDependencies } from '../domain/booking/book-introduction.ts';
import type { FollowThroughDependencies } from '../domain/followup/follow-through.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';
import type { Clock } from '../domain/shared/clock.ts';
import type { SecretSealer } from '../domain/security/secret-sealer.ts';
import { EnvelopeSealer, LocalKeyWrapper } from '../adapters/crypto/envelope-sealer.ts';
import type { DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { GoogleCalendarAccess } from '../adapters/google/google-calendar-access.ts';
import { REAL_GOOGLE, type GoogleEndpoints } from '../adapters/google/google-endpoints.ts';
import { GoogleOAuth } from '../adapters/google/google-oauth.ts';
import { BookingLinkBuilder } from '../adapters/links/booking-link-builder.ts';
import { TableJobScheduler } from '../adapters/scheduler/table-scheduler.ts';
import { oauthRedirectUri } from '../shared/booking-runtime.ts';
import { bookingDependencies } from '../shared/booking-wiring.ts';
import { followThroughDependencies } from '../shared/follow-through-wiring.ts';
import type { LocalKeys } from './local-keys.ts';
import { LOCAL_OAUTH_CLIENT } from './loopback-google/index.ts';

/**
 * Local mode's dependencies, built the same way in the running local mode and in a CLI command
 * (`refer jobs run`), so both act on the same data: the table, the outbox folder, the table
 * scheduler, and Google (the loopback server at `loopbackUrl`, or real Google with a client).
 */
export interface LocalRuntime {
  readonly booking: BookingDependencies;
  readonly followThrough: FollowThroughDependencies;
  readonly oauth: GoogleOAuth;
  readonly sealer: SecretSealer;
  readonly links: BookingLinkBuilder;
  readonly scheduler: TableJobScheduler;
  readonly googleClient: { readonly clientId: string; readonly clientSecret: string };
}

export interface LocalRuntimeOptions {
  readonly connection: DynamoConnection;
  readonly keys: LocalKeys;
  readonly sender: MailSender;
  readonly webBaseUrl: string;
  readonly captureAddress: string;
  /** The loopback Google server's URL; null with real Google (then `googleClient` is required). */
  readonly loopbackUrl: string | null;
  readonly googleClient: { readonly clientId: string; readonly clientSecret: string } | null;
  /** @default the wall clock; `refer jobs run --at` passes a fixed one */
  readonly clock?: Clock;
}

export function loopbackEndpoints(url: string): GoogleEndpoints {
  return {
    apiRootUrl: `${url}/`,
    oauth2AuthBaseUrl: `${url}/o/oauth2/v2/auth`,
    oauth2TokenUrl: `${url}/token`,
    oauth2RevokeUrl: `${url}/revoke`,
    tokenInfoUrl: `${url}/tokeninfo`,
  };
}

export function localRuntime(options: LocalRuntimeOptions): LocalRuntime {
  const endpoints = options.loopbackUrl ? loopbackEndpoints(options.loopbackUrl) : REAL_GOOGLE;
  const googleClient = options.googleClient ?? { clientId: LOCAL_OAUTH_CLIENT.clientId, clientSecret: LOCAL_OAUTH_CLIENT.clientSecret };
  const oauth = new GoogleOAuth({ ...googleClient, redirectUri: oauthRedirectUri(options.webBaseUrl), endpoints });
  const sealer = new EnvelopeSealer(new LocalKeyWrapper(options.keys.tokenWrapping));
  const clock = options.clock ?? { now: () => new Date() };
  const links = new BookingLinkBuilder(options.webBaseUrl, options.keys.linkSigning, () => clock.now());
  const booking = bookingDependencies({
    connection: options.connection,
    calendars: new GoogleCalendarAccess({ oauth, serviceAccount: null, sealer, endpoints }),
    sender: options.sender,
    links,
    clock,
  });
  const scheduler = new TableJobScheduler(options.connection, { clock });
  const followThrough = followThroughDependencies({
    connection: options.connection,
    scheduler,
    sender: options.sender,
    links,
    booking,
    captureAddress: options.captureAddress,
    clock,
  });
  return { booking, followThrough, oauth, sealer, links, scheduler, googleClient };
}
