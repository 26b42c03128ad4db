import { DynamoPairStore } from '../../functions/adapters/dynamodb/pair-store.ts';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { expect, inject, vi } from 'vitest';
import { EnvelopeSealer, LocalKeyWrapper } from '../../functions/adapters/crypto/envelope-sealer.ts';
import { DynamoBookingStore } from '../../functions/adapters/dynamodb/booking-store.ts';
import { DynamoCaptureStore } from '../../functions/adapters/dynamodb/capture-store.ts';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { DynamoOutbox, type OutboxEntry } from '../../functions/adapters/dynamodb/outbox-store.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { GoogleCalendarAccess, tokenContext } from '../../functions/adapters/google/google-calendar-access.ts';
import { GOOGLE_REQUEST_TIMEOUT_MS, type RetryPolicy } from '../../functions/adapters/google/google-calendar.ts';
import type { GoogleEndpoints } from '../../functions/adapters/google/google-endpoints.ts';
import { GoogleOAuth } from '../../functions/adapters/google/google-oauth.ts';
import { BookingLinkBuilder } from '../../functions/adapters/links/booking-link-builder.ts';
import { mimeMessageReader } from '../../functions/adapters/mail/parse-mail.ts';
import type { BookingDependencies } from '../../functions/domain/booking/book-introduction.ts';
import { parseBookingPreferences } from '../../functions/domain/booking/booking-preferences.ts';
import { captureDelivery, type CapturePolicy, type CaptureResult } from '../../functions/domain/capture/capture-delivery.ts';
import type { Contact, Introduction, IntroductionEvent } from '../../functions/domain/introductions/introduction.ts';
import { verifyToken, type TokenAction, type TokenClaims } from '../../functions/domain/links/signed-token.ts';
import type { EmailPurpose, MailSender, OutboundEmail } from '../../functions/domain/outbound/outbound-email.ts';
import type { CalendarConnection, Partner, StoredBookingPreferences } from '../../functions/domain/partners/partner.ts';
import type { Clock } from '../../functions/domain/shared/clock.ts';
import { deterministicId } from '../../functions/domain/shared/ids.ts';
import { meetingEventId } from '../../functions/domain/booking/google-ids.ts';
import { makeBookingHandler, type BookingHandlerResult } from '../../functions/handlers/booking.ts';
import {
  startLoopbackGoogle,
  type CalendarEvent as LoopbackEvent,
  type FaultSpec,
  type LoopbackGoogle,
  type Notification,
  type OAuthClientConfig,
  type RequestRecord,
} from '../../functions/local/loopback-google/index.ts';
import { oauthRedirectUri } from '../../functions/shared/booking-runtime.ts';
import { bookingDependencies } from '../../functions/shared/booking-wiring.ts';
import type { LogSink } from '../../functions/shared/logger.ts';
import { CORPUS_DIR } from './corpus.ts';
import { createTestTable } from './dynamo.ts';

/**
 * The booking capability as production wires it (`bookingDependencies` over a fresh DynamoDB Local
 * table, `GoogleCalendarAccess` with the real `@googleapis/calendar` and google-auth-library
 * clients), pointed at an in-process loopback Google. Only these differ from AWS:
 * - Google's URLs (the loopback server's, through `GoogleEndpoints`);
 * - the token key (`LocalKeyWrapper` over a random key instead of KMS);
 * - the clock (`BookingClock`: starts at `START`, moved by the test, 1 ms per reading);
 * - the retry policy's `sleep` (records the backoff instead of waiting) and `random` (fixed);
 * - the mail sender (records every `OutboundEmail`; can be told to fail).
 *
 * A harness costs a table and a server (seconds on a busy machine): share one per test file with
 * `beforeAll`, call `resetBetweenTests()` in `beforeEach`, and give each test its own partners.
 *
 * ```ts
 * const h = await createBookingHarness();            // in beforeAll
 * afterAll(() => h.stop());
 * const ana = await h.registerPartner({ email: 'ana@partner.test', name: 'Ana Ruiz', timeZone: 'America/Chicago' });
 * const intro = await h.createIntroduction({ introducer: 'sam@example.com', parties: [ana.email, 'bob@prospect.test'] });
 * await bookIntroduction(intro.id, h.dependencies);
 * expect((await h.introduction(intro.id)).status).toBe('meeting_booked');
 * expect(h.calendarEvents(ana.email)).toHaveLength(1);
 * ```
 */

