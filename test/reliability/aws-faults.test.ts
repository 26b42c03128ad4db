import { DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3ServiceException, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { CAPTURE_ADDRESS, composeMessage, RAW_MAIL, sesEvent, type CaptureHarness } from '../support/capture-harness.ts';
import { createCaptureWorld, type CaptureWorld } from './support/capture-world.ts';
import { reportFigures } from './support/figures.ts';
import { DeadLetterQueue, invokeAsync, invokeStream } from './support/lambda.ts';
import { s3ObjectOutput } from './support/s3-object.ts';

/**
 * AWS failing under the capture: DynamoDB throttling (absorbed by the SDK's retries, or beyond
 * them), transactions cancelled by a conflicting one, SES throttling, an S3 object missing or S3
 * failing. Through the production handler with Lambda's asynchronous retries (two, a minute and
 * two apart) and its dead-letter queue. Every case ends the same way: one introduction, one
 * confirmation, one recorded outcome; a case that outlasts the retries lands in the dead-letter
 * queue with nothing half-done that a redrive would repeat, and the redrive finishes it.
 */

const PARTNER = 'sam.lee@partners.example';
const LAMBDA_RETRY_MS = 60_000;
/** The jobs function's table stream mapping retries a failed record this many times (lib/constructs/jobs.ts). */
const STREAM_RETRY_ATTEMPTS = 5;
/** The AWS SDK's standard retry mode: three attempts in all. */
const SDK_ATTEMPTS = 3;

const retryToken = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 1 });

let world: CaptureWorld;
let h: CaptureHarness;
let counter = 0;
const deadLetters = new DeadLetterQueue();

beforeAll(async () => {
  world = await createCaptureWorld([[PARTNER, 'Sam Lee']]);
  h = world.h;
});
afterAll(() => world.stop());

/** A DynamoDB connection to the same table whose requests fail the way `fault` says, inside the SDK's retry loop. */
function faultyConnection(fault: (commandName: string) => Error | null): DynamoConnection {
  const raw = new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // The SDK's standard retries (3 attempts; throttling and transient errors only) without the
    // waits between them, so the test counts what production would do in a fraction of the time.
    retryStrategy: {
      acquireInitialRetryToken: () => Promise.resolve(retryToken(0)),
      refreshRetryTokenForRetry: (previous, info) =>
        info.errorType === 'CLIENT_ERROR' || previous.getRetryCount() + 1 >= SDK_ATTEMPTS ? Promise.reject(info.error ?? new Error('no retry')) : Promise.resolve(retryToken(previous.getRetryCount() + 1)),
      recordSuccess: () => undefined,
    },
  });
  raw.middlewareStack.add(
    (next, context) => (args) => {
      const error = fault(context.commandName ?? '');
      return error ? Promise.reject(error) : next(args);
    },
    { step: 'finalizeRequest', name: 'injectedFault', priority: 'low' },
  );
  return { client: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } }), tableName: h.connection.tableName };
}

const throttle = () => new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: { httpStatusCode: 400 } });
const conflict = () =>
  new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
  });

/** The first `count` requests of this kind fail (Infinity: all of them, until `stop`). */
function failing(commandName: string, count: number, error: () => Error) {
  const state = { remaining: count, thrown: 0, stop: () => (state.remaining = 0) };
  const connection = faultyConnection((name) => {
    if (name !== commandName || state.remaining <= 0) return null;
    state.remaining -= 1;
    state.thrown += 1;
    return error();
  });
  return { connection, state };
}

interface Case {
  readonly name: string;
  /** Prepares the fault for this delivery; returns the wiring to use and how to end the fault. */
  readonly inject: (sesId: string, raw: Buffer) => { connection?: DynamoConnection; recover?: () => void; thrown?: () => number };
  /** Whether it outlasts Lambda's retries (then it is dead-lettered and redriven once the fault ends). */
  readonly deadLetters: boolean;
  /** Where the fault is: the capture (its SES event is retried), or the jobs side's send of its email (its stream record is retried). */
  readonly side?: 'capture' | 'mail';
}

