import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { BookingPartners } from '../../domain/booking/booking-ports.ts';
import type { PartnerDirectory } from '../../domain/capture/ports.ts';
import type { CalendarConnection, Partner, StoredBookingPreferences } from '../../domain/partners/partner.ts';
import type { SealedSecret } from '../../domain/security/secret-sealer.ts';
import type { DynamoConnection } from './document-client.ts';
import { collections, keys } from './keys.ts';
import { partnerFromItem } from './items.ts';
import { DynamoPairViewStore } from './pair-view-store.ts';
import { queryAll } from './query-all.ts';
import { setExpression } from './update-expression.ts';

export class DynamoPartnerStore implements PartnerDirectory, BookingPartners {
  constructor(private readonly connection: DynamoConnection) {}

  async getPartner(email: string): Promise<Partner | null> {
    const { Item } = await this.connection.client.send(
      new GetCommand({ TableName: this.connection.tableName, Key: keys.partner(email.toLowerCase()), ConsistentRead: true }),
    );
    return Item ? partnerFromItem(Item) : null;
  }

  /** Registers a partner, or updates the name and time zone of one already registered (nothing else changes). */
  async savePartner(partner: Pick<Partner, 'email' | 'name' | 'timeZone' | 'createdAt'>): Promise<'added' | 'updated'> {
    const { Attributes } = await this.connection.client.send(
      new UpdateCommand({
        TableName: this.connection.tableName,
        Key: keys.partner(partner.email),
        ...setExpression(
          { entity: 'partner', email: partner.email, name: partner.name, timeZone: partner.timeZone, createdAt: partner.createdAt, gsi1pk: collections.partners, gsi1sk: partner.email },
          { ifNotExists: ['createdAt'] },
        ),
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    // The pairs' check-ins show a copy of the name (see pair-view.ts): a rename, or a partner added back to their pairs, reaches it here.
    if (!Attributes?.createdAt || Attributes.name !== partner.name || Attributes.timeZone !== partner.timeZone) {
      const createdAt = typeof Attributes?.createdAt === 'string' ? Attributes.createdAt : partner.createdAt;
      await new DynamoPairViewStore(this.connection).refreshProfile({ email: partner.email, name: partner.name, timeZone: partner.timeZone, createdAt });
    }
    return Attributes?.createdAt ? 'updated' : 'added';
  }

  /** Replaces the partner's booking preferences (already validated by the caller). */
  async setBookingPreferences(email: string, booking: StoredBookingPreferences): Promise<boolean> {
    return this.update(email, { booking });
  }

  /** Stores a new calendar connection, one generation after the previous one. */
  async connectCalendar(email: string, connection: Omit<CalendarConnection, 'generation'>): Promise<CalendarConnection | null> {
    const partner = await this.getPartner(email);
    if (!partner) return null;
    const next: CalendarConnection = { ...connection, generation: (partner.calendar?.generation ?? 0) + 1 };
    const applied = await this.update(email, { calendar: next });
    return applied ? next : null;
  }

  async markCalendarDisconnected(email: string, generation: number, reason: string, at: Date): Promise<boolean> {
    return this.updateIf({
      Key: keys.partner(email),
      UpdateExpression: 'SET calendar.#status = :disconnected, calendar.disconnectedAt = :at, calendar.disconnectReason = :reason',
      // Only the connection that failed: a newer one (the partner reconnected meanwhile) stays.
      ConditionExpression: 'calendar.generation = :generation AND calendar.#status = :connected',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':disconnected': 'disconnected', ':connected': 'connected', ':at': at.toISOString(), ':reason': reason.slice(0, 200), ':generation': generation },
    });
  }

  /**
   * Replaces the sealed refresh token of the partner's connection `generation` (the same token
   * sealed with another key). A newer connection (the partner reconnected meanwhile) is left as it
   * is: false.
   */
  async resealRefreshToken(email: string, generation: number, refreshToken: SealedSecret): Promise<boolean> {
    return this.updateIf({
      Key: keys.partner(email),
      UpdateExpression: 'SET calendar.refreshToken = :token',
      ConditionExpression: 'calendar.generation = :generation',
      ExpressionAttributeValues: { ':token': refreshToken, ':generation': generation },
    });
  }

  /** An update applied only when its condition holds: false when it does not. */
  private async updateIf(update: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.connection.client.send(new UpdateCommand({ TableName: this.connection.tableName, ...update }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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
    // Their pairs' check-ins stop with them (the check-in reads the copy of their profile).
    if (Attributes) await new DynamoPairViewStore(this.connection).removeProfile(email.toLowerCase());
    return Attributes !== undefined;
  }

  private async update(email: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.connection.client.send(
        new UpdateCommand({ TableName: this.connection.tableName, Key: keys.partner(email), ...setExpression(values), ConditionExpression: 'attribute_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
