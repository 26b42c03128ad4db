import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FollowUpExpectation, FollowUpStore } from '../../domain/followup/follow-up-ports.ts';
import { nextDueAt, type FollowUpState } from '../../domain/followup/follow-up-state.ts';
import type { BookingState, Introduction, IntroductionEvent } from '../../domain/introductions/introduction.ts';
import { INTRODUCTION_STATUSES, type IntroductionStatus } from '../../domain/introductions/status.ts';
import { eventItem } from './capture-store.ts';
import type { DynamoConnection } from './document-client.ts';
import { introductionFromItem } from './items.ts';
import { dueSortKey, keys, statusPartition } from './keys.ts';
import { queryAll } from './query-all.ts';
import { setExpression } from './update-expression.ts';

/** BatchGetItem reads at most 100 keys a request. */
const BATCH_GET_LIMIT = 100;

export class DynamoFollowUpStore implements FollowUpStore {
  constructor(private readonly connection: DynamoConnection) {}

  async getIntroduction(id: string): Promise<Introduction | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.introduction(id), ConsistentRead: true }));
    return Item ? introductionFromItem(Item) : null;
  }

  async getIntroductions(ids: readonly string[]): Promise<Introduction[]> {
    const unique = [...new Set(ids)];
    const found: Introduction[] = [];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = unique.slice(start, start + BATCH_GET_LIMIT).map((id) => keys.introduction(id));
      while (pending && pending.length > 0) {
        const { Responses, UnprocessedKeys }: { Responses?: Record<string, Record<string, unknown>[]>; UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }> } =
          await this.connection.client.send(new BatchGetCommand({ RequestItems: { [this.connection.tableName]: { Keys: pending } } }));
        found.push(...(Responses?.[this.connection.tableName] ?? []).map(introductionFromItem));
        pending = UnprocessedKeys?.[this.connection.tableName]?.Keys;
      }
    }
    return found;
  }

  async saveFollowUp(id: string, expected: FollowUpExpectation, followUp: FollowUpState): Promise<boolean> {
    const update = setExpression({ followUp, gsi2sk: dueSortKey(nextDueAt(followUp), id), followUpRevision: expected.revision + 1 });
    const condition = expectation(expected);
    try {
      await this.connection.client.send(
        new UpdateCommand({
          TableName: this.connection.tableName,
          Key: keys.introduction(id),
          ...update,
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, ...condition.names },
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...condition.values },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async changeStatus(
    id: string,
    change: { from: IntroductionStatus; revision: number; to: IntroductionStatus; followUp: FollowUpState; booking?: BookingState | null },
    event: IntroductionEvent,
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      status: change.to,
      followUp: change.followUp,
      followUpRevision: change.revision + 1,
      gsi2pk: statusPartition(change.to),
      gsi2sk: dueSortKey(nextDueAt(change.followUp), id),
      ...(change.booking !== undefined ? { booking: change.booking } : {}),
      // Leaving meeting_booked for awaiting_booking (rescheduled): the old meeting no longer stands.
      ...(change.to === 'awaiting_booking' ? { meeting: null } : {}),
    };
    const update = setExpression(values);
    const condition = expectation({ status: change.from, revision: change.revision });
    try {
      await this.connection.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.connection.tableName,
                Key: keys.introduction(id),
                ...update,
                ConditionExpression: condition.expression,
                ExpressionAttributeNames: { ...update.ExpressionAttributeNames, ...condition.names },
                ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...condition.values },
              },
            },
            { Put: { TableName: this.connection.tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')) return false;
      throw error;
    }
  }

  async addEvent(event: IntroductionEvent): Promise<void> {
    try {
      await this.connection.client.send(new PutCommand({ TableName: this.connection.tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async listDue(at: Date): Promise<Introduction[]> {
    const due: Introduction[] = [];
    for (const status of INTRODUCTION_STATUSES) {
      const items = await queryAll(this.connection, {
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :at',
        ExpressionAttributeValues: { ':pk': statusPartition(status), ':at': `${at.toISOString()}#~` },
      });
      due.push(...items.map(introductionFromItem));
    }
    return due;
  }

  async listGivenBy(email: string, from: Date, to: Date): Promise<Introduction[]> {
    const links = await queryAll(this.connection, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: '#role = :gave',
      ExpressionAttributeNames: { '#role': 'role' },
      ExpressionAttributeValues: { ':pk': keys.partner(email).pk, ':from': `INTRO#${from.toISOString()}`, ':to': `INTRO#${to.toISOString()}`, ':gave': 'gave' },
    });
    // BatchGetItem answers in no particular order: oldest first, as the links are.
    const introductions = await this.getIntroductions(links.map((link) => String(link.introductionId)));
    return introductions.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}

/** Still the status and follow-up revision that were read (items written before revisions count as 0). */
function expectation(expected: FollowUpExpectation) {
  return {
    expression: expected.revision === 0 ? '#st = :status AND attribute_not_exists(#rev)' : '#st = :status AND #rev = :revision',
    names: { '#st': 'status', '#rev': 'followUpRevision' },
    values: { ':status': expected.status, ...(expected.revision === 0 ? {} : { ':revision': expected.revision }) },
  };
}
