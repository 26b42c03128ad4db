import { bookIntroduction, resumeBookings, type BookingDependencies, type BookingResult } from '../domain/booking/book-introduction.ts';
import { checkUpcomingMeetings, type MeetingCheckSummary } from '../domain/booking/check-meetings.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';
import type { SecretSealer } from '../domain/security/secret-sealer.ts';
import { EnvelopeSealer, LocalKeyWrapper } from '../adapters/crypto/envelope-sealer.ts';
import type { DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import { GoogleCalendarAccess, tokenContext } from '../adapters/google/google-calendar-access.ts';
import { REAL_GOOGLE, type GoogleEndpoints } from '../adapters/google/google-endpoints.ts';
import { GoogleOAuth } from '../adapters/google/google-oauth.ts';
import { BookingLinkBuilder } from '../adapters/links/booking-link-builder.ts';
import { oauthRedirectUri } from '../shared/booking-runtime.ts';
import { bookingDependencies } from '../shared/booking-wiring.ts';
import type { LocalKeys } from './local-keys.ts';
import { LOCAL_OAUTH_CLIENT, startLoopbackGoogle, type LoopbackGoogle } from './loopback-google/index.ts';

/**
 * Local mode's booking: the same use case and Google adapters as on AWS, against the loopback
 * Google server (every partner connected to it automatically) or, when an OAuth client is
 * configured, real Google. Bookings run in process, after capture, with a few retries.
 */
export interface LocalBooking {
  readonly dependencies: BookingDependencies;
  readonly oauth: GoogleOAuth;
  readonly sealer: SecretSealer;
  /** The loopback server, or null with real Google. */
  readonly loopback: LoopbackGoogle | null;
  /** Books an introduction in the background (after capture). */
  enqueue(introductionId: string): void;
  /** Books what was waiting for this partner's calendar (after they connect). */
  resume(partnerEmail: string): void;
  checkMeetings(): Promise<MeetingCheckSummary>;
  /** Resolves when no booking is running or queued. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalBookingOptions {
  readonly connection: DynamoConnection;
  readonly keys: LocalKeys;
  readonly sender: MailSender;
  readonly webBaseUrl: string;
  readonly googleClient: { readonly clientId: string; readonly clientSecret: string } | null;
  readonly googlePort?: number;
  readonly googleStatePath: string;
  /** How often booked meetings are checked against the calendar. @default 10 minutes */
  readonly meetingCheckIntervalMs?: number;
  readonly log?: (line: string) => void;
}

/** A booking that failed (Google unreachable...) is tried again after these delays. */
const RETRY_DELAYS_MS = [2_000, 10_000];

export async function startLocalBooking(options: LocalBookingOptions): Promise<LocalBooking> {
  const log = options.log ?? (() => undefined);
  const loopback = options.googleClient ? null : await startLoopbackGoogle({ persistPath: options.googleStatePath, ...(options.googlePort ? { port: options.googlePort } : {}) });
  const endpoints: GoogleEndpoints = loopback
    ? {
        apiRootUrl: loopback.endpoints.rootUrl,
        oauth2AuthBaseUrl: loopback.endpoints.oauth2AuthBaseUrl,
        oauth2TokenUrl: loopback.endpoints.oauth2TokenUrl,
        oauth2RevokeUrl: loopback.endpoints.oauth2RevokeUrl,
        tokenInfoUrl: loopback.endpoints.tokenInfoUrl,
      }
    : REAL_GOOGLE;
  const client = options.googleClient ?? { clientId: LOCAL_OAUTH_CLIENT.clientId, clientSecret: LOCAL_OAUTH_CLIENT.clientSecret };
  const oauth = new GoogleOAuth({ ...client, redirectUri: oauthRedirectUri(options.webBaseUrl), endpoints });
  const sealer = new EnvelopeSealer(new LocalKeyWrapper(options.keys.tokenWrapping));
  const clock = { now: () => new Date() };
  const dependencies = bookingDependencies({
    connection: options.connection,
    calendars: new GoogleCalendarAccess({ oauth, serviceAccount: null, sealer, endpoints }),
    sender: options.sender,
    links: new BookingLinkBuilder(options.webBaseUrl, options.keys.linkSigning, clock.now),
    clock,
  });
  const partners = new DynamoPartnerStore(options.connection);

  /** With the loopback server, a partner who never connected is connected to it: the loop works out of the box. */
  const connectToLoopback = async (email: string): Promise<void> => {
    if (!loopback) return;
    const partner = await partners.getPartner(email);
    if (!partner || partner.calendar) return;
    const grant = loopback.control.authorize({ email, clientId: client.clientId });
    if (!grant.refresh_token) return;
    await partners.connectCalendar(email, {
      status: 'connected',
      method: 'loopback',
      refreshToken: await sealer.seal(grant.refresh_token, tokenContext(email)),
      connectedAt: clock.now().toISOString(),
      disconnectedAt: null,
      disconnectReason: null,
    });
    log('connected a partner to the loopback Google Calendar');
  };

  let running = Promise.resolve();
  let pending = 0;
  const schedule = (label: string, job: () => Promise<BookingResult | BookingResult[]>): void => {
    pending += 1;
    running = running
      .then(async () => {
        for (let attempt = 0; ; attempt += 1) {
          try {
            const result = await job();
            const outcomes = (Array.isArray(result) ? result : [result]).map((item) => item.outcome);
            log(`${label}: ${outcomes.join(', ') || 'nothing waiting'}`);
            return;
          } catch (error) {
            const delay = RETRY_DELAYS_MS[attempt];
            if (delay === undefined) {
              log(`${label}: failed (${error instanceof Error ? error.name : 'error'}); it stays awaiting_booking`);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, delay));
          }
        }
      })
      .finally(() => {
        pending -= 1;
      });
  };

  const enqueue = (introductionId: string) =>
    schedule(`booking ${introductionId}`, async () => {
      const introduction = await dependencies.store.getIntroduction(introductionId);
      for (const party of introduction?.parties ?? []) await connectToLoopback(party.email);
      return bookIntroduction(introductionId, dependencies);
    });

  const timer = setInterval(() => {
    checkUpcomingMeetings(dependencies).then(
      (summary) => {
        if (summary.declined + summary.moved + summary.cancelled > 0) log(`meetings checked: ${JSON.stringify(summary)}`);
      },
      () => log('meeting check failed; it runs again shortly'),
    );
  }, options.meetingCheckIntervalMs ?? 10 * 60_000);
  timer.unref();

  return {
    dependencies,
    oauth,
    sealer,
    loopback,
    enqueue,
    resume: (partnerEmail) => schedule('resuming bookings after a calendar connection', () => resumeBookings(partnerEmail, dependencies)),
    checkMeetings: () => checkUpcomingMeetings(dependencies),
    async idle() {
      while (pending > 0) await running;
    },
    async stop() {
      clearInterval(timer);
      await running;
      await loopback?.stop();
    },
  };
}
