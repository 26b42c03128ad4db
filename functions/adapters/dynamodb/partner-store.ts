import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Partner } from '../../domain/partners/partner.ts';
import type { PartnerDirectory } from '../../domain/capture/ports.ts';
import type { DynamoConnection } from './document-client.ts';
import { collections, keys } from './keys.ts';
import { partnerFromItem } from './items.ts';
import { queryAll } from './query-all.ts';

export class DynamoPartnerStore implements PartnerDirectory {
  constructor(private readonly connection: DynamoConnection) {}

  async getPartner(email: string): Promise<Partner | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.partner(email.toLowerCase()) }));
    return Item ? partnerFromItem(Item) : null;
  }

  /** Registers a partner, or updates the name and time zone of one already registered. */
  async savePartner(partner: Partner): Promise<'added' | 'updated'> {
    const existing = await this.getPartner(partner.email);
    const item = { ...keys.partner(partner.email), entity: 'partner', ...partner, createdAt: existing?.createdAt ?? partner.createdAt, gsi1pk: collections.partners, gsi1sk: partner.email };
    await this.connection.client.send(new PutCommand({ TableName: this.connection.tableName, Item: item }));
    return existing ? 'updated' : 'added';
  }

  async listPartners(): Promise<Partner[]> {
    const items = await queryAll(this.connection, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': collections.partners },
    });
    return items.map(partnerFromItem);
  }

  /** Removes the partner's profile; introductions they took part in stay on record. */
  async removePartner(email: string): Promise<boolean> {
    const { Attributes } = await this.connection.client.send(
      new DeleteCommand({ TableName: this.connection.tableName, Key: keys.partner(email.toLowerCase()), ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }
}

