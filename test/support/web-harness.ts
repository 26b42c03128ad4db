import { randomBytes } from 'node:crypto';
import { DynamoFollowUpStore } from '../../functions/adapters/dynamodb/follow-up-store.ts';
import { DynamoPairStore } from '../../functions/adapters/dynamodb/pair-store.ts';
import { DynamoUsedTokenStore } from '../../functions/adapters/dynamodb/used-token-store.ts';
import { GoogleCalendarAccess, tokenContext } from '../../functions/adapters/google/google-calendar-access.ts';
import { GoogleOAuth } from '../../functions/adapters/google/google-oauth.ts';
import { BookingLinkBuilder } from '../../functions/adapters/links/booking-link-builder.ts';
import { bookIntroduction, resumeBookings, type BookingDependencies } from '../../functions/domain/booking/book-introduction.ts';
import type { Introduction } from '../../functions/domain/introductions/introduction.ts';
import type { CalendarConnection, Partner } from '../../functions/domain/partners/partner.ts';
import { makeWebHandler, type WebFollowThroughDependencies, type WebHandlerDependencies, type WebResponse } from '../../functions/handlers/web.ts';
import { LOCAL_OAUTH_CLIENT } from '../../functions/local/loopback-google/index.ts';
import { startWebServer, type RunningWebServer } from '../../functions/local/web-server.ts';
import { oauthRedirectUri } from '../../functions/shared/booking-runtime.ts';
import type { LogSink } from '../../functions/shared/logger.ts';
import { createBookingHarness, type BookingHarness, type LogCall, type PartnerInput } from './booking-harness.ts';

/**
 * The web function as local mode serves it: `makeWebHandler` behind `startWebServer` on a free
 * loopback port, over the booking harness (DynamoDB Local table, in-process loopback Google,
 * sealer with a random local key, capturing mail, fixed clock). Like local mode, it uses the
 * loopback's `LOCAL_OAUTH_CLIENT` with the server's own `/oauth/callback`, so the links in the
 * booking's emails point at this server and the consent round trip ends here.
 */
export interface WebHarness {
  readonly booking: BookingHarness;
  readonly server: RunningWebServer;
  /** `http://127.0.0.1:<port>/` */
  readonly baseUrl: string;
  /** The booking's dependencies with this server's links and the local OAuth client's calendars. */
  readonly dependencies: BookingDependencies;
  /** Signed links to this server (answer and unsubscribe links too), signed with the current key. */
  readonly links: BookingLinkBuilder;
  /** The link key before the last rotation: links signed with it still verify. */
  readonly previousLinkKey: Buffer;
  /** What the answer and unsubscribe pages run on (the harness's table and clock). */
  readonly followThrough: WebFollowThroughDependencies;
  readonly pairs: DynamoPairStore;
  readonly usedTokens: DynamoUsedTokenStore;
  readonly oauth: GoogleOAuth;
  /** What the web handler logged. */
  readonly logs: LogCall[];
  /** Partners `onCalendarConnected` was called for, in order. */
  readonly connectedCallbacks: string[];
  /** The handler the server runs (for requests a test builds by hand), and what it was made from. */
  readonly handler: (event: unknown) => Promise<WebResponse>;
  readonly webDependencies: WebHandlerDependencies;
  /** Registers a partner; `connected` (default true) connects their calendar with a grant for the local client (no consent page). */
  registerPartner(input: Omit<PartnerInput, 'connect'> & { connected?: boolean }): Promise<Partner>;
  /** A grant for the local OAuth client, sealed and stored, as the callback would. */
  connectPartner(email: string): Promise<CalendarConnection>;
  /**
   * A partner in propose mode, an introduction to a prospect, and the booking run once: the
   * proposal email's three slot links (pointing at this server).
   */
  proposal(options?: { timeZone?: string }): Promise<{ owner: Partner; introduction: Introduction; links: string[] }>;
  /** A URL on this server. */
  url(path: string): string;
  stop(): Promise<void>;
}

