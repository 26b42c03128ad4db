import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { simpleParser, type ParsedMail } from 'mailparser';
import { expect, inject } from 'vitest';
import { tableStreamArn } from '../../functions/adapters/dynamodb/create-table.ts';
import { DynamoIntroductionQueries } from '../../functions/adapters/dynamodb/introduction-queries.ts';
import { DynamoOutbox } from '../../functions/adapters/dynamodb/outbox-store.ts';
import { DynamoPairStore } from '../../functions/adapters/dynamodb/pair-store.ts';
import { composeMail, type SenderIdentity } from '../../functions/adapters/mail/compose-mail.ts';
import { TableJobScheduler, type StoredSchedule } from '../../functions/adapters/scheduler/table-scheduler.ts';
import { captureDelivery, type CaptureResult } from '../../functions/domain/capture/capture-delivery.ts';
import { answerQuestion, type AnswerResult } from '../../functions/domain/followup/answer-question.ts';
import type { Question } from '../../functions/domain/followup/answers.ts';
import type { FollowThroughDependencies } from '../../functions/domain/followup/follow-through.ts';
import { reconcileIntroduction } from '../../functions/domain/followup/reconcile.ts';
import type { Contact, Introduction } from '../../functions/domain/introductions/introduction.ts';
import type { EmailPurpose, EmailThread, MailSender, OutboundEmail, Outbox, OutboxClaim } from '../../functions/domain/outbound/outbound-email.ts';
import type { Partner } from '../../functions/domain/partners/partner.ts';
import type { Job } from '../../functions/domain/schedules/jobs.ts';
import type { JobScheduler } from '../../functions/domain/schedules/scheduler-port.ts';
import { followThroughWork } from '../../functions/handlers/follow-through-event.ts';
import { makeJobsHandler } from '../../functions/handlers/jobs.ts';
import { entityIs, newInboundWith, type LambdaStreamRecord } from '../../functions/local/stream-poller.ts';
import { CAPTURE_MAIL_OUTCOMES } from '../../functions/domain/capture/capture-mail.ts';
import { captureDependencies } from '../../functions/shared/capture-wiring.ts';
import { followThroughDependencies } from '../../functions/shared/follow-through-wiring.ts';
import type { LogSink } from '../../functions/shared/logger.ts';
import { CAPTURE_POLICY, createBookingHarness, type BookingHarness, type LogCall, type PartnerInput } from './booking-harness.ts';
import { composeMime } from './mime.ts';

/**
 * Follow-through as production wires it (`followThroughDependencies` over a fresh DynamoDB Local
 * table, the jobs handler `makeJobsHandler`, the table scheduler of local mode), on top of the
 * booking harness (loopback Google, OAuth-connected partners, the fixed clock). What differs
 * from AWS:
 * - mail: `MimeMailSender` builds each email with the production composer (`composeMail`, the
 *   MIME SES would send, Message-ID and all) and keeps it;
 * - schedules: `TableJobScheduler` (local mode's), behind a recorder that counts every call;
 * - the stream: `drain()` reads the table's real DynamoDB Local stream and hands the records, as
 *   Lambda's event source mappings would, to the booking handler and the jobs handler (the same
 *   filters as the stack and local mode), until nothing new arrives;
 * - time: the booking harness's clock; `run(job, at)` sets it to `at` and passes `at` to the job.
 *
 * Introductions come in as real MIME through the real capture use case (`introduce`); replies
 * too (`reply`). One harness per test file (`beforeAll`); give each test its own partners.
 */

export const CAPTURE_ADDRESS = CAPTURE_POLICY.captureAddress;
/** The system's sender, one of the policy's system addresses (as the stack wires it). */
export const SENDER: SenderIdentity = { address: CAPTURE_POLICY.systemAddresses[0] ?? 'desk@in.example.com', name: 'Referral desk' };

export interface SentMime {
  readonly email: OutboundEmail;
  readonly raw: Buffer;
  readonly messageId: string;
}

/** A MailSender that composes each email as production does and keeps the MIME. */
export class MimeMailSender implements MailSender {
  readonly sent: SentMime[] = [];

  async send(email: OutboundEmail): Promise<{ messageId: string }> {
    const { raw, messageId } = await composeMail(email, SENDER);
    this.sent.push({ email, raw, messageId });
    return { messageId };
  }

