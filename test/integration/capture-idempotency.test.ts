import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmailInProgressError } from '../../functions/domain/outbound/outbound-email.ts';
import type { DeliverySummary } from '../../functions/handlers/capture.ts';
import { CAPTURE_ADDRESS, corpusMessage, createCaptureHarness, type CaptureHarness } from '../support/capture-harness.ts';

const MOTLEY_INTRO = 'introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml';
const MOTLEY_MESSAGE_ID = '<14576892.1075841341704.JavaMail.evans@thyme>';
const INTRODUCER = 'john.malowney@enron.com';
const SHIVELY_FORWARD = 'introduction_forwarded/enron__shively-h_inbox_49.eml';
const RETRYABLE_DYNAMODB_ERRORS = ['TransactionInProgressException', 'TransactionCanceledException'];

let h: CaptureHarness;

beforeEach(async () => {
  h = await createCaptureHarness();
  await h.registerPartner(INTRODUCER, 'John Malowney');
});

afterEach(async () => {
  h.close();
  await h.expectLogsFreeOfPersonalData();
});

/** After the jobs side handled the stream (and once more, as a redelivery of every record). */
async function expectOneIntroductionOneEmail(): Promise<string> {
  const records = await h.mail.records();
  expect(await h.mail.deliver(records)).toEqual({ failed: [], errors: [] });
  expect(await h.mail.deliver(records)).toEqual({ failed: [], errors: [] });
  const introductions = await h.introductions();
  expect(introductions).toHaveLength(1);
  expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  const outbox = await h.outboxEntries();
  expect(outbox).toEqual([expect.objectContaining({ purpose: 'capture_confirmation', status: 'sent', introductionId: introductions[0]?.id })]);
  const id = introductions[0]?.id ?? '';
  expect((await h.events(id)).filter((event) => event.type === 'captured')).toHaveLength(1);
  return id;
}