const cases: Case[] = [
  ...[1, 2].map((count) => ({
    name: `DynamoDB throttles the capture transaction ${count}× (the SDK's own retries absorb it)`,
    inject: () => {
      const { connection, state } = failing('TransactWriteItemsCommand', count, throttle);
      return { connection, thrown: () => state.thrown };
    },
    deadLetters: false,
  })),
  {
    name: 'DynamoDB throttles the capture transaction 4× (beyond the SDK, one Lambda retry)',
    inject: () => {
      const { connection, state } = failing('TransactWriteItemsCommand', 4, throttle);
      return { connection, thrown: () => state.thrown };
    },
    deadLetters: false,
  },
  {
    name: 'DynamoDB throttles every read of the delivery record, for good',
    inject: () => {
      const { connection, state } = failing('GetItemCommand', Infinity, throttle);
      return { connection, thrown: () => state.thrown, recover: state.stop };
    },
    deadLetters: true,
  },
  {
    name: "DynamoDB throttles the outbox's claim for good, after the introduction was written",
    inject: () => {
      const { connection, state } = failing('PutItemCommand', Infinity, throttle);
      return { connection, thrown: () => state.thrown, recover: state.stop };
    },
    deadLetters: true,
    side: 'mail',
  },
  ...[1, 3].map((count) => ({
    name: `another transaction conflicts with the capture's ${count}×`,
    inject: () => {
      const { connection, state } = failing('TransactWriteItemsCommand', count, conflict);
      return { connection, thrown: () => state.thrown, recover: state.stop };
    },
    deadLetters: count >= 3,
  })),
  {
    name: 'SES throttles the confirmation once',
    inject: () => {
      h.rejectNextSend(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } }));
      return {};
    },
    deadLetters: false,
    side: 'mail',
  },
  {
    name: 'SES throttles the confirmation through every retry',
    inject: () => {
      // The first attempt and the stream's 5 retries.
      for (let attempt = 0; attempt < 1 + STREAM_RETRY_ATTEMPTS; attempt += 1) h.rejectNextSend(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } }));
      return {};
    },
    deadLetters: true,
    side: 'mail',
  },
  {
    name: 'S3 answers 500 once',
    inject: (sesId, raw) => {
      let calls = 0;
      h.s3.on(GetObjectCommand, { Bucket: RAW_MAIL.bucket, Key: `${RAW_MAIL.prefix}${sesId}` }).callsFake((input: GetObjectCommandInput) => {
        calls += 1;
        if (calls === 1) throw new S3ServiceException({ name: 'InternalError', $fault: 'server', message: 'We encountered an internal error. Please try again.', $metadata: { httpStatusCode: 500 } });
        return s3ObjectOutput(raw, input);
      });
      return {};
    },
    deadLetters: false,
  },
  {
    name: 'the S3 object is missing (until it is restored)',
    inject: (sesId, raw) => {
      let restored = false;
      h.s3.on(GetObjectCommand, { Bucket: RAW_MAIL.bucket, Key: `${RAW_MAIL.prefix}${sesId}` }).callsFake((input: GetObjectCommandInput) => {
        if (!restored) throw new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
        return s3ObjectOutput(raw, input);
      });
      return { recover: () => (restored = true) };
    },
    deadLetters: true,
  },
];

async function introduction(tag: string) {
  return composeMessage({
    from: `Sam Lee <${PARTNER}>`,
    to: [`Jane Doe <jane.${tag}@acme.example>`, `Bob Roe <bob.${tag}@roe.example>`],
    cc: [CAPTURE_ADDRESS],
    subject: `Intro: Jane <> Bob ${tag}`,
    text: 'Jane, meet Bob. You two should talk.\n\nSam',
    messageId: `<intro.${tag}@partners.example>`,
  });
}

