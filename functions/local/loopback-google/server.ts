import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCalendarApi } from './calendar-api.ts';
import { CalendarStore } from './calendar-store.ts';
import { CONSENT_DECISION_PATH, consentPage, errorPage } from './consent-page.ts';
import { createControl, type LoopbackGoogleControl, type RequestRecord } from './control.ts';
import { CONTROL_PREFIX, createControlRoutes } from './control-routes.ts';
import { loadCalendarDiscovery, type DiscoveryDocument } from './discovery.ts';
import { DiscoveryValidator } from './discovery-validator.ts';
import { apiFaultError, FaultQueue, oauthFaultError, type Fault, type RequestTarget } from './faults.ts';
import { apiErrors, GoogleApiError, OAuthError } from './google-errors.ts';
import { BodyTooLargeError, bearerToken, formOf, readBody, redirect, sendHtml, sendJson, sendNoContent } from './http-util.ts';
import { ConsentError, OAuthServer, type OAuthClientConfig } from './oauth.ts';
import { readStateFile, writeStateFile } from './state-file.ts';
import { toRfc3339 } from './time.ts';

/**
 * A loopback Google: the Calendar v3 API (as the discovery document describes it) and Google's
 * OAuth 2.0 endpoints, on 127.0.0.1, for tests and for local mode without Google credentials.
 */

/** The OAuth client local mode uses when none is configured; it accepts any loopback redirect. */
export const LOCAL_OAUTH_CLIENT: OAuthClientConfig = {
  clientId: 'loopback-local.apps.googleusercontent.com',
  clientSecret: 'loopback-local-secret',
  allowLoopbackRedirects: true,
  name: 'Referral follow-through (local)',
};

/** The scopes the booking flow needs: free/busy and events. */
export const BOOKING_SCOPES = ['https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.freebusy'] as const;

/** The request log keeps the latest this many requests (local mode runs for days). */
const MAX_REQUEST_LOG = 10_000;

export interface LoopbackGoogleOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Where state is kept between runs (local mode: `.data/google-calendar.json`); memory only when absent. */
  readonly persistPath?: string;
  /** OAuth clients to register; default: `LOCAL_OAUTH_CLIENT`. */
  readonly clients?: readonly OAuthClientConfig[];
  /** The account the consent page suggests when the request has no `login_hint`. */
  readonly defaultUser?: string;
  /** Users (and their calendars) to create up front. */
  readonly users?: readonly { email: string; timeZone?: string; summary?: string }[];
  /** Access token lifetime; Google's is 3599 seconds. */
  readonly accessTokenLifetimeSeconds?: number;
  /** Check every response against the discovery schema and fail loudly (500) if it does not conform. Default true. */
  readonly validateResponses?: boolean;
  /** The clock (milliseconds since the epoch). */
  readonly now?: () => number;
  readonly discovery?: DiscoveryDocument;
}

export interface LoopbackGoogleEndpoints {
  /** For `calendar({ version: 'v3', rootUrl })`: `http://127.0.0.1:<port>/`. */
  readonly rootUrl: string;
  /** For `new OAuth2Client({ endpoints })`. */
  readonly oauth2AuthBaseUrl: string;
  readonly oauth2TokenUrl: string;
  readonly oauth2RevokeUrl: string;
  readonly tokenInfoUrl: string;
}

export interface LoopbackGoogle {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly endpoints: LoopbackGoogleEndpoints;
  readonly control: LoopbackGoogleControl;
  /** Writes pending state (when persisting) and closes the server and its connections. */
  stop(): Promise<void>;
}

