import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import type { CaptureDependencies } from '../../functions/domain/capture/capture-delivery.ts';
import type { CaptureStore } from '../../functions/domain/capture/ports.ts';
import { EmailInProgressError, OUTBOX_CLAIM_LEASE_MS, type MailSender, type Outbox } from '../../functions/domain/outbound/outbound-email.ts';
import type { CaptureMailDependencies } from '../../functions/domain/capture/capture-mail.ts';
import type { DeliverySummary } from '../../functions/handlers/capture.ts';
import type { LambdaStreamRecord } from '../../functions/local/stream-poller.ts';
import { corpusMessage, createCaptureHarness, type CaptureHarness, type DependencyWrapper, type MailDependencyWrapper } from '../support/capture-harness.ts';

const MOTLEY_INTRO = 'introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml';
const INTRODUCER = 'john.malowney@enron.com';
/** Lambda retries a failed asynchronous invocation after about a minute (then two); the stream's records are retried as the reliability suite models them, as late. */
const LAMBDA_FIRST_RETRY_MS = 60_000;

class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

/** Fails the first call, before doing anything or after doing the real work (the reply is lost); later calls pass. */
function failOnce<A extends unknown[], R>(call: (...args: A) => Promise<R>, when: 'before' | 'after', what: string): (...args: A) => Promise<R> {
  let failed = false;
  return async (...args: A) => {
    if (failed) return call(...args);
    failed = true;
    if (when === 'after') await call(...args);
    throw new InjectedCrash(`${what}: crashed ${when} the call`);
  };
}

function withStore(dependencies: CaptureDependencies, overrides: Partial<CaptureStore>): CaptureDependencies {
  const store = dependencies.store;
  const delegate: CaptureStore = {
    findInbound: (id) => store.findInbound(id),
    findIntroductionIdByMessageIds: (ids) => store.findIntroductionIdByMessageIds(ids),
    findThreadByMessageIds: (ids) => store.findThreadByMessageIds(ids),
    findIntroductionsByThreadSubject: (key) => store.findIntroductionsByThreadSubject(key),
    getIntroduction: (id) => store.getIntroduction(id),
    saveCapture: (capture) => store.saveCapture(capture),
    saveReply: (reply) => store.saveReply(reply),
    saveOutcome: (inbound) => store.saveOutcome(inbound),
    saveWaitingReply: (reply) => store.saveWaitingReply(reply),
    findWaitingReplies: (messageId) => store.findWaitingReplies(messageId),
    adoptWaitingReply: (adoption) => store.adoptWaitingReply(adoption),
  };
  return { ...dependencies, store: { ...delegate, ...overrides } };
}

function withOutbox(dependencies: CaptureMailDependencies, overrides: Partial<Outbox>): CaptureMailDependencies {
  const outbox = dependencies.outbox;
  return {
    ...dependencies,
    outbox: { claim: (email, now, lease) => outbox.claim(email, now, lease), markSent: (key, at, id) => outbox.markSent(key, at, id), release: (key, lease) => outbox.release(key, lease), ...overrides },
  };
}

function withSender(dependencies: CaptureMailDependencies, send: MailSender['send']): CaptureMailDependencies {
  return { ...dependencies, sender: { send } };
}

/** A connection whose first TransactWriteItems is cancelled by DynamoDB as a conflict with another transaction. */
function conflictingOnce(connection: DynamoConnection): DynamoConnection {
  const client = connection.client;
  let conflicted = false;
  const send = (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
    if (command instanceof TransactWriteCommand && !conflicted) {
      conflicted = true;
      const reasons = (command.input.TransactItems ?? []).map((_, index) => (index === 1 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' }));
      return Promise.reject(new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: { httpStatusCode: 400 }, CancellationReasons: reasons }));
    }
    return client.send(command);
  };
  return { tableName: connection.tableName, client: Object.assign(Object.create(client) as DynamoDBDocumentClient, { send }) };
}

interface CrashPoint {
  readonly name: string;
  /** Where it crashes: in the capture (the SES event is retried) or in the jobs side's send (the stream record is retried). */
  readonly side: 'capture' | 'mail';
  readonly inject: (h: CaptureHarness) => { wrap?: DependencyWrapper; connection?: DynamoConnection } | { wrap?: MailDependencyWrapper };
  /** What the crashed attempt left: the introduction written or not, and the emails SES accepted. */
  readonly afterCrash: { introductions: number; accepted: number };
  /** A retry within the claim lease must wait (an earlier attempt may be mid-send), else it finishes the work. */
  readonly retryWithinLease: 'sends' | 'waits';
  /** Emails SES accepted in the end: one, except after a crash between SES accepting and the outbox update. */
  readonly acceptedInTheEnd: number;
}