describe('capture: the same delivery twice', () => {
  it('records one introduction and sends one email when SES delivers the same event again', async () => {
    const handler = h.handler();
    const event = h.delivery(h.sesId('ses-dup-0001'), corpusMessage(MOTLEY_INTRO));

    const [first] = await handler(event);
    h.clock.advance(90_000);
    const [second] = await handler(event);

    expect(first).toMatchObject({ outcome: 'captured', repeatDelivery: false });
    expect(second).toMatchObject({ outcome: 'captured', introductionId: first?.introductionId, repeatDelivery: true });
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
    const id = await expectOneIntroductionOneEmail();
    expect(id).toBe(first?.introductionId);
    expect(await h.inbound()).toEqual([expect.objectContaining({ deliveryId: h.sesId('ses-dup-0001'), outcome: 'captured' })]);
    // The redelivery is recognized by its SES id before anything else: the raw mail is not even read again.
    expect(h.s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });
});

describe('capture: one message, two deliveries', () => {
  it('records the second copy (another SES message, same Message-ID: CC and BCC) as a duplicate of the first introduction', async () => {
    const handler = h.handler();
    const raw = corpusMessage(MOTLEY_INTRO);

    const [cc] = await handler(h.delivery(h.sesId('ses-copy-cc-0001'), raw, { recipients: [CAPTURE_ADDRESS] }));
    h.clock.advance(1_000);
    const [bcc] = await handler(h.delivery(h.sesId('ses-copy-bcc-0002'), raw, { recipients: ['intro+bcc@in.example.com'] }));

    expect(cc).toMatchObject({ outcome: 'captured' });
    expect(bcc).toMatchObject({ outcome: 'duplicate', introductionId: cc?.introductionId, repeatDelivery: false });
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
    const id = await expectOneIntroductionOneEmail();
    expect(await h.inboundFor(h.sesId('ses-copy-bcc-0002'))).toMatchObject({ outcome: 'duplicate', introductionId: id, messageId: MOTLEY_MESSAGE_ID });
    expect(await h.inbound()).toHaveLength(2);
    // The introduction and its Message-ID stay with the first delivery.
    expect(await h.messageIdOwner(MOTLEY_MESSAGE_ID)).toMatchObject({ introductionId: id, deliveryId: h.sesId('ses-copy-cc-0001') });
  });

  it('asks the partner about an unreadable introduction once, even when two copies of it arrive', async () => {
    await h.registerPartner('j..sturm@enron.com', 'Jim Sturm');
    const handler = h.handler();
    const raw = corpusMessage(SHIVELY_FORWARD);

    const [first] = await handler(h.delivery(h.sesId('ses-amb-copy-0001'), raw));
    const [second] = await handler(h.delivery(h.sesId('ses-amb-copy-0002'), raw, { recipients: ['intro+bcc@in.example.com'] }));

    expect(first).toMatchObject({ outcome: 'ambiguous' });
    expect(second).toMatchObject({ outcome: 'ambiguous' });
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
    // Both records reach the jobs side (two deliveries); the email follows the Message-ID, so one is sent.
    const records = await h.mail.records();
    expect(records).toHaveLength(2);
    expect(await h.mail.deliver(records)).toEqual({ failed: [], errors: [] });
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(await h.inbound()).toHaveLength(2);
  });
});

describe('capture: concurrent duplicates', () => {
  it('keeps one introduction and one email when eight deliveries of one message race (same and different SES ids)', async () => {
    const handler = h.handler();
    const raw = corpusMessage(MOTLEY_INTRO);
    const sesIds = ['a', 'a', 'b', 'a', 'c', 'b', 'd', 'a'].map((label) => h.sesId(`ses-race-${label}`));
    const events = sesIds.map((id) => h.delivery(id, raw));

    const firstRound = await Promise.all(events.map((event) => settle(handler(event))));

    // DynamoDB may turn away a transaction racing another one; that is only retried.
    for (const { error } of firstRound) {
      if (error === undefined) continue;
      const name = error instanceof Error ? error.name : typeof error;
      expect(RETRYABLE_DYNAMODB_ERRORS.includes(name), `unexpected failure: ${name}`).toBe(true);
    }
    // Only one delivery captures. (Two racing attempts of that same delivery may both say so: its
    // transaction has a client request token, so the second is an idempotent replay of the first.)
    const capturedBy = firstRound.filter(({ summary }) => summary?.outcome === 'captured').map(({ summary }) => summary?.deliveryId);
    expect(new Set(capturedBy).size).toBe(1);
    h.clock.advance(60_000);
    const failedEvents = events.filter((_, index) => firstRound[index]?.error !== undefined);
    const retries = await Promise.all(failedEvents.map((event) => settle(handler(event))));
    for (const retry of retries) {
      expect(retry.error).toBeUndefined();
      expect(retry.summary).toMatchObject({ repeatDelivery: true });
    }

    // The jobs side, its record delivered four times at once: a racer that finds the confirmation
    // claimed by another attempt must not send it, and must not report success either: it fails
    // the record, and Lambda retries it.
    const records = await h.mail.records();
    expect(records).toHaveLength(1);
    const racing = await Promise.all([1, 2, 3, 4].map(() => h.mail.deliver(records)));
    for (const error of racing.flatMap((result) => result.errors)) expect(error).toBeInstanceOf(EmailInProgressError);
    expect(racing.filter((result) => result.failed.length === 0).length).toBeGreaterThanOrEqual(1);
    h.clock.advance(60_000);
    for (const result of racing) if (result.failed.length > 0) expect(await h.mail.deliver(result.failed)).toEqual({ failed: [], errors: [] });

    const id = await expectOneIntroductionOneEmail();
    const inbound = await h.inbound();
    expect(inbound.map((record) => record.deliveryId).sort()).toEqual([...new Set(sesIds)].sort());
    expect(inbound.filter((record) => record.outcome === 'captured')).toHaveLength(1);
    expect(inbound.filter((record) => record.outcome === 'duplicate')).toHaveLength(3);
    expect(inbound.every((record) => record.introductionId === id)).toBe(true);
  });
});

async function settle(promise: Promise<DeliverySummary[]>): Promise<{ summary?: DeliverySummary; error?: unknown }> {
  try {
    const [summary] = await promise;
    return { summary };
  } catch (error) {
    return { error };
  }
}
