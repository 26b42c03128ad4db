import type { InboundRecord } from '../../domain/capture/model.ts';
import type { RawMailSource } from '../../domain/capture/ports.ts';
import type { Introduction, IntroductionEvent } from '../../domain/introductions/introduction.ts';
import { splitBody } from '../../domain/message/body-sections.ts';
import { pairNumbers, type PairNumbers } from '../../domain/pairs/pair-numbers.ts';
import type { Group, Pair } from '../../domain/pairs/pair.ts';
import type { Partner } from '../../domain/partners/partner.ts';
import type { DynamoConnection } from '../../adapters/dynamodb/document-client.ts';
import { DynamoFollowUpStore } from '../../adapters/dynamodb/follow-up-store.ts';
import { DynamoIntroductionQueries, type IntroductionMessage } from '../../adapters/dynamodb/introduction-queries.ts';
import { DynamoOutbox, type OutboxEntry } from '../../adapters/dynamodb/outbox-store.ts';
import { DynamoPairStore } from '../../adapters/dynamodb/pair-store.ts';
import { DynamoPartnerStore } from '../../adapters/dynamodb/partner-store.ts';
import { parseMail } from '../../adapters/mail/parse-mail.ts';
import { readSentMail, type SentMailParts, type SentMailSource } from '../../adapters/local/outbox-folder-sender.ts';
import type { StoredSchedule, TableJobScheduler } from '../../adapters/scheduler/table-scheduler.ts';

/** Every armed schedule is due before this: listing "due by then" lists them all, next first. */
const END_OF_TIME = new Date('9999-01-01T00:00:00Z');
/** What a message's own words are cut to on the dashboard. */
const MAX_EXCERPT_CHARS = 2_000;

/** A message of an introduction's thread, with what its sender wrote (above any quote). */
export interface ThreadMessage extends IntroductionMessage {
  readonly words: string | null;
}

export interface IntroductionDetail {
  readonly introduction: Introduction;
  readonly history: readonly IntroductionEvent[];
  readonly messages: readonly ThreadMessage[];
  readonly emails: readonly OutboxEntry[];
}

/** An email of the outbox with its text and HTML as sent; `body` is null while no copy can be read (not sent yet). */
export interface SentEmail {
  readonly entry: OutboxEntry;
  readonly body: SentMailParts | null;
}

export interface PairWithNumbers {
  readonly pair: Pair;
  readonly partners: readonly [Partner, Partner];
  readonly numbers: PairNumbers;
}

/**
 * What the dashboard reads, through the same adapters the Lambdas and the CLI use (no queries of
 * its own): introductions and their history, partners, pairs and groups, the outbox, deliveries,
 * the table scheduler's schedules, raw mail for the words of a thread, and the sent emails
 * themselves (the outbox table records what was sent, not the bodies).
 */
export class DashboardData {
  private readonly queries: DynamoIntroductionQueries;
  private readonly followUps: DynamoFollowUpStore;
  private readonly partnerStore: DynamoPartnerStore;
  private readonly pairStore: DynamoPairStore;
  private readonly outboxStore: DynamoOutbox;

  constructor(
    connection: DynamoConnection,
    private readonly scheduler: Pick<TableJobScheduler, 'dueSchedules' | 'get'>,
    private readonly rawMail: RawMailSource,
    private readonly sentMail: SentMailSource,
  ) {
    this.queries = new DynamoIntroductionQueries(connection);
    this.followUps = new DynamoFollowUpStore(connection);
    this.partnerStore = new DynamoPartnerStore(connection);
    this.pairStore = new DynamoPairStore(connection);
    this.outboxStore = new DynamoOutbox(connection);
  }

  introductions(): Promise<Introduction[]> {
    return this.queries.listIntroductions();
  }

  async introduction(id: string): Promise<IntroductionDetail | null> {
    const introduction = await this.followUps.getIntroduction(id);
    if (!introduction) return null;
    const [history, messages, outbox] = await Promise.all([this.queries.history(id), this.queries.messages(id), this.outboxStore.list()]);
    return {
      introduction,
      history,
      messages: await Promise.all(messages.map(async (message) => ({ ...message, words: await this.wordsOf(message.rawLocation) }))),
      emails: outbox.filter((entry) => entry.introductionId === id),
    };
  }

  partners(): Promise<Partner[]> {
    return this.partnerStore.listPartners();
  }

  groups(): Promise<Group[]> {
    return this.pairStore.listGroups();
  }

  pairs(): Promise<Pair[]> {
    return this.pairStore.listPairs();
  }

  /** Each pair with its numbers as the weekly check-in would report them at `at`. */
  async pairsWithNumbers(at: Date, partners: readonly Partner[]): Promise<PairWithNumbers[]> {
    const byEmail = new Map(partners.map((partner) => [partner.email, partner]));
    const result: PairWithNumbers[] = [];
    for (const pair of await this.pairStore.listPairs()) {
      const [a, b] = pair.partners.map((email) => byEmail.get(email));
      if (!a || !b) continue;
      result.push({ pair, partners: [a, b], numbers: await pairNumbers(pair, a, b, at, this.followUps) });
    }
    return result;
  }

  /** Every email, newest first. */
  async outbox(): Promise<OutboxEntry[]> {
    return (await this.outboxStore.list()).reverse();
  }

  async email(outboxKey: string): Promise<SentEmail | null> {
    const entry = await this.outboxStore.get(outboxKey);
    if (!entry) return null;
    const raw = await this.sentMail.read(entry);
    return { entry, body: raw ? await readSentMail(raw) : null };
  }

  /** Every delivery to the capture address, newest first. */
  async inbound(): Promise<InboundRecord[]> {
    return (await this.queries.listInbound()).reverse();
  }

  /** Armed schedules, the next to fire first. */
  schedules(): Promise<StoredSchedule[]> {
    return this.scheduler.dueSchedules(END_OF_TIME);
  }

  schedule(name: string): Promise<StoredSchedule | null> {
    return this.scheduler.get(name);
  }

  /** What the sender wrote in a kept message, above any quote; null when it cannot be read. */
  private async wordsOf(rawLocation: string): Promise<string | null> {
    try {
      const message = await parseMail(await this.rawMail.read(rawLocation));
      const words = splitBody(message.text).newText.trim();
      return words.length > MAX_EXCERPT_CHARS ? `${words.slice(0, MAX_EXCERPT_CHARS)}…` : words;
    } catch {
      return null;
    }
  }
}
