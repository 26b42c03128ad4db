import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { meetingEventId } from '../../functions/domain/booking/google-ids.ts';
import type { Contact } from '../../functions/domain/introductions/introduction.ts';
import type { Fault } from '../../functions/local/loopback-google/index.ts';
import { makeBookingHandler } from '../../functions/handlers/booking.ts';
import { makeJobsHandler } from '../../functions/handlers/jobs.ts';
import { logger } from '../../functions/shared/logger.ts';
import { compressGoogleRequestTimeout } from '../support/booking-harness.ts';
import { createFollowThroughHarness, type FollowThroughHarness } from '../support/follow-through-harness.ts';
import { reportFigures } from './support/figures.ts';
import { watchLogSinks } from './support/log-capture.ts';
import { SOAK } from './support/scale.ts';
import { DeadLetterQueue, invokeStream } from './support/lambda.ts';

/**
 * Google failing in each way it does, on each call a booking makes, once or for good; through the
 * booking handler with Lambda's stream retries (5, as the stack configures) and its dead-letter
 * queue. A fault that passes is absorbed: booked once. A fault that stays: each invocation tries
 * a bounded number of times (4), the record is retried and then dead-lettered, the introduction
 * waits (nothing lost, nothing booked twice), and once Google is back the daily sweep books it.
 * A revoked grant (invalid_grant) is not retried at all: the calendar is marked disconnected and
 * the partner is asked once to reconnect.
 */

const STREAM_RETRIES = 5;
const ATTEMPTS_PER_CALL = 4;

interface Case {
  readonly fault: Fault;
  readonly label: string;
  readonly operation: string;
  readonly persistent: boolean;
}

const RETRYABLE: readonly { fault: Fault; label: string }[] = [
  { fault: 'rateLimit', label: '429 rateLimitExceeded' },
  { fault: 'rateLimit403', label: '403 rateLimitExceeded' },
  { fault: 'userRateLimit', label: '403 userRateLimitExceeded' },
  { fault: 'backendError', label: '500 backendError' },
  { fault: 'unavailable', label: '503 unavailable' },
];
const API_CALLS = ['calendar.events.get', 'calendar.freebusy.query', 'calendar.events.insert'];

const allCases: Case[] = [
  ...RETRYABLE.flatMap(({ fault, label }) => [...API_CALLS, 'oauth.token'].flatMap((operation) => [false, true].map((persistent) => ({ fault, label, operation, persistent })))),
  // A hung request: the client gives up (a compressed timeout) and the call is retried.
  ...API_CALLS.map((operation) => ({ fault: { delayMs: 400 }, label: 'timeout', operation, persistent: false })),
];
/**
 * Every fault on every call in the soak run; on every `npm test`, every fault on the calls that
 * decide (free/busy and the insert), the token refresh rate-limited, and the timeouts.
 */
const cases = SOAK ? allCases : allCases.filter((testCase) => ['calendar.freebusy.query', 'calendar.events.insert'].includes(testCase.operation) || (testCase.operation === 'oauth.token' && testCase.fault === 'rateLimit') || testCase.label === 'timeout');

let h: FollowThroughHarness;
let people = 0;
const deadLetters = new DeadLetterQueue();
beforeAll(async () => {
  h = await createFollowThroughHarness();
  watchLogSinks(h.logs, h.booking.logs);
});
beforeEach(() => h.resetBetweenTests());
afterEach(() => {
  vi.restoreAllMocks();
  h.booking.google.control.clearFaults();
});
afterAll(() => h.stop());

async function freshIntroduction(label: string) {
  people += 1;
  const sam: Contact = { email: `sam.g${people}@lee-partners.example`, name: 'Sam Lee' };
  const ana: Contact = { email: `ana.g${people}@ruiz.example`, name: 'Ana Ruiz' };
  const bob: Contact = { email: `bob.g${people}@roe.example`, name: `Bob ${label}` };
  await h.partner({ email: sam.email, name: sam.name, timeZone: 'Europe/London', connect: 'none' });
  await h.partner({ email: ana.email, name: ana.name, timeZone: 'Europe/London', connect: 'oauth' });
  const intro = await h.booking.createIntroduction({ introducer: sam, parties: [ana, bob] });
  return { ana, intro, record: await h.booking.introductionInserted(intro.id) };
}

const bookingHandler = () => makeBookingHandler({ booking: h.booking.dependencies, logger });

/** What is wrong, if anything, with this introduction being booked exactly once. */
async function bookedOnce(name: string, introductionId: string, partner: string): Promise<string[]> {
  const problems: string[] = [];
  const booked = await h.introduction(introductionId);
  if (booked.status !== 'meeting_booked' || booked.meeting?.eventId !== meetingEventId(introductionId, 0)) problems.push(`${name}: in the end ${booked.status}`);
  const events = h.booking.calendarEvents(partner, { showDeleted: true });
  if (events.length !== 1) problems.push(`${name}: ${events.length} calendar events`);
  if (h.booking.invitations(partner).length !== 1) problems.push(`${name}: ${h.booking.invitations(partner).length} invitations`);
  return problems;
}