  /** Emails sent, optionally only those matching every given field. */
  emails(filter: { purpose?: EmailPurpose; to?: string; introductionId?: string; pairId?: string } = {}): SentMime[] {
    return this.sent.filter(
      ({ email }) =>
        (filter.purpose === undefined || email.purpose === filter.purpose) &&
        (filter.to === undefined || email.to.some((contact) => contact.email === filter.to)) &&
        (filter.introductionId === undefined || email.introductionId === filter.introductionId) &&
        (filter.pairId === undefined || email.pairId === filter.pairId),
    );
  }
}

export interface SchedulerCall {
  readonly op: 'armOnce' | 'armRecurring' | 'disarm';
  readonly name: string;
  readonly at?: string;
  readonly cron?: string;
  readonly timeZone?: string;
  readonly job?: Job;
}

/** The table scheduler, with every call recorded. */
export class RecordingScheduler implements JobScheduler {
  readonly calls: SchedulerCall[] = [];
  constructor(readonly inner: JobScheduler) {}
  armOnce(name: string, at: Date, job: Job): Promise<void> {
    this.calls.push({ op: 'armOnce', name, at: at.toISOString(), job });
    return this.inner.armOnce(name, at, job);
  }
  armRecurring(name: string, cron: string, timeZone: string, job: Job): Promise<void> {
    this.calls.push({ op: 'armRecurring', name, cron, timeZone, job });
    return this.inner.armRecurring(name, cron, timeZone, job);
  }
  disarm(name: string): Promise<void> {
    this.calls.push({ op: 'disarm', name });
    return this.inner.disarm(name);
  }
}

/** What the follow-through tests counted, for the summary line. */
export interface FollowThroughFigures {
  /** Jobs run through the jobs handler (each run of a duplicate counts). */
  jobsRun: number;
  /** Emails that went out (follow-through's sender). */
  emailsSent: number;
  /** Repeated runs, concurrent runs and redelivered stream records: chances to send twice. */
  duplicatesTried: number;
  /** Outbox claims refused because the email had been sent already. */
  suppressed: number;
  /** Stream records handed to the handlers. */
  streamRecords: number;
}

/** The outbox, counting the emails it refuses as already sent. */
class CountingOutbox implements Outbox {
  constructor(
    private readonly inner: DynamoOutbox,
    private readonly figures: FollowThroughFigures,
  ) {}
  async claim(email: OutboundEmail, now: Date, leaseUntil: Date): Promise<OutboxClaim> {
    const claim = await this.inner.claim(email, now, leaseUntil);
    if (claim === 'already_sent') this.figures.suppressed += 1;
    return claim;
  }
  markSent(outboxKey: string, sentAt: Date, messageId: string, thread?: EmailThread): Promise<void> {
    return this.inner.markSent(outboxKey, sentAt, messageId, thread);
  }
  release(outboxKey: string, leaseUntil: Date): Promise<void> {
    return this.inner.release(outboxKey, leaseUntil);
  }
}

export interface DrainResult {
  /** Rounds of reading the stream until it was quiet. */
  readonly rounds: number;
  /** Every record handed to a handler, in order. */
  readonly records: readonly LambdaStreamRecord[];
}

export interface AnswerLinkInText {
  /** The question line the link is under. */
  readonly question: string;
  readonly label: string;
  readonly url: string;
}

export interface IntroduceInput {
  /** The partner (or anyone) who writes the introduction; the capture address is in Cc. */
  readonly from: Contact;
  /** The people introduced, in the order addressed. */
  readonly to: readonly Contact[];
  readonly subject?: string;
  readonly text?: string;
}

export interface FollowThroughHarness {
  readonly booking: BookingHarness;
  readonly clock: BookingHarness['clock'];
  /** Follow-through's emails, as MIME. */
  readonly mail: MimeMailSender;
  /** The capture's confirmations, as MIME (kept apart). */
  readonly captureMail: MimeMailSender;
  readonly tableScheduler: TableJobScheduler;
  readonly scheduler: RecordingScheduler;
  readonly dependencies: FollowThroughDependencies;
  readonly pairs: DynamoPairStore;
  readonly figures: FollowThroughFigures;
  readonly logs: LogCall[];