export const OWNER = { email: 'victor.ng@partner.test', name: 'Victor Ng' } as const;
export const PROSPECT = { email: 'lena.park@prospect.test', name: 'Lena Park' } as const;
export const INTRODUCER = { email: 'sam.lee@introducer.test', name: 'Sam Lee' } as const;

export async function createWebHarness(options: { onCalendarConnected?: boolean } = {}): Promise<WebHarness> {
  const booking = await createBookingHarness();
  // The server must run before the handler exists: its port is part of every link the handler makes.
  const ready: { handler?: (event: unknown) => Promise<WebResponse> } = {};
  const server = await startWebServer({
    port: 0,
    handler: (event) => (ready.handler ? ready.handler(event) : Promise.reject(new Error('web harness not ready'))),
  });
  const baseUrl = `${server.url}/`;
  booking.google.control.registerClient(LOCAL_OAUTH_CLIENT);
  const oauth = new GoogleOAuth({
    clientId: LOCAL_OAUTH_CLIENT.clientId,
    clientSecret: LOCAL_OAUTH_CLIENT.clientSecret,
    redirectUri: oauthRedirectUri(baseUrl),
    endpoints: booking.endpoints,
  });
  const links = new BookingLinkBuilder(baseUrl, booking.linkKey, () => booking.clock.peek());
  const dependencies: BookingDependencies = {
    ...booking.dependencies,
    calendars: new GoogleCalendarAccess({ oauth, serviceAccount: null, sealer: booking.sealer, endpoints: booking.endpoints, retry: booking.retry }),
    links,
  };
  const previousLinkKey = randomBytes(32);
  const pairs = new DynamoPairStore(booking.connection);
  const usedTokens = new DynamoUsedTokenStore(booking.connection);
  const followThrough: WebFollowThroughDependencies = { store: new DynamoFollowUpStore(booking.connection), pairs, partners: booking.partners, clock: booking.clock };
  const logs: LogCall[] = [];
  const logger: LogSink = {
    info: (...args: unknown[]) => void logs.push({ level: 'info', args }),
    warn: (...args: unknown[]) => void logs.push({ level: 'warn', args }),
    error: (...args: unknown[]) => void logs.push({ level: 'error', args }),
  };
  const connectedCallbacks: string[] = [];
  const webDependencies: WebHandlerDependencies = {
    booking: dependencies,
    partners: booking.partners,
    oauth,
    sealer: booking.sealer,
    signingKey: booking.linkKey,
    verificationKeys: [booking.linkKey, previousLinkKey],
    followThrough,
    usedTokens,
    logger,
    ...(options.onCalendarConnected === false
      ? {}
      : {
          onCalendarConnected: async (email: string) => {
            connectedCallbacks.push(email);
            await resumeBookings(email, dependencies);
          },
        }),
  };
  const webHandler = makeWebHandler(webDependencies);
  ready.handler = webHandler;

  const connectPartner = async (email: string): Promise<CalendarConnection> => {
    const grant = booking.google.control.authorize({ email, clientId: LOCAL_OAUTH_CLIENT.clientId });
    if (!grant.refresh_token) throw new Error('the loopback gave no refresh token');
    const connection = await booking.partners.connectCalendar(email, {
      status: 'connected',
      method: 'oauth',
      refreshToken: await booking.sealer.seal(grant.refresh_token, tokenContext(email)),
      connectedAt: booking.clock.now().toISOString(),
      disconnectedAt: null,
      disconnectReason: null,
    });
    if (!connection) throw new Error(`${email} is not a partner`);
    return connection;
  };

  const registerPartner: WebHarness['registerPartner'] = async (input) => {
    await booking.registerPartner({ ...input, connect: 'none' });
    if (input.connected ?? true) await connectPartner(input.email.toLowerCase());
    return booking.partner(input.email);
  };

  return {
    booking,
    server,
    baseUrl,
    dependencies,
    links,
    previousLinkKey,
    followThrough,
    pairs,
    usedTokens,
    oauth,
    logs,
    connectedCallbacks,
    handler: webHandler,
    webDependencies,
    registerPartner,
    connectPartner,
    async proposal(proposalOptions = {}) {
      const owner = await registerPartner({ ...OWNER, timeZone: proposalOptions.timeZone ?? 'America/Chicago', booking: { bookingMode: 'propose' } });
      const introduction = await booking.createIntroduction({ introducer: INTRODUCER, parties: [OWNER, PROSPECT], subject: 'Victor, meet Lena' });
      const result = await bookIntroduction(introduction.id, dependencies);
      if (result.outcome !== 'proposed') throw new Error(`expected a proposal, got ${result.outcome}`);
      const email = booking.mail.emails({ purpose: 'booking_proposal', introductionId: introduction.id })[0];
      const links = email?.text.match(/http:\/\/127\.0\.0\.1:\d+\/slot\?token=[\w.-]+/g) ?? [];
      if (links.length !== result.slots.length) throw new Error(`expected ${result.slots.length} links in the proposal:\n${email?.text ?? '(no email)'}`);
      return { owner, introduction: await booking.introduction(introduction.id), links };
    },
    url: (path) => new URL(path.replace(/^\//, ''), baseUrl).toString(),
    async stop() {
      await server.stop();
      await booking.stop();
    },
  };
}

export interface FetchedPage {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** One request, redirects not followed (a 302 is checked as such). */
export async function fetchPage(url: string, init: RequestInit = {}): Promise<FetchedPage> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A form POST as a browser sends it. */
export function postForm(url: string, fields: Record<string, string>): Promise<FetchedPage> {
  return fetchPage(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
}

/** The loopback consent page walked as a browser would: GET it, submit Allow or Cancel, return where Google sends the browser. */
export async function answerConsent(consentUrl: string, decision: 'allow' | 'deny'): Promise<URL> {
  const page = await fetchPage(consentUrl);
  const consentId = /name="consent" value="([^"]+)"/.exec(page.text)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(page.text)?.[1];
  const login = /name="login" value="([^"]*)"/.exec(page.text)?.[1];
  if (page.status !== 200 || !consentId || !action || login === undefined) throw new Error(`not a consent page (${page.status}):\n${page.text}`);
  const answer = await postForm(new URL(action, consentUrl).toString(), { consent: consentId, login: decodeEntities(login), decision });
  const location = answer.headers.get('location');
  if (answer.status !== 302 || !location) throw new Error(`the consent answer did not redirect (${answer.status})`);
  return new URL(location);
}

