import { TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PowertoolsBusinessMetrics } from '../../functions/adapters/metrics/powertools-business-metrics.ts';
import { makeBookingHandler } from '../../functions/handlers/booking.ts';
import { makeWebHandler } from '../../functions/handlers/web.ts';
import { createBookingHarness, streamEvent, type BookingHarness } from '../support/booking-harness.ts';
import { CAPTURE_ADDRESS, corpusMessage, createCaptureHarness, type CaptureHarness } from '../support/capture-harness.ts';
import { metricsForEachTest, silentLogger, type EmfCapture } from '../support/emf.ts';
import { createWebHarness, functionUrlEvent, tokenOf, type WebHarness } from '../support/web-harness.ts';

/**
 * The business metrics as CloudWatch would read them from the functions' logs (the EMF lines
 * Powertools writes), over the real capture and booking wiring: DynamoDB Local, real MIME, SES
 * mocked, the loopback Google. Duplicates and retries must not inflate the counts; every failure
 * is counted once with its reason.
 */

const MOTLEY_INTRO = 'introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml';
const MOTLEY_INTRODUCER = 'john.malowney@enron.com';

let emf: EmfCapture;
let metrics: PowertoolsBusinessMetrics;
metricsForEachTest((capture, fresh) => {
  emf = capture;
  metrics = fresh;
});

/** One Lambda invocation: the handler's work, then the counts written as the entry point writes them. */
function invoke<T>(work: () => Promise<T>): Promise<T> {
  return metrics.publishingAfter(work);
}

describe('capture metrics', () => {
  let h: CaptureHarness;
  beforeEach(async () => {
    h = await createCaptureHarness();
    await h.registerPartner(MOTLEY_INTRODUCER, 'John Malowney');
  });
  afterEach(() => h.close());

  it('counts one introduction and one email for a delivery, its redelivery and its BCC copy', async () => {
    const handler = h.handler({ metrics });
    const raw = corpusMessage(MOTLEY_INTRO);
    const event = h.delivery(h.sesId('metrics-cc'), raw);

    await invoke(() => handler(event));
    h.clock.advance(60_000);
    await invoke(() => handler(event));
    await invoke(() => handler(h.delivery(h.sesId('metrics-bcc'), raw, { recipients: ['intro+bcc@in.example.com', CAPTURE_ADDRESS] })));
    expect(emf.total('EmailsSent')).toBe(0);
    // The jobs side sends the confirmation; a redelivered stream record sends nothing more.
    const records = await h.mail.records();
    await invoke(() => h.mail.deliver(records, { metrics }));
    await invoke(() => h.mail.deliver(records, { metrics }));

    expect(await h.introductions()).toHaveLength(1);
    expect(emf.total('IntroductionsCaptured')).toBe(1);
    expect(emf.total('EmailsSent')).toBe(1);
    expect(emf.total('Failures')).toBe(0);
  });

  it('counts SES refusing the confirmation as email_error and job_error, the email once when the retry sends it, the introduction once', async () => {
    const handler = h.handler({ metrics });
    const event = h.delivery(h.sesId('metrics-throttled'), corpusMessage(MOTLEY_INTRO));
    h.rejectNextSend(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} }));

    await invoke(() => handler(event));
    expect(emf.total('IntroductionsCaptured')).toBe(1);
    const records = await h.mail.records();
    const refused = await invoke(() => h.mail.deliver(records, { metrics }));
    expect(refused.failed).toHaveLength(1);
    expect(emf.total('EmailsSent')).toBe(0);
    h.clock.advance(120_000);
    expect(await invoke(() => h.mail.deliver(records, { metrics }))).toEqual({ failed: [], errors: [] });

    expect(emf.total('IntroductionsCaptured')).toBe(1);
    expect(emf.total('EmailsSent')).toBe(1);
    expect(emf.total('Failures', { reason: 'email_error' })).toBe(1);
    expect(emf.total('Failures', { reason: 'job_error' })).toBe(1);
    expect(emf.total('Failures')).toBe(2);
    // Dimensions carry reasons only: no address of anyone reaches a metric.
    expect(JSON.stringify(emf.lines)).not.toMatch(/@/);
  });
});

