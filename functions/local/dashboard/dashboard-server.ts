import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Job } from '../../domain/schedules/jobs.ts';
import type { JobResult } from '../../domain/schedules/run-job.ts';
import { html } from '../../web/html.ts';
import type { LogSink } from '../../shared/logger.ts';
import { calendarPage } from './calendar-page.ts';
import type { DashboardData } from './dashboard-data.ts';
import { ASSET_PATHS, DASHBOARD_CSP, DASHBOARD_SCRIPT, DASHBOARD_STYLE, renderDashboardPage, type DashboardPage } from './dashboard-layout.ts';
import { TimeFormat } from './format.ts';
import { inboundPage, readInboundView } from './inbound-page.ts';
import { introductionDetailPage, introductionsPage, readIntroductionFilter } from './introductions-page.ts';
import type { LiveUpdates } from './live-updates.ts';
import { EMAIL_HTML_CSP, EMAIL_PATHS, emailHtmlDocument, emailPage, outboxPage } from './outbox-page.ts';
import { partnersPage } from './partners-page.ts';
import { RUN_NOW_PATH, runAt, schedulesPage, type RunResult } from './schedules-page.ts';

/**
 * The local dashboard: server-rendered pages over the same stores the Lambdas use, served only by
 * local mode's web server on 127.0.0.1 (the web function on AWS has no such routes). No login: it
 * answers only requests addressed to the loopback host (so another site cannot reach it through
 * DNS rebinding), and its one action, "run now", is a POST accepted only from its own pages.
 */
export interface DashboardOptions {
  readonly data: DashboardData;
  /** Runs a job as `refer jobs run` does (local mode: `runJob` with its follow-through). */
  readonly runJob: (job: Job) => Promise<JobResult>;
  readonly live: LiveUpdates;
  /** @default the wall clock */
  readonly clock?: { now(): Date };
  /** Times on the pages. @default this machine's zone */
  readonly timeZone?: string;
  readonly logger?: LogSink;
}

/** Serves a dashboard request; false when the path is not the dashboard's (the web function's pages take it). */
export type LocalRoute = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

const MAX_FORM_BYTES = 4 * 1024;
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it, browsers send `Origin: null` on the dashboard's own POST, which fromOwnPage must see.
  'referrer-policy': 'same-origin',
  'x-robots-tag': 'noindex, nofollow',
} as const;

export function makeDashboard(options: DashboardOptions): LocalRoute {
  const { data, live } = options;
  const now = () => options.clock?.now() ?? new Date();
  const format = new TimeFormat(options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);

  const pages: Readonly<Record<string, (url: URL) => Promise<DashboardPage | Reply>>> = {
    '/': async (url) => {
      const [introductions, partners] = await Promise.all([data.introductions(), data.partners()]);
      return introductionsPage({ introductions, partners, filter: readIntroductionFilter(url.searchParams), format, now: now() });
    },
    '/partners': async () => {
      const at = now();
      const [partners, introductions, groups] = await Promise.all([data.partners(), data.introductions(), data.groups()]);
      return partnersPage({ partners, introductions, groups, pairs: await data.pairsWithNumbers(at, partners), format, now: at });
    },
    '/calendar': async () => {
      const at = now();
      const [partners, introductions] = await Promise.all([data.partners(), data.introductions()]);
      return calendarPage({ introductions, partners, pairs: await data.pairsWithNumbers(at, partners), format, now: at });
    },
    '/outbox': async () => outboxPage(await data.outbox(), format, now()),
    [EMAIL_PATHS.view]: async (url) => {
      const email = await data.email(url.searchParams.get('key') ?? '');
      return email ? emailPage(email, format) : notFound('No such email', 'It is not in the outbox.');
    },
    [EMAIL_PATHS.html]: async (url) => {
      const email = await data.email(url.searchParams.get('key') ?? '');
      if (!email?.body?.html) return notFound('No such email', 'It is not in the outbox, or it has no HTML part.');
      return { status: 200, type: 'text/html; charset=utf-8', body: emailHtmlDocument(email.body.html), headers: { 'content-security-policy': EMAIL_HTML_CSP, 'x-frame-options': 'SAMEORIGIN' } };
    },
    '/schedules': async (url) => {
      const [schedules, introductions, pairs, groups, partners] = await Promise.all([data.schedules(), data.introductions(), data.pairs(), data.groups(), data.partners()]);
      return schedulesPage({ schedules, introductions, pairs, groups, partners, result: readRunResult(url.searchParams), format, now: now() });
    },
    '/inbound': async (url) => inboundPage(await data.inbound(), readInboundView(url.searchParams), format, now()),
    [ASSET_PATHS.style]: () => Promise.resolve({ status: 200, type: 'text/css; charset=utf-8', body: DASHBOARD_STYLE, headers: {} }),
    [ASSET_PATHS.script]: () => Promise.resolve({ status: 200, type: 'text/javascript; charset=utf-8', body: DASHBOARD_SCRIPT, headers: {} }),
  };

  const introduction = async (id: string): Promise<DashboardPage | Reply> => {
    const detail = await data.introduction(id);
    return detail ? introductionDetailPage(detail, format, now()) : notFound('No such introduction', 'It may have been made in another data directory.');
  };

  const runNow = async (request: IncomingMessage): Promise<Reply> => {
    const form = await readForm(request);
    const name = form?.get('name') ?? '';
    const schedule = name ? await data.schedule(name) : null;
    let result: RunResult;
    if (!schedule) {
      result = { name: name || 'the schedule', outcomes: ['it is no longer there (it may just have run)'], failed: true };
    } else {
      try {
        const ran = await options.runJob({ ...schedule.job, at: runAt(schedule, now()).toISOString() });
        result = { name, outcomes: ran.outcomes, failed: false };
      } catch (error) {
        options.logger?.error('run now failed', { schedule: name, error: error instanceof Error ? error.name : 'error' });
        result = { name, outcomes: [error instanceof Error ? error.name : 'error'], failed: true };
      }
    }
    const query = new URLSearchParams({ ran: result.name, outcomes: result.outcomes.join(','), ...(result.failed ? { failed: '1' } : {}) });
    // Post/redirect/get: reloading the page shows the result again without running the job again.
    return { status: 303, type: 'text/plain; charset=utf-8', body: 'See the schedules page.\n', headers: { location: `/schedules?${query.toString()}` } };
  };

  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const detailId = /^\/introductions\/([^/]+)$/.exec(path)?.[1];
    const isDashboard = Object.hasOwn(pages, path) || detailId !== undefined || path === RUN_NOW_PATH || path === '/events';
    if (!isDashboard) return false;

    if (!isLoopbackHost(request)) {
      send(response, { status: 421, type: 'text/plain; charset=utf-8', body: 'The dashboard answers only at http://127.0.0.1 (or localhost) on this machine.\n', headers: {} }, request.method);
      return true;
    }
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (path === RUN_NOW_PATH) {
      if (method !== 'POST') send(response, methodNotAllowed('POST'), request.method);
      else if (!fromOwnPage(request)) send(response, { status: 403, type: 'text/plain; charset=utf-8', body: 'Run jobs from the dashboard page, or with npx refer jobs run.\n', headers: {} });
      else send(response, await runNow(request).catch(serverError(options.logger, path)));
      return true;
    }
    if (method !== 'GET') {
      send(response, methodNotAllowed('GET, HEAD'), request.method);
      return true;
    }
    if (path === '/events') {
      live.attach(response);
      return true;
    }
    const page = detailId !== undefined ? introduction(safeDecode(detailId)) : (pages[path] as (url: URL) => Promise<DashboardPage | Reply>)(url);
    const reply = await page.then((result) => ('status' in result ? result : htmlReply(200, result))).catch(serverError(options.logger, path));
    send(response, reply, request.method);
    return true;
  };
}

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

