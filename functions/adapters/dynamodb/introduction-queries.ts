import type { InboundRecord } from '../../domain/capture/model.ts';
import type { Introduction, IntroductionEvent } from '../../domain/introductions/introduction.ts';
import type { DynamoConnection } from './document-client.ts';
import { collections, keys } from './keys.ts';
import { inboundFromItem, introductionFromItem } from './items.ts';
import { queryAll } from './query-all.ts';

/** Read models for the CLI and, later, the dashboard: the same keys the capture writes. */
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