  /** Between tests: the booking harness's reset (clock, Google faults, its mail), this harness's mail and recorded calls; the stream is drained. */
  resetBetweenTests(): Promise<void>;
  partner(input: PartnerInput): Promise<Partner>;
  /** Real MIME through the real capture use case (CC to the capture address); then the stream is drained (booking, follow-through). */
  introduce(input: IntroduceInput, options?: { drain?: boolean }): Promise<Introduction>;
  /** Raw MIME to the capture address through the capture use case. */
  deliver(raw: Buffer, options?: { envelopeTo?: string }): Promise<CaptureResult>;
  /** A person's reply to an email the system sent: real MIME threaded to it (In-Reply-To, References), to the address replies go to. */
  reply(to: SentMime, from: Contact, text: string): Promise<CaptureResult & { raw: Buffer }>;
  /** Reads the table's stream and hands the records to the booking and jobs handlers until it is quiet. Fails on any record the handlers report failed. */
  drain(options?: { booking?: boolean }): Promise<DrainResult>;
  /** Reads the stream and drops the records: a lost trigger. */
  loseStreamRecords(): Promise<number>;
  /** Hands records to the jobs handler again (a redelivery); counted as duplicates. */
  redeliver(records: readonly LambdaStreamRecord[]): Promise<void>;
  /** Runs a job through the jobs handler as of `at` (the clock is set to `at`), then drains the stream. */
  run(job: Job, at: Date | string, options?: { drain?: boolean }): Promise<readonly string[]>;
  /** The same job run twice in a row; the second run is counted as a duplicate. */
  runTwice(job: Job, at: Date | string): Promise<[readonly string[], readonly string[]]>;
  /** The same job run `n` times at once; every run but one is counted as a duplicate. */
  runConcurrently(job: Job, at: Date | string, n?: number): Promise<PromiseSettledResult<readonly string[]>[]>;
  /** Follows a one-click answer link of an email (checked: signed, scoped to the answer, the recipient), as the web function's POST does. */
  answerByLink(email: SentMime, label: string, options?: { amount?: number; at?: Date | string; drain?: boolean; under?: string }): Promise<AnswerResult>;
  /** The one-click answer links of an email's plain text, with the question each is under. */
  answerLinks(email: SentMime): AnswerLinkInText[];
  introduction(id: string): Promise<Introduction>;
  schedule(name: string): Promise<StoredSchedule | null>;
  /** Every email sent so far in this file (follow-through's and the capture's) parses back with mailparser and is ignored by capture as the system's own. Returns how many. */
  expectEveryEmailOwn(): Promise<number>;
  /** Stops the loopback Google and the stream client, and records the figures. */
  stop(): Promise<void>;
}