describe('booking metrics', () => {
  let h: BookingHarness;
  let count = 0;
  beforeAll(async () => {
    h = await createBookingHarness();
  });
  beforeEach(() => h.resetBetweenTests());
  afterAll(async () => {
    await h.stop();
  });

  async function introduction(): Promise<{ id: string; partner: string }> {
    count += 1;
    const partner = await h.registerPartner({ email: `metrics.partner.${count}@partner.test`, name: 'Mia Partner', timeZone: 'America/Chicago' });
    const { id } = await h.createIntroduction({ introducer: { email: 'sam.lee@example.com', name: 'Sam Lee' }, parties: [partner.email, `prospect.${count}@prospect.test`] });
    return { id, partner: partner.email };
  }

  it('counts a booking once however often the stream delivers it, and a record that fails as booking_error', async () => {
    const { id } = await introduction();
    const record = await h.introductionInserted(id);
    const handler = makeBookingHandler({ booking: h.dependencies, logger: silentLogger, metrics });
    const crashing = makeBookingHandler({ booking: { ...h.dependencies, store: h.crashOnce(h.dependencies.store, 'getIntroduction') }, logger: silentLogger, metrics });

    expect(await invoke(() => crashing(streamEvent(record)))).toEqual({ batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] });
    await invoke(() => handler(streamEvent(record)));
    await invoke(() => handler(streamEvent(record, record)));

    expect((await h.introduction(id)).status).toBe('meeting_booked');
    expect(emf.total('IntroductionsBooked')).toBe(1);
    expect(emf.total('Failures', { reason: 'booking_error' })).toBe(1);
    expect(emf.total('Failures')).toBe(1);
  });

  it('counts a revoked calendar as calendar_disconnected', async () => {
    const { id, partner } = await introduction();
    expect(h.google.control.revokeUser(partner)).toBe(1);
    const handler = makeBookingHandler({ booking: h.dependencies, logger: silentLogger, metrics });

    const record = await h.introductionInserted(id);
    await invoke(() => handler(streamEvent(record)));

    expect((await h.partner(partner)).calendar?.status).toBe('disconnected');
    expect(emf.total('Failures', { reason: 'calendar_disconnected' })).toBe(1);
    expect(emf.total('IntroductionsBooked')).toBe(0);
  });
});

describe('web metrics', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await createWebHarness();
  });
  afterAll(() => h.stop());

  it('counts the booking a prospect confirms once, however often the form is posted, and a failed page as web_error', async () => {
    const { introduction, links } = await h.proposal();
    const handler = makeWebHandler({ ...h.webDependencies, metrics });
    const confirm = () => handler(functionUrlEvent('POST', '/slot', { form: { token: tokenOf(links[0] ?? '') } }));

    expect((await invoke(confirm)).statusCode).toBe(200);
    expect((await invoke(confirm)).statusCode).toBe(200);
    const store = h.webDependencies.booking.store;
    const failing = makeWebHandler({ ...h.webDependencies, metrics, booking: { ...h.webDependencies.booking, store: { ...store, getIntroduction: () => Promise.reject(new Error('DynamoDB unavailable')) } } });
    expect((await invoke(() => failing(functionUrlEvent('GET', '/slot', { query: `token=${tokenOf(links[1] ?? '')}` })))).statusCode).toBe(500);

    expect((await h.booking.introduction(introduction.id)).status).toBe('meeting_booked');
    expect(emf.total('IntroductionsBooked')).toBe(1);
    expect(emf.total('Failures', { reason: 'web_error' })).toBe(1);
    expect(emf.total('Failures')).toBe(1);
  });
});
