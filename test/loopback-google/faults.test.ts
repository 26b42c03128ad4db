import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoopbackGoogle } from '../../functions/local/loopback-google/index.ts';
import { at, calendarClient, connect, failure, newOAuthClient, startGoogle, TEST_CLIENT, SCOPES } from './support.ts';

let google: LoopbackGoogle;
beforeAll(async () => {
  google = await startGoogle();
});
afterAll(() => google.stop());
beforeEach(() => google.control.clearFaults());

const event = (id: string) => ({ id, summary: id, start: { dateTime: at('09:00') }, end: { dateTime: at('09:30') } });
const day = { timeMin: at('00:00'), timeMax: at('23:00'), items: [{ id: 'primary' }] };

describe('injected faults, as the real client sees them', () => {
  it.each([
    ['rateLimit', 429, 'rateLimitExceeded', 'usageLimits', 'RESOURCE_EXHAUSTED'],
    ['rateLimit403', 403, 'rateLimitExceeded', 'usageLimits', 'PERMISSION_DENIED'],
    ['userRateLimit', 403, 'userRateLimitExceeded', 'usageLimits', 'PERMISSION_DENIED'],
    ['backendError', 500, 'backendError', 'global', 'INTERNAL'],
    ['unavailable', 503, 'backendError', 'global', 'UNAVAILABLE'],
    ['unauthorized', 401, 'authError', 'global', 'UNAUTHENTICATED'],
  ] as const)('%s on events.insert: HTTP %i, reason %s, and nothing is stored', async (fault, status, reason, domain, googleStatus) => {
    const { api } = connect(google, `${fault.toLowerCase()}@example.com`);
    google.control.injectFault({ fault, match: { operation: 'calendar.events.insert' } });
    const id = `fault${status}${reason.length}0`;
    const seen = await failure(api.events.insert({ calendarId: 'primary', requestBody: event(id) }));
    expect(seen).toMatchObject({ status, reason, domain });
    expect(seen.data).toMatchObject({ error: { code: status, status: googleStatus } });
    expect(google.control.event(`${fault.toLowerCase()}@example.com`, id)).toBeUndefined();
    // The fault is used up: the retry goes through.
    expect((await api.events.insert({ calendarId: 'primary', requestBody: event(id) })).status).toBe(200);
  });

  it('matches by method and path pattern, for a number of requests, and applies to freeBusy too', async () => {
    const { api } = connect(google, 'pattern@example.com');
    const queued = google.control.injectFault({ fault: 'rateLimit403', match: { method: 'POST', path: '/calendar/v3/freeBusy' }, times: 2 });
    expect(google.control.pendingFaults()).toEqual([{ ...queued, remaining: 2, used: 0 }]);
    expect((await api.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect((await failure(api.freebusy.query({ requestBody: day }))).reason).toBe('rateLimitExceeded');
    expect((await failure(api.freebusy.query({ requestBody: day }))).reason).toBe('rateLimitExceeded');
    expect((await api.freebusy.query({ requestBody: day })).status).toBe(200);
    expect(google.control.pendingFaults()).toEqual([]);
  });

  it('a 503 on a GET is retried by the client on its own (gaxios retries GET, not POST)', async () => {
    const { api } = connect(google, 'retry@example.com');
    await api.events.insert({ calendarId: 'primary', requestBody: event('retried00001') });
    google.control.injectFault({ fault: 'unavailable', match: { operation: 'calendar.events.get' } });
    const before = google.control.requests({ operation: 'calendar.events.get' }).length;
    expect((await api.events.get({ calendarId: 'primary', eventId: 'retried00001' })).data.id).toBe('retried00001');
    expect(google.control.requests({ operation: 'calendar.events.get' }).slice(before).map((request) => [request.status, request.fault])).toEqual([
      [503, 'unavailable'],
      [200, undefined],
    ]);
  });

  it('a 401 surfaces when the client knows its token expiry, and triggers a refresh when it does not', async () => {
    const { api, auth } = connect(google, 'expiry@example.com');
    google.control.injectFault({ fault: 'unauthorized', match: { operation: 'calendar.events.list' } });
    expect(await failure(api.events.list({ calendarId: 'primary' }))).toMatchObject({ status: 401, reason: 'authError' });

    // Credentials restored from storage without expiry_date: google-auth-library refreshes on a 401 and retries once.
    auth.setCredentials({ access_token: auth.credentials.access_token ?? null, refresh_token: auth.credentials.refresh_token ?? null });
    google.control.injectFault({ fault: 'unauthorized', match: { operation: 'calendar.events.list' } });
    const tokenRequests = google.control.requests({ operation: 'oauth.token' }).length;
    expect((await api.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(google.control.requests({ operation: 'oauth.token' })).toHaveLength(tokenRequests + 1);
  });

  it('invalid_grant on the token endpoint fails the refresh the way a revoked grant does', async () => {
    const tokens = google.control.authorize({ email: 'grant@example.com', clientId: TEST_CLIENT.clientId, scopes: SCOPES });
    const auth = newOAuthClient(google);
    auth.setCredentials({ refresh_token: tokens.refresh_token ?? null });
    google.control.injectFault({ fault: 'invalidGrant', match: { operation: 'oauth.token' } });
    const seen = await failure(calendarClient(google, auth).events.list({ calendarId: 'primary' }));
    expect(seen).toMatchObject({ status: 400, message: 'invalid_grant', data: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
    // Only the fault said so: the grant itself is fine, and the next refresh works.
    expect((await calendarClient(google, auth).events.list({ calendarId: 'primary' })).status).toBe(200);
  });

  it('a 503 from the token endpoint is retried by google-auth-library', async () => {
    const tokens = google.control.authorize({ email: 'tokenretry@example.com', clientId: TEST_CLIENT.clientId, scopes: SCOPES });
    const auth = newOAuthClient(google);
    auth.setCredentials({ refresh_token: tokens.refresh_token ?? null });
    google.control.injectFault({ fault: 'unavailable', match: { operation: 'oauth.token' } });
    expect((await auth.getAccessToken()).token).toMatch(/^ya29\./);
    expect(google.control.requests({ operation: 'oauth.token' }).slice(-2).map((request) => request.status)).toEqual([503, 200]);
  });

  it('revokeGrant revokes the grant of whoever calls: the call gets 401, the refresh invalid_grant', async () => {
    const { api, auth } = connect(google, 'revoked@example.com');
    google.control.injectFault({ fault: 'revokeGrant', match: { operation: 'calendar.freebusy.query' } });
    expect(await failure(api.freebusy.query({ requestBody: day }))).toMatchObject({ status: 401, reason: 'authError' });
    expect((await failure(auth.refreshAccessToken())).data).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    expect(google.control.grants().find((grant) => grant.email === 'revoked@example.com')?.revoked).toBe(true);
  });

  it('a slow response times the client out, but the insert still lands: the retry with the same id is a 409', async () => {
    const { api } = connect(google, 'slow@example.com');
    google.control.injectFault({ fault: { delayMs: 600 }, match: { operation: 'calendar.events.insert' } });
    const timedOut = await failure(api.events.insert({ calendarId: 'primary', requestBody: event('sluggish0001') }, { timeout: 150 }));
    expect(timedOut.status).toBeUndefined();
    expect(timedOut.message).toMatch(/timeout|abort/i);
    await expect.poll(() => google.control.event('slow@example.com', 'sluggish0001')?.id, { timeout: 3000, interval: 50 }).toBe('sluggish0001');
    expect(await failure(api.events.insert({ calendarId: 'primary', requestBody: event('sluggish0001') }))).toMatchObject({ status: 409, reason: 'duplicate' });
  });

  it('can be queued over HTTP under /_loopback, with a path regex', async () => {
    const { api } = connect(google, 'http@example.com');
    const control = (path: string, body?: object, method = 'POST') =>
      fetch(`${google.url}/_loopback${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const queued = await control('/faults', { fault: 'rateLimit', match: { pathRegex: '^/calendar/v3/calendars/[^/]+/events$', method: 'GET' } });
    expect(queued.status).toBe(200);
    const stored = (await queued.json()) as { remaining: number; match: { pathRegex: string } };
    expect(stored.remaining).toBe(1);
    expect(new RegExp(stored.match.pathRegex).test('/calendar/v3/calendars/primary/events')).toBe(true);
    expect((await (await fetch(`${google.url}/_loopback/faults`)).json()) as unknown[]).toHaveLength(1);
    // GET is retried on 429 by the client, so it ends well; the request log shows the fault.
    expect((await api.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(google.control.requests({ operation: 'calendar.events.list' }).some((request) => request.status === 429 && request.fault === 'rateLimit')).toBe(true);

    expect((await control('/faults', { fault: 'meltdown' })).status).toBe(400);
    expect((await control('/faults', { fault: 'backendError' })).status).toBe(200);
    expect((await control('/faults', undefined, 'DELETE')).status).toBe(204);
    expect(google.control.pendingFaults()).toEqual([]);
  });
});
