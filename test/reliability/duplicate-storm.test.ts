import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_ADDRESS, composeMessage, type CaptureHarness } from '../support/capture-harness.ts';
import { createCaptureWorld, type CaptureWorld } from './support/capture-world.ts';
import { reportFigures } from './support/figures.ts';
import { DeadLetterQueue, invokeAsync, invokeStream } from './support/lambda.ts';
import { forbidInLogs } from './support/log-capture.ts';
import { seededRandom, shuffled, withConcurrency } from './support/random.ts';
import { SOAK, scaled } from './support/scale.ts';

/**
 * A storm of SES deliveries to the capture: introductions and the replies in their threads, 30 %
 * of the deliveries duplicates (SES or Lambda delivering the same event again, or a second copy of
 * the message under another SES id: CC plus BCC, two capture addresses), all in random order (so
 * many replies arrive before the introduction they answer), several at a time, with Lambda's
 * retries. In the end: exactly one introduction per introduction message, one history event per
 * distinct reply, one confirmation email per introduction, one recorded outcome per SES delivery.
 */

const DELIVERIES = scaled(300, 1_500);
const DUPLICATE_SHARE = 0.3;
const CONCURRENCY = 6;
const SEED = Number(process.env.RELIABILITY_SEED ?? (SOAK ? Date.now() % 1_000_000_000 : 24_112_026));
const PARTNERS = ['sam.lee', 'ana.ruiz', 'victor.ng', 'mia.chen', 'tom.okoye', 'lena.park'].map((name) => `${name}@partners.example`);
/** Lambda retries an asynchronous invocation after about a minute: outbox claims of a crashed attempt (45 s) have run out. */
const LAMBDA_RETRY_MS = 60_000;

interface Message {
  readonly key: string;
  readonly kind: 'intro' | 'reply';
  readonly messageId: string;
  /** The introduction this message belongs to. */
  readonly thread: number;
  /** For a reply: the Message-ID it answers (the introduction, or an earlier reply). */
  readonly parent: string | null;
  readonly raw: Buffer;
}

interface Delivery {
  readonly sesId: string;
  readonly message: Message;
  readonly copy: 'first' | 'redelivery' | 'other copy';
}

let world: CaptureWorld;
let h: CaptureHarness;
beforeAll(async () => {
  world = await createCaptureWorld(PARTNERS.map((partner, index) => [partner, `Partner ${index + 1}`] as const));
  h = world.h;
});
afterAll(() => world.stop());

/** The unique messages of the storm: introductions, each with up to three replies (some answering a reply). */
async function conversations(uniqueCount: number, random: () => number): Promise<Message[]> {
  const messages: Message[] = [];
  let thread = 0;
  while (messages.length < uniqueCount) {
    thread += 1;
    const introducer = PARTNERS[thread % PARTNERS.length] as string;
    const jane = { name: `Jane Doe${thread}`, address: `jane.${thread}@acme.example` };
    const bob = { name: `Bob Roe${thread}`, address: `bob.${thread}@roe.example` };
    const subject = `Intro: Jane <> Bob (${thread})`;
    const introId = `<storm-intro-${SEED}-${thread}@partners.example>`;
    const text = `Jane, meet Bob. Bob is looking for exactly the help you give; I think you two should talk.\n\nSam`;
    forbidInLogs(subject, jane.name, bob.name);
    messages.push({
      key: `intro ${thread}`,
      kind: 'intro',
      messageId: introId,
      thread,
      parent: null,
      raw: await composeMessage({ from: introducer, to: [`${jane.name} <${jane.address}>`, `${bob.name} <${bob.address}>`], cc: [CAPTURE_ADDRESS], subject, text, messageId: introId }),
    });
    const replies = Math.floor(random() * 4);
    const chain = [introId];
    for (let reply = 1; reply <= replies && messages.length < uniqueCount; reply += 1) {
      const parent = chain[Math.floor(random() * chain.length)] as string;
      const replyId = `<storm-reply-${SEED}-${thread}-${reply}@roe.example>`;
      const from = reply % 2 === 1 ? bob : jane;
      messages.push({
        key: `reply ${thread}.${reply}`,
        kind: 'reply',
        messageId: replyId,
        thread,
        parent,
        raw: await composeMessage({
          from: `${from.name} <${from.address}>`,
          to: [introducer],
          cc: [from === bob ? jane.address : bob.address, CAPTURE_ADDRESS],
          subject: `Re: ${subject}`,
          text: `Thanks! Happy to talk. How does Thursday look for you?\n\n${from.name}`,
          messageId: replyId,
          inReplyTo: parent,
          references: [...new Set([introId, parent])],
        }),
      });
      chain.push(replyId);
    }
  }
  return messages;
}