export async function createFollowThroughHarness(options: { start?: Date } = {}): Promise<FollowThroughHarness> {
  const booking = await createBookingHarness(options);
  const { connection, clock } = booking;
  const runTag = randomBytes(6).toString('hex');
  const figures: FollowThroughFigures = { jobsRun: 0, emailsSent: 0, duplicatesTried: 0, suppressed: 0, streamRecords: 0 };
  const mail = new MimeMailSender();
  const captureMail = new MimeMailSender();
  const tableScheduler = new TableJobScheduler(connection, { clock });
  const scheduler = new RecordingScheduler(tableScheduler);
  const outbox = new CountingOutbox(new DynamoOutbox(connection), figures);
  const dependencies: FollowThroughDependencies = {
    ...followThroughDependencies({ connection, scheduler, sender: mail, links: booking.links, booking: booking.dependencies, captureAddress: CAPTURE_ADDRESS, clock }),
    outbox,
  };
  const pairs = new DynamoPairStore(connection);
  const logs: LogCall[] = [];
  const logger: LogSink = {
    info: (...args: unknown[]) => void logs.push({ level: 'info', args }),
    warn: (...args: unknown[]) => void logs.push({ level: 'warn', args }),
    error: (...args: unknown[]) => void logs.push({ level: 'error', args }),
  };
  const jobs = makeJobsHandler({ followThrough: dependencies, logger });
  // The same jobs handler for the capture's emails (the stream's new inbound records), which go to `captureMail`.
  const captureJobs = makeJobsHandler({ followThrough: { ...dependencies, sender: captureMail }, logger });
  const bookingHandler = booking.handler();

  // Raw mail "stored" by the receipt rule, by location.
  const rawStore = new Map<string, Buffer>();
  const capture = captureDependencies({
    connection,
    rawMail: { read: (location) => Promise.resolve(rawStore.get(location) ?? Buffer.alloc(0)) },
    policy: CAPTURE_POLICY,
    clock,
  });
  let deliveries = 0;
  // Emails of earlier tests (cleared from `mail` between tests), for `expectEveryEmailOwn`.
  const archive: SentMime[] = [];

  // The table's own stream (DynamoDB Local), read shard by shard from the start.
  const endpoint = inject('dynamoEndpoint');
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const rawClient = new DynamoDBClient({ endpoint, region: 'local', credentials });
  const streamArn = await tableStreamArn(rawClient, connection.tableName);
  rawClient.destroy();
  const streams = new DynamoDBStreamsClient({ endpoint, region: 'local', credentials });
  const iterators = new Map<string, string | null>();
  // The last record read from each shard: an iterator that expired or points at trimmed data is
  // replaced by one just after it (DynamoDB Local expires idle iterators, as DynamoDB does).
  const lastSequence = new Map<string, string>();

  const freshIterator = async (shardId: string): Promise<string | null> => {
    const after = lastSequence.get(shardId);
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return ShardIterator ?? null;
  };

  /** DynamoDB Local answers TrimmedDataAccessException for an iterator taken while the shard was empty (aws-sdk-java#2923): take a new one. */
  const getRecords = async (shardId: string, iterator: string) => {
    let current: string | null = iterator;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return current ? await streams.send(new GetRecordsCommand({ ShardIterator: current })) : { Records: [], NextShardIterator: undefined };
      } catch (error) {
        if (!(error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        current = await freshIterator(shardId);
      }
    }
  };

  const readStream = async (): Promise<LambdaStreamRecord[]> => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      iterators.set(shard.ShardId, await freshIterator(shard.ShardId));
    }
    const records: LambdaStreamRecord[] = [];
    for (const [shardId, start] of iterators) {
      let iterator = start;
      while (iterator) {
        const { Records, NextShardIterator } = await getRecords(shardId, iterator);
        iterator = NextShardIterator ?? null;
        iterators.set(shardId, iterator);
        if (!Records || Records.length === 0) break;
        for (const record of Records) {
          if (record.dynamodb?.SequenceNumber) lastSequence.set(shardId, record.dynamodb.SequenceNumber);
          records.push({
            eventID: record.eventID ?? '',
            eventName: record.eventName ?? 'MODIFY',
            eventSource: 'aws:dynamodb',
            dynamodb: {
              SequenceNumber: record.dynamodb?.SequenceNumber ?? '',
              ...(record.dynamodb?.NewImage ? { NewImage: record.dynamodb.NewImage } : {}),
              ...(record.dynamodb?.OldImage ? { OldImage: record.dynamodb.OldImage } : {}),
            },
          });
        }
      }
    }
    return records.sort((a, b) => (BigInt(a.dynamodb.SequenceNumber) < BigInt(b.dynamodb.SequenceNumber) ? -1 : 1));
  };

  // The stack's (and local mode's) filters on the two event source mappings.
  const toBooking = (record: LambdaStreamRecord) => entityIs(['introduction'], ['INSERT'])(record) || entityIs(['partner'], ['MODIFY'])(record);
  const toFollowThrough = entityIs(['introduction', 'pair', 'group'], ['INSERT', 'MODIFY']);
  const toCaptureMail = newInboundWith(CAPTURE_MAIL_OUTCOMES);

  /** A record the jobs handler reported failed: run it again directly, to fail with its error rather than its name. */
  const explainFailure = async (records: readonly LambdaStreamRecord[], failures: readonly { itemIdentifier: string }[]): Promise<never> => {
    for (const failure of failures) {
      const record = records.find((candidate) => candidate.dynamodb.SequenceNumber === failure.itemIdentifier);
      const work = record ? followThroughWork(record) : null;
      if (work?.kind === 'introduction') await reconcileIntroduction(work.current.id, dependencies, work.previous?.followUp ?? null);
    }
    throw new Error(`the jobs handler failed ${failures.length} stream record(s): ${JSON.stringify(logs.filter((call) => call.level !== 'info').map((call) => call.args))}`);
  };

  const handOver = async (records: readonly LambdaStreamRecord[], withBooking: boolean) => {
    const forBooking = withBooking ? records.filter(toBooking) : [];
    if (forBooking.length > 0) {
      const result = await bookingHandler({ Records: forBooking });
      const failed = 'batchItemFailures' in result ? result.batchItemFailures : [];
      if (failed.length > 0) throw new Error(`the booking handler failed ${failed.length} stream record(s): ${JSON.stringify(booking.logs.map((call) => call.args))}`);
    }
    const forCaptureMail = records.filter(toCaptureMail);
    if (forCaptureMail.length > 0) {
      const result = await captureJobs({ Records: forCaptureMail });
      const failed = 'batchItemFailures' in result ? result.batchItemFailures : [];
      if (failed.length > 0) throw new Error(`the jobs handler failed ${failed.length} capture email record(s): ${JSON.stringify(logs.filter((call) => call.level !== 'info').map((call) => call.args))}`);
    }
    const forJobs = records.filter(toFollowThrough);
    figures.streamRecords += forJobs.length;
    if (forJobs.length > 0) {
      const result = await jobs({ Records: forJobs });
      const failed = 'batchItemFailures' in result ? result.batchItemFailures : [];
      if (failed.length > 0) await explainFailure(forJobs, failed);
    }
    return [...new Set([...forBooking, ...forJobs])];
  };

  const drain = async ({ booking: withBooking = true }: { booking?: boolean } = {}): Promise<DrainResult> => {
    const handled: LambdaStreamRecord[] = [];
    for (let rounds = 0; ; rounds += 1) {
      const records = await readStream();
      if (records.length === 0) return { rounds, records: handled };
      if (rounds >= 12) throw new Error(`the stream never went quiet: ${records.length} more records after ${rounds} rounds (follow-through keeps re-triggering itself)`);
      handled.push(...(await handOver(records, withBooking)));
    }
  };

  const deliver = async (raw: Buffer, deliverOptions: { envelopeTo?: string } = {}): Promise<CaptureResult> => {
    deliveries += 1;
    const deliveryId = `ft-${runTag}-${deliveries}`;
    const rawLocation = `memory://${deliveryId}`;
    rawStore.set(rawLocation, raw);
    return captureDelivery(
      { deliveryId, receivedAt: clock.now(), envelopeRecipients: [deliverOptions.envelopeTo ?? CAPTURE_ADDRESS], verdicts: null, rawLocation },
      capture,
    );
  };

  const introduction = async (id: string): Promise<Introduction> => {
    const found = await dependencies.store.getIntroduction(id);
    if (!found) throw new Error(`no introduction ${id}`);
    return found;
  };

  const run = async (job: Job, at: Date | string, runOptions: { drain?: boolean } = {}): Promise<readonly string[]> => {
    const when = new Date(at);
    clock.set(when);
    figures.jobsRun += 1;
    const result = await jobs({ ...job, at: when.toISOString() });
    if (!('outcomes' in result)) throw new Error(`not a job result: ${JSON.stringify(result)}`);
    if (runOptions.drain ?? true) await drain();
    return result.outcomes;
  };

  const address = (contact: Contact) => (contact.name ? { name: contact.name, address: contact.email } : contact.email);

  /** The one-click answers in an email's plain text: each question line, then `  Label: URL` lines under it. */
  const answerLinks = (sent: SentMime): AnswerLinkInText[] => {
    const found: AnswerLinkInText[] = [];
    for (const block of sent.email.text.split('\n\n')) {
      const [question = '', ...lines] = block.split('\n');
      for (const line of lines) {
        const match = /^ {2}(.+?): (https?:\/\/\S+\/answer\?token=\S+)$/.exec(line);
        if (match?.[1] && match[2]) found.push({ question, label: match[1], url: match[2] });
      }
    }
    return found;
  };

  const harness: FollowThroughHarness = {
    booking,
    clock,
    mail,
    captureMail,
    tableScheduler,
    scheduler,
    dependencies,
    pairs,
    figures,
    logs,

    async resetBetweenTests() {
      booking.resetBetweenTests();
      await drain();
      archive.push(...mail.sent, ...captureMail.sent);
      figures.emailsSent += mail.sent.length;
      mail.sent.length = 0;
      captureMail.sent.length = 0;
      scheduler.calls.length = 0;
      logs.length = 0;
    },

    partner: (input) => booking.registerPartner(input),

    async introduce(input, introduceOptions = {}) {
      deliveries += 1;
      const first = input.to.map((contact) => contact.name?.split(/\s+/)[0] ?? contact.email).join(' and ');
      const raw = await composeMime({
        from: address(input.from),
        to: input.to.map(address),
        cc: [CAPTURE_ADDRESS],
        subject: input.subject ?? `Introduction: ${input.to.map((contact) => contact.name ?? contact.email).join(' <> ')}`,
        text:
          input.text ??
          `${first}, meet each other! I think you two should talk: ${input.to[1]?.name ?? 'my friend'} is looking for exactly the help ${input.to[0]?.name ?? 'you'} gives.\n\nI'll let you take it from here.\n\n${input.from.name ?? ''}`,
        messageId: `<intro-${runTag}-${deliveries}@mail.example.com>`,
        date: clock.peek(),
      });
      const result = await deliver(raw);
      if (result.outcome !== 'captured' || !result.introductionId) throw new Error(`not captured: ${result.outcome} (${result.reasons.join('; ')})`);
      if (introduceOptions.drain ?? true) await drain();
      return introduction(result.introductionId);
    },

    deliver,

    async reply(to, from, text) {
      deliveries += 1;
      const parsed = await simpleParser(to.raw);
      const replyTo = to.email.replyTo?.[0]?.email ?? SENDER.address;
      const quoted = (parsed.text ?? '')
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n');
      const raw = await composeMime({
        from: address(from),
        to: [replyTo],
        subject: `Re: ${to.email.subject}`,
        text: `${text}\n\nOn ${clock.peek().toUTCString()}, Referral desk <${SENDER.address}> wrote:\n${quoted}\n`,
        messageId: `<reply-${runTag}-${deliveries}@mail.example.com>`,
        inReplyTo: to.messageId,
        references: [...to.email.references, to.messageId],
        date: clock.peek(),
      });
      // On AWS only mail to the capture address reaches the capture (the receipt rule's one recipient).
      if (replyTo !== CAPTURE_ADDRESS) throw new Error(`a reply to "${to.email.subject}" goes to ${replyTo}, which the receipt rule does not deliver to the capture`);
      return { ...(await deliver(raw, { envelopeTo: replyTo })), raw };
    },

    drain,

    async loseStreamRecords() {
      return (await readStream()).length;
    },

    async redeliver(records) {
      figures.duplicatesTried += records.filter(toFollowThrough).length;
      await handOver(records, false);
    },

    run,

    async runTwice(job, at) {
      const first = await run(job, at);
      figures.duplicatesTried += 1;
      const second = await run(job, at);
      return [first, second];
    },

    async runConcurrently(job, at, n = 3) {
      clock.set(new Date(at));
      figures.jobsRun += n;
      figures.duplicatesTried += n - 1;
      const settled = await Promise.allSettled(
        Array.from({ length: n }, async () => {
          const result = await jobs({ ...job, at: new Date(at).toISOString() });
          if (!('outcomes' in result)) throw new Error('not a job result');
          return result.outcomes;
        }),
      );
      await drain();
      return settled;
    },

    answerLinks,

    async answerByLink(sent, label, answerOptions = {}) {
      const links = answerLinks(sent);
      const url = links.find((link) => link.label === label && (answerOptions.under === undefined || link.question.includes(answerOptions.under)))?.url;
      if (!url) throw new Error(`no "${label}" link${answerOptions.under ? ` under "${answerOptions.under}"` : ''} in "${sent.email.subject}"; links: ${links.map((link) => `${link.question} ${link.label}`).join(', ')}`);
      if (answerOptions.at) clock.set(new Date(answerOptions.at));
      const claims = booking.verifyLink(url, 'answer');
      const data = claims.data as { question: Question; answer: string; recipient: string };
      expect(data.recipient, 'the link is for the recipient of the email').toBe(sent.email.to[0]?.email);
      const result = await answerQuestion(
        { introductionId: claims.subject, question: data.question, answer: data.answer, by: data.recipient, how: 'link', ...(answerOptions.amount !== undefined ? { amount: answerOptions.amount } : {}) },
        dependencies,
      );
      if (answerOptions.drain ?? true) await drain();
      return result;
    },

    introduction,
    schedule: (name) => tableScheduler.get(name),

    async expectEveryEmailOwn() {
      const all = [...archive, ...mail.sent, ...captureMail.sent];
      const introductionsBefore = await countIntroductions();
      for (const sent of all) {
        const parsed: ParsedMail = await simpleParser(sent.raw);
        expect(parsed.messageId, sent.email.subject).toBe(sent.messageId);
        expect(parsed.subject).toBe(sent.email.subject);
        expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value.map((to) => to.address) : null).toEqual(sent.email.to.map((contact) => contact.email));
        expect(parsed.text?.trim().length, 'a plain-text part').toBeGreaterThan(0);
        expect(typeof parsed.html === 'string' && parsed.html.includes('<html'), 'an HTML part').toBe(true);
        expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
        expect(parsed.headers.get('x-refer-outbound')).toBe(sent.email.purpose);
        // Recurring emails carry one-click unsubscribe (RFC 8058); one-off ones do not.
        const line = (key: string) => parsed.headerLines.find((header) => header.key === key)?.line.replace(/\r?\n(?=[ \t])/g, '') ?? null;
        if (sent.email.unsubscribeUrl) {
          expect(line('list-unsubscribe')).toBe(`List-Unsubscribe: <${sent.email.unsubscribeUrl}>`);
          expect(line('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
        } else {
          expect(line('list-unsubscribe')).toBeNull();
        }
        if (sent.email.introductionId && sent.email.inReplyTo) expect(parsed.inReplyTo).toBe(sent.email.inReplyTo);
        // The same bytes, come back to the capture address (a partner's rule, a list, a loop): ignored as our own.
        const result = await deliver(sent.raw);
        expect(result.outcome, `"${sent.email.subject}" came back`).toBe('ignored');
        expect(result.reasons.join(' ')).toContain('sent by this system (X-Refer-Outbound header)');
      }
      expect(await countIntroductions()).toBe(introductionsBefore);
      return all.length;
    },

    async stop() {
      figures.emailsSent += mail.sent.length;
      mail.sent.length = 0;
      streams.destroy();
      await booking.stop();
    },
  };

  async function countIntroductions(): Promise<number> {
    return (await new DynamoIntroductionQueries(connection).listIntroductions()).length;
  }

  return harness;
}

