import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { InboundRecord } from '../../domain/capture/model.ts';
import type { Introduction, IntroductionEvent } from '../../domain/introductions/introduction.ts';
import type { CaptureStore, MessageThread, SaveResult } from '../../domain/capture/ports.ts';
import { deterministicId } from '../../domain/shared/ids.ts';
import type { DynamoConnection } from './document-client.ts';
import { collections, keys, statusPartition, threadSubjectPartition } from './keys.ts';
import { introductionFromItem, inboundFromItem } from './items.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** BatchGetItem reads at most 100 keys; References headers are capped below that. */
const MAX_REFERENCED_MESSAGE_IDS = 50;
/** Newest introductions considered when threading by subject. */
const THREAD_SUBJECT_CANDIDATES = 10;
const NOT_EXISTS = 'attribute_not_exists(pk)';
/** How long a reply waits for the message it answers (then DynamoDB's TTL removes the markers). */
const WAITING_REPLY_DAYS = 90;

export class DynamoCaptureStore implements CaptureStore {
  constructor(private readonly connection: DynamoConnection) {}

  async findInbound(deliveryId: string): Promise<InboundRecord | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.inbound(deliveryId), ConsistentRead: true }));
    return Item ? inboundFromItem(Item) : null;
  }

  async findIntroductionIdByMessageIds(messageIds: readonly string[]): Promise<string | null> {
    const thread = await this.findThreadByMessageIds(messageIds, (item) => typeof item.introductionId === 'string');
    return thread?.introductionId ?? null;
  }

  async findThreadByMessageIds(messageIds: readonly string[], accept: (item: Record<string, unknown>) => boolean = () => true): Promise<MessageThread | null> {
    // The In-Reply-To id and the newest References come first in the caller's order and at the end of References.
    const ids = [...new Set(messageIds)].slice(-MAX_REFERENCED_MESSAGE_IDS);
    if (ids.length === 0) return null;
    const { Responses, UnprocessedKeys } = await this.connection.client.send(
      new BatchGetCommand({ RequestItems: { [this.connection.tableName]: { Keys: ids.map((id) => keys.messageId(id)), ConsistentRead: true } } }),
    );
    const found = new Map<string, Record<string, unknown>>();
    for (const item of Responses?.[this.connection.tableName] ?? []) found.set(String(item.pk), item);
    for (const key of UnprocessedKeys?.[this.connection.tableName]?.Keys ?? []) {
      const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: key, ConsistentRead: true }));
      if (Item) found.set(String(Item.pk), Item);
    }
    for (const id of messageIds) {
      const item = found.get(keys.messageId(id).pk);
      if (!item || !accept(item)) continue;
      if (typeof item.introductionId === 'string') return { introductionId: item.introductionId };
      if (typeof item.pairId === 'string') return { pairId: item.pairId };
    }
    return null;
  }

  async findIntroductionsByThreadSubject(subjectKey: string): Promise<Introduction[]> {
    const { Items } = await this.connection.client.send(
      new QueryCommand({
        TableName: this.connection.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': threadSubjectPartition(subjectKey) },
        ScanIndexForward: false,
        Limit: THREAD_SUBJECT_CANDIDATES,
      }),
    );
    const introductions: Introduction[] = [];
    for (const item of Items ?? []) {
      const introduction = await this.getIntroduction(String(item.introductionId));
      if (introduction) introductions.push(introduction);
    }
    return introductions;
  }

  async getIntroduction(id: string): Promise<Introduction | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.introduction(id), ConsistentRead: true }));
    return Item ? introductionFromItem(Item) : null;
  }

  async saveCapture(capture: { introduction: Introduction; event: IntroductionEvent; inbound: InboundRecord; threadSubjectKey: string | null }): Promise<SaveResult | 'message_exists'> {
    const { introduction, event, inbound } = capture;
    const items: TransactItem[] = [
      this.conditionalPut(inboundItem(inbound)),
      ...(introduction.messageId ? [this.conditionalPut(messageIdItem(introduction.messageId, introduction.id, 'introduction', inbound.deliveryId))] : []),
      this.conditionalPut({
        ...keys.introduction(introduction.id),
        entity: 'introduction',
        ...introduction,
        threadSubjectKey: capture.threadSubjectKey,
        gsi1pk: collections.introductions,
        gsi1sk: `${introduction.createdAt}#${introduction.id}`,
        gsi2pk: statusPartition(introduction.status),
        gsi2sk: `${introduction.createdAt}#${introduction.id}`,
      }),
      this.conditionalPut(eventItem(event)),
      this.put({
        ...keys.introductionMessage(introduction.id, inbound.receivedAt, inbound.deliveryId),
        entity: 'introduction_message',
        role: 'introduction',
        messageId: introduction.messageId,
        subject: inbound.subject,
        sender: inbound.sender,
        rawLocation: inbound.rawLocation,
      }),
      ...(capture.threadSubjectKey
        ? [this.put({ ...keys.threadSubject(capture.threadSubjectKey, introduction.createdAt, introduction.id), entity: 'thread_subject', introductionId: introduction.id })]
        : []),
      ...partnerLinks(introduction).map((link) => this.put(link)),
    ];
    return this.transact(items, inbound.deliveryId, introduction.messageId ? 1 : -1);
  }

  async saveReply(reply: { introductionId: string; messageId: string | null; event: IntroductionEvent; inbound: InboundRecord }): Promise<SaveResult | 'message_exists'> {
    const { inbound } = reply;
    const items: TransactItem[] = [
      this.conditionalPut(inboundItem(inbound)),
      ...(reply.messageId ? [this.conditionalPut(messageIdItem(reply.messageId, reply.introductionId, 'reply', inbound.deliveryId))] : []),
      this.conditionalPut(eventItem(reply.event)),
      this.put(replyMessageItem(reply.introductionId, inbound)),
    ];
    return this.transact(items, inbound.deliveryId, reply.messageId ? 1 : -1);
  }

  async saveOutcome(inbound: InboundRecord): Promise<SaveResult> {
    try {
      await this.connection.client.send(new PutCommand({ TableName: this.connection.tableName, Item: inboundItem(inbound), ConditionExpression: NOT_EXISTS }));
      return 'saved';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'delivery_exists';
      throw error;
    }
  }

  async saveWaitingReply(reply: { inbound: InboundRecord; awaited: readonly string[] }): Promise<SaveResult> {
    const { inbound, awaited } = reply;
    const expiresAt = Math.floor(new Date(inbound.receivedAt).getTime() / 1000) + WAITING_REPLY_DAYS * 86_400;
    const items: TransactItem[] = [
      this.conditionalPut({ ...inboundItem(inbound), waitingFor: [...awaited] }),
      ...awaited.map((messageId) =>
        this.put({ ...keys.waitingReply(messageId, inbound.deliveryId), entity: 'waiting_reply', awaited: messageId, deliveryId: inbound.deliveryId, expiresAt }),
      ),
    ];
    return (await this.transact(items, inbound.deliveryId, -1, 'waiting')) === 'saved' ? 'saved' : 'delivery_exists';
  }

  async findWaitingReplies(messageId: string): Promise<string[]> {
    const { Items } = await this.connection.client.send(
      new QueryCommand({
        TableName: this.connection.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.waitingReply(messageId, '').pk },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => String(item.deliveryId));
  }

  async adoptWaitingReply(adoption: {
    deliveryId: string;
    introductionId: string;
    reasons: readonly string[];
    event: IntroductionEvent;
  }): Promise<'adopted' | 'message_exists' | 'not_waiting'> {
    const inbound = await this.findInbound(adoption.deliveryId);
    if (!inbound?.waitingFor) return 'not_waiting';
    const markers = inbound.waitingFor.map((messageId) => ({ Delete: { TableName: this.connection.tableName, Key: keys.waitingReply(messageId, inbound.deliveryId) } }));
    const settle = (outcome: 'attached' | 'duplicate', reasons: readonly string[]): TransactItem => ({
      Update: {
        TableName: this.connection.tableName,
        Key: keys.inbound(inbound.deliveryId),
        UpdateExpression: 'SET outcome = :outcome, introductionId = :introductionId, reasons = :reasons REMOVE waitingFor',
        ConditionExpression: 'attribute_exists(waitingFor)',
        ExpressionAttributeValues: { ':outcome': outcome, ':introductionId': adoption.introductionId, ':reasons': reasons },
      },
    });
    const items: TransactItem[] = [
      settle('attached', adoption.reasons),
      ...(inbound.messageId ? [this.conditionalPut(messageIdItem(inbound.messageId, adoption.introductionId, 'reply', inbound.deliveryId))] : []),
      this.conditionalPut(eventItem(adoption.event)),
      this.put(replyMessageItem(adoption.introductionId, inbound)),
      ...markers,
    ];
    try {
      await this.connection.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'adopted';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'not_waiting';
      if (!inbound.messageId || reasons[1]?.Code !== 'ConditionalCheckFailed') throw error;
    }
    // Another copy of this reply took its Message-ID first: this copy is a duplicate.
    try {
      await this.connection.client.send(new TransactWriteCommand({ TransactItems: [settle('duplicate', ['this reply was already recorded from another copy']), ...markers] }));
      return 'message_exists';
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return 'not_waiting';
      throw error;
    }
  }

  /** Item 0 is always the inbound record; `messageIdIndex` is where the Message-ID claim sits, or -1. */
  private async transact(items: TransactItem[], deliveryId: string, messageIdIndex: number, purpose = 'transaction'): Promise<SaveResult | 'message_exists'> {
    try {
      await this.connection.client.send(
        new TransactWriteCommand({ TransactItems: items, ClientRequestToken: deterministicId(purpose, deliveryId).slice(0, 36) }),
      );
      return 'saved';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
      if (failed(0)) return 'delivery_exists';
      if (messageIdIndex >= 0 && failed(messageIdIndex)) return 'message_exists';
      throw error;
    }
  }

  private conditionalPut(item: Record<string, unknown>): TransactItem {
    return { Put: { TableName: this.connection.tableName, Item: item, ConditionExpression: NOT_EXISTS } };
  }

  private put(item: Record<string, unknown>): TransactItem {
    return { Put: { TableName: this.connection.tableName, Item: item } };
  }
}

