import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import type { LoopbackGoogleControl } from './control.ts';
import type { FaultMatch, FaultSpec } from './faults.ts';
import { GoogleApiError } from './google-errors.ts';
import { readBody, sendJson, sendNoContent } from './http-util.ts';

/**
 * The control API over HTTP, under `/_loopback/`, for processes that do not share memory with the
 * server (local mode's CLI, an end-to-end test). Same operations as `LoopbackGoogleControl`.
 *
 * The server listens on 127.0.0.1 only; on top of that, control requests must name a loopback
 * host and send JSON, so a web page in a browser on the same machine cannot drive them.
 */

export const CONTROL_PREFIX = '/_loopback';

const faultKind = z.enum(['rateLimit', 'rateLimit403', 'userRateLimit', 'backendError', 'unavailable', 'unauthorized', 'invalidGrant', 'revokeGrant']);
const faultBody = z.strictObject({
  fault: z.union([faultKind, z.strictObject({ delayMs: z.number().min(0) })]),
  match: z
    .strictObject({
      method: z.string().optional(),
      path: z.string().optional(),
      /** A regular expression over the path, as a string. */
      pathRegex: z.string().optional(),
      operation: z.string().optional(),
    })
    .optional(),
  times: z.number().int().min(1).optional(),
});
const eventTime = z.union([z.string(), z.looseObject({ date: z.string().optional(), dateTime: z.string().optional(), timeZone: z.string().optional() })]);
const bodies = {
  user: z.strictObject({ email: z.email(), timeZone: z.string().optional(), summary: z.string().optional() }),
  client: z.strictObject({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    redirectUris: z.array(z.string()).optional(),
    allowLoopbackRedirects: z.boolean().optional(),
    name: z.string().optional(),
  }),
  authorize: z.strictObject({ email: z.email(), clientId: z.string().optional(), scopes: z.array(z.string()).optional() }),
  expire: z.strictObject({ email: z.string().optional() }),
  revoke: z.strictObject({ clientId: z.string().optional() }),
  busy: z.strictObject({ start: z.string(), end: z.string(), label: z.string().optional() }),
  response: z.strictObject({ responseStatus: z.enum(['needsAction', 'declined', 'tentative', 'accepted']), comment: z.string().optional() }),
  move: z.strictObject({ start: eventTime, end: eventTime, notifyAttendees: z.boolean().optional() }),
  cancel: z.strictObject({ notifyAttendees: z.boolean().optional() }),
  empty: z.strictObject({}),
};

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Route = (context: { params: string[]; query: URLSearchParams; body: unknown }) => unknown;