const crashPoints: CrashPoint[] = [
  {
    name: 'DynamoDB cancels the capture transaction (conflict), nothing written',
    side: 'capture',
    inject: (h) => ({ connection: conflictingOnce(h.connection) }),
    afterCrash: { introductions: 0, accepted: 0 },
    retryWithinLease: 'sends',
    acceptedInTheEnd: 1,
  },
  {
    name: 'saveCapture fails before the transaction',
    side: 'capture',
    inject: () => ({ wrap: (d: CaptureDependencies) => withStore(d, { saveCapture: failOnce(d.store.saveCapture.bind(d.store), 'before', 'saveCapture') }) }),
    afterCrash: { introductions: 0, accepted: 0 },
    retryWithinLease: 'sends',
    acceptedInTheEnd: 1,
  },
  {
    name: 'saveCapture commits but its reply is lost (crash between the write and the end of the capture)',
    side: 'capture',
    inject: () => ({ wrap: (d: CaptureDependencies) => withStore(d, { saveCapture: failOnce(d.store.saveCapture.bind(d.store), 'after', 'saveCapture') }) }),
    afterCrash: { introductions: 1, accepted: 0 },
    retryWithinLease: 'sends',
    acceptedInTheEnd: 1,
  },
  {
    name: 'the outbox claim is taken, then the attempt dies before sending',
    side: 'mail',
    inject: () => ({ wrap: (d: CaptureMailDependencies) => withSender(d, failOnce(d.sender.send.bind(d.sender), 'before', 'send')) }),
    afterCrash: { introductions: 1, accepted: 0 },
    retryWithinLease: 'waits',
    acceptedInTheEnd: 1,
  },
  {
    name: 'SES rejects the send (throttled)',
    side: 'mail',
    inject: (h) => {
      h.rejectNextSend(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } }));
      return {};
    },
    afterCrash: { introductions: 1, accepted: 0 },
    // SES answered "no": nothing went out, the claim is given up, and the stream's prompt retry sends.
    retryWithinLease: 'sends',
    acceptedInTheEnd: 1,
  },
  {
    // THE ONE ACCEPTED WINDOW: SES accepted the email, then the attempt died before the outbox
    // recorded it. Within the lease a retry waits; after the lease nothing says the email left, so
    // the retry sends it again: at-least-once for a crash between SES accepting and the outbox
    // update. The copy has the same Message-ID (derived from the outbox key), so mail clients that
    // dedupe by Message-ID show one.
    name: 'SES accepts the email, then markSent fails',
    side: 'mail',
    inject: () => ({ wrap: (d: CaptureMailDependencies) => withOutbox(d, { markSent: failOnce(d.outbox.markSent.bind(d.outbox), 'before', 'markSent') }) }),
    afterCrash: { introductions: 1, accepted: 1 },
    retryWithinLease: 'waits',
    acceptedInTheEnd: 2,
  },
];

let h: CaptureHarness;

beforeEach(async () => {
  h = await createCaptureHarness();
  await h.registerPartner(INTRODUCER, 'John Malowney');
});

afterEach(async () => {
  h.close();
  await h.expectLogsFreeOfPersonalData();
});

/** The same wrapped dependencies for every delivery of the record (a fault that fails once stays failed once). */
function lasting(wrap: MailDependencyWrapper | undefined): MailDependencyWrapper | undefined {
  if (!wrap) return undefined;
  let wrapped: CaptureMailDependencies | undefined;
  return (dependencies) => (wrapped ??= wrap(dependencies));
}

/** The jobs side handles the capture's record once; returns what failed. */
async function mailAttempt(records: readonly LambdaStreamRecord[], wrap?: MailDependencyWrapper): Promise<{ error?: unknown }> {
  const { errors } = await h.mail.deliver(records, wrap ? { wrap } : {});
  return errors.length > 0 ? { error: errors[0] } : {};
}

async function attempt(handler: (event: unknown) => Promise<DeliverySummary[]>, event: unknown): Promise<{ summary?: DeliverySummary; error?: unknown }> {
  try {
    const [summary] = await handler(event);
    return { summary };
  } catch (error) {
    return { error };
  }
}

