import { createHash } from 'node:crypto';
import { LambdaFunctionUrlSchema } from '@aws-lambda-powertools/parser/schemas/lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarUnavailableError } from '../../functions/domain/booking/calendar-port.ts';
import { makeWebHandler } from '../../functions/handlers/web.ts';
import { startWebServer } from '../../functions/local/web-server.ts';
import { PortInUseError } from '../../functions/local/smtp-inbound.ts';
import { createWebHarness, fetchPage, headingOf, postForm, textOf, type WebHarness } from '../support/web-harness.ts';

let h: WebHarness;
let slotLink: string;
beforeAll(async () => {
  h = await createWebHarness();
  slotLink = (await h.proposal()).links[0] ?? '';
});
afterAll(() => h.stop());

const token = () => new URL(slotLink).searchParams.get('token') ?? '';

/** A Function URL event, as AWS sends it, for calling the handler directly. */
function urlEvent(method: string, path: string, options: { query?: string; body?: string; base64?: boolean; headers?: Record<string, string> } = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { host: 'abc.lambda-url.eu-west-1.on.aws', ...options.headers },
    requestContext: { domainName: 'abc.lambda-url.eu-west-1.on.aws', http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' } },
    ...(options.body === undefined ? {} : { body: options.base64 ? Buffer.from(options.body).toString('base64') : options.body }),
    isBase64Encoded: options.base64 ?? false,
  };
}

