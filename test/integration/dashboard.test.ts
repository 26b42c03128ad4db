import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPairStore } from '../../functions/adapters/dynamodb/pair-store.ts';
import { FileRawMailStore } from '../../functions/adapters/local/file-raw-mail.ts';
import type { SentMailSource } from '../../functions/adapters/local/outbox-folder-sender.ts';
import { composeMail } from '../../functions/adapters/mail/compose-mail.ts';
import { TableJobScheduler } from '../../functions/adapters/scheduler/table-scheduler.ts';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import type { Introduction } from '../../functions/domain/introductions/introduction.ts';
import { pairId } from '../../functions/domain/pairs/pair-setup.ts';
import { escapeHtml } from '../../functions/domain/shared/html.ts';
import type { Job } from '../../functions/domain/schedules/jobs.ts';
import { DashboardData } from '../../functions/local/dashboard/dashboard-data.ts';
import { makeDashboard } from '../../functions/local/dashboard/dashboard-server.ts';
import { LiveUpdates } from '../../functions/local/dashboard/live-updates.ts';
import { startWebServer, type RunningWebServer } from '../../functions/local/web-server.ts';
import type { BookingHarness } from '../support/booking-harness.ts';
import { createWebHarness, functionUrlEvent, type WebHarness } from '../support/web-harness.ts';

/**
 * The dashboard as local mode serves it (the local web server with the dashboard's routes first),
 * reading a DynamoDB Local table through the production stores, with introductions booked in the
 * loopback Google Calendar by the real booking use case. "Run now" records the jobs it is given.
 * The web function that runs on AWS (the same harness's handler) has none of these pages.
 */
let web: WebHarness;
let h: BookingHarness;
let server: RunningWebServer;
let scheduler: TableJobScheduler;
let live: LiveUpdates;
let rawDirectory: string;
let base: string;
const jobsRun: Job[] = [];

const VICTOR = { email: 'victor@hale.example', name: 'Victor Hale' };
const ANA = { email: 'ana@costa.example', name: 'Ana <b>Costa</b>' };
const LENA = { email: 'lena@park.example', name: 'Lena Park' };
const TOM = { email: 'tom@okoye.example', name: 'Tom Okoye' };
let booked: Introduction;
let waiting: Introduction;

/** The emails the booking sent, as the MIME local mode's outbox folder would hold. */
const sentMail: SentMailSource = {
  read: async ({ outboxKey }) => {
    const email = h.mail.sent.find((sent) => sent.outboxKey === outboxKey);
    return email ? (await composeMail(email, { address: 'refer@refer.test', name: 'Refer' })).raw : null;
  },
};

beforeAll(async () => {
  web = await createWebHarness();
  h = web.booking;
  scheduler = new TableJobScheduler(h.connection, { clock: h.clock });
  live = new LiveUpdates();
  rawDirectory = mkdtempSync(join(tmpdir(), 'refer-dashboard-'));
  server = await startWebServer({
    port: 0,
    handler: () => Promise.resolve({ statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'the web function answered', isBase64Encoded: false }),
    localRoutes: makeDashboard({
      data: new DashboardData(h.connection, scheduler, new FileRawMailStore(rawDirectory), sentMail),
      runJob: (job) => {
        jobsRun.push(job);
        return Promise.resolve({ kind: job.kind, outcomes: ['sent', 'sent'] });
      },
      live,
      clock: { now: () => h.clock.peek() },
      timeZone: 'Europe/London',
    }),
  });
  base = server.url;
  await h.registerPartner({ ...VICTOR, timeZone: 'America/New_York' });
  await h.registerPartner({ ...ANA, timeZone: 'Europe/London', connect: 'none' });
  booked = await h.createIntroduction({ introducer: ANA, parties: [VICTOR, LENA], subject: 'Victor, meet Lena', context: 'Victor, meet Lena: she needs a retirement plan.' });
  expect((await bookIntroduction(booked.id, h.dependencies)).outcome).toBe('booked');
  h.clock.advance(60_000);
  waiting = await h.createIntroduction({ introducer: VICTOR, parties: [ANA, TOM], subject: 'Ana <> Tom' });
  await bookIntroduction(waiting.id, h.dependencies);
  await new DynamoPairStore(h.connection).savePair({
    id: pairId(ANA.email, VICTOR.email),
    partners: [ANA.email, VICTOR.email].sort() as [string, string],
    timeZone: 'Europe/London',
    weekly: { day: 'mon', time: '08:00' },
    oneToOne: 'monthly',
    goalPerMonth: 2,
    createdAt: h.clock.peek().toISOString(),
    unsubscribed: [],
    nextOneToOne: null,
  });
}, 60_000);