export async function startLoopbackGoogle(options: LoopbackGoogleOptions = {}): Promise<LoopbackGoogle> {
  const now = options.now ?? Date.now;
  const doc = options.discovery ?? loadCalendarDiscovery();
  const validator = new DiscoveryValidator(doc);
  const validateResponses = options.validateResponses ?? true;
  const defaultUser = options.defaultUser ?? 'partner@refer.local';

  // Persistence: every change marks the state dirty; it is written once per turn of the event loop.
  let dirty = false;
  let flushTimer: NodeJS.Immediate | undefined;
  const flush = (): void => {
    flushTimer = undefined;
    if (!dirty || !options.persistPath) return;
    dirty = false;
    writeStateFile(options.persistPath, { version: 1, calendar: store.snapshot(), oauth: oauth.snapshot() });
  };
  const onChange = (): void => {
    if (!options.persistPath) return;
    dirty = true;
    flushTimer ??= setImmediate(flush);
  };

  const store = new CalendarStore(now, onChange);
  const apiScopes = Object.keys(doc.auth?.oauth2?.scopes ?? {});
  const oauth = new OAuthServer({
    now,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3599,
    apiScopes,
    onUserAuthorized: (email) => store.ensureCalendar(email),
    onChange,
  });
  const saved = options.persistPath ? readStateFile(options.persistPath) : undefined;
  if (saved) {
    store.restore(saved.calendar);
    oauth.restore(saved.oauth);
  }
  const clients = options.clients ?? [LOCAL_OAUTH_CLIENT];
  for (const client of clients) oauth.registerClient(client);
  for (const user of options.users ?? []) store.ensureCalendar(user.email, user);

  const faults = new FaultQueue();
  const requestLog: RequestRecord[] = [];
  const control = createControl({ store, oauth, faults, requestLog, defaultClientId: clients[0]?.clientId ?? LOCAL_OAUTH_CLIENT.clientId, defaultScopes: BOOKING_SCOPES });
  const handlers = createCalendarApi(store, validator);
  const scopeDescriptions = Object.fromEntries(
    Object.entries(doc.auth?.oauth2?.scopes ?? {}).map(([scope, value]) => {
      const description = (value as { description?: unknown }).description;
      return [scope, typeof description === 'string' ? description : scope];
    }),
  );

  let url = '';
  let stopping = false;
  const handleControl = createControlRoutes(control, () => ({ url }));
  const delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const entry = { timer: setTimeout(() => (delays.delete(entry), resolve()), ms), resolve };
      delays.add(entry);
    });

  const operationOf = (method: string, path: string): string => {
    if (path === '/o/oauth2/v2/auth' && method === 'GET') return 'oauth.authorize';
    if (path === CONSENT_DECISION_PATH && method === 'POST') return 'oauth.consent';
    if ((path === '/token' || path === '/oauth2/v4/token') && method === 'POST') return 'oauth.token';
    if (path === '/revoke' && method === 'POST') return 'oauth.revoke';
    if (path === '/tokeninfo') return 'oauth.tokeninfo';
    return validator.matchMethod(method, path)?.method.id ?? 'unknown';
  };

  /** Who a request acts for, for the revoke-grant fault: its bearer token or refresh token. */
  const revokeRequester = (request: IncomingMessage, url: URL, body: string, operation: string): void => {
    const token = operation === 'oauth.token' ? formOf(request, body).get('refresh_token') : bearerToken(request, url.searchParams);
    const grant = token ? oauth.grantOfToken(token) : undefined;
    if (grant && !grant.revoked) oauth.revokeGrant(grant);
  };

  const handleApi = (request: IncomingMessage, response: ServerResponse, url: URL, body: string): void => {
    const method = request.method ?? 'GET';
    const matched = validator.matchMethod(method, url.pathname);
    if (!matched) throw validator.pathExists(url.pathname) ? apiErrors.methodNotAllowed() : apiErrors.notFound();
    const caller = oauth.authenticate(bearerToken(request, url.searchParams));
    const needed = matched.method.scopes ?? [];
    if (needed.length > 0 && !needed.some((scope) => caller.scopes.includes(scope))) throw apiErrors.insufficientScopes(needed);
    const { values, issues } = validator.validateQuery(matched.method, url.searchParams);
    if (issues.length > 0) throw apiErrors.validation(issues);
    let json: unknown;
    if (matched.method.request) {
      try {
        json = body.trim() === '' ? {} : JSON.parse(body);
      } catch {
        throw apiErrors.parseError();
      }
      const bodyIssues = validator.validateBody(matched.method.request.$ref, json, { mode: 'request', methodId: matched.method.id });
      if (bodyIssues.length > 0) throw apiErrors.validation(bodyIssues);
    }
    const handler = handlers.get(matched.method.id);
    if (!handler) throw apiErrors.notImplemented(matched.method.id);
    const result = handler({ caller, method: matched.method, pathParams: matched.pathParams, query: values, body: json });
    if (result === undefined) return sendNoContent(response);
    if (validateResponses && matched.method.response) {
      const problems = validator.validateBody(matched.method.response.$ref, result, { mode: 'response', rootName: 'response' });
      if (problems.length > 0) throw new Error(`loopback response for ${matched.method.id} breaks the discovery schema: ${problems.map((p) => p.message).join('; ')}`);
    }
    const etag = (result as { etag?: unknown }).etag;
    sendJson(response, 200, result, typeof etag === 'string' ? { etag } : {});
  };

  const handleOAuth = (request: IncomingMessage, response: ServerResponse, url: URL, body: string, operation: string): void => {
    switch (operation) {
      case 'oauth.authorize': {
        const { consentId, request: authorization } = oauth.beginConsent(url.searchParams);
        return sendHtml(response, 200, consentPage({ consentId, request: authorization, defaultUser, scopeDescriptions }));
      }
      case 'oauth.consent': {
        const form = new URLSearchParams(body);
        const decision = form.get('decision') === 'allow' ? 'allow' : 'deny';
        return redirect(response, oauth.finishConsent(form.get('consent') ?? '', decision, form.get('login') ?? defaultUser).toString());
      }
      case 'oauth.token':
        return sendJson(response, 200, oauth.token(formOf(request, body), request.headers.authorization));
      case 'oauth.revoke': {
        const token = formOf(request, body).get('token') ?? url.searchParams.get('token') ?? '';
        if (!oauth.revokeToken(token)) throw new OAuthError(400, 'invalid_token', 'Token expired or revoked');
        return sendJson(response, 200, {});
      }
      case 'oauth.tokeninfo': {
        // google-auth-library sends the token as a bearer header; Google also takes it as a parameter.
        const token = bearerToken(request, url.searchParams) ?? url.searchParams.get('access_token') ?? formOf(request, body).get('access_token') ?? '';
        return sendJson(response, 200, oauth.tokenInfo(token));
      }
    }
  };

  /** Delays, revokes, or throws the error the fault stands for. */
  const applyFault = async (fault: Fault, request: IncomingMessage, url: URL, body: string, target: RequestTarget): Promise<void> => {
    if (typeof fault === 'object') return sleep(fault.delayMs);
    if (fault === 'revokeGrant') return revokeRequester(request, url, body, target.operation);
    throw target.operation.startsWith('oauth.') ? oauthFaultError(fault) : apiFaultError(fault);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) return handleControl(request, response, url);
    const method = request.method ?? 'GET';
    const target: RequestTarget = { method, path: url.pathname, operation: operationOf(method, url.pathname) };
    const record: RequestRecord = { at: toRfc3339(now()), ...target, status: 0 };
    requestLog.push(record);
    if (requestLog.length > MAX_REQUEST_LOG) requestLog.splice(0, requestLog.length - MAX_REQUEST_LOG);
    response.on('finish', () => (record.status = response.statusCode));
    try {
      const body = await readBody(request);
      const fault = faults.take(target);
      if (fault) {
        record.fault = typeof fault === 'object' ? `delay ${fault.delayMs}ms` : fault;
        await applyFault(fault, request, url, body, target);
      }
      // A request still delayed when the server stops is dropped, never half-applied.
      if (stopping) return void response.destroy();
      if (target.operation.startsWith('oauth.')) handleOAuth(request, response, url, body, target.operation);
      else handleApi(request, response, url, body);
      // Answered to a client that already left: 'finish' never comes, so note the status now.
      if (response.destroyed) record.status = response.statusCode;
    } catch (error) {
      if (response.headersSent) return;
      if (response.destroyed) {
        // The client gave up (a timeout): keep what the answer would have been in the request log.
        record.status = error instanceof GoogleApiError ? error.code : error instanceof OAuthError ? error.status : 500;
        return;
      }
      if (error instanceof GoogleApiError) sendJson(response, error.code, error.body, error.headers);
      else if (error instanceof OAuthError) sendJson(response, error.status, error.body);
      else if (error instanceof ConsentError) sendHtml(response, error.status, errorPage(error.status, error.error, error.description));
      else if (error instanceof BodyTooLargeError) sendJson(response, 413, apiErrors.invalid(error.message).body);
      else {
        console.error('loopback google: request failed', error);
        sendJson(response, 500, apiErrors.backendError().body);
      }
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('loopback google: unhandled', error);
      if (!response.headersSent) sendJson(response, 500, apiErrors.backendError().body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  flush();

  return {
    url,
    port,
    endpoints: {
      rootUrl: `${url}/`,
      oauth2AuthBaseUrl: `${url}/o/oauth2/v2/auth`,
      oauth2TokenUrl: `${url}/token`,
      oauth2RevokeUrl: `${url}/revoke`,
      tokenInfoUrl: `${url}/tokeninfo`,
    },
    control,
    stop: async () => {
      stopping = true;
      for (const entry of delays) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      delays.clear();
      if (flushTimer) clearImmediate(flushTimer);
      flush();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