describe('capture: a crash between steps, then Lambda retries', () => {
  it.each(crashPoints)('$name', async ({ inject, side, afterCrash, retryWithinLease, acceptedInTheEnd }) => {
    const injected = inject(h);
    const handler = h.handler(side === 'capture' ? (injected as { wrap?: DependencyWrapper; connection?: DynamoConnection }) : {});
    const mailWrap = side === 'mail' ? lasting((injected as { wrap?: MailDependencyWrapper }).wrap) : undefined;
    const event = h.delivery(h.sesId('ses-crash-0001'), corpusMessage(MOTLEY_INTRO));

    // 1. The first attempt fails (the capture's handler rejects, so Lambda retries the event; or the
    //    jobs side reports the stream record failed, so Lambda retries the record).
    const first = await attempt(handler, event);
    let records: LambdaStreamRecord[] = [];
    let crashed: { error?: unknown };
    if (side === 'capture') crashed = first;
    else {
      expect(first.error).toBeUndefined();
      records = await h.mail.records();
      expect(records).toHaveLength(1);
      crashed = await mailAttempt(records, mailWrap);
    }
    expect(crashed.error).toBeDefined();
    expect(crashed.error).not.toBeInstanceOf(EmailInProgressError);
    expect(await h.introductions()).toHaveLength(afterCrash.introductions);
    expect(await h.sentEmails()).toHaveLength(afterCrash.accepted);

    // 2. A retry a few seconds later (another concurrent copy, or a quick redelivery).
    h.clock.advance(5_000);
    if (retryWithinLease === 'waits') {
      // Someone may be sending right now: no second email, and no success either (Lambda retries later).
      expect((await mailAttempt(records, mailWrap)).error).toBeInstanceOf(EmailInProgressError);
      expect(await h.sentEmails()).toHaveLength(afterCrash.accepted);
      expect(await h.outboxEntries()).toEqual([expect.objectContaining({ status: 'sending' })]);

      // 3. Lambda's retry, after the claim's lease ran out.
      h.clock.advance(LAMBDA_FIRST_RETRY_MS);
      expect(await mailAttempt(records, mailWrap)).toEqual({});
    } else if (side === 'mail') {
      expect(await mailAttempt(records, mailWrap)).toEqual({});
    } else {
      const early = await attempt(handler, event);
      expect(early.error).toBeUndefined();
      expect(early.summary).toMatchObject({ outcome: 'captured', repeatDelivery: afterCrash.introductions > 0 });
      // The capture's record reaches the jobs side once, whichever attempt wrote it.
      records = await h.mail.records();
      expect(records).toHaveLength(1);
      expect(await mailAttempt(records)).toEqual({});
    }

    // In the end: one introduction, one history event, one inbound record, the email recorded as sent.
    const introductions = await h.introductions();
    expect(introductions).toHaveLength(1);
    const id = introductions[0]?.id ?? '';
    expect(await h.events(id)).toHaveLength(1);
    expect(await h.inbound()).toEqual([expect.objectContaining({ deliveryId: h.sesId('ses-crash-0001'), outcome: 'captured', introductionId: id })]);
    expect(await h.outboxEntries()).toEqual([expect.objectContaining({ outboxKey: `capture_confirmation#${id}`, status: 'sent' })]);
    const sent = await h.sentEmails();
    expect(sent).toHaveLength(acceptedInTheEnd);
    expect(new Set(sent.map((email) => email.parsed.messageId)).size).toBe(1);

    // 4. Any later redelivery (of the SES event, of the stream record) changes nothing.
    h.clock.advance(10 * 60_000);
    const [again] = await handler(event);
    expect(again).toMatchObject({ outcome: 'captured', introductionId: id, repeatDelivery: true });
    expect(await h.mail.drain()).toBe(0);
    expect(await mailAttempt(records)).toEqual({});
    expect(await h.sentEmails()).toHaveLength(acceptedInTheEnd);
    expect(await h.introductions()).toHaveLength(1);
  });

  it('holds the claim for exactly the lease: a retry at the lease\u2019s end still waits, one just after it sends', async () => {
    const wrap = lasting((d) => withOutbox(d, { markSent: failOnce(d.outbox.markSent.bind(d.outbox), 'before', 'markSent') }));
    await h.handler()(h.delivery(h.sesId('ses-lease-0001'), corpusMessage(MOTLEY_INTRO)));
    const records = await h.mail.records();
    expect((await mailAttempt(records, wrap)).error).toBeInstanceOf(InjectedCrash);
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);

    h.clock.advance(OUTBOX_CLAIM_LEASE_MS);
    expect((await mailAttempt(records, wrap)).error).toBeInstanceOf(EmailInProgressError);
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);

    h.clock.advance(1);
    expect(await mailAttempt(records, wrap)).toEqual({});
    expect(await h.outboxEntries()).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 2);
    expect(OUTBOX_CLAIM_LEASE_MS).toBeLessThan(LAMBDA_FIRST_RETRY_MS);
  });
});