function htmlReply(status: number, page: DashboardPage): Reply {
  return { status, type: 'text/html; charset=utf-8', body: renderDashboardPage(page), headers: {} };
}

function notFound(title: string, text: string): Reply {
  return htmlReply(404, { title, section: null, body: html`<p>${text}</p><p><a href="/">Back to the introductions</a></p>` });
}

function methodNotAllowed(allow: string): Reply {
  return { status: 405, type: 'text/plain; charset=utf-8', body: 'Method not allowed\n', headers: { allow } };
}

function serverError(logger: LogSink | undefined, path: string) {
  return (error: unknown): Reply => {
    logger?.error('dashboard page failed', { path, error: error instanceof Error ? error.name : 'error' });
    return htmlReply(500, {
      title: 'The dashboard could not read the data',
      section: null,
      body: html`<p>Reading the table failed (${error instanceof Error ? error.name : 'error'}). If local mode is stopping or DynamoDB Local stopped, start it again with <code>npm start</code>; otherwise reload the page.</p>`,
    });
  };
}

function send(response: ServerResponse, reply: Reply, method?: string): void {
  const isAsset = reply.type.startsWith('text/css') || reply.type.startsWith('text/javascript');
  response.writeHead(reply.status, {
    ...SECURITY_HEADERS,
    'content-security-policy': DASHBOARD_CSP,
    'x-frame-options': 'DENY',
    ...reply.headers,
    'content-type': reply.type,
    ...(isAsset ? { 'cache-control': 'no-cache' } : {}),
  });
  response.end(method === 'HEAD' ? undefined : reply.body);
}

/** Requests must name the loopback host they came in on: a rebound DNS name of another site does not. */
function isLoopbackHost(request: IncomingMessage): boolean {
  const host = request.headers.host ?? '';
  const port = request.socket.localPort;
  return LOOPBACK_HOSTS.some((name) => host === `${name}:${port}` || (port === 80 && host === name));
}

/** A POST from the dashboard itself: the browser says so in Origin (or, failing that, Sec-Fetch-Site). */
function fromOwnPage(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin) return LOOPBACK_HOSTS.some((name) => origin === `http://${name}:${request.socket.localPort}`);
  return request.headers['sec-fetch-site'] === 'same-origin';
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams | null> {
  if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function readRunResult(query: URLSearchParams): RunResult | null {
  const name = query.get('ran');
  if (!name) return null;
  return { name, outcomes: (query.get('outcomes') ?? '').split(',').filter(Boolean), failed: query.get('failed') === '1' };
}
