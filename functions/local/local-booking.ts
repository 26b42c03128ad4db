import type { BookingDependencies } from '../domain/booking/book-introduction.ts';
import { checkUpcomingMeetings, type MeetingCheckSummary } from '../domain/booking/check-meetings.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';
import type { SecretSealer } from '../domain/security/secret-sealer.ts';
import type { DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import type { LocalKeys } from './local-keys.ts';
import { startLoopbackGoogle, type LoopbackGoogle } from './loopback-google/index.ts';
import { localRuntime, type LocalRuntime } from './local-runtime.ts';
import { tokenContext } from '../adapters/google/google-calendar-access.ts';
import type { GoogleOAuth } from '../adapters/google/google-oauth.ts';

/**
 * Local mode's booking: the same use case and Google adapters as on AWS, against the loopback
 * Google server (every partner connected to it automatically) or, when an OAuth client is
 * configured, real Google. Bookings are started by the table stream, as on AWS (see local-mode).
 */
export interface LocalBooking {
  readonly dependencies: BookingDependencies;
  readonly runtime: LocalRuntime;
  /** With the loopback server: connects a partner who never connected to it. */
  connectToLoopback(email: string): Promise<void>;
  readonly oauth: GoogleOAuth;
  readonly sealer: SecretSealer;
  /** The loopback server, or null with real Google. */
  readonly loopback: LoopbackGoogle | null;
  checkMeetings(): Promise<MeetingCheckSummary>;
  stop(): Promise<void>;
}

export interface LocalBookingOptions {
  readonly connection: DynamoConnection;
  readonly keys: LocalKeys;
  readonly sender: MailSender;
  readonly webBaseUrl: string;
  readonly captureAddress: string;
  readonly googleClient: { readonly clientId: string; readonly clientSecret: string } | null;
  readonly googlePort?: number;
  readonly googleStatePath: string;
  /** How often booked meetings are checked against the calendar. @default 10 minutes */
  readonly meetingCheckIntervalMs?: number;
  readonly log?: (line: string) => void;
}


export async function startLocalBooking(options: LocalBookingOptions): Promise<LocalBooking> {
  const log = options.log ?? (() => undefined);
  const loopback = options.googleClient ? null : await startLoopbackGoogle({ persistPath: options.googleStatePath, ...(options.googlePort ? { port: options.googlePort } : {}) });
  const runtime = localRuntime({
    connection: options.connection,
    keys: options.keys,
    sender: options.sender,
    webBaseUrl: options.webBaseUrl,
    captureAddress: options.captureAddress,
    loopbackUrl: loopback?.url ?? null,
    googleClient: options.googleClient,
  });
  const { booking: dependencies, oauth, sealer } = runtime;
  const client = runtime.googleClient;
  const clock = dependencies.clock;
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
    runtime,
    connectToLoopback,
    oauth,
    sealer,
    loopback,
    checkMeetings: () => checkUpcomingMeetings(dependencies),
    async stop() {
      clearInterval(timer);
      await loopback?.stop();
    },
  };
}