/** Where the clock starts: Tuesday 24 November 2026, 09:00 UTC (03:00 in Chicago, 09:00 in London). */
export const START = new Date('2026-11-24T09:00:00.000Z');
/** The web function's base URL that one-click links point to. */
export const WEB_BASE_URL = 'https://refer.test/';
/** The OAuth client of the system, as registered with (loopback) Google: its one redirect URI is the web function's callback. */
export const BOOKING_OAUTH_CLIENT: OAuthClientConfig = {
  clientId: 'booking-test.apps.googleusercontent.com',
  clientSecret: 'booking-test-secret',
  redirectUris: [oauthRedirectUri(WEB_BASE_URL)],
  name: 'Referral follow-through (booking tests)',
};
/** The capture address and policy used by `captureCorpusIntroduction`. */
export const CAPTURE_POLICY: CapturePolicy = {
  captureAddress: 'intro@in.example.com',
  systemAddresses: ['desk@in.example.com'],
  rejectOnSpamFail: true,
  rejectOnDmarcFail: true,
};

/**
 * A fixed clock the test moves. Every reading moves it on by `tickMs` (default 1 ms), as real time
 * passes while code runs: history events written one after the other get distinct, ordered times.
 * Readings never move it by more than a few milliseconds, so slots and expiries are unaffected.
 */
export class BookingClock implements Clock {
  private current: number;
  constructor(
    start: Date = START,
    private readonly tickMs = 1,
  ) {
    this.current = start.getTime();
  }
  now(): Date {
    const reading = new Date(this.current);
    this.current += this.tickMs;
    return reading;
  }
  /** The current time, without moving the clock. */
  peek(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(date: Date): void {
    this.current = date.getTime();
  }
}

/** A MailSender that keeps every email it is given, in order. A failed send keeps nothing. */
export class CapturingMailSender implements MailSender {
  readonly sent: OutboundEmail[] = [];
  private readonly failures: Error[] = [];
  private sequence = 0;

  /** The next send fails with this error (SES throttling, a timeout...), before anything is sent. */
  failNext(error: Error = new Error('SES: Maximum sending rate exceeded')): void {
    this.failures.push(error);
  }

  send(email: OutboundEmail): Promise<{ messageId: string }> {
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    this.sent.push(email);
    this.sequence += 1;
    return Promise.resolve({ messageId: `<booking-${this.sequence}@refer.test>` });
  }

  /** Emails sent, optionally only those matching every given field. */
  emails(filter: { purpose?: EmailPurpose; to?: string; introductionId?: string } = {}): OutboundEmail[] {
    return this.sent.filter(
      (email) =>
        (filter.purpose === undefined || email.purpose === filter.purpose) &&
        (filter.to === undefined || email.to.some((contact) => contact.email === filter.to)) &&
        (filter.introductionId === undefined || email.introductionId === filter.introductionId),
    );
  }
}

export interface LogCall {
  readonly level: 'info' | 'warn' | 'error';
  readonly args: readonly unknown[];
}

export interface PartnerInput {
  readonly email: string;
  readonly name?: string | null;
  /** IANA zone; also the zone of the partner's loopback calendar. */
  readonly timeZone: string;
  /** Booking preferences as stored (validated here the way the CLI does; the zone is the partner's). */
  readonly booking?: StoredBookingPreferences;
  /** `oauth` (default): consent on the loopback's page, code exchange, token sealed, `connectCalendar`. `none`: a partner who never connected. */
  readonly connect?: 'oauth' | 'none';
}

export interface IntroductionInput {
  /** An address, or a contact with a display name. Registered as the introduction's owner. */
  readonly introducer: string | Contact;
  /** The introduced people, in the order the introducer addressed them. */
  readonly parties: readonly (string | Contact)[];
  readonly subject?: string;
  /** What the introducer wrote (the invitation's description carries it). */
  readonly context?: string;
}

/** A DynamoDB stream record as Lambda's event source mapping delivers it (NEW_AND_OLD_IMAGES). */
export interface StreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly Keys: Record<string, AttributeValue>;
    readonly NewImage?: Record<string, AttributeValue>;
    readonly OldImage?: Record<string, AttributeValue>;
    readonly SequenceNumber: string;
    readonly SizeBytes: number;
    readonly StreamViewType: 'NEW_AND_OLD_IMAGES';
  };
}

