import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeChallengeMethod } from 'google-auth-library';
import type { LoopbackGoogle } from '../../functions/local/loopback-google/index.ts';
import { calendarClient, consent, failure, newOAuthClient, REDIRECT_URI, SCOPES, startGoogle, TEST_CLIENT } from './support.ts';

let google: LoopbackGoogle;
beforeAll(async () => {
  google = await startGoogle({ defaultUser: 'someone@refer.local' });
});
afterAll(() => google.stop());

describe('OAuth 2.0 with google-auth-library against the loopback endpoints', () => {
  it('runs the whole code flow: consent page, code, token exchange, API call, refresh', async () => {
    const auth = newOAuthClient(google);
    const state = 'intro=42&sig=a/b+c==';
    const authUrl = auth.generateAuthUrl({ access_type: 'offline', scope: SCOPES, state, login_hint: 'ana@example.com', prompt: 'consent' });
    expect(authUrl.startsWith(`${google.url}/o/oauth2/v2/auth?`)).toBe(true);

    const { page, location } = await consent(authUrl, { decision: 'allow' });
    expect(page).toContain('Allow Referral follow-through (test) to see your free/busy and manage events for ana@example.com?');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe(state);
    const code = location.searchParams.get('code') ?? '';
    expect(code).toMatch(/^4\//);

    const { tokens } = await auth.getToken(code);
    expect(tokens.refresh_token).toMatch(/^1\/\//);
    expect(tokens.access_token).toMatch(/^ya29\./);
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.scope?.split(' ').sort()).toEqual([...SCOPES].sort());
    expect(tokens.expiry_date).toBeGreaterThan(Date.now() + 3_000_000);
    auth.setCredentials(tokens);

    const api = calendarClient(google, auth);
    const primary = await api.events.list({ calendarId: 'primary' });
    expect(primary.data.summary).toBe('ana@example.com');
    // As on Google, these scopes do not reach calendars.get.
    expect((await failure(api.calendars.get({ calendarId: 'primary' }))).reason).toBe('insufficientPermissions');

    // The access token expires: the client refreshes it with the refresh token on its own.
    google.control.expireAccessTokens('ana@example.com');
    auth.setCredentials({ ...auth.credentials, expiry_date: Date.now() - 1000 });
    const again = await api.events.list({ calendarId: 'primary' });
    expect(again.data.summary).toBe('ana@example.com');
    expect(auth.credentials.access_token).not.toBe(tokens.access_token);
    expect(google.control.requests({ operation: 'oauth.token' }).map((request) => request.status)).toEqual([200, 200]);

    // A code is single use.
    const reuse = await failure(auth.getToken(code));
    expect(reuse.status).toBe(400);
    expect(reuse.data).toEqual({ error: 'invalid_grant', error_description: 'Bad Request' });
  });

  it('answers invalid_grant for a refresh token whose grant was revoked', async () => {
    const auth = newOAuthClient(google);
    const { location } = await consent(auth.generateAuthUrl({ access_type: 'offline', scope: SCOPES }), { decision: 'allow', login: 'victor@example.com' });
    const { tokens } = await auth.getToken(location.searchParams.get('code') ?? '');
    auth.setCredentials(tokens);
    expect(google.control.revokeUser('victor@example.com')).toBe(1);

    const refresh = await failure(auth.refreshAccessToken());
    expect(refresh.status).toBe(400);
    expect(refresh.message).toBe('invalid_grant');
    expect(refresh.data).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    // The access token from that grant stops working too.
    const call = await failure(calendarClient(google, auth).events.list({ calendarId: 'primary' }));
    expect(call.status).toBe(401);
    expect(call.reason).toBe('authError');
  });

  it("issues a refresh token like Google: offline only, and again only with prompt=consent", async () => {
    const auth = newOAuthClient(google);
    const grant = async (options: { access_type: 'online' | 'offline'; prompt?: string }) => {
      const { location } = await consent(auth.generateAuthUrl({ ...options, scope: SCOPES }), { decision: 'allow', login: 'lena@example.com' });
      return (await auth.getToken(location.searchParams.get('code') ?? '')).tokens;
    };
    expect((await grant({ access_type: 'online' })).refresh_token).toBeUndefined();
    expect((await grant({ access_type: 'offline' })).refresh_token).toBeDefined();
    expect((await grant({ access_type: 'offline' })).refresh_token).toBeUndefined();
    expect((await grant({ access_type: 'offline', prompt: 'consent' })).refresh_token).toBeDefined();
  });

  it('checks PKCE and accepts HTTP Basic client authentication', async () => {
    const auth = newOAuthClient(google);
    const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
    const authUrl = auth.generateAuthUrl({ access_type: 'offline', scope: SCOPES, code_challenge: codeChallenge, code_challenge_method: CodeChallengeMethod.S256 });
    const first = await consent(authUrl, { decision: 'allow', login: 'tom@example.com' });
    const wrong = await failure(auth.getToken({ code: first.location.searchParams.get('code') ?? '', codeVerifier: `${codeVerifier}x` }));
    expect(wrong.data).toEqual({ error: 'invalid_grant', error_description: 'Invalid code verifier.' });

    const second = await consent(authUrl, { decision: 'allow', login: 'tom@example.com' });
    const response = await fetch(google.endpoints.oauth2TokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${TEST_CLIENT.clientId}:${TEST_CLIENT.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: second.location.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI, code_verifier: codeVerifier }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
  });

  it('sends the user back with access_denied (and the state) when they cancel', async () => {
    const auth = newOAuthClient(google);
    const { page, location } = await consent(auth.generateAuthUrl({ access_type: 'offline', scope: SCOPES, state: 'xyz' }), { decision: 'deny' });
    expect(page).toContain('for someone@refer.local?');
    expect(Object.fromEntries(location.searchParams)).toEqual({ error: 'access_denied', state: 'xyz' });
  });

  it('shows an error page, not a redirect, for requests Google would refuse', async () => {
    const auth = newOAuthClient(google);
    const good = new URL(auth.generateAuthUrl({ access_type: 'offline', scope: SCOPES }));
    const variant = async (change: (params: URLSearchParams) => void) => {
      const url = new URL(good);
      change(url.searchParams);
      const response = await fetch(url, { redirect: 'manual' });
      return { status: response.status, error: /id="error">([^<]+)</.exec(await response.text())?.[1] };
    };
    expect(await variant((params) => params.set('client_id', 'nobody.apps.googleusercontent.com'))).toEqual({ status: 401, error: 'Error 401: invalid_client' });
    expect(await variant((params) => params.set('redirect_uri', 'http://127.0.0.1:9/elsewhere'))).toEqual({ status: 400, error: 'Error 400: redirect_uri_mismatch' });
    expect(await variant((params) => params.set('response_type', 'token'))).toEqual({ status: 400, error: 'Error 400: unsupported_response_type' });
    expect(await variant((params) => params.set('scope', 'https://www.googleapis.com/auth/drive'))).toEqual({ status: 400, error: 'Error 400: invalid_scope' });
    expect(await variant((params) => params.delete('scope'))).toEqual({ status: 400, error: 'Error 400: invalid_request' });
    expect(await variant((params) => params.set('access_type', 'forever'))).toEqual({ status: 400, error: 'Error 400: invalid_request' });
  });

  it('rejects a wrong client secret and a redirect_uri that differs from the authorization request', async () => {
    const auth = newOAuthClient(google);
    const { location } = await consent(auth.generateAuthUrl({ access_type: 'offline', scope: SCOPES }), { decision: 'allow' });
    const code = location.searchParams.get('code') ?? '';
    const token = (form: Record<string, string>) => fetch(google.endpoints.oauth2TokenUrl, { method: 'POST', body: new URLSearchParams(form) });
    const badSecret = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: TEST_CLIENT.clientId, client_secret: 'nope' });
    expect(badSecret.status).toBe(401);
    expect(await badSecret.json()).toEqual({ error: 'invalid_client', error_description: 'Unauthorized' });
    const otherRedirect = await token({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/x', client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret });
    expect(await otherRedirect.json()).toEqual({ error: 'redirect_uri_mismatch', error_description: 'Bad Request' });
    const unknownGrant = await token({ grant_type: 'password', client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret });
    expect(await unknownGrant.json()).toEqual({ error: 'unsupported_grant_type', error_description: 'Invalid grant_type: password' });
  });

  it('requires a bearer token with a scope the method accepts', async () => {
    const missing = await fetch(`${google.url}/calendar/v3/calendars/primary/events`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(await missing.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'required', message: 'Login Required.' }] } });

    const bogus = await fetch(`${google.url}/calendar/v3/calendars/primary/events`, { headers: { authorization: 'Bearer ya29.made-up' } });
    expect(await bogus.json()).toMatchObject({ error: { code: 401, errors: [{ reason: 'authError', message: 'Invalid Credentials' }] } });

    const freeBusyOnly = google.control.authorize({ email: 'pam@example.com', clientId: TEST_CLIENT.clientId, scopes: ['https://www.googleapis.com/auth/calendar.freebusy'] });
    const listed = await fetch(`${google.url}/calendar/v3/calendars/primary/events`, { headers: { authorization: `Bearer ${freeBusyOnly.access_token}` } });
    expect(listed.status).toBe(403);
    expect(await listed.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED', errors: [{ reason: 'insufficientPermissions' }] } });
  });

  it('revokes through the revoke endpoint and describes tokens through tokeninfo', async () => {
    const auth = newOAuthClient(google);
    const tokens = google.control.authorize({ email: 'sara@example.com', clientId: TEST_CLIENT.clientId, scopes: SCOPES });
    const info = await auth.getTokenInfo(tokens.access_token);
    expect(info.email).toBe('sara@example.com');
    expect(info.scopes.sort()).toEqual([...SCOPES].sort());
    await auth.revokeToken(tokens.refresh_token ?? '');
    auth.setCredentials({ refresh_token: tokens.refresh_token ?? null });
    expect((await failure(auth.getAccessToken())).data).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  });
});
