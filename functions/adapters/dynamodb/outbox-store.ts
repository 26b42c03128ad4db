import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { EmailThread, OutboundEmail, Outbox, OutboxClaim } from '../../domain/outbound/outbound-email.ts';
import type { DynamoConnection } from './document-client.ts';
import { collections, keys } from './keys.ts';
import { queryAll } from './query-all.ts';

/**
 * An email the system sent (or is sending), as listed by `refer outbox list`. The item keeps what
 * sending once and answering "was it sent, to whom, when, which text?" need, not the email
 * itself: bodies were most of its bytes, each written twice (the item and its GSI1 copy), again
 * when it was marked sent, and stored as long as the table. Local mode keeps every email whole
 * as an .eml file (the dashboard reads those); on AWS, SES has sent it.
 */
export interface OutboxEntry {
  readonly outboxKey: string;
  readonly purpose: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly status: 'sending' | 'sent';
  readonly claimedAt: string;
  readonly sentAt: string | null;
  readonly messageId: string | null;
  readonly introductionId: string | null;
  /** SHA-256 of the text part, a NUL and the HTML part (base64url): which text went out. */
  readonly bodySha256: string | null;
}

const outboxItem = z.object({
  outboxKey: z.string(),
  purpose: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  status: z.enum(['sending', 'sent']),
  claimedAt: z.string(),
  sentAt: z.string().nullable().default(null),
  messageId: z.string().nullable().default(null),
  introductionId: z.string().nullable().default(null),
  // Null on items written before the digest (they held the bodies instead).
  bodySha256: z.string().nullable().default(null),
});

export function bodyDigest(email: Pick<OutboundEmail, 'text' | 'html'>): string {
  return createHash('sha256').update(email.text).update('\0').update(email.html).digest('base64url');
}

export class DynamoOutbox implements Outbox {
  constructor(private readonly connection: DynamoConnection) {}

  async claim(email: OutboundEmail, now: Date, leaseUntil: Date): Promise<OutboxClaim> {
    try {
      await this.connection.client.send(new PutCommand({ ...outboxClaim(this.connection.tableName, email, now, leaseUntil), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item?.status?.S === 'sent' ? 'already_sent' : 'in_progress';
    }
  }

  async markSent(outboxKey: string, sentAt: Date, messageId: string, thread?: EmailThread): Promise<void> {
    const [markSent, messageIdItem] = outboxMarkSent(this.connection.tableName, outboxKey, sentAt, messageId, thread);
    if (!messageIdItem) await this.connection.client.send(new UpdateCommand(markSent.Update));
    // A reply to this email comes back to the capture address with it in In-Reply-To: record where it belongs.
    else await this.connection.client.send(new TransactWriteCommand({ TransactItems: [markSent, messageIdItem] }));
  }

  async release(outboxKey: string, leaseUntil: Date): Promise<void> {
    try {
      await this.connection.client.send(
        new UpdateCommand({
          TableName: this.connection.tableName,
          Key: keys.outbox(outboxKey),
          // The lease ends now: the next claim finds it run out.
          UpdateExpression: 'SET leaseUntil = :released',
          ConditionExpression: '#status = :sending AND leaseUntil = :ours',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':released': new Date(0).toISOString(), ':sending': 'sending', ':ours': leaseUntil.toISOString() },
        }),
      );
    } catch (error) {
      // Already sent or claimed again by another attempt: theirs to keep.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** One email by its outbox key; null when there is none. */
  async get(outboxKey: string): Promise<OutboxEntry | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.outbox(outboxKey) }));
    return Item ? outboxItem.parse(Item) : null;
  }

  async list(): Promise<OutboxEntry[]> {
    const items = await queryAll(this.connection, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': collections.outbox },
    });
    return items.map((item) => outboxItem.parse(item));
  }
}

/**
 * The conditional put that claims an email: the first claim, or a crashed attempt's claim whose
 * lease ran out before the email was marked sent.
 */
export function outboxClaim(tableName: string, email: OutboundEmail, now: Date, leaseUntil: Date) {
  return {
    TableName: tableName,
    Item: {
      ...keys.outbox(email.outboxKey),
      entity: 'outbox',
      outboxKey: email.outboxKey,
      purpose: email.purpose,
      to: email.to.map((contact) => contact.email),
      subject: email.subject,
      bodySha256: bodyDigest(email),
      introductionId: email.introductionId,
      status: 'sending',
      claimedAt: now.toISOString(),
      leaseUntil: leaseUntil.toISOString(),
      gsi1pk: collections.outbox,
      gsi1sk: `${now.toISOString()}#${email.outboxKey}`,
    },
    ConditionExpression: 'attribute_not_exists(pk) OR (#status = :sending AND leaseUntil < :now)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':sending': 'sending', ':now': now.toISOString() },
  };
}

/** The transaction items that mark an email sent, and record its Message-ID against its thread when it has one. */
export function outboxMarkSent(tableName: string, outboxKey: string, sentAt: Date, messageId: string, thread?: EmailThread) {
  const markSent = {
    Update: {
      TableName: tableName,
      Key: keys.outbox(outboxKey),
      UpdateExpression: 'SET #status = :sent, sentAt = :sentAt, messageId = :messageId REMOVE leaseUntil',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':sentAt': sentAt.toISOString(), ':messageId': messageId },
    },
  };
  const threadId = thread?.introductionId ?? thread?.pairId;
  if (!threadId) return [markSent, null] as const;
  const messageIdItem = {
    ...keys.messageId(messageId),
    entity: 'message_id',
    messageId,
    role: 'outbound',
    ...(thread?.introductionId ? { introductionId: thread.introductionId } : {}),
    ...(thread?.pairId ? { pairId: thread.pairId } : {}),
  };
  return [markSent, { Put: { TableName: tableName, Item: messageIdItem } }] as const;
}