/** What the harness counted, for the summary line of the run. */
export interface BookingFigures {
  /** Loopback faults queued through `injectFault` (a fault for `times` requests counts `times`). */
  googleFaults: number;
  /** Simulated crashes (`crashOnce`). */
  crashes: number;
  /** Triggers of a booking that had already been triggered (repeats, concurrent calls, redeliveries). */
  duplicateTriggers: number;
  /** Events in the loopback calendars at the end (cancelled ones included). */
  eventsCreated: number;
  /** Invitations the loopback Google "emailed". */
  invitationsSent: number;
}

export interface BookingHarness {
  readonly connection: DynamoConnection;
  readonly clock: BookingClock;
  readonly google: LoopbackGoogle;
  /** Every email the booking sent (connect, proposals, changes...). */
  readonly mail: CapturingMailSender;
  /** Emails the capture use case sent (confirmations), kept apart from the booking's. */
  readonly captureMail: CapturingMailSender;
  /** The retry policy given to `GoogleCalendarAccess`; its `sleep` records into `retryDelays`. */
  readonly retry: RetryPolicy;
  /** Every backoff the Google adapter asked to sleep, in order (milliseconds). */
  readonly retryDelays: number[];
  readonly endpoints: GoogleEndpoints;
  readonly oauth: GoogleOAuth;
  readonly sealer: EnvelopeSealer;
  readonly calendars: GoogleCalendarAccess;
  readonly linkKey: Buffer;
  readonly links: BookingLinkBuilder;
  readonly partners: DynamoPartnerStore;
  readonly store: DynamoBookingStore;
  readonly outbox: DynamoOutbox;
  /** The booking's dependencies, from production's `bookingDependencies`. Spread and override to inject faults. */
  readonly dependencies: BookingDependencies;
  readonly logs: LogCall[];
  readonly figures: BookingFigures;

  /**
   * One harness can serve a whole test file (a table and a loopback server cost seconds): give each
   * test its own partners and introductions, and call this between tests. It sets the clock back to
   * its start, clears queued loopback faults, the recorded retry delays, the captured emails and the
   * logs, and removes the retry hook. Calendars, grants and the table's data stay.
   */
  resetBetweenTests(): void;
  /** Runs `hook` inside every backoff sleep of the Google adapter (before the next attempt), until reset. */
  beforeEachRetry(hook: ((delayMs: number) => Promise<void>) | null): void;

