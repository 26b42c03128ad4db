import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { INTRODUCTION_STATUSES } from '../../domain/introductions/status.ts';
import type { EmailThread, OutboundEmail } from '../../domain/outbound/outbound-email.ts';
import type { PairIntroduction, PairView, PairViewStore, PartnerProfile, ViewStamp, WeekClaim } from '../../domain/pairs/pair-view.ts';
import type { DynamoConnection } from './document-client.ts';
import { pairFromItem, pairNoteFromItem } from './items.ts';
import { keys } from './keys.ts';
import { outboxClaim, outboxMarkSent } from './outbox-store.ts';
import { queryAll } from './query-all.ts';

const contact = z.object({ email: z.string(), name: z.string().nullable() });

const pairIntroductionSchema = z.object({
  id: z.string(),
  introducer: contact,
  receiver: z.string(),
  prospect: contact,
  status: z.enum(INTRODUCTION_STATUSES),
  createdAt: z.string(),
  meeting: z.object({ start: z.string(), end: z.string(), videoLink: z.string().nullable() }).nullable(),
  amount: z.number().nullable(),
  closedAt: z.string().nullable(),
});

const profileSchema = z.object({ email: z.string(), name: z.string().nullable(), timeZone: z.string(), createdAt: z.string() });

/**
 * The weekly check-in's read model in each pair's partition (see pair-view.ts), and the outbox of
 * a pair's weekly emails: the same outbox items as single emails, claimed and marked in one
 * transaction each.
 */
export class DynamoPairViewStore implements PairViewStore {
  constructor(private readonly connection: DynamoConnection) {}

  async readPairView(pairIdValue: string, since: Date): Promise<PairView | null> {
    // INTRO#<created> sorts before META, NOTE#, PROFILE# and VIEW: older introductions are never read.
    const items = await queryAll(this.connection, {
      KeyConditionExpression: 'pk = :pk AND sk >= :from',
      ExpressionAttributeValues: { ':pk': keys.pair(pairIdValue).pk, ':from': `INTRO#${since.toISOString()}` },
    });
    const pairItem = items.find((item) => item.entity === 'pair');
    if (!pairItem) return null;
    return {
      pair: pairFromItem(pairItem),
      profiles: items.filter((item) => item.entity === 'pair_profile').map((item) => profileSchema.parse(item)),
      introductions: items.filter((item) => item.entity === 'pair_introduction').map((item) => pairIntroductionSchema.parse(item)),
      notes: items.filter((item) => item.entity === 'pair_note').map(pairNoteFromItem),
      built: items.some((item) => item.entity === 'pair_view'),
    };
  }

  async existingPairs(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    let pending: Record<string, unknown>[] = [...new Set(ids)].map((id) => keys.pair(id));
    while (pending.length > 0) {
      const { Responses, UnprocessedKeys } = await this.connection.client.send(
        new BatchGetCommand({ RequestItems: { [this.connection.tableName]: { Keys: pending, ProjectionExpression: 'pk' } } }),
      );
      for (const item of Responses?.[this.connection.tableName] ?? []) found.add(String(item.pk).slice('PAIR#'.length));
      pending = UnprocessedKeys?.[this.connection.tableName]?.Keys ?? [];
    }
    return found;
  }