describe('AWS faults under the capture: retried, dead-lettered when they last, nothing lost or doubled', () => {
  it(`${cases.length} cases`, { timeout: 180_000 }, async () => {
    const problems: string[] = [];
    let invocations = 0;
    let deadLettered = 0;
    let sdkRetried = 0;
    for (const testCase of cases) {
      counter += 1;
      const tag = `aws${counter}`;
      const sesId = h.sesId(`aws-fault-${counter}`);
      const raw = await introduction(tag);
      h.storeRaw(sesId, raw);
      const fault = testCase.inject(sesId, raw);
      const side = testCase.side ?? 'capture';
      const handler = world.handler(fault.connection && side === 'capture' ? world.wiredOver(fault.connection) : world.dependencies);
      const event = sesEvent(sesId, { timestamp: h.clock.now() });

      const result = await invokeAsync(handler, event, { deadLetters, beforeRetry: (retry) => h.clock.advance(retry * LAMBDA_RETRY_MS) });
      invocations += result.attempts;
      if (side === 'capture') sdkRetried += fault.thrown?.() ?? 0;
      const captureDeadLettered = result.deadLettered;
      if (result.deadLettered) {
        deadLettered += 1;
        // The operator fixes the cause and redrives the dead-letter queue's message: the same event again.
        fault.recover?.();
        h.clock.advance(10 * LAMBDA_RETRY_MS);
        const redriven = await invokeAsync(world.handler(), event);
        invocations += redriven.attempts;
        if (redriven.deadLettered) problems.push(`${testCase.name}: the redrive failed too (${String(redriven.errors.at(-1))})`);
      }
      // Then the jobs side sends the confirmation from the table stream, retried as the mapping retries it.
      const records = await h.mail.records();
      const mailHandler = world.mailHandler(fault.connection && side === 'mail' ? await world.mailWiredOver(fault.connection) : world.mailDependencies);
      const sent = await invokeStream(mailHandler, records, { retryAttempts: STREAM_RETRY_ATTEMPTS, beforeRetry: () => h.clock.advance(LAMBDA_RETRY_MS) });
      invocations += sent.invocations;
      if (side === 'mail') sdkRetried += fault.thrown?.() ?? 0;
      if (sent.deadLettered.length > 0) {
        deadLettered += 1;
        fault.recover?.();
        h.clock.advance(10 * LAMBDA_RETRY_MS);
        const redriven = await invokeStream(world.mailHandler(), sent.deadLettered, { retryAttempts: STREAM_RETRY_ATTEMPTS, beforeRetry: () => h.clock.advance(LAMBDA_RETRY_MS) });
        invocations += redriven.invocations;
        if (redriven.deadLettered.length > 0) problems.push(`${testCase.name}: the stream record's redrive failed too`);
      }
      const anyDeadLettered = captureDeadLettered || sent.deadLettered.length > 0;
      if (anyDeadLettered !== testCase.deadLetters) {
        problems.push(`${testCase.name}: ${anyDeadLettered ? 'dead-lettered' : 'not dead-lettered'} after ${result.attempts} capture attempts (${String(result.errors.at(-1))}) and ${sent.invocations} stream invocations`);
      }
      problems.push(...(await capturedOnce(testCase.name, tag, sesId)));
    }
    reportFigures('AWS faults under the capture', {
      'cases tried': cases.length,
      'Lambda invocations': invocations,
      'faults the DynamoDB SDK retried or surfaced': sdkRetried,
      'dead-lettered, then redriven': deadLettered,
      failures: problems.length,
    });
    expect(problems).toEqual([]);
  });
});

async function capturedOnce(name: string, tag: string, sesId: string): Promise<string[]> {
  const problems: string[] = [];
  const messageId = `<intro.${tag}@partners.example>`;
  const found = (await h.introductions()).filter((item) => item.messageId === messageId);
  if (found.length !== 1) return [`${name}: ${found.length} introductions`];
  const id = found[0]?.id ?? '';
  const inbound = await h.store.findInbound(sesId);
  if (inbound?.outcome !== 'captured') problems.push(`${name}: outcome ${inbound?.outcome ?? 'none'}`);
  const types = (await h.events(id)).map((event) => event.type);
  if (types.join() !== 'captured') problems.push(`${name}: history ${types.join()}`);
  const emails = (await h.sentEmails()).filter((email) => email.parsed.inReplyTo === messageId);
  if (emails.length !== 1) problems.push(`${name}: ${emails.length} confirmations`);
  const outbox = (await h.outboxEntries()).find((entry) => entry.outboxKey === `capture_confirmation#${id}`);
  if (outbox?.status !== 'sent') problems.push(`${name}: outbox ${outbox?.status ?? 'none'}`);
  return problems;
}