describe('Google faults through the booking handler, Lambda retries and the daily sweep', () => {
  it(`${cases.length} fault cases: absorbed, or dead-lettered after bounded retries and then booked by the sweep; never booked twice`, { timeout: 300_000 }, async () => {
    const problems: string[] = [];
    let deadLettered = 0;
    let maxRequestsPerInvocation = 0;
    const left: { name: string; introductionId: string; partner: string }[] = [];
    for (const testCase of cases) {
      h.booking.resetBetweenTests();
      const name = `${testCase.label} on ${testCase.operation}${testCase.persistent ? ', for good' : ', once'}`;
      const { ana, intro, record } = await freshIntroduction(testCase.label.replace(/\W+/g, ''));
      if (typeof testCase.fault === 'object') compressGoogleRequestTimeout(200);
      h.booking.injectFault({ fault: testCase.fault, match: { operation: testCase.operation }, times: testCase.persistent ? 1_000 : 1 });
      const before = h.booking.requests({ operation: testCase.operation }).length;

      const result = await invokeStream((event) => bookingHandler()(event), [record], { retryAttempts: STREAM_RETRIES, deadLetters, beforeRetry: () => h.clock.advance(60_000) });
      const faulted = h.booking.requests({ operation: testCase.operation }).length - before;
      maxRequestsPerInvocation = Math.max(maxRequestsPerInvocation, faulted / result.invocations);
      if (faulted > ATTEMPTS_PER_CALL * result.invocations) problems.push(`${name}: ${faulted} requests in ${result.invocations} invocations (more than ${ATTEMPTS_PER_CALL} each)`);
      h.booking.google.control.clearFaults();
      vi.restoreAllMocks();

      if (testCase.persistent) {
        if (result.deadLettered.length !== 1) problems.push(`${name}: not dead-lettered (${result.invocations} invocations)`);
        else deadLettered += 1;
        const waiting = await h.introduction(intro.id);
        if (waiting.status !== 'awaiting_booking' || waiting.meeting) problems.push(`${name}: after the dead letter, status ${waiting.status}`);
        if (h.booking.calendarEvents(ana.email, { showDeleted: true }).length !== 0) problems.push(`${name}: booked while failing`);
        left.push({ name, introductionId: intro.id, partner: ana.email });
        continue;
      }
      if (result.deadLettered.length > 0) problems.push(`${name}: dead-lettered though the fault passed`);
      problems.push(...(await bookedOnce(name, intro.id, ana.email)));
    }
    // Google is back; the next daily sweep books everything the dead-letter queue holds.
    h.clock.advance(24 * 3_600_000);
    const swept = await makeJobsHandler({ followThrough: h.dependencies, logger })({ kind: 'sweep', at: h.clock.peek().toISOString() });
    const repairedBySweep = 'outcomes' in swept ? swept.outcomes.filter((outcome) => outcome === 'booking:booked').length : 0;
    for (const { name, introductionId, partner } of left) problems.push(...(await bookedOnce(`${name}, after the sweep`, introductionId, partner)));
    reportFigures('Google faults', {
      'cases tried': cases.length,
      'dead-lettered (fault for good)': deadLettered,
      'booked by the next daily sweep': `${repairedBySweep} of ${left.length}`,
      'max requests to the failing call per invocation': maxRequestsPerInvocation,
      failures: problems.length,
    });
    expect(problems).toEqual([]);
  });

  it('invalid_grant (a revoked or expired grant): no retries, the calendar disconnected, one email asking to reconnect, booked after the reconnect', { timeout: 60_000 }, async () => {
    const { ana, intro, record } = await freshIntroduction('grant');
    h.booking.injectFault({ fault: 'invalidGrant', match: { operation: 'oauth.token' }, times: 1_000 });
    const tokenRequestsBefore = h.booking.requests({ operation: 'oauth.token' }).length;

    const result = await invokeStream((event) => bookingHandler()(event), [record], { retryAttempts: STREAM_RETRIES, deadLetters });
    expect(result).toMatchObject({ invocations: 1, deadLettered: [] });
    expect(h.booking.requests({ operation: 'oauth.token' }).length - tokenRequestsBefore).toBe(1);
    expect((await h.booking.partner(ana.email)).calendar).toMatchObject({ status: 'disconnected', disconnectReason: 'HTTP 400 invalid_grant' });
    expect((await h.introduction(intro.id)).booking?.waitingFor).toBe('calendar_reconnect');
    expect(h.booking.mail.emails({ purpose: 'calendar_reconnect', to: ana.email })).toHaveLength(1);

    // The same record again (a redelivery) asks nothing more of Google and sends nothing more.
    await invokeStream((event) => bookingHandler()(event), [record], { deadLetters });
    expect(h.booking.mail.emails({ purpose: 'calendar_reconnect', to: ana.email })).toHaveLength(1);

    h.booking.google.control.clearFaults();
    const before = await h.booking.item({ pk: `PARTNER#${ana.email}`, sk: 'META' });
    await h.booking.connectCalendar(ana.email);
    const after = await h.booking.item({ pk: `PARTNER#${ana.email}`, sk: 'META' });
    await invokeStream((event) => bookingHandler()(event), [h.booking.partnerModified(before, after)], { deadLetters });
    expect((await h.introduction(intro.id)).status).toBe('meeting_booked');
    expect(h.booking.calendarEvents(ana.email, { showDeleted: true })).toHaveLength(1);
    reportFigures('Google invalid_grant', { 'cases tried': 1, 'token requests': 1, 'reconnect emails': 1, 'dead-lettered': 0, failures: 0 });
  });
});
