import * as z from 'zod';
import type { InboundRecord } from '../../domain/capture/model.ts';
import type { Introduction, IntroductionEvent } from '../../domain/introductions/introduction.ts';
import type { DynamoConnection } from './document-client.ts';
import { collections, keys } from './keys.ts';
import { inboundFromItem, introductionFromItem } from './items.ts';
import { queryAll } from './query-all.ts';

/** A message of an introduction's thread: the one that made it, or a reply attached to it. */
export interface IntroductionMessage {
  readonly role: 'introduction' | 'reply';
  readonly receivedAt: string;
  readonly messageId: string | null;
  readonly subject: string | null;
  readonly sender: string | null;
  readonly rawLocation: string;
}

const introductionMessageItem = z.object({
  role: z.enum(['introduction', 'reply']),
  receivedAt: z.string(),
  messageId: z.string().nullable().default(null),
  subject: z.string().nullable().default(null),
  sender: z.string().nullable().default(null),
  rawLocation: z.string(),
});

/** Read models for the CLI and the local dashboard: the same keys the capture writes. */
export class DynamoIntroductionQueries {
  constructor(private readonly connection: DynamoConnection) {}

  /** Introductions in the order they were made, optionally from a time on. */
  async listIntroductions(options: { since?: string } = {}): Promise<Introduction[]> {
    const items = await queryAll(this.connection, {
      IndexName: 'gsi1',
      KeyConditionExpression: options.since ? 'gsi1pk = :pk AND gsi1sk >= :since' : 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': collections.introductions, ...(options.since ? { ':since': options.since } : {}) },
    });
    return items.map(introductionFromItem);
  }

  /** One introduction's history, oldest first. */
  async history(introductionId: string): Promise<IntroductionEvent[]> {
    const items = await queryAll(this.connection, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.introduction(introductionId).pk, ':prefix': 'EVENT#' },
    });
    return (items as unknown as IntroductionEvent[]).sort((a, b) => a.at.localeCompare(b.at));
  }

  /** The messages of one introduction's thread as captured (the introduction itself, then replies), oldest first. */
  async messages(introductionId: string): Promise<IntroductionMessage[]> {
    const items = await queryAll(this.connection, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.introduction(introductionId).pk, ':prefix': 'MSG#' },
    });
    return items.map((item) => introductionMessageItem.parse({ ...item, receivedAt: String(item.sk).split('#')[1] }));
  }

  /** Every delivery to the capture address and what became of it. */
  async listInbound(): Promise<InboundRecord[]> {
    const items = await queryAll(this.connection, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': collections.inbound },
    });
    return items.map(inboundFromItem);
  }
}