afterAll(async () => {
  live.close();
  await server.stop();
  await web.stop();
  rmSync(rawDirectory, { recursive: true, force: true });
});

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${base}${path}`, { headers, redirect: 'manual' });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** fetch() will not send another Host header; node:http will. */
function statusWithHost(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: server.port, path: '/', headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

function runNow(name: string, headers: Record<string, string> = { origin: base }): Promise<Response> {
  return fetch(`${base}/schedules/run`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ name }), redirect: 'manual' });
}

describe('dashboard', () => {
  it('lists the introductions newest first, filters them, and escapes the names people give themselves', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text.indexOf(`/introductions/${waiting.id}`)).toBeLessThan(page.text.indexOf(`/introductions/${booked.id}`));
    expect(page.text).toContain('Ana &lt;b&gt;Costa&lt;/b&gt;');
    expect(page.text).not.toContain('<b>Costa</b>');

    const bookedOnly = await get('/?status=meeting_booked');
    expect(bookedOnly.text).toContain(`/introductions/${booked.id}`);
    expect(bookedOnly.text).not.toContain(`/introductions/${waiting.id}`);
    const tomsPartner = await get(`/?partner=${encodeURIComponent(TOM.email)}`);
    expect(tomsPartner.text).toContain(`/introductions/${waiting.id}`);
    expect(tomsPartner.text).not.toContain(`/introductions/${booked.id}`);
    expect((await get('/?from=2030-01-01')).text).toContain('No introduction matches the filter.');
  });

  it('shows an introduction with its meeting, its history and where its booking stands', async () => {
    const meeting = (await h.introduction(booked.id)).meeting;
    expect(meeting).toBeTruthy();
    const page = await get(`/introductions/${booked.id}`);
    expect(page.text).toContain('Meeting booked');
    expect(page.text).toContain(`<code>${meeting?.eventId ?? ''}</code>`);
    expect(page.text).toContain('(America/New_York)');
    expect(page.text).toContain('Victor, meet Lena: she needs a retirement plan.');
    expect(page.text).toMatch(/<td>captured<\/td>[\s\S]*<td>meeting booked<\/td>/);
    const other = await get(`/introductions/${waiting.id}`);
    expect(other.text).toContain('Waiting for the partner to connect a calendar.');
    expect((await get('/introductions/nope')).status).toBe(404);
  });

  it('shows partners’ and pairs’ numbers, and the meetings in the calendar', async () => {
    const partners = await get('/partners');
    expect(partners.text).toMatch(/Ana &lt;b&gt;Costa&lt;\/b&gt; → Victor Hale: <strong>1<\/strong> this week, <strong>1<\/strong> of 4 this quarter/);
    expect(partners.text).toMatch(/Victor Hale → Ana &lt;b&gt;Costa&lt;\/b&gt;: <strong>1<\/strong> this week/);
    expect(partners.text).toContain('<svg viewBox=');
    const calendar = await get('/calendar');
    expect(calendar.text).toContain(`/introductions/${booked.id}`);
    expect(calendar.text).not.toContain(`/introductions/${waiting.id}`);
  });

  it('lists the outbox and shows each email as sent, its HTML part in a sandbox of its own', async () => {
    const outbox = await get('/outbox');
    const key = /href="\/outbox\/email\?key=([^"]+)"/.exec(outbox.text)?.[1];
    expect(key, 'the connect-your-calendar email to Ana').toBeDefined();
    const sent = h.mail.sent.find((candidate) => encodeURIComponent(candidate.outboxKey) === key);
    expect(sent?.purpose).toBe('calendar_connect');
    const email = await get(`/outbox/email?key=${key ?? ''}`);
    expect(email.text).toContain('<iframe class="mail" title="The email as HTML" sandbox="allow-popups allow-popups-to-escape-sandbox"');
    // The text part as the recipient reads it, decoded from the MIME, its link clickable.
    const [greeting, ...rest] = (sent?.text ?? '').split('\n');
    expect(email.text).toContain(`<pre class="mail">${escapeHtml(greeting ?? '')}\n`);
    const link = /https?:\/\/\S+/.exec(rest.join('\n'))?.[0] ?? '';
    expect(link).not.toBe('');
    expect(email.text).toContain(`<a href="${escapeHtml(link)}" target="_blank" rel="noreferrer">`);
    const part = await get(`/outbox/email.html?key=${key ?? ''}`);
    expect(part.text).toContain((sent?.html ?? '').replace(/^[\s\S]*<body[^>]*>/, '').slice(0, 60));
    expect(part.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox");
    expect(part.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(part.text).toContain('<base target="_blank">');
    expect((await get('/outbox/email?key=missing')).status).toBe(404);
  });

  it('runs a schedule’s job now through runJob: a check-in as of now, a follow-up as of its own time', async () => {
    const pair = pairId(ANA.email, VICTOR.email);
    await scheduler.armRecurring(`weekly-${pair}`, 'cron(0 8 ? * MON *)', 'Europe/London', { kind: 'weekly', pairId: pair });
    const nudgeAt = new Date(h.clock.peek().getTime() + 2 * 86_400_000);
    await scheduler.armOnce(`nudge-${waiting.id}`, nudgeAt, { kind: 'nudge', introductionId: waiting.id });
    const page = await get('/schedules');
    expect(page.text).toContain('every Monday at 08:00');
    expect(page.text.indexOf(`value="nudge-${waiting.id}"`)).toBeLessThan(page.text.indexOf(`value="weekly-${pair}"`));

    const response = await runNow(`weekly-${pair}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/schedules?ran=weekly-${pair}&outcomes=sent%2Csent`);
    expect((await get(response.headers.get('location') ?? '')).text).toContain(`Ran weekly-${pair}: sent, sent.`);
    await runNow(`nudge-${waiting.id}`);
    expect(jobsRun).toEqual([
      { kind: 'weekly', pairId: pair, at: h.clock.peek().toISOString() },
      { kind: 'nudge', introductionId: waiting.id, at: nudgeAt.toISOString() },
    ]);

    const gone = await runNow('weekly-nobody');
    expect(decodeURIComponent(gone.headers.get('location') ?? '')).toContain('failed=1');
    expect(jobsRun).toHaveLength(2);
  });

  it('runs nothing for a request that is not from its own page, and answers only at the loopback host', async () => {
    expect((await runNow('anything', {})).status).toBe(403);
    expect((await runNow('anything', { origin: 'https://evil.example' })).status).toBe(403);
    expect((await get('/schedules/run')).status).toBe(405);
    // A page of another site whose name was rebound to 127.0.0.1 names its own host.
    expect(await statusWithHost('evil.example')).toBe(421);
    expect(await statusWithHost(`evil.example:${server.port}`)).toBe(421);
    expect(await statusWithHost(`localhost:${server.port}`)).toBe(200);
    expect(jobsRun).toHaveLength(2);
  });

  it('announces changes to open pages as server-sent events', async () => {
    const abort = new AbortController();
    const response = await fetch(`${base}/events`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (text: string) => {
      while (!received.includes(text)) received += decoder.decode((await reader.read()).value);
    };
    await readUntil('event: hello');
    live.changed();
    live.changed();
    await readUntil('event: change\ndata: 1');
    expect(live.openStreams).toBe(1);
    abort.abort();
  });

  it('is no part of the web function that runs on AWS', async () => {
    for (const path of ['/partners', '/calendar', '/outbox', '/outbox/email', '/schedules', '/inbound', '/events', '/assets/dashboard.js', `/introductions/${booked.id}`]) {
      expect((await web.handler(functionUrlEvent('GET', path))).statusCode, path).toBe(404);
    }
    expect((await web.handler(functionUrlEvent('POST', '/schedules/run', { form: { name: 'anything' } }))).statusCode).toBe(404);
    const home = await web.handler(functionUrlEvent('GET', '/'));
    expect(home.body).not.toContain('/assets/dashboard.js');
    expect(home.body).not.toContain(booked.id);
    expect(jobsRun).toHaveLength(2);
  });

  it('leaves every other path to the web function', async () => {
    expect((await get('/connect?token=x')).text).toBe('the web function answered');
    expect((await get('/assets/dashboard.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });
});