export function createControlRoutes(control: LoopbackGoogleControl, info: () => { url: string }) {
  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const result = schema.safeParse(body ?? {});
    if (!result.success) throw new ControlError(400, z.prettifyError(result.error));
    return result.data;
  };
  const routes: [method: string, pattern: RegExp, route: Route][] = [
    ['GET', /^\/health$/, () => ({ ok: true, ...info() })],
    ['POST', /^\/reset$/, ({ body }) => (parse(bodies.empty, body), control.reset())],
    ['GET', /^\/faults$/, () => control.pendingFaults().map(serializableFault)],
    ['DELETE', /^\/faults$/, () => control.clearFaults()],
    [
      'POST',
      /^\/faults$/,
      ({ body }) => {
        const { fault, match, times } = parse(faultBody, body);
        const { pathRegex, ...rest } = match ?? {};
        const spec: FaultSpec = { fault, match: { ...rest, ...(pathRegex ? { path: new RegExp(pathRegex) } : {}) }, ...(times ? { times } : {}) };
        return serializableFault(control.injectFault(spec));
      },
    ],
    ['POST', /^\/users$/, ({ body }) => control.addUser(parse(bodies.user, body))],
    ['POST', /^\/users\/([^/]+)\/revoke$/, ({ params, body }) => ({ revoked: control.revokeUser(params[0] ?? '', parse(bodies.revoke, body).clientId) })],
    ['POST', /^\/clients$/, ({ body }) => control.registerClient(parse(bodies.client, body))],
    ['POST', /^\/authorize$/, ({ body }) => control.authorize(parse(bodies.authorize, body))],
    ['GET', /^\/grants$/, () => control.grants().map(({ refreshTokens, ...grant }) => ({ ...grant, refreshTokenCount: refreshTokens.length }))],
    ['POST', /^\/tokens\/expire$/, ({ body }) => ({ expired: control.expireAccessTokens(parse(bodies.expire, body).email) })],
    ['POST', /^\/calendars\/([^/]+)\/busy$/, ({ params, body }) => control.addBusyBlock(params[0] ?? '', parse(bodies.busy, body))],
    ['GET', /^\/calendars\/([^/]+)\/events$/, ({ params, query }) => control.events(params[0] ?? '', { showDeleted: query.get('showDeleted') === 'true' })],
    [
      'GET',
      /^\/calendars\/([^/]+)\/events\/([^/]+)$/,
      ({ params }) => {
        const event = control.event(params[0] ?? '', params[1] ?? '');
        if (!event) throw new ControlError(404, 'no such event');
        return event;
      },
    ],
    [
      'POST',
      /^\/calendars\/([^/]+)\/events\/([^/]+)\/attendees\/([^/]+)$/,
      ({ params, body }) => {
        const { responseStatus, comment } = parse(bodies.response, body);
        return control.setAttendeeResponse(params[0] ?? '', params[1] ?? '', params[2] ?? '', responseStatus, comment);
      },
    ],
    ['POST', /^\/calendars\/([^/]+)\/events\/([^/]+)\/move$/, ({ params, body }) => control.moveEvent(params[0] ?? '', params[1] ?? '', parse(bodies.move, body))],
    ['POST', /^\/calendars\/([^/]+)\/events\/([^/]+)\/cancel$/, ({ params, body }) => control.cancelEvent(params[0] ?? '', params[1] ?? '', parse(bodies.cancel, body))],
    ['GET', /^\/notifications$/, ({ query }) => control.notifications(notificationFilter(query))],
    ['GET', /^\/invitations$/, ({ query }) => control.invitations(notificationFilter(query))],
    ['GET', /^\/requests$/, ({ query }) => control.requests({ ...(query.get('operation') ? { operation: query.get('operation') as string } : {}) })],
    ['POST', /^\/sync-tokens\/invalidate$/, () => control.invalidateSyncTokens()],
  ];

  return async function handleControl(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    try {
      const host = (request.headers.host ?? '').replace(/:\d+$/, '');
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new ControlError(403, 'control requests must address a loopback host');
      const method = request.method ?? 'GET';
      const text = await readBody(request);
      // Every non-GET must declare JSON: a plain HTML form cannot, so a web page cannot post here.
      if (method !== 'GET' && !(request.headers['content-type'] ?? '').includes('application/json')) {
        throw new ControlError(415, 'control requests send JSON (content-type: application/json)');
      }
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        throw new ControlError(400, 'the body is not JSON');
      }
      const path = url.pathname.slice(CONTROL_PREFIX.length);
      for (const [routeMethod, pattern, route] of routes) {
        const match = pattern.exec(path);
        if (!match || routeMethod !== method) continue;
        const params = match.slice(1).map((part) => decodeURIComponent(part));
        const result = route({ params, query: url.searchParams, body });
        if (result === undefined) sendNoContent(response);
        else sendJson(response, 200, result);
        return;
      }
      throw new ControlError(404, `no control route ${method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof ControlError) sendJson(response, error.status, { error: error.message });
      else if (error instanceof GoogleApiError) sendJson(response, error.code, error.body);
      else if (error instanceof RangeError) sendJson(response, 400, { error: error.message });
      else throw error;
    }
  };
}

function notificationFilter(query: URLSearchParams) {
  const pick = (name: string) => (query.get(name) ? { [name]: query.get(name) as string } : {});
  return { ...pick('calendarId'), ...pick('eventId'), ...pick('to'), ...pick('kind') } as Parameters<LoopbackGoogleControl['notifications']>[0];
}

function serializableFault(fault: { id: string; fault: unknown; match: FaultMatch; remaining: number; used: number }) {
  const path = fault.match.path instanceof RegExp ? { pathRegex: fault.match.path.source } : fault.match.path ? { path: fault.match.path } : {};
  return { ...fault, match: { ...fault.match, path: undefined, ...path } };
}