  /** Registers a partner (profile, preferences) and, unless `connect: 'none'`, connects their calendar through OAuth. */
  registerPartner(input: PartnerInput): Promise<Partner>;
  /**
   * A new OAuth grant for the partner (consent page → code → `GoogleOAuth.exchangeCode`), the
   * refresh token sealed under `tokenContext(email)`, stored with `connectCalendar` (one generation on).
   */
  connectCalendar(email: string): Promise<CalendarConnection>;
  partner(email: string): Promise<Partner>;
  /** An introduction as capture writes it (`DynamoCaptureStore.saveCapture`): status `introduced`, a `captured` event. */
  createIntroduction(input: IntroductionInput): Promise<Introduction>;
  /** A corpus message (path under test/corpus/eml) through the real capture use case, BCC'd to the capture address. */
  captureCorpusIntroduction(path: string): Promise<CaptureResult>;
  introduction(id: string): Promise<Introduction>;
  /** The introduction's history, oldest first. */
  history(id: string): Promise<IntroductionEvent[]>;
  outboxEntries(): Promise<OutboxEntry[]>;
  /** Events in the partner's loopback calendar (cancelled ones with `showDeleted`). */
  calendarEvents(email: string, options?: { showDeleted?: boolean }): LoopbackEvent[];
  /** Invitations the loopback Google sent for events of this calendar. */
  invitations(calendarId: string, filter?: { eventId?: string; to?: string }): Notification[];
  /** Requests the loopback Google served since the last `resetBetweenTests` (or the start), oldest first. */
  requests(filter?: { operation?: string; calendarOnly?: boolean }): RequestRecord[];
  /** Queues a loopback fault (counted in the figures). */
  injectFault(spec: FaultSpec): void;
  /**
   * `target` with `method` failing once: `before` throws instead of calling it (a crash just
   * before the step), `after` calls it, then throws (a crash right after the step took effect).
   */
  crashOnce<T extends object, K extends keyof T>(target: T, method: K, when?: 'before' | 'after'): T;
  /** Counts triggers of an already-triggered booking for the summary. */
  countDuplicateTriggers(count: number): void;
  /** Checks a link from an email: signed with the harness key, for this action, not expired at the clock's time. */
  verifyLink(url: string, action: TokenAction): TokenClaims;
  /** The production booking handler (`makeBookingHandler`) over these dependencies (or a variant of them). */
  handler(options?: { dependencies?: BookingDependencies }): (event: unknown) => Promise<BookingHandlerResult>;
  /** The stored item under this key, as the stream would carry it. */
  item(key: { pk: string; sk: string }): Promise<Record<string, unknown>>;
  /** The INSERT record the table's stream emits for a captured introduction. */
  introductionInserted(id: string): Promise<StreamRecord>;
  /** A MODIFY record of a partner's profile, from items read before and after the change. */
  partnerModified(before: Record<string, unknown>, after: Record<string, unknown>): StreamRecord;
  /** Logs carry ids, outcomes and counts only: fails on any email address in a log line. */
  expectLogsFreeOfPersonalData(): void;
  /** Stops the loopback Google and records the figures. */
  stop(): Promise<void>;
}