describe('duplicate storm', () => {
  it(`${DELIVERIES} SES deliveries, ${DUPLICATE_SHARE * 100} % duplicates, replies before their parents, ${CONCURRENCY} at a time: exactly the right introductions, events and emails`, { timeout: SOAK ? 30 * 60_000 : 120_000 }, async () => {
    const random = seededRandom(SEED);
    const unique = await conversations(Math.round(DELIVERIES * (1 - DUPLICATE_SHARE)), random);
    const deliveries: Delivery[] = unique.map((message) => ({ sesId: h.sesId(`storm-${SEED}-${message.key}`), message, copy: 'first' }));
    for (let index = 0; deliveries.length < DELIVERIES; index += 1) {
      const original = deliveries[Math.floor(random() * unique.length)] as Delivery;
      deliveries.push(
        random() < 0.5
          ? { ...original, copy: 'redelivery' }
          : { sesId: h.sesId(`storm-${SEED}-${original.message.key}-copy-${index}`), message: original.message, copy: 'other copy' },
      );
    }
    const order = shuffled(deliveries, random);
    // Replies that reach the capture before the message they answer.
    const firstSeen = new Map<string, number>();
    for (const [index, delivery] of order.entries()) if (!firstSeen.has(delivery.message.messageId)) firstSeen.set(delivery.message.messageId, index);
    const repliesBeforeParent = unique.filter((message) => message.parent && (firstSeen.get(message.messageId) ?? 0) < (firstSeen.get(message.parent) ?? 0)).length;

    const handler = world.handler();
    const deadLetters = new DeadLetterQueue();
    let retries = 0;
    const started = performance.now();
    await withConcurrency(order, CONCURRENCY, async (delivery) => {
      const event = h.delivery(delivery.sesId, delivery.message.raw);
      const result = await invokeAsync(handler, event, {
        deadLetters,
        beforeRetry: () => {
          retries += 1;
          h.clock.advance(LAMBDA_RETRY_MS);
        },
      });
      expect(result.deadLettered, `${delivery.message.key} (${delivery.copy}) dead-lettered: ${String(result.errors.at(-1))}`).toBe(false);
      h.clock.advance(1_000);
    });
    // The jobs side sends the emails from the stream: every record the capture wrote, redelivered as
    // often as SES redelivered mail (same share of duplicates), in any order, as many at a time.
    const records = await h.mail.records();
    const streamDeliveries = [...records];
    while (streamDeliveries.length < records.length / (1 - DUPLICATE_SHARE)) streamDeliveries.push(records[Math.floor(random() * records.length)] as (typeof records)[number]);
    // An attempt that finds another one sending fails the record; Lambda retries it once the racers are done.
    const failedRecords: (typeof records)[number][] = [];
    await withConcurrency(shuffled(streamDeliveries, random), CONCURRENCY, async (record) => {
      const { batchItemFailures } = await world.mailHandler()({ Records: [record] });
      if (batchItemFailures.length > 0) failedRecords.push(record);
    });
    let streamDeadLettered = 0;
    for (const record of failedRecords) {
      retries += 1;
      h.clock.advance(LAMBDA_RETRY_MS);
      const result = await invokeStream(world.mailHandler(), [record], {
        beforeRetry: () => {
          retries += 1;
          h.clock.advance(LAMBDA_RETRY_MS);
        },
      });
      streamDeadLettered += result.deadLettered.length;
    }
    const seconds = (performance.now() - started) / 1000;

    // What must be true in the end.
    const intros = unique.filter((message) => message.kind === 'intro');
    const replies = unique.filter((message) => message.kind === 'reply');
    const introductions = await h.introductions();
    const byMessageId = new Map(introductions.map((introduction) => [introduction.messageId, introduction]));
    const failures: string[] = [];
    if (introductions.length !== intros.length) failures.push(`${introductions.length} introductions for ${intros.length} introduction messages`);
    let events = 0;
    for (const intro of intros) {
      const introduction = byMessageId.get(intro.messageId);
      if (!introduction) {
        failures.push(`${intro.key} was not captured`);
        continue;
      }
      const history = await h.events(introduction.id);
      events += history.length;
      const expectedReplies = replies.filter((reply) => reply.thread === intro.thread).length;
      const types = history.map((event) => event.type).sort();
      const expected = ['captured', ...Array<string>(expectedReplies).fill('reply_received')].sort();
      if (JSON.stringify(types) !== JSON.stringify(expected)) failures.push(`${intro.key}: history ${types.join(', ')} instead of ${expected.join(', ')}`);
    }
    const sent = await h.sentEmails();
    const confirmations = sent.filter((email) => email.tags.some((tag) => tag.Value === 'capture_confirmation'));
    const confirmedIntroductions = new Set(confirmations.map((email) => email.parsed.inReplyTo));
    if (confirmations.length !== intros.length) failures.push(`${confirmations.length} confirmation emails for ${intros.length} introductions`);
    if (confirmedIntroductions.size !== confirmations.length) failures.push('an introduction was confirmed twice');
    if (sent.length !== confirmations.length) failures.push(`${sent.length - confirmations.length} other emails were sent`);
    const inbound = await h.inbound();
    const sesIds = new Set(deliveries.map((delivery) => delivery.sesId));
    if (inbound.length !== sesIds.size) failures.push(`${inbound.length} recorded outcomes for ${sesIds.size} SES deliveries`);
    const outcomes = new Map<string, number>();
    for (const record of inbound) outcomes.set(record.outcome, (outcomes.get(record.outcome) ?? 0) + 1);
    const attachedReplies = inbound.filter((record) => record.outcome === 'attached').length;
    if (attachedReplies !== replies.length) failures.push(`${attachedReplies} replies attached of ${replies.length}`);
    if (streamDeadLettered > 0) failures.push(`${streamDeadLettered} stream records dead-lettered`);

    reportFigures('duplicate storm', {
      seed: SEED,
      'cases tried (SES deliveries)': deliveries.length,
      'distinct SES ids': sesIds.size,
      'unique messages': unique.length,
      introductions: `${introductions.length} of ${intros.length}`,
      'history events': events,
      'confirmation emails': `${confirmations.length} of ${intros.length}`,
      redeliveries: deliveries.filter((delivery) => delivery.copy === 'redelivery').length,
      'other copies': deliveries.filter((delivery) => delivery.copy === 'other copy').length,
      'replies before their parent': `${repliesBeforeParent} of ${replies.length}`,
      'stream records (with redeliveries)': streamDeliveries.length,
      'Lambda retries': retries,
      'dead-lettered': deadLetters.messages.length,
      ...Object.fromEntries([...outcomes].sort().map(([outcome, count]) => [`outcome ${outcome}`, count])),
      failures: failures.length,
      seconds,
    });
    expect(failures).toEqual([]);
    expect(deadLetters.messages).toEqual([]);
  });
});
