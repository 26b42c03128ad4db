import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { ensureTable } from '../functions/adapters/dynamodb/create-table.ts';
import { createDocumentClient, type DynamoConnection } from '../functions/adapters/dynamodb/document-client.ts';
import { pairIntroductionItem, pairProfileItem, pairViewMarkerItem } from '../functions/adapters/dynamodb/pair-view-store.ts';
import { pairIntroductionOf, streamStamp } from '../functions/domain/pairs/pair-view.ts';
import { collections, keys, statusPartition } from '../functions/adapters/dynamodb/keys.ts';
import { BookingLinkBuilder } from '../functions/adapters/links/booking-link-builder.ts';
import { composeMail } from '../functions/adapters/mail/compose-mail.ts';
import type { BookingDependencies } from '../functions/domain/booking/book-introduction.ts';
import { EMPTY_FOLLOW_UP } from '../functions/domain/followup/follow-up-state.ts';
import type { Introduction, IntroductionStatus } from '../functions/domain/introductions/introduction.ts';
import type { MailSender } from '../functions/domain/outbound/outbound-email.ts';
import { pairId } from '../functions/domain/pairs/pair-setup.ts';
import type { Pair } from '../functions/domain/pairs/pair.ts';
import type { JobScheduler } from '../functions/domain/schedules/scheduler-port.ts';
import { runJob } from '../functions/domain/schedules/run-job.ts';
import { startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { followThroughDependencies } from '../functions/shared/follow-through-wiring.ts';
import { describeOperations, meterDynamo, type DynamoTally } from './dynamo-meter.ts';
import type { Metric } from './report.ts';
import { significant } from './stats.ts';

const DAY_MS = 86_400_000;
const TABLE = 'referrals';
const CAPTURE_ADDRESS = 'intro@refer.local';
const SENDER = { address: 'follow-up@refer.local', name: 'Referral desk' };
/** A week of statuses as they spread over a year: most closed one way or another, some open. */
const STATUSES: readonly IntroductionStatus[] = ['introduced', 'meeting_booked', 'met', 'won', 'lost', 'not_a_fit', 'meeting_booked', 'met', 'won', 'introduced'];

export interface WeeklyFigures {
  readonly metrics: Metric[];
  /** Per pair and week: DynamoDB, emails and their size, for the cost model. */
  readonly perPair: { readonly tally: DynamoTally; readonly emails: number; readonly emailBytes: number; readonly runMs: number };
}

const partnerEmail = (index: number) => `partner${index}@bench.example`;

function introduction(pairIndex: number, index: number, introducer: string, receiver: string, at: Date): Introduction {
  const id = `b${pairIndex.toString(36)}x${index}`;
  const createdAt = new Date(at.getTime() - ((index * 37 + pairIndex) % 365) * DAY_MS - (index === 0 ? 0 : DAY_MS / 2)).toISOString();
  const status = STATUSES[(index + pairIndex) % STATUSES.length] as IntroductionStatus;
  const hasMeeting = status !== 'introduced';
  const meetingStart = new Date(new Date(createdAt).getTime() + 3 * DAY_MS);
  const prospect = { email: `prospect${pairIndex}-${index}@clients.example`, name: `Prospect ${index} of ${pairIndex}` };
  return {
    id,
    introducer: { email: introducer, name: `Partner ${introducer.split('@')[0]}` },
    parties: [{ email: receiver, name: `Partner ${receiver.split('@')[0]}` }, prospect],
    forwardedBy: null,
    owner: receiver,
    subject: `Intro: ${receiver.split('@')[0]} <> ${prospect.name}`,
    context: 'You two should meet: both of you work with family businesses in the region.',
    messageId: `<${id}@mail.bench.example>`,
    repliesTo: null,
    status,
    createdAt,
    meeting: hasMeeting
      ? {
          start: meetingStart.toISOString(),
          end: new Date(meetingStart.getTime() + 30 * 60_000).toISOString(),
          timeZone: 'America/New_York',
          eventId: `ev${id}`,
          calendarOwner: receiver,
          attendees: [prospect.email],
          videoLink: null,
          htmlLink: null,
        }
      : null,
    followUp: { ...EMPTY_FOLLOW_UP, ...(status === 'won' ? { amount: 1200, closedAt: new Date(meetingStart.getTime() + 7 * DAY_MS).toISOString() } : {}) },
    followUpRevision: 1,
    booking: null,
    deliveryId: `delivery-${id}`,
    rawLocation: `s3://bench/raw/${id}`,
  };
}

/**
 * The items the capture writes for an introduction (see capture-store.ts), and the one the table
 * stream's consumer keeps in the pair's partition for the weekly check-in (see pair-view.ts).
 */
function introductionItems(intro: Introduction, pairIdValue: string, receiver: string, sequence: number): Record<string, unknown>[] {
  return [
    pairIntroductionItem(pairIdValue, pairIntroductionOf(intro, receiver), streamStamp(String(sequence))),
    {
      ...keys.introduction(intro.id),
      entity: 'introduction',
      ...intro,
      threadSubjectKey: null,
      gsi1pk: collections.introductions,
      gsi1sk: `${intro.createdAt}#${intro.id}`,
      gsi2pk: statusPartition(intro.status),
      gsi2sk: `${intro.createdAt}#${intro.id}`,
    },
    { ...keys.partnerIntroduction(intro.introducer.email, intro.createdAt, intro.id), entity: 'partner_introduction', introductionId: intro.id, role: 'gave' },
    ...intro.parties.map((party) => ({ ...keys.partnerIntroduction(party.email, intro.createdAt, intro.id), entity: 'partner_introduction', introductionId: intro.id, role: 'received' })),
  ];
}

function pairItems(pairIndex: number, at: Date): Record<string, unknown>[] {
  const [a, b] = [partnerEmail(2 * pairIndex), partnerEmail(2 * pairIndex + 1)].sort() as [string, string];
  const pair: Pair = {
    id: pairId(a, b),
    partners: [a, b],
    timeZone: 'America/New_York',
    weekly: { day: 'mon', time: '08:00' },
    oneToOne: 'monthly',
    goalPerMonth: 2,
    createdAt: new Date(at.getTime() - 400 * DAY_MS).toISOString(),
    unsubscribed: [],
    nextOneToOne: null,
  };
  const profile = (email: string) => ({ email, name: `Partner ${email.split('@')[0]}`, timeZone: 'America/New_York', createdAt: pair.createdAt });
  const partner = (email: string) => ({ ...keys.partner(email), entity: 'partner', ...profile(email), gsi1pk: collections.partners, gsi1sk: email });
  return [
    { ...keys.pair(pair.id), entity: 'pair', ...pair, gsi1pk: collections.pairs, gsi1sk: pair.id },
    // The pair's read model as the stream's consumer left it (built, with each partner's profile).
    pairViewMarkerItem(pair.id, new Date(pair.createdAt)),
    ...[a, b].map((email) => pairProfileItem(pair.id, profile(email))),
    ...[a, b].flatMap((email) => [partner(email), { ...keys.partnerPair(email, pair.id), entity: 'partner_pair', pairId: pair.id }]),
  ];
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function batchWrite(connection: DynamoConnection, items: Record<string, unknown>[], concurrency: number): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
  await inPool(batches, concurrency, async (batch) => {
    let pending = batch.map((item) => ({ PutRequest: { Item: item } }));
    while (pending.length > 0) {
      const { UnprocessedItems } = await connection.client.send(new BatchWriteCommand({ RequestItems: { [TABLE]: pending } }));
      pending = (UnprocessedItems?.[TABLE] ?? []) as typeof pending;
    }
  });
}

/**
 * weekly_requests_per_pair and weekly_s_per_10k_pairs: `pairs` pairs with `introductionsPerPair`
 * introductions each (spread over the past year, both directions) in DynamoDB Local, then the
 * real weekly job (runJob, the DynamoDB adapters, link signing, MIME composition) for every pair,
 * `concurrency` pairs at a time as separate Lambda invocations would run. Every request is counted
 * by SDK middleware with the capacity units DynamoDB reports.
 */
export async function benchWeekly(options: { pairs: number; introductionsPerPair: number; concurrency: number; progress?: (text: string) => void }): Promise<WeeklyFigures> {
  const dynamo = await startDynamoDbLocal();
  try {
    const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(raw, TABLE);
    raw.destroy();
    const connection: DynamoConnection = { client: createDocumentClient({ endpoint: dynamo.endpoint }), tableName: TABLE };
    const at = new Date();

    const seedStart = performance.now();
    const items: Record<string, unknown>[] = [];
    for (let pairIndex = 0; pairIndex < options.pairs; pairIndex += 1) {
      items.push(...pairItems(pairIndex, at));
      const [a, b] = [partnerEmail(2 * pairIndex), partnerEmail(2 * pairIndex + 1)];
      for (let index = 0; index < options.introductionsPerPair; index += 1) {
        const [introducer, receiver] = index % 2 === 0 ? [a, b] : [b, a];
        items.push(...introductionItems(introduction(pairIndex, index, introducer, receiver, at), pairId(...([a, b].sort() as [string, string])), receiver, items.length));
      }
    }
    await batchWrite(connection, items, options.concurrency);
    const seedMs = performance.now() - seedStart;
    options.progress?.(`seeded ${items.length} items in ${(seedMs / 1000).toFixed(0)} s`);

    const meter = meterDynamo(connection.client);
    let emails = 0;
    let emailBytes = 0;
    const sender: MailSender = {
      send: async (email) => {
        const composed = await composeMail(email, SENDER);
        emails += 1;
        emailBytes += composed.raw.length;
        return { messageId: composed.messageId };
      },
    };
    const scheduler: JobScheduler = { armOnce: () => Promise.resolve(), armRecurring: () => Promise.resolve(), disarm: () => Promise.resolve() };
    const links = new BookingLinkBuilder('https://links.bench.example/', randomBytes(32), () => at);
    const dependencies = followThroughDependencies({
      connection,
      scheduler,
      sender,
      links,
      // The weekly check-in books nothing; a use of booking here would be a bug the run should show.
      booking: new Proxy({} as BookingDependencies, {
        get: () => {
          throw new Error('the weekly check-in used booking');
        },
      }),
      captureAddress: CAPTURE_ADDRESS,
      clock: { now: () => at },
    });

    const pairIds = Array.from({ length: options.pairs }, (_, pairIndex) => pairId(...([partnerEmail(2 * pairIndex), partnerEmail(2 * pairIndex + 1)].sort() as [string, string])));
    const outcomes = new Map<string, number>();
    const runStart = performance.now();
    await inPool(pairIds, options.concurrency, async (id) => {
      const result = await runJob({ kind: 'weekly', pairId: id, at: at.toISOString() }, dependencies);
      for (const outcome of result.outcomes) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    });
    const runMs = performance.now() - runStart;
    const tally = meter.tally();
    const perPairRequests = tally.requests / options.pairs;
    const sent = [...outcomes].map(([outcome, count]) => `${count} ${outcome}`).join(', ');
    connection.client.destroy();
    return {
      metrics: [
        {
          metric: 'weekly_requests_per_pair',
          value: significant(perPairRequests, 3),
          unit: 'requests',
          detail: `${tally.requests} DynamoDB requests for ${options.pairs} pairs (${describeOperations(tally.byOperation, options.pairs)} per pair); ${significant(tally.readUnits / options.pairs, 3)} RRU + ${significant(tally.writeUnits / options.pairs, 3)} WRU per pair; emails: ${sent}`,
        },
        {
          metric: 'weekly_s_per_10k_pairs',
          value: significant((runMs / 1000) * (10_000 / options.pairs), 3),
          unit: 's',
          detail: `weekly check-in of ${options.pairs} pairs with ${options.pairs * options.introductionsPerPair} introductions in DynamoDB Local, ${options.concurrency} pairs at a time, took ${(runMs / 1000).toFixed(1)} s${options.pairs === 10_000 ? '' : `, scaled to 10,000 pairs`} (seeding ${items.length} items took ${(seedMs / 1000).toFixed(1)} s)`,
        },
      ],
      perPair: { tally: { ...tally, requests: perPairRequests, readUnits: tally.readUnits / options.pairs, writeUnits: tally.writeUnits / options.pairs }, emails: emails / options.pairs, emailBytes: emails > 0 ? emailBytes / emails : 0, runMs: runMs / options.pairs },
    };
  } finally {
    await dynamo.stop();
  }
}
