import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type * as BookingRuntimeModule from '../../functions/shared/booking-runtime.ts';
import type { BookingRuntime } from '../../functions/shared/booking-runtime.ts';
import { signToken } from '../../functions/domain/links/signed-token.ts';
import { PowertoolsBusinessMetrics } from '../../functions/adapters/metrics/powertools-business-metrics.ts';

/**
 * The Lambda entry point: the runtime (secrets, clients) is built lazily from the first request's
 * domain, once, and a failed build is not cached. Only the runtime builder is replaced here.
 */
const build = vi.hoisted(() => vi.fn<(env: NodeJS.ProcessEnv, options?: { webBaseUrl?: string }) => Promise<BookingRuntime>>());
vi.mock('../../functions/shared/booking-runtime.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof BookingRuntimeModule>()),
  bookingRuntimeFromEnvironment: build,
}));
const { handler } = await import('../../functions/handlers/web.ts');

const DOMAIN = 'abcdefghij0123456789.lambda-url.eu-west-1.on.aws';
const event = (path: string, rawQueryString = '') => ({
  version: '2.0',
  rawPath: path,
  rawQueryString,
  headers: { host: DOMAIN },
  requestContext: { domainName: DOMAIN, http: { method: 'GET', path } },
  isBase64Encoded: false,
});

describe('the web Lambda entry point', () => {
  it('builds the runtime once from the request domain, and retries after a failed build', async () => {
    const key = randomBytes(32);
    const runtime = { signingKey: key, verificationKeys: [key], booking: { clock: { now: () => new Date() } }, connection: {} } as unknown as BookingRuntime;
    build.mockRejectedValueOnce(new Error('AccessDeniedException: not allowed to read the link signing secret'));
    build.mockResolvedValue(runtime);

    const failed = await handler(event('/'));
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['cache-control']).toBe('no-store');

    const served = await handler(event('/'));
    expect(served.statusCode).toBe(200);
    expect((await handler(event('/slot'))).statusCode).toBe(400);
    expect(build).toHaveBeenCalledTimes(2);
    // The runtime's sender counts the emails it sends into the function's business metrics.
    for (const call of build.mock.calls) expect(call[1]).toEqual({ webBaseUrl: `https://${DOMAIN}/`, metrics: expect.any(PowertoolsBusinessMetrics) as unknown });

    // Not a Function URL event: refused before any runtime is needed.
    expect((await handler({ hello: 'world' })).statusCode).toBe(400);
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('verifies links with the runtime’s keys (current and previous), and reads them again for a link signed after a rotation', async () => {
    vi.resetModules();
    build.mockReset();
    const { handler: fresh } = await import('../../functions/handlers/web.ts');
    const [current, previous, rotated, unknown] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
    const readLinkKeys = vi.fn(() => Promise.resolve({ signingKey: rotated, verificationKeys: [rotated, current] }));
    build.mockResolvedValue({ signingKey: current, verificationKeys: [current, previous], readLinkKeys, booking: { clock: { now: () => new Date() } }, connection: {} } as unknown as BookingRuntime);
    // Expired links need no table: a good signature gets "expired" (410), a bad one "not valid" (400).
    const expiredLink = (key: Buffer) => event('/rebook', `token=${signToken({ action: 'rebook', subject: 'intro-1', expiresAt: 60 }, key)}`);

    expect((await fresh(expiredLink(current))).statusCode).toBe(410);
    expect((await fresh(expiredLink(previous))).statusCode).toBe(410);
    expect(readLinkKeys).not.toHaveBeenCalled();
    expect((await fresh(expiredLink(rotated))).statusCode).toBe(410);
    expect(readLinkKeys).toHaveBeenCalledTimes(1);
    expect((await fresh(expiredLink(unknown))).statusCode).toBe(400);
    expect(readLinkKeys).toHaveBeenCalledTimes(1);
  });
});
