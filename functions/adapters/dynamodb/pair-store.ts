import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PairStore } from '../../domain/followup/follow-up-ports.ts';
import type { Group, Pair, PairNote } from '../../domain/pairs/pair.ts';
import type { DynamoConnection } from './document-client.ts';
import { groupFromItem, pairFromItem, pairNoteFromItem } from './items.ts';
import { collections, keys } from './keys.ts';
import { queryAll } from './query-all.ts';

/** Pairs, their notes (replies to weekly emails), and groups. */
export class DynamoPairStore implements PairStore {
  constructor(private readonly connection: DynamoConnection) {}

  async getPair(id: string): Promise<Pair | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.pair(id), ConsistentRead: true }));
    return Item ? pairFromItem(Item) : null;
  }

  /** Creates the pair (and each partner's link to it) or replaces its settings. */
  async savePair(pair: Pair): Promise<'added' | 'updated'> {
    const existing = await this.getPair(pair.id);
    const item = { ...keys.pair(pair.id), entity: 'pair', ...pair, createdAt: existing?.createdAt ?? pair.createdAt, gsi1pk: collections.pairs, gsi1sk: pair.id };
    await this.connection.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.connection.tableName, Item: item } },
          ...pair.partners.map((email) => ({ Put: { TableName: this.connection.tableName, Item: { ...keys.partnerPair(email, pair.id), entity: 'partner_pair', pairId: pair.id } } })),
        ],
      }),
    );
    return existing ? 'updated' : 'added';
  }

  async listPairs(): Promise<Pair[]> {
    const items = await queryAll(this.connection, { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': collections.pairs } });
    return items.map(pairFromItem);
  }

  async pairsOf(email: string): Promise<Pair[]> {
    const links = await queryAll(this.connection, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.partner(email).pk, ':prefix': 'PAIR#' },
    });
    const pairs = await Promise.all(links.map((link) => this.getPair(String(link.pairId))));
    return pairs.filter((pair): pair is Pair => pair !== null);
  }

  async setUnsubscribed(pairId: string, email: string): Promise<boolean> {
    return this.addToList(keys.pair(pairId), email);
  }

  async setNextOneToOne(pairId: string, next: Pair['nextOneToOne']): Promise<void> {
    await this.connection.client.send(
      new UpdateCommand({
        TableName: this.connection.tableName,
        Key: keys.pair(pairId),
        UpdateExpression: 'SET nextOneToOne = :next',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':next': next },
      }),
    );
  }

  async addNote(note: PairNote): Promise<'saved' | 'exists'> {
    try {
      await this.connection.client.send(
        new PutCommand({
          TableName: this.connection.tableName,
          Item: { ...keys.pairNote(note.pairId, note.receivedAt, note.deliveryId), entity: 'pair_note', ...note },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'saved';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'exists';
      throw error;
    }
  }

  async notes(pairId: string, from: Date, to: Date): Promise<PairNote[]> {
    const items = await queryAll(this.connection, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.pair(pairId).pk, ':from': `NOTE#${from.toISOString()}`, ':to': `NOTE#${to.toISOString()}` },
    });
    return items.map(pairNoteFromItem);
  }

  async getGroup(id: string): Promise<Group | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.group(id), ConsistentRead: true }));
    return Item ? groupFromItem(Item) : null;
  }

  async saveGroup(group: Group): Promise<'added' | 'updated'> {
    const existing = await this.getGroup(group.id);
    await this.connection.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.connection.tableName,
              Item: { ...keys.group(group.id), entity: 'group', ...group, createdAt: existing?.createdAt ?? group.createdAt, gsi1pk: collections.groups, gsi1sk: group.id },
            },
          },
          ...group.members.map((email) => ({ Put: { TableName: this.connection.tableName, Item: { ...keys.partnerGroup(email, group.id), entity: 'partner_group', groupId: group.id } } })),
        ],
      }),
    );
    return existing ? 'updated' : 'added';
  }

  async listGroups(): Promise<Group[]> {
    const items = await queryAll(this.connection, { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': collections.groups } });
    return items.map(groupFromItem);
  }

  async setGroupUnsubscribed(groupId: string, email: string): Promise<boolean> {
    return this.addToList(keys.group(groupId), email);
  }

  /** Adds `email` to the item's `unsubscribed` list once; false when the item does not exist. */
  private async addToList(key: { pk: string; sk: string }, email: string): Promise<boolean> {
    try {
      await this.connection.client.send(
        new UpdateCommand({
          TableName: this.connection.tableName,
          Key: key,
          UpdateExpression: 'SET unsubscribed = list_append(if_not_exists(unsubscribed, :empty), :email)',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(unsubscribed, :address)',
          ExpressionAttributeValues: { ':empty': [], ':email': [email], ':address': email },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: key }));
      return Item !== undefined;
    }
  }
}
