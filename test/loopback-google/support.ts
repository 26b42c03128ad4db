import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { gaxios, OAuth2Client } from 'google-auth-library';
import { expect } from 'vitest';
import {
  oauth2ClientOptions,
  startLoopbackGoogle,
  type LoopbackGoogle,
  type LoopbackGoogleOptions,
  type OAuthClientConfig,
} from '../../functions/local/loopback-google/index.ts';

/** The OAuth client the tests register, with one exact redirect URI (nothing listens there). */
export const REDIRECT_URI = 'http://127.0.0.1:9/oauth2/callback';
export const TEST_CLIENT: OAuthClientConfig = {
  clientId: 'test-client.apps.googleusercontent.com',
  clientSecret: 'test-client-secret',
  redirectUris: [REDIRECT_URI],
  name: 'Referral follow-through (test)',
};
export const SCOPES = ['https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.freebusy'];

export function startGoogle(options: LoopbackGoogleOptions = {}): Promise<LoopbackGoogle> {
  return startLoopbackGoogle({ clients: [TEST_CLIENT], ...options });
}

/** A real google-auth-library OAuth2Client whose endpoints are the loopback server's. */
export function newOAuthClient(google: LoopbackGoogle): OAuth2Client {
  return new OAuth2Client(oauth2ClientOptions(google, TEST_CLIENT, REDIRECT_URI));
}

/** The real @googleapis/calendar client, pointed at the loopback server. */
export function calendarClient(google: LoopbackGoogle, auth: OAuth2Client): calendar_v3.Calendar {
  return calendar({ version: 'v3', auth, rootUrl: google.endpoints.rootUrl });
}

/** A user who has connected their calendar (without the consent page; see oauth-flow.test.ts for that). */
export function connect(google: LoopbackGoogle, email: string, scopes: readonly string[] = SCOPES): { auth: OAuth2Client; api: calendar_v3.Calendar } {
  const tokens = google.control.authorize({ email, clientId: TEST_CLIENT.clientId, scopes });
  const auth = newOAuthClient(google);
  auth.setCredentials({ access_token: tokens.access_token, refresh_token: tokens.refresh_token ?? null, expiry_date: Date.now() + tokens.expires_in * 1000 });
  return { auth, api: calendarClient(google, auth) };
}

/** Walks the consent page as a browser would: GET it, POST the form, read the redirect. */
export async function consent(authUrl: string, answer: { decision: 'allow' | 'deny'; login?: string }): Promise<{ page: string; location: URL }> {
  const pageResponse = await fetch(authUrl);
  expect(pageResponse.status).toBe(200);
  const page = await pageResponse.text();
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  const consentId = /name="consent" value="([^"]+)"/.exec(page)?.[1];
  const suggested = /name="login" value="([^"]*)"/.exec(page)?.[1];
  if (!action || !consentId || suggested === undefined) throw new Error(`not a consent page:\n${page}`);
  const form = new URLSearchParams({ consent: consentId, login: answer.login ?? decodeHtml(suggested), decision: answer.decision });
  const decision = await fetch(new URL(action, authUrl), { method: 'POST', body: form, redirect: 'manual' });
  expect(decision.status).toBe(302);
  return { page, location: new URL(decision.headers.get('location') ?? '') };
}

export interface ClientError {
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly domain: string | undefined;
  readonly message: string;
  readonly data: unknown;
}

/** The GaxiosError a client call fails with, as an app would inspect it. */
export async function failure(call: Promise<unknown>): Promise<ClientError> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof gaxios.GaxiosError)) throw error;
    const data = error.response?.data as { error?: { errors?: { reason?: string; domain?: string }[] } } | undefined;
    const first = typeof data?.error === 'object' ? data.error.errors?.[0] : undefined;
    return { status: error.status, reason: first?.reason, domain: first?.domain, message: error.message, data };
  }
  throw new Error('expected the call to fail, and it succeeded');
}

function decodeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** A time on a fixed future day, so tests never depend on today's date. */
export function at(hhmm: string, day = '2031-03-04'): string {
  return `${day}T${hhmm}:00Z`;
}