describe('every response is a safe page', () => {
  it('carries the security headers, and a CSP that allows exactly the inline style and script the page has', async () => {
    const pages = [
      await fetchPage(h.url('/')),
      await fetchPage(slotLink),
      await fetchPage(h.url('/nowhere')),
      await fetchPage(h.url('/slot?token=nonsense')),
      await postForm(h.url('/slot'), { token: token().slice(0, -3) }),
    ];
    expect(pages.map((page) => page.status)).toEqual([200, 200, 404, 400, 400]);
    for (const page of pages) {
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const csp = Object.fromEntries(
        (page.headers.get('content-security-policy') ?? '').split('; ').map((directive): [string, string[]] => {
          const [name = '', ...values] = directive.split(' ');
          return [name, values];
        }),
      );
      expect(csp['default-src']).toEqual(["'none'"]);
      expect(csp['form-action']).toEqual(["'self'"]);
      expect(csp['frame-ancestors']).toEqual(["'none'"]);
      expect(csp['base-uri']).toEqual(["'none'"]);
      const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
      for (const [, style] of page.text.matchAll(/<style>([\s\S]*?)<\/style>/g)) expect(csp['style-src']).toEqual([hash(style ?? '')]);
      const scripts = [...page.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
      for (const script of scripts) expect(csp['script-src']).toEqual([hash(script)]);
      // No external assets, no inline handlers or style attributes the CSP would block.
      expect(page.text).not.toMatch(/<(link|img|iframe)\b|\bsrc=|\bstyle="|\bon[a-z]+=/i);
      expect(page.text).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
      expect(page.text).toContain('<html lang="en">');
    }
    // The script is only on pages that show times.
    expect(pages[1]?.text).toContain('<script>');
    expect(pages[0]?.text).not.toContain('<script>');
    expect(headingOf(pages[0]?.text ?? '')).toBe('Referral desk');
  });

  it('unknown paths are 404, other methods 405 with Allow, HEAD has no body', async () => {
    expect((await fetchPage(h.url('/slot/'))).status).toBe(404);
    expect((await fetchPage(h.url('/oauth/callback/extra'))).status).toBe(404);
    expect((await fetchPage(h.url('/__proto__'))).status).toBe(404);
    const put = await fetchPage(h.url('/slot'), { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    const postConnect = await postForm(h.url('/connect'), { token: 'x' });
    expect(postConnect.status).toBe(405);
    expect(postConnect.headers.get('allow')).toBe('GET');
    const head = await fetchPage(slotLink, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('content-security-policy')).not.toBeNull();
  });

  it('POST bodies: only forms, limited in size, parsed robustly', async () => {
    const json = await fetchPage(h.url('/slot'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: token() }) });
    expect(json.status).toBe(415);
    const big = await postForm(h.url('/slot'), { token: token(), padding: 'x'.repeat(9 * 1024) });
    expect(big.status).toBe(413);
    const huge = await postForm(h.url('/slot'), { padding: 'x'.repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    expect(h.booking.calendarEvents('victor.ng@partner.test')).toEqual([]);

    // Extra and malformed fields, a charset parameter, an upper-case type: the token is still found.
    const odd = await fetchPage(h.url('/slot'), {
      method: 'POST',
      headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' },
      body: `a=%ZZ&=&b&token=${token()}&c=%E2%82%AC`,
    });
    expect(odd.status).toBe(200);
    expect(headingOf(odd.text)).toBe('Booked — the invitation is on its way');
  });

  it('the handler validates the event at the edge and reads plain or base64 bodies', async () => {
    for (const bad of [null, {}, { rawPath: '/', requestContext: {} }, urlEvent('GET', 'no-slash'), urlEvent('BREW', '/')]) {
      const response = await h.handler(bad);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-security-policy']).toBeDefined();
    }
    // A valid token for an introduction that does not exist: only a body that was read gets as far as "not on record".
    const unknown = new URL(h.dependencies.links.bookSlot('no-such-introduction', { start: new Date('2026-12-01T15:00:00Z'), end: new Date('2026-12-01T15:30:00Z') })).searchParams.get('token') ?? '';
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const base64 of [false, true]) {
      const response = await h.handler(urlEvent('POST', '/slot', { body: `token=${unknown}`, base64, headers: form }));
      expect(response.statusCode).toBe(404);
      expect(headingOf(response.body)).toBe('This introduction is no longer on record');
    }
    expect((await h.handler(urlEvent('POST', '/slot', { body: `token=${unknown}`, headers: form }))).statusCode).toBe(404);
    expect((await h.handler(urlEvent('POST', '/slot', { body: 'token=', headers: form }))).statusCode).toBe(400);
    expect((await h.handler(urlEvent('GET', '/slot', { query: `token=${unknown}` }))).statusCode).toBe(404);
  });

  it('a failing dependency gives an honest 500 or 503 page and logs only the error name', async () => {
    const store = h.webDependencies.booking.store;
    const failing = (error: Error) =>
      makeWebHandler({ ...h.webDependencies, booking: { ...h.webDependencies.booking, store: { ...store, getIntroduction: () => Promise.reject(error) } } });
    const crashed = await failing(new Error('ProvisionedThroughputExceededException for lena.park@prospect.test'))(urlEvent('GET', '/slot', { query: `token=${token()}` }));
    expect(crashed.statusCode).toBe(500);
    expect(headingOf(crashed.body)).toBe('Something went wrong on our side');
    const unavailable = await failing(new CalendarUnavailableError('Google 503'))(urlEvent('GET', '/slot', { query: `token=${token()}` }));
    expect(unavailable.statusCode).toBe(503);
    expect(textOf(unavailable.body)).toContain('nothing was booked');

    const logged = JSON.stringify(h.logs);
    expect(logged).toContain('"error":"CalendarUnavailableError"');
    expect(logged).not.toMatch(/@/);
    expect(logged).not.toContain(token());
    expect(logged).not.toContain(token().split('.')[1]);
  });
});

describe('the local web server', () => {
  it('turns requests into Function URL events that pass Powertools’ full schema, and writes responses back', async () => {
    const events: unknown[] = [];
    const server = await startWebServer({
      port: 0,
      handler: (event) => {
        events.push(event);
        return Promise.resolve({ statusCode: 201, headers: { 'content-type': 'text/plain', 'x-test': 'yes' }, body: 'made', isBase64Encoded: false });
      },
    });
    try {
      const get = await fetch(`${server.url}/slot?token=a.b&x=1&x=2`, { headers: { cookie: 'a=1; b=2', 'x-many': 'one' } });
      expect(get.status).toBe(201);
      expect(get.headers.get('x-test')).toBe('yes');
      expect(await get.text()).toBe('made');
      await fetch(`${server.url}/slot`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=a.b' });
      await fetch(`${server.url}/notes`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'héllo' });

      const [getEvent, formEvent, textEvent] = events.map((event) => LambdaFunctionUrlSchema.parse(event));
      expect(getEvent).toMatchObject({ rawPath: '/slot', rawQueryString: 'token=a.b&x=1&x=2', queryStringParameters: { token: 'a.b', x: '1,2' }, cookies: ['a=1', 'b=2'], isBase64Encoded: false });
      expect(getEvent?.requestContext.http.method).toBe('GET');
      expect(getEvent?.requestContext.domainName).toBe(`127.0.0.1:${server.port}`);
      expect(getEvent?.headers['x-many']).toBe('one');
      expect(getEvent?.headers.cookie).toBeUndefined();
      expect(getEvent?.body).toBeUndefined();
      expect(formEvent).toMatchObject({ isBase64Encoded: true, body: Buffer.from('token=a.b').toString('base64') });
      expect(textEvent).toMatchObject({ isBase64Encoded: false, body: 'héllo' });
    } finally {
      await server.stop();
    }
  });

  it('answers 502 when the handler throws, as a Function URL does', async () => {
    const server = await startWebServer({ port: 0, handler: () => Promise.reject(new Error('boom')) });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(502);
    } finally {
      await server.stop();
    }
  });

  it('a port already in use gives a clear error', async () => {
    const error = await startWebServer({ port: h.server.port, handler: h.handler }).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toBe(
      `Port ${h.server.port} on 127.0.0.1 is already in use, so the web server cannot start. Stop whatever uses it, or choose another port: REFER_WEB_PORT=<port> npm start`,
    );
  });
});