export async function createBookingHarness(options: { start?: Date } = {}): Promise<BookingHarness> {
  const connection = await createTestTable();
  const runTag = randomBytes(6).toString('hex');
  const clock = new BookingClock(options.start ?? START);
  const google = await startLoopbackGoogle({ clients: [BOOKING_OAUTH_CLIENT] });
  const endpoints: GoogleEndpoints = {
    apiRootUrl: google.endpoints.rootUrl,
    oauth2AuthBaseUrl: google.endpoints.oauth2AuthBaseUrl,
    oauth2TokenUrl: google.endpoints.oauth2TokenUrl,
    oauth2RevokeUrl: google.endpoints.oauth2RevokeUrl,
    tokenInfoUrl: google.endpoints.tokenInfoUrl,
  };
  const retryDelays: number[] = [];
  let retryHook: ((delayMs: number) => Promise<void>) | null = null;
  const retry: RetryPolicy = {
    attempts: 4,
    baseDelayMs: 250,
    maxDelayMs: 4_000,
    sleep: async (ms) => {
      retryDelays.push(ms);
      await retryHook?.(ms);
    },
    // Full jitter at its midpoint: the delays are half of 250, 500, 1000... and predictable.
    random: () => 0.5,
  };
  const oauth = new GoogleOAuth({
    clientId: BOOKING_OAUTH_CLIENT.clientId,
    clientSecret: BOOKING_OAUTH_CLIENT.clientSecret,
    redirectUri: oauthRedirectUri(WEB_BASE_URL),
    endpoints,
  });
  const sealer = new EnvelopeSealer(new LocalKeyWrapper(randomBytes(32)));
  const calendars = new GoogleCalendarAccess({ oauth, serviceAccount: null, sealer, endpoints, retry });
  const linkKey = randomBytes(32);
  const links = new BookingLinkBuilder(WEB_BASE_URL, linkKey, () => clock.peek());
  const mail = new CapturingMailSender();
  const captureMail = new CapturingMailSender();
  const dependencies = bookingDependencies({ connection, calendars, sender: mail, links, clock });
  const partners = new DynamoPartnerStore(connection);
  const store = new DynamoBookingStore(connection);
  const outbox = new DynamoOutbox(connection);
  const captureStore = new DynamoCaptureStore(connection);
  const logs: LogCall[] = [];
  const logger: LogSink = {
    info: (...args: unknown[]) => void logs.push({ level: 'info', args }),
    warn: (...args: unknown[]) => void logs.push({ level: 'warn', args }),
    error: (...args: unknown[]) => void logs.push({ level: 'error', args }),
  };
  const figures: BookingFigures = { googleFaults: 0, crashes: 0, duplicateTriggers: 0, eventsCreated: 0, invitationsSent: 0 };
  let introductions = 0;
  let sequenceNumber = 0;
  let stopped = false;
  let requestOffset = 0;

  const contact = (value: string | Contact): Contact => (typeof value === 'string' ? { email: value.toLowerCase(), name: null } : { ...value, email: value.email.toLowerCase() });

  const item = async (key: { pk: string; sk: string }): Promise<Record<string, unknown>> => {
    const { Item } = await connection.client.send(new GetCommand({ TableName: connection.tableName, Key: key, ConsistentRead: true }));
    if (!Item) throw new Error(`no item ${key.pk} / ${key.sk}`);
    return Item;
  };

  const streamRecord = (eventName: StreamRecord['eventName'], newImage: Record<string, unknown> | null, oldImage: Record<string, unknown> | null): StreamRecord => {
    sequenceNumber += 1;
    const image = newImage ?? oldImage ?? {};
    const toImage = (value: Record<string, unknown>) => marshall(value, { removeUndefinedValues: true });
    return {
      eventID: createHash('sha256').update(`${runTag}:${sequenceNumber}`).digest('hex').slice(0, 32),
      eventName,
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: toImage({ pk: image.pk, sk: image.sk }),
        ...(newImage ? { NewImage: toImage(newImage) } : {}),
        ...(oldImage ? { OldImage: toImage(oldImage) } : {}),
        SequenceNumber: String(100_000_000_000_000_000_000n + BigInt(sequenceNumber)),
        SizeBytes: JSON.stringify(image).length,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
  };

  const connectCalendar = async (email: string): Promise<CalendarConnection> => {
    const address = email.toLowerCase();
    // The partner clicks the connect link: Google's consent page, as a browser would walk it.
    const consentUrl = oauth.consentUrl(`test-state-${runTag}`, address);
    const page = await (await fetch(consentUrl)).text();
    const consentId = /name="consent" value="([^"]+)"/.exec(page)?.[1];
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (!consentId || !action) throw new Error(`not a consent page:\n${page}`);
    const decision = await fetch(new URL(action, consentUrl), {
      method: 'POST',
      body: new URLSearchParams({ consent: consentId, login: address, decision: 'allow' }),
      redirect: 'manual',
    });
    const location = new URL(decision.headers.get('location') ?? '');
    const code = location.searchParams.get('code');
    if (!code) throw new Error(`consent gave no code: ${location.toString()}`);
    const { refreshToken } = await oauth.exchangeCode(code);
    const sealed = await sealer.seal(refreshToken, tokenContext(address));
    const connected = await partners.connectCalendar(address, {
      status: 'connected',
      method: 'oauth',
      refreshToken: sealed,
      connectedAt: clock.now().toISOString(),
      disconnectedAt: null,
      disconnectReason: null,
    });
    if (!connected) throw new Error(`${address} is not a registered partner`);
    return connected;
  };

  const partner = async (email: string): Promise<Partner> => {
    const found = await partners.getPartner(email);
    if (!found) throw new Error(`no partner ${email}`);
    return found;
  };

  const queryItems = async (pk: string, skPrefix: string) => {
    const { Items } = await connection.client.send(
      new QueryCommand({
        TableName: connection.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
        ConsistentRead: true,
      }),
    );
    return Items ?? [];
  };

  const harness: BookingHarness = {
    connection,
    clock,
    google,
    mail,
    captureMail,
    retry,
    retryDelays,
    endpoints,
    oauth,
    sealer,
    calendars,
    linkKey,
    links,
    partners,
    store,
    outbox,
    dependencies,
    logs,
    figures,

    resetBetweenTests() {
      clock.set(options.start ?? START);
      google.control.clearFaults();
      retryDelays.length = 0;
      retryHook = null;
      mail.sent.length = 0;
      captureMail.sent.length = 0;
      logs.length = 0;
      requestOffset = google.control.requests().length;
    },
    beforeEachRetry(hook) {
      retryHook = hook;
    },

    async registerPartner(input) {
      const email = input.email.toLowerCase();
      await partners.savePartner({ email, name: input.name ?? null, timeZone: input.timeZone, createdAt: clock.now().toISOString() });
      if (input.booking) {
        parseBookingPreferences({ ...input.booking, timeZone: input.timeZone });
        await partners.setBookingPreferences(email, input.booking);
      }
      google.control.addUser({ email, timeZone: input.timeZone, ...(input.name ? { summary: input.name } : {}) });
      if ((input.connect ?? 'oauth') === 'oauth') await connectCalendar(email);
      return partner(email);
    },
    connectCalendar,
    partner,

    async createIntroduction(input) {
      introductions += 1;
      const introducer = contact(input.introducer);
      const label = `${runTag}-${introductions}`;
      const deliveryId = `delivery-${label}`;
      const createdAt = clock.now().toISOString();
      const introduction: Introduction = {
        id: deterministicId('test-introduction', label),
        introducer,
        parties: input.parties.map(contact),
        forwardedBy: null,
        owner: introducer.email,
        subject: input.subject ?? 'Introduction',
        context: input.context ?? '',
        messageId: `<intro-${label}@mail.test>`,
        repliesTo: null,
        status: 'introduced',
        createdAt,
        deliveryId,
        rawLocation: `s3://refer-raw-mail-test/inbound/${deliveryId}`,
      };
      const result = await captureStore.saveCapture({
        introduction,
        threadSubjectKey: null,
        event: { introductionId: introduction.id, at: createdAt, type: 'captured', by: introducer.email, how: 'email', detail: `captured from "${introduction.subject}"`, sourceId: deliveryId },
        inbound: {
          deliveryId,
          receivedAt: createdAt,
          outcome: 'captured',
          kind: 'intro',
          reasons: ['written by the booking harness'],
          introductionId: introduction.id,
          messageId: introduction.messageId,
          sender: introducer.email,
          subject: introduction.subject,
          rawLocation: introduction.rawLocation,
          verdicts: null,
        },
      });
      if (result !== 'saved') throw new Error(`saveCapture: ${result}`);
      return introduction;
    },

    async captureCorpusIntroduction(path) {
      introductions += 1;
      const raw = readFileSync(join(CORPUS_DIR, 'eml', path));
      const deliveryId = `corpus-${runTag}-${introductions}`;
      return captureDelivery(
        { deliveryId, receivedAt: clock.now(), envelopeRecipients: [CAPTURE_POLICY.captureAddress], verdicts: null, rawLocation: `memory://${deliveryId}` },
        {
          store: captureStore,
          pairNotes: new DynamoPairStore(connection),
          partners,
          rawMail: { read: () => Promise.resolve(raw) },
          reader: mimeMessageReader,
          clock,
          policy: CAPTURE_POLICY,
        },
      );
    },

    async introduction(id) {
      const found = await store.getIntroduction(id);
      if (!found) throw new Error(`no introduction ${id}`);
      return found;
    },

    async history(id) {
      const events = (await queryItems(keys.introduction(id).pk, 'EVENT#')) as unknown as IntroductionEvent[];
      return events.map((event, index) => ({ event, index })).sort((a, b) => a.event.at.localeCompare(b.event.at) || a.index - b.index).map(({ event }) => event);
    },

    outboxEntries: () => outbox.list(),
    calendarEvents: (email, eventOptions) => google.control.events(email.toLowerCase(), eventOptions),
    invitations: (calendarId, filter = {}) => google.control.invitations({ calendarId: calendarId.toLowerCase(), ...filter }),

    requests(filter = {}) {
      return google.control
        .requests()
        .slice(requestOffset)
        .filter((request) => (filter.operation === undefined || request.operation === filter.operation) && (!filter.calendarOnly || request.operation.startsWith('calendar.')));
    },

    injectFault(spec) {
      figures.googleFaults += spec.times ?? 1;
      google.control.injectFault(spec);
    },

    crashOnce<T extends object, K extends keyof T>(target: T, method: K, when: 'before' | 'after' = 'before'): T {
      let crashed = false;
      const real = target[method];
      if (typeof real !== 'function') throw new Error(`${String(method)} is not a method`);
      figures.crashes += 1;
      return new Proxy(target, {
        get(object, property, receiver) {
          if (property !== method) {
            const value: unknown = Reflect.get(object, property, receiver);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
          }
          return async (...args: unknown[]) => {
            if (crashed) return (real as (...args: unknown[]) => unknown).apply(object, args);
            crashed = true;
            if (when === 'after') await (real as (...args: unknown[]) => unknown).apply(object, args);
            throw new SimulatedCrash(`simulated crash ${when} ${String(method)}`);
          };
        },
      });
    },

    countDuplicateTriggers(count) {
      figures.duplicateTriggers += count;
    },

    verifyLink(url, action) {
      const token = new URL(url).searchParams.get('token') ?? '';
      const check = verifyToken(token, linkKey, action, clock.peek());
      if (!check.valid) throw new Error(`link ${url} is not valid for ${action}: ${check.reason}`);
      return check.claims;
    },

    handler(handlerOptions = {}) {
      return makeBookingHandler({ booking: handlerOptions.dependencies ?? dependencies, logger });
    },

    item,
    introductionInserted: async (id) => streamRecord('INSERT', await item(keys.introduction(id)), null),
    partnerModified: (before, after) => streamRecord('MODIFY', after, before),

    expectLogsFreeOfPersonalData() {
      for (const call of logs) {
        const line = JSON.stringify(call.args, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message } : value));
        expect(line, 'a log line contains an email address').not.toMatch(/[^\s"'<>@]+@[^\s"'<>@]+\.[a-z]{2,}/i);
      }
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      const calendarIds = new Set(google.control.notifications().map((notification) => notification.calendarId));
      for (const grant of google.control.grants()) calendarIds.add(grant.email);
      for (const id of calendarIds) figures.eventsCreated += google.control.events(id, { showDeleted: true }).length;
      figures.invitationsSent += google.control.invitations().length;
      recordFigures(figures);
      await google.stop();
      connection.client.destroy();
    },
  };
  return harness;
}

