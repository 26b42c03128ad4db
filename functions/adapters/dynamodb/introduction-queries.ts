import type { InboundRecord } from '../../domain/capture/model.ts';
import type { Introduction } from '../../domain/introductions/introduction.ts';
import type { DynamoConnection } from './document-client.ts';
import { collections } from './keys.ts';
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