/** The value of the hidden `token` field of a page's form. */
export function formToken(page: string): string {
  const token = /<input type="hidden" name="token" value="([^"]+)">/.exec(page)?.[1];
  if (!token) throw new Error(`no token field in:\n${page}`);
  return decodeEntities(token);
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'");
}

/** The page's h1, as a reader sees it. */
export function headingOf(page: string): string {
  return decodeEntities(/<h1>([\s\S]*?)<\/h1>/.exec(page)?.[1] ?? '');
}

/** The page's main text as a reader sees it: tags dropped, entities decoded, spaces collapsed. */
export function textOf(page: string): string {
  const main = /<main>([\s\S]*?)<\/main>/.exec(page)?.[1] ?? page;
  return decodeEntities(main.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** A Function URL event as AWS sends it, for calling a handler directly (one built by a test with other dependencies). */
export function functionUrlEvent(method: 'GET' | 'POST' | 'HEAD', path: string, options: { query?: string; form?: Record<string, string> } = {}) {
  const domainName = 'abc.lambda-url.eu-west-1.on.aws';
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { host: domainName, ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
    requestContext: { domainName, http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' } },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** The `token` query parameter of a link. */
export function tokenOf(link: string): string {
  return new URL(link).searchParams.get('token') ?? '';
}
