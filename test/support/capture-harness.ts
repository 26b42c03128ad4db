import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { SendEmailCommand, SESv2Client, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { simpleParser, type ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { expect, inject } from 'vitest';
import { tableStreamArn } from '../../functions/adapters/dynamodb/create-table.ts';
import { DynamoCaptureStore } from '../../functions/adapters/dynamodb/capture-store.ts';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { DynamoIntroductionQueries } from '../../functions/adapters/dynamodb/introduction-queries.ts';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { DynamoOutbox, type OutboxEntry } from '../../functions/adapters/dynamodb/outbox-store.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { S3RawMailSource } from '../../functions/adapters/s3/s3-raw-mail-source.ts';
import { SesMailSender } from '../../functions/adapters/ses/ses-mail-sender.ts';
import { countingMailSender, noBusinessMetrics, type BusinessMetrics } from '../../functions/shared/business-metrics.ts';
import { captureDelivery, type CaptureDependencies, type CapturePolicy } from '../../functions/domain/capture/capture-delivery.ts';
import type { InboundRecord } from '../../functions/domain/capture/model.ts';
import { CAPTURE_MAIL_OUTCOMES, sendCaptureMail, type CaptureMailDependencies } from '../../functions/domain/capture/capture-mail.ts';
import { followThroughWork } from '../../functions/handlers/follow-through-event.ts';
import { newInboundWith, openTableStream, type LambdaStreamRecord } from '../../functions/local/stream-poller.ts';
import type { Introduction, IntroductionEvent } from '../../functions/domain/introductions/introduction.ts';
import { makeCaptureHandler, type DeliverySummary } from '../../functions/handlers/capture.ts';
import { captureDependencies } from '../../functions/shared/capture-wiring.ts';
import type { LogSink } from '../../functions/shared/logger.ts';
import './aws-mock-matchers.ts';
import { createTestTable } from './dynamo.ts';
import { CORPUS_DIR } from './corpus.ts';

/**
 * The capture Lambda as production builds it (real wiring over a fresh DynamoDB Local table, the
 * real S3 adapter), and the jobs side's sending of the capture's emails over the table's real
 * stream (the real SES adapter), with only the AWS clients for S3 and SES replaced by
 * aws-sdk-client-mock stubs: S3 serves the raw messages a test "stored", SES accepts every send.
 */

/** The third-party corpus (vendored copy of ../shared/corpus). */
export const CORPUS = CORPUS_DIR;
export const CAPTURE_ADDRESS = 'intro@in.example.com';
export const SENDER = { address: 'desk@in.example.com', name: 'Referral desk' } as const;
export const RAW_MAIL = { bucket: 'refer-raw-mail-test', prefix: 'inbound/' } as const;
/** Where the test clock starts: a Tuesday morning. */
export const START = new Date('2026-11-24T09:30:00.000Z');

export const DEFAULT_POLICY: CapturePolicy = {
  captureAddress: CAPTURE_ADDRESS,
  systemAddresses: [SENDER.address],
  rejectOnSpamFail: true,
  rejectOnDmarcFail: true,
};

/** The realistic base event: the SES developer guide's Lambda-action sample. */
export const LAMBDA_ACTION_SAMPLE = 'awsdocs_lambda-action-event.json';

export type Verdict = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';
export interface VerdictOverrides {
  readonly spam?: Verdict;
  readonly virus?: Verdict;
  readonly spf?: Verdict;
  readonly dkim?: Verdict;
  readonly dmarc?: Verdict;
}

export interface LogCall {
  readonly level: 'info' | 'warn' | 'error';
  readonly args: readonly unknown[];
}

export class TestClock {
  private current: number;
  constructor(start: Date = START) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export function corpusMessage(path: string): Buffer {
  return readFileSync(join(CORPUS, 'eml', path));
}

export function sesSampleNames(): string[] {
  return readdirSync(join(CORPUS, 'ses')).filter((name) => name.endsWith('.json'));
}

export function sesSample(name: string): unknown {
  return JSON.parse(readFileSync(join(CORPUS, 'ses', name), 'utf8')) as unknown;
}

/** Builds MIME the way a mail client would (for headers the Enron copies lost, such as In-Reply-To). */
export async function composeMessage(options: {
  from: string;
  to: readonly string[];
  cc?: readonly string[];
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string;
  references?: readonly string[];
  date?: Date;
}): Promise<Buffer> {
  const composer = new MailComposer({
    from: options.from,
    to: [...options.to],
    cc: [...(options.cc ?? [])],
    subject: options.subject,
    text: options.text,
    messageId: options.messageId,
    date: options.date ?? START,
    ...(options.inReplyTo ? { inReplyTo: options.inReplyTo } : {}),
    ...(options.references ? { references: [...options.references] } : {}),
  });
  return new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
}

/** The body GetObject returns: a Node stream with the SDK's transform helpers. */
function objectBody(bytes: Buffer) {
  return Object.assign(Readable.from([bytes]), {
    transformToByteArray: () => Promise.resolve(new Uint8Array(bytes)),
    transformToString: (encoding?: string) => Promise.resolve(bytes.toString((encoding ?? 'utf8') as BufferEncoding)),
    transformToWebStream: () => Readable.toWeb(Readable.from([bytes])),
  });
}

export interface SentEmail {
  readonly to: readonly string[];
  readonly from: string | undefined;
  readonly tags: readonly { Name?: string; Value?: string }[];
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
}

export type DependencyWrapper = (dependencies: CaptureDependencies) => CaptureDependencies;
export type MailDependencyWrapper = (dependencies: CaptureMailDependencies) => CaptureMailDependencies;

/**
 * The jobs function's part in capture: the stream records its event source mapping lets through
 * for the capture's emails (new inbound records, captured or ambiguous), handled as it handles
 * them (`followThroughWork`, then `sendCaptureMail`), one record at a time, a failure per record.
 */
export interface CaptureMailConsumer {
  /** The records written since the last call that the mapping's filter lets through, in stream order. */
  records(): Promise<LambdaStreamRecord[]>;
  /** Hands these records (again, for a redelivery) to the consumer; returns those that failed (Lambda retries them) and their errors. */
  deliver(records: readonly LambdaStreamRecord[], options?: MailOptions): Promise<{ failed: LambdaStreamRecord[]; errors: unknown[] }>;
  /** `records` then `deliver`; fails when a record fails. Returns how many records were handled. */
  drain(options?: MailOptions): Promise<number>;
}

/** To inject faults: wrap the dependencies, or wire them over another DynamoDB connection (one whose client fails a call). */
export interface MailOptions {
  readonly wrap?: MailDependencyWrapper;
  readonly connection?: DynamoConnection;
  readonly metrics?: BusinessMetrics;
}

export interface CaptureHarness {
  readonly connection: DynamoConnection;
  readonly clock: TestClock;
  readonly s3: AwsClientStub<S3Client>;
  readonly ses: AwsClientStub<SESv2Client>;
  readonly logs: LogCall[];
  readonly partners: DynamoPartnerStore;
  readonly store: DynamoCaptureStore;
  readonly queries: DynamoIntroductionQueries;
  readonly outbox: DynamoOutbox;
  /** The jobs side, which sends the capture's emails from the table stream. */
  readonly mail: CaptureMailConsumer;
  /**
   * The production handler over the real wiring. To inject faults, a test may wrap the dependencies
   * or give the wiring another DynamoDB connection (one whose client fails a call).
   */
  handler(options?: { wrap?: DependencyWrapper; connection?: DynamoConnection; metrics?: BusinessMetrics }): (event: unknown) => Promise<DeliverySummary[]>;
  /** Stops reading the table stream. */
  close(): void;
  /** The next SendEmail call fails with this error (SES throttling, a timeout...). */
  rejectNextSend(error: Error): void;
  registerPartner(email: string, name?: string | null): Promise<void>;
  /**
   * An SES message id unique to this harness (same label, same id). SES ids are globally unique, and
   * they must be here too: the capture uses them as TransactWriteItems ClientRequestTokens, which
   * DynamoDB Local remembers across tables, so two tests reusing an id would collide.
   */
  sesId(label: string): string;
  /** What the SES receipt rule's S3 action would have stored for this SES message id. */
  storeRaw(sesMessageId: string, raw: Buffer): void;
  /** Stores the raw message and returns the SES Lambda-action event announcing it. */
  delivery(sesMessageId: string, raw: Buffer, options?: EventOptions): unknown;
  introductions(): Promise<Introduction[]>;
  inbound(): Promise<InboundRecord[]>;
  inboundFor(sesMessageId: string): Promise<InboundRecord>;
  outboxEntries(): Promise<OutboxEntry[]>;
  events(introductionId: string): Promise<IntroductionEvent[]>;
  partnerLinks(email: string): Promise<Record<string, unknown>[]>;
  messageIdOwner(messageId: string): Promise<Record<string, unknown> | undefined>;
  /** The emails SES accepted, in order (a rejected SendEmail call is not among them). */
  sentEmails(): Promise<SentEmail[]>;
  /** Logs carry ids, outcomes and counts only: no address of anyone, no subject of any stored message. */
  expectLogsFreeOfPersonalData(): Promise<void>;
}

export interface EventOptions {
  readonly recipients?: readonly string[];
  readonly verdicts?: VerdictOverrides;
  readonly sample?: string;
  readonly timestamp?: Date;
}

/**
 * An SES receipt event from a corpus sample, made to announce one delivery: the SES message id,
 * the envelope recipients (the capture address, as for a BCC), the time and the verdicts.
 */
export function sesEvent(sesMessageId: string, options: EventOptions & { timestamp: Date }): unknown {
  const event = structuredClone(sesSample(options.sample ?? LAMBDA_ACTION_SAMPLE)) as {
    Records: { ses: { mail: Record<string, unknown>; receipt: Record<string, unknown> } }[];
  };
  const record = event.Records[0];
  if (!record) throw new Error('sample without a record');
  const recipients = [...(options.recipients ?? [CAPTURE_ADDRESS])];
  record.ses.mail.messageId = sesMessageId;
  record.ses.mail.timestamp = options.timestamp.toISOString();
  record.ses.mail.destination = recipients;
  record.ses.receipt.recipients = recipients;
  record.ses.receipt.timestamp = options.timestamp.toISOString();
  const verdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', ...options.verdicts };
  record.ses.receipt.spamVerdict = { status: verdicts.spam };
  record.ses.receipt.virusVerdict = { status: verdicts.virus };
  record.ses.receipt.spfVerdict = { status: verdicts.spf };
  record.ses.receipt.dkimVerdict = { status: verdicts.dkim };
  record.ses.receipt.dmarcVerdict = { status: verdicts.dmarc };
  return event;
}

export async function createCaptureHarness(options: { policy?: Partial<CapturePolicy> } = {}): Promise<CaptureHarness> {
  const connection = await createTestTable();
  const runTag = randomBytes(6).toString('hex');
  const clock = new TestClock();
  const policy: CapturePolicy = { ...DEFAULT_POLICY, ...options.policy };
  const s3Client = new S3Client({ region: 'us-east-1' });
  const sesClient = new SESv2Client({ region: 'us-east-1' });
  const s3 = mockClient(s3Client);
  const ses = mockClient(sesClient);

  const bucket = new Map<string, Buffer>();
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const bytes = bucket.get(`${input.Bucket}/${input.Key}`);
    if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    return { Body: objectBody(bytes), ContentLength: bytes.length };
  });
  const accepted: SendEmailCommandInput[] = [];
  const sendFailures: Error[] = [];
  ses.on(SendEmailCommand).callsFake((input: SendEmailCommandInput) => {
    const failure = sendFailures.shift();
    if (failure) throw failure;
    accepted.push(input);
    return { MessageId: `0100019a-ses-outbound-${accepted.length}` };
  });

  const logs: LogCall[] = [];
  const logger: LogSink = {
    info: (...args: unknown[]) => void logs.push({ level: 'info', args }),
    warn: (...args: unknown[]) => void logs.push({ level: 'warn', args }),
    error: (...args: unknown[]) => void logs.push({ level: 'error', args }),
  };

  const partners = new DynamoPartnerStore(connection);
  const store = new DynamoCaptureStore(connection);
  const queries = new DynamoIntroductionQueries(connection);
  const outbox = new DynamoOutbox(connection);

  const endpoint = inject('dynamoEndpoint');
  const rawClient = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const streamArn = await tableStreamArn(rawClient, connection.tableName);
  rawClient.destroy();
  const stream = await openTableStream({ endpoint, streamArn, from: 'TRIM_HORIZON' });
  const toJobs = newInboundWith(CAPTURE_MAIL_OUTCOMES);
  const mail: CaptureMailConsumer = {
    async records() {
      const read: LambdaStreamRecord[] = [];
      for (let batch = await stream.read(); batch.length > 0; batch = await stream.read()) read.push(...batch);
      return read.filter(toJobs).sort((a, b) => (BigInt(a.dynamodb.SequenceNumber) < BigInt(b.dynamodb.SequenceNumber) ? -1 : 1));
    },
    async deliver(records, { wrap, connection: wiredConnection, metrics = noBusinessMetrics } = {}) {
      const real: CaptureMailDependencies = {
        introductions: wiredConnection ? new DynamoCaptureStore(wiredConnection) : store,
        partners: wiredConnection ? new DynamoPartnerStore(wiredConnection) : partners,
        outbox: wiredConnection ? new DynamoOutbox(wiredConnection) : outbox,
        // As the jobs function wires it: every email SES accepts (or refuses) is counted.
        sender: countingMailSender(new SesMailSender(sesClient, SENDER), metrics),
        clock,
        settings: { captureAddress: policy.captureAddress },
      };
      const dependencies = wrap ? wrap(real) : real;
      const failed: LambdaStreamRecord[] = [];
      const errors: unknown[] = [];
      for (const record of records) {
        try {
          const work = followThroughWork(record);
          if (work?.kind === 'capture_mail') await sendCaptureMail(work.inbound, dependencies);
        } catch (error) {
          // As the jobs handler does: counted, and reported failed so that Lambda retries the record.
          metrics.failure('job_error');
          failed.push(record);
          errors.push(error);
        }
      }
      return { failed, errors };
    },
    async drain(options) {
      const records = await mail.records();
      const { errors } = await mail.deliver(records, options);
      if (errors.length > 0) throw new AggregateError(errors, `${errors.length} of ${records.length} capture email record(s) failed`);
      return records.length;
    },
  };

  const queryItems = async (pk: string, skPrefix: string) => {
    const { Items } = await connection.client.send(
      new QueryCommand({
        TableName: connection.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
        ConsistentRead: true,
      }),
    );
    return Items ?? [];
  };

  const harness: CaptureHarness = {
    connection,
    clock,
    s3,
    ses,
    logs,
    partners,
    store,
    queries,
    outbox,
    mail,
    close: () => stream.close(),
    handler({ wrap, connection: wiredConnection, metrics = noBusinessMetrics } = {}) {
      const real = captureDependencies({
        connection: wiredConnection ?? connection,
        rawMail: new S3RawMailSource(s3Client),
        policy,
        clock,
      });
      const dependencies = wrap ? wrap(real) : real;
      return makeCaptureHandler({ capture: (delivery) => captureDelivery(delivery, dependencies), rawMail: RAW_MAIL, logger, metrics });
    },
    async registerPartner(email, name = null) {
      await partners.savePartner({ email, name, timeZone: 'America/Chicago', createdAt: '2026-01-05T00:00:00.000Z' });
    },
    rejectNextSend(error) {
      sendFailures.push(error);
    },
    sesId: (label) => `${label}-${runTag}`,
    storeRaw(sesMessageId, raw) {
      bucket.set(`${RAW_MAIL.bucket}/${RAW_MAIL.prefix}${sesMessageId}`, raw);
    },
    delivery(sesMessageId, raw, eventOptions = {}) {
      harness.storeRaw(sesMessageId, raw);
      return sesEvent(sesMessageId, { ...eventOptions, timestamp: eventOptions.timestamp ?? clock.now() });
    },
    introductions: () => queries.listIntroductions(),
    inbound: () => queries.listInbound(),
    async inboundFor(sesMessageId) {
      const record = await store.findInbound(sesMessageId);
      expect(record, `inbound record for ${sesMessageId}`).not.toBeNull();
      return record as InboundRecord;
    },
    outboxEntries: () => outbox.list(),
    async events(introductionId) {
      // History items are keyed by their cause; their order is the time they happened (stable for ties).
      const events = (await queryItems(keys.introduction(introductionId).pk, 'EVENT#')) as unknown as IntroductionEvent[];
      return events.map((event, index) => ({ event, index })).sort((a, b) => a.event.at.localeCompare(b.event.at) || a.index - b.index).map(({ event }) => event);
    },
    partnerLinks: (email) => queryItems(keys.partner(email).pk, 'INTRO#'),
    async messageIdOwner(messageId) {
      const items = await queryItems(keys.messageId(messageId).pk, keys.messageId(messageId).sk);
      return items[0];
    },
    async sentEmails() {
      return Promise.all(
        accepted.map(async (input) => {
          const data = input.Content?.Raw?.Data;
          if (!data) throw new Error('SendEmail without raw content');
          const raw = Buffer.from(data);
          return {
            to: input.Destination?.ToAddresses ?? [],
            from: input.FromEmailAddress,
            tags: input.EmailTags ?? [],
            raw,
            parsed: await simpleParser(raw),
          };
        }),
      );
    },
    async expectLogsFreeOfPersonalData() {
      const subjects = await Promise.all([...bucket.values()].map(async (raw) => (await simpleParser(raw)).subject ?? ''));
      expectLogsFreeOfPersonalData(logs, subjects);
    },
  };
  return harness;
}

/** A header of a parsed email as text (mailparser keeps structured values for some headers). */
export function headerText(mail: ParsedMail, name: string): string | undefined {
  const value = mail.headers.get(name.toLowerCase());
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'value' in value && typeof value.value === 'string') return value.value;
  return JSON.stringify(value);
}

const EMAIL_ADDRESS = /[^\s"'<>@]+@[^\s"'<>@]+\.[a-z]{2,}/i;

/**
 * The logs must carry ids, outcomes and counts only: no address (of anyone) and none of the
 * subjects of the messages the test fed in.
 */
export function expectLogsFreeOfPersonalData(logs: readonly LogCall[], subjects: readonly string[] = []): void {
  for (const call of logs) {
    const line = JSON.stringify(call.args, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message } : value));
    expect(line, 'a log line contains an email address').not.toMatch(EMAIL_ADDRESS);
    for (const subject of subjects.filter((text) => text.trim().length > 3)) {
      expect(line, `a log line contains the subject "${subject}"`).not.toContain(subject);
    }
  }
}
