import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BookingStore } from '../../domain/booking/booking-ports.ts';
import type { BookingState, Introduction, IntroductionEvent, Meeting } from '../../domain/introductions/introduction.ts';
import { BOOKABLE_STATUSES, type IntroductionStatus } from '../../domain/introductions/status.ts';
import { eventItem } from './capture-store.ts';
import type { DynamoConnection } from './document-client.ts';
import { introductionFromItem } from './items.ts';
import { keys, statusPartition } from './keys.ts';
import { queryAll } from './query-all.ts';

const CALENDAR_WAITS = new Set(['calendar_connection', 'calendar_reconnect']);

/**
 * Booking's changes to an introduction. Each is one transaction: the status change, conditional
 * on the status it expects, and the history event, conditional on not existing (events are keyed
 * by their cause), so retries and races never apply a change or write an event twice.
 */
export class DynamoBookingStore implements BookingStore {
  constructor(private readonly connection: DynamoConnection) {}

  async getIntroduction(id: string): Promise<Introduction | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.introduction(id), ConsistentRead: true }));
    return Item ? introductionFromItem(Item) : null;
  }

  async setWaiting(id: string, booking: BookingState, event: IntroductionEvent): Promise<'changed' | 'unchanged' | 'not_bookable'> {
    const current = await this.getIntroduction(id);
    if (!current || !BOOKABLE_STATUSES.includes(current.status)) return 'not_bookable';
    const update = this.statusUpdate(id, { status: 'awaiting_booking', booking, gsi2sk: `${current.createdAt}#${id}` }, bookableCondition());
    try {
      await this.connection.client.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, this.eventPut(event)] }));
      return 'changed';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [statusCheck, eventCheck] = error.CancellationReasons ?? [];
      if (statusCheck?.Code === 'ConditionalCheckFailed') return 'not_bookable';
      if (eventCheck?.Code !== 'ConditionalCheckFailed') throw error;
    }
    // The event for this cause exists already: apply the state without a second event.
    try {
      await this.connection.client.send(new UpdateCommand(update));
      return 'unchanged';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'not_bookable';
      throw error;
    }
  }

  async recordMeeting(id: string, meeting: Meeting, booking: BookingState, event: IntroductionEvent): Promise<'recorded' | 'not_bookable'> {
    const update = this.statusUpdate(id, { status: 'meeting_booked', booking, meeting, gsi2sk: `${meeting.end}#${id}` }, bookableCondition());
    return (await this.transact([{ Update: update }, this.eventPut(event)])) ? 'recorded' : 'not_bookable';
  }

  async recordMeetingChange(
    id: string,
    expectedEventId: string,
    change: { status: IntroductionStatus; meeting: Meeting | null; booking: BookingState },
    event: IntroductionEvent,
  ): Promise<boolean> {
    const condition = {
      expression: '#status = :booked AND #meeting.eventId = :eventId',
      values: { ':booked': 'meeting_booked', ':eventId': expectedEventId },
    };
    const current = await this.getIntroduction(id);
    if (!current) return false;
    const gsi2sk = change.meeting ? `${change.meeting.end}#${id}` : `${current.createdAt}#${id}`;
    const update = this.statusUpdate(id, { status: change.status, booking: change.booking, meeting: change.meeting, gsi2sk }, condition);
    return this.transact([{ Update: update }, this.eventPut(event)]);
  }

  async addEvent(event: IntroductionEvent): Promise<void> {
    try {
      await this.connection.client.send(new PutCommand(this.eventPut(event).Put));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async listUpcomingMeetings(now: Date): Promise<Introduction[]> {
    const items = await queryAll(this.connection, {
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk > :now',
      ExpressionAttributeValues: { ':pk': statusPartition('meeting_booked'), ':now': now.toISOString() },
    });
    return items.map(introductionFromItem);
  }

  async listWaitingFor(calendarOwner: string): Promise<Introduction[]> {
    const items = await queryAll(this.connection, {
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      FilterExpression: '#booking.calendarOwner = :owner',
      ExpressionAttributeNames: { '#booking': 'booking' },
      ExpressionAttributeValues: { ':pk': statusPartition('awaiting_booking'), ':owner': calendarOwner },
    });
    return items.map(introductionFromItem).filter((introduction) => CALENDAR_WAITS.has(introduction.booking?.waitingFor ?? ''));
  }

  private statusUpdate(
    id: string,
    values: { status: IntroductionStatus; booking: BookingState; meeting?: Meeting | null; gsi2sk: string },
    condition: { expression: string; values: Record<string, unknown> },
  ) {
    const meetingPart = 'meeting' in values ? ', #meeting = :meeting' : '';
    return {
      TableName: this.connection.tableName,
      Key: keys.introduction(id),
      UpdateExpression: `SET #status = :status, #booking = :booking, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk${meetingPart}`,
      ConditionExpression: `attribute_exists(pk) AND ${condition.expression}`,
      ExpressionAttributeNames: { '#status': 'status', '#booking': 'booking', ...(meetingPart || condition.expression.includes('#meeting') ? { '#meeting': 'meeting' } : {}) },
      ExpressionAttributeValues: {
        ':status': values.status,
        ':booking': values.booking,
        ':gsi2pk': statusPartition(values.status),
        ':gsi2sk': values.gsi2sk,
        ...('meeting' in values ? { ':meeting': values.meeting } : {}),
        ...condition.values,
      },
    };
  }

  private eventPut(event: IntroductionEvent) {
    return { Put: { TableName: this.connection.tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  /** True when applied; false when a condition failed (someone else got there first). */
  private async transact(items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<boolean> {
    try {
      await this.connection.client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')) return false;
      throw error;
    }
  }
}

function bookableCondition() {
  return {
    expression: '#status IN (:introduced, :awaiting)',
    values: { ':introduced': 'introduced', ':awaiting': 'awaiting_booking' },
  };
}