/** The parsed plain text of an email, as a mail client shows it. */
export async function plainText(sent: SentMime): Promise<string> {
  return (await simpleParser(sent.raw)).text ?? '';
}

// ---- figures across the run ----------------------------------------------------------------
// Test files run in separate workers: each adds its figures to a file named after this run, and
// the last follow-through file to report prints the total.

const fileFigures: FollowThroughFigures = { jobsRun: 0, emailsSent: 0, duplicatesTried: 0, suppressed: 0, streamRecords: 0 };

function figuresFile(): string {
  const run = createHash('sha256').update(inject('dynamoEndpoint')).digest('hex').slice(0, 16);
  return join(tmpdir(), `follow-through-figures-${run}.jsonl`);
}

export function describeFigures(figures: FollowThroughFigures): string {
  return (
    `jobs run ${figures.jobsRun}, emails sent ${figures.emailsSent}, duplicates tried ${figures.duplicatesTried}, ` +
    `emails suppressed as already sent ${figures.suppressed}, stream records handled ${figures.streamRecords}`
  );
}

/** Call from `afterAll` of every follow-through-*.test.ts file, after `stop()`. */
export function printFollowThroughFigures(file: string, figures: FollowThroughFigures): void {
  for (const key of Object.keys(fileFigures) as (keyof FollowThroughFigures)[]) fileFigures[key] += figures[key];
  const path = figuresFile();
  appendFileSync(path, `${JSON.stringify({ file, ...fileFigures })}\n`);
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FollowThroughFigures & { file: string });
  console.log(`follow-through figures, ${file}: ${describeFigures(fileFigures)}`);
  const expected = readdirSync(join(import.meta.dirname, '../integration')).filter((name) => /^follow-through-.*\.test\.ts$/.test(name));
  const reported = new Set(lines.map((line) => line.file));
  if (expected.every((name) => reported.has(name))) {
    const total = lines.reduce<FollowThroughFigures>(
      (sum, line) => ({
        jobsRun: sum.jobsRun + line.jobsRun,
        emailsSent: sum.emailsSent + line.emailsSent,
        duplicatesTried: sum.duplicatesTried + line.duplicatesTried,
        suppressed: sum.suppressed + line.suppressed,
        streamRecords: sum.streamRecords + line.streamRecords,
      }),
      { jobsRun: 0, emailsSent: 0, duplicatesTried: 0, suppressed: 0, streamRecords: 0 },
    );
    console.log(`follow-through summary (${reported.size} files): ${describeFigures(total)}`);
    if (existsSync(path)) rmSync(path);
  }
}