function inboundItem(inbound: InboundRecord): Record<string, unknown> {
  return {
    ...keys.inbound(inbound.deliveryId),
    entity: 'inbound',
    ...inbound,
    gsi1pk: collections.inbound,
    gsi1sk: `${inbound.receivedAt}#${inbound.deliveryId}`,
  };
}

function messageIdItem(messageId: string, introductionId: string, role: 'introduction' | 'reply', deliveryId: string): Record<string, unknown> {
  return { ...keys.messageId(messageId), entity: 'message_id', messageId, introductionId, role, deliveryId };
}

/** A reply among the introduction's messages (its Message-ID is the inbound record's). */
function replyMessageItem(introductionId: string, inbound: InboundRecord): Record<string, unknown> {
  return {
    ...keys.introductionMessage(introductionId, inbound.receivedAt, inbound.deliveryId),
    entity: 'introduction_message',
    role: 'reply',
    messageId: inbound.messageId,
    subject: inbound.subject,
    sender: inbound.sender,
    rawLocation: inbound.rawLocation,
  };
}

export function eventItem(event: IntroductionEvent): Record<string, unknown> {
  return { ...keys.introductionEvent(event.introductionId, event.sourceId), entity: 'introduction_event', ...event };
}

/** One item per person and introduction, for "introductions a partner gave / received in a period". */
function partnerLinks(introduction: Introduction): Record<string, unknown>[] {
  const roles = new Map<string, string>();
  roles.set(introduction.introducer.email, 'gave');
  for (const party of introduction.parties) if (!roles.has(party.email)) roles.set(party.email, 'received');
  if (introduction.forwardedBy && !roles.has(introduction.forwardedBy.email)) roles.set(introduction.forwardedBy.email, 'forwarded');
  return [...roles].map(([email, role]) => ({
    ...keys.partnerIntroduction(email, introduction.createdAt, introduction.id),
    entity: 'partner_introduction',
    introductionId: introduction.id,
    role,
  }));
}