/**
 * The Google adapter gives every request `GOOGLE_REQUEST_TIMEOUT_MS` (10 s) before gaxios aborts it
 * (`AbortSignal.timeout`). To exercise timeouts without waiting that long, this shortens every
 * request timeout of that length to `ms` until `vi.restoreAllMocks()`; nothing else changes.
 */
export function compressGoogleRequestTimeout(ms: number, from: number = GOOGLE_REQUEST_TIMEOUT_MS): void {
  const original = AbortSignal.timeout.bind(AbortSignal);
  vi.spyOn(AbortSignal, 'timeout').mockImplementation((delay: number) => original(delay === from ? ms : delay));
}

/** Resolves once `condition` holds (checked every 10 ms), or rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The introduction is booked exactly once: `meeting_booked` with the deterministic event id of
 * `round`, one event with that id in the owner's loopback calendar, one invitation per attendee,
 * one `meeting_booked` history event per round so far. (Whether other events exist is the test's
 * to check: it knows what else the calendar holds.) Returns the stored meeting.
 */
export async function expectBookedOnce(h: BookingHarness, introductionId: string, calendarOwner: string, round = 0): Promise<NonNullable<Introduction['meeting']>> {
  const introduction = await h.introduction(introductionId);
  const eventId = meetingEventId(introductionId, round);
  expect(introduction.status).toBe('meeting_booked');
  expect(introduction.meeting).toMatchObject({ eventId, calendarOwner });
  const events = h.calendarEvents(calendarOwner, { showDeleted: true }).filter((event) => event.id === eventId);
  expect(events, 'events with the deterministic id').toHaveLength(1);
  const attendees = introduction.meeting?.attendees ?? [];
  expect(h.invitations(calendarOwner, { eventId }).map((invitation) => invitation.to).sort()).toEqual([...attendees].sort());
  // One booking per round: a declined or cancelled meeting's rebooking adds the next one.
  expect((await h.history(introductionId)).filter((event) => event.type === 'meeting_booked')).toHaveLength(round + 1);
  return introduction.meeting as NonNullable<Introduction['meeting']>;
}