  async putIntroduction(pairIdValue: string, introduction: PairIntroduction, stamp: ViewStamp): Promise<boolean> {
    try {
      await this.connection.client.send(
        new PutCommand({
          TableName: this.connection.tableName,
          Item: pairIntroductionItem(pairIdValue, introduction, stamp),
          // Only over an older version: a late or repeated stream record, or a rebuild after the stream wrote, changes nothing.
          ConditionExpression: 'attribute_not_exists(sk) OR stamp < :stamp',
          ExpressionAttributeValues: { ':stamp': stamp },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async putProfile(pairIdValue: string, profile: PartnerProfile): Promise<void> {
    await this.connection.client.send(
      new PutCommand({
        TableName: this.connection.tableName,
        Item: pairProfileItem(pairIdValue, profile),
      }),
    );
  }

  async refreshProfile(profile: PartnerProfile): Promise<void> {
    for (const id of await this.pairIdsOf(profile.email)) await this.putProfile(id, profile);
  }

  /** The pairs a partner belongs to, from their links (kept when the partner is removed). */
  private async pairIdsOf(email: string): Promise<string[]> {
    const links = await queryAll(this.connection, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.partner(email).pk, ':prefix': 'PAIR#' },
    });
    return links.map((link) => String(link.pairId));
  }

  async removeProfile(email: string): Promise<void> {
    for (const id of await this.pairIdsOf(email)) {
      await this.connection.client.send(new DeleteCommand({ TableName: this.connection.tableName, Key: keys.pairProfile(id, email) }));
    }
  }

  async markBuilt(pairIdValue: string, at: Date): Promise<void> {
    await this.connection.client.send(new PutCommand({ TableName: this.connection.tableName, Item: pairViewMarkerItem(pairIdValue, at) }));
  }

  async claimWeek(emails: readonly OutboundEmail[], now: Date, leaseUntil: Date): Promise<WeekClaim> {
    try {
      await this.connection.client.send(
        new TransactWriteCommand({
          TransactItems: emails.map((email) => ({ Put: { ...outboxClaim(this.connection.tableName, email, now, leaseUntil), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } })),
        }),
      );
      return { outcome: 'claimed', alreadySent: [] };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      // Cancelled for another reason than a claim held (a conflicting transaction): the caller retries.
      if (reasons.length !== emails.length || reasons.some((reason) => reason.Code !== 'ConditionalCheckFailed' && reason.Code !== 'None')) throw error;
      const status = (index: number) => (reasons[index]?.Item)?.status?.S;
      const refused = emails.filter((_, index) => reasons[index]?.Code === 'ConditionalCheckFailed');
      if (refused.some((email) => status(emails.indexOf(email)) !== 'sent')) return { outcome: 'in_progress' };
      const rest = emails.filter((_, index) => reasons[index]?.Code !== 'ConditionalCheckFailed');
      // Some went out before a crash: claim the others (one more request, only on this path).
      const claimRest = rest.length > 0 ? await this.claimWeek(rest, now, leaseUntil) : ({ outcome: 'already_sent' } as const);
      if (claimRest.outcome === 'in_progress' || claimRest.outcome === 'already_sent') return claimRest;
      return { outcome: 'claimed', alreadySent: [...refused.map((email) => email.outboxKey), ...claimRest.alreadySent] };
    }
  }

  async markWeekSent(sent: readonly { readonly outboxKey: string; readonly messageId: string; readonly thread: EmailThread }[], at: Date): Promise<void> {
    if (sent.length === 0) return;
    const items = sent.flatMap(({ outboxKey, messageId, thread }) => outboxMarkSent(this.connection.tableName, outboxKey, at, messageId, thread).filter((item) => item !== null));
    await this.connection.client.send(new TransactWriteCommand({ TransactItems: items }));
  }
}

/** An introduction's item in a pair's partition (about 0.5 KB: the fields the check-in shows). */
export function pairIntroductionItem(pairIdValue: string, introduction: PairIntroduction, stamp: ViewStamp): Record<string, unknown> {
  return { ...keys.pairIntroduction(pairIdValue, introduction.createdAt, introduction.id), entity: 'pair_introduction', ...introduction, stamp };
}

export function pairProfileItem(pairIdValue: string, profile: PartnerProfile): Record<string, unknown> {
  return { ...keys.pairProfile(pairIdValue, profile.email), entity: 'pair_profile', email: profile.email, name: profile.name, timeZone: profile.timeZone, createdAt: profile.createdAt };
}

export function pairViewMarkerItem(pairIdValue: string, at: Date): Record<string, unknown> {
  return { ...keys.pairViewMarker(pairIdValue), entity: 'pair_view', builtAt: at.toISOString() };
}