/** What `crashOnce` throws: stands for the Lambda dying at that point. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/** An event body a DynamoDB stream delivers to the booking Lambda. */
export function streamEvent(...records: readonly StreamRecord[]): { Records: StreamRecord[] } {
  return { Records: [...records] };
}

// ---- figures across the run ----------------------------------------------------------------
// Test files run in separate workers; each adds its figures to a file named after this run (the
// suite's DynamoDB Local endpoint is unique to it), and `printBookingFigures` reports the total.

const fileFigures: BookingFigures = { googleFaults: 0, crashes: 0, duplicateTriggers: 0, eventsCreated: 0, invitationsSent: 0 };

function recordFigures(figures: BookingFigures): void {
  for (const key of Object.keys(fileFigures) as (keyof BookingFigures)[]) fileFigures[key] += figures[key];
}

function figuresFile(): string {
  const run = createHash('sha256').update(inject('dynamoEndpoint')).digest('hex').slice(0, 16);
  return join(tmpdir(), `booking-figures-${run}.jsonl`);
}

/**
 * Call from `afterAll` of every booking-*.test.ts file: prints this file's figures and, once every
 * booking test file of the run has reported, the total as one line to quote.
 */
export function printBookingFigures(file: string): void {
  const path = figuresFile();
  appendFileSync(path, `${JSON.stringify({ file, ...fileFigures })}\n`);
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as BookingFigures & { file: string });
  const total = lines.reduce<BookingFigures>(
    (sum, line) => ({
      googleFaults: sum.googleFaults + line.googleFaults,
      crashes: sum.crashes + line.crashes,
      duplicateTriggers: sum.duplicateTriggers + line.duplicateTriggers,
      eventsCreated: sum.eventsCreated + line.eventsCreated,
      invitationsSent: sum.invitationsSent + line.invitationsSent,
    }),
    { googleFaults: 0, crashes: 0, duplicateTriggers: 0, eventsCreated: 0, invitationsSent: 0 },
  );
  const describe = (figures: BookingFigures) =>
    `faults injected ${figures.googleFaults + figures.crashes} (${figures.googleFaults} Google faults, ${figures.crashes} crashes), ` +
    `duplicate triggers tried ${figures.duplicateTriggers}, events created ${figures.eventsCreated}, invitations sent ${figures.invitationsSent}`;
  console.log(`booking figures, ${file}: ${describe(fileFigures)}`);
  const expected = bookingTestFiles();
  const reported = new Set(lines.map((line) => line.file));
  if (expected.every((name) => reported.has(name))) {
    console.log(`booking summary (${reported.size} files): ${describe(total)}`);
    if (existsSync(path)) rmSync(path);
  }
}

function bookingTestFiles(): string[] {
  const dir = join(import.meta.dirname, '../integration');
  return readdirSync(dir).filter((name) => /^booking-.*\.test\.ts$/.test(name));
}
