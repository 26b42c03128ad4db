import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoConnection } from './document-client.ts';
import { keys } from './keys.ts';

/**
 * Single-use one-click links (answers): the first POST of a link claims its token id, so a second
 * one (a double click, the back button, a forwarded email) changes nothing.
 *
 * A claim is `claimed` while the action runs, `used` once it has run (with what it did), and
 * `released` when the action failed, so the link can be tried again. A claim whose action never
 * finished (the function died mid-way) is stale after `CLAIM_TIMEOUT_MS` and can be claimed
 * again; the action itself is conditional, so a second run cannot apply it twice. Every record
 * carries the token's own expiry as `expiresAt` (the table's TTL attribute): once the token has
 * expired its signature check refuses it anyway, and DynamoDB deletes the record.
 *
 * Only GetItem, PutItem and UpdateItem: the web function has no DeleteItem.
 */
export interface UsedTokenStore {
  /** Claims the token for one use; otherwise says when it was used. */
  claim(tokenId: string, claim: TokenClaim): Promise<{ readonly claimed: true } | { readonly claimed: false; readonly use: TokenUse }>;
  /** Records what the use did; the token stays used. */
  complete(tokenId: string, attempt: string, outcome: string, at: Date): Promise<void>;
  /** Gives the token back after its action failed, so the link works again. */
  release(tokenId: string, attempt: string): Promise<void>;
  /** The use of a token, if it was used (or is being used) as of `now`; null when it is unused. */
  find(tokenId: string, now: Date): Promise<TokenUse | null>;
}

export interface TokenClaim {
  /** Unique per request: only the request that claimed the token completes or releases it. */
  readonly attempt: string;
  readonly at: Date;
  /** The token's expiry, epoch seconds. */
  readonly expiresAt: number;
}

export interface TokenUse {
  /** When it was claimed (ISO). */
  readonly usedAt: string;
  /** What the use did, once done (for example `applied:met`); null while it runs. */
  readonly outcome: string | null;
}

/** Far longer than the web function may run (30 s). */
export const CLAIM_TIMEOUT_MS = 2 * 60_000;

type Stored = { state?: unknown; claimedAt?: unknown; outcome?: unknown };

export class DynamoUsedTokenStore implements UsedTokenStore {
  constructor(private readonly connection: DynamoConnection) {}

  async claim(tokenId: string, claim: TokenClaim): Promise<{ readonly claimed: true } | { readonly claimed: false; readonly use: TokenUse }> {
    const claimedAt = claim.at.toISOString();
    try {
      await this.connection.client.send(
        new PutCommand({
          TableName: this.connection.tableName,
          Item: { ...keys.usedToken(tokenId), entity: 'used_token', state: 'claimed', attempt: claim.attempt, claimedAt, expiresAt: claim.expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR #state = :released OR (#state = :claimed AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':released': 'released', ':claimed': 'claimed', ':stale': new Date(claim.at.getTime() - CLAIM_TIMEOUT_MS).toISOString() },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const use = await this.find(tokenId, claim.at);
    // Released or gone stale between the write and the read: as good as used by the other request.
    return { claimed: false, use: use ?? { usedAt: claimedAt, outcome: null } };
  }

  async complete(tokenId: string, attempt: string, outcome: string, at: Date): Promise<void> {
    await this.update(tokenId, attempt, 'SET #state = :used, usedAt = :at, outcome = :outcome', { ':used': 'used', ':at': at.toISOString(), ':outcome': outcome });
  }

  async release(tokenId: string, attempt: string): Promise<void> {
    await this.update(tokenId, attempt, 'SET #state = :released', { ':released': 'released' });
  }

  async find(tokenId: string, now: Date): Promise<TokenUse | null> {
    const { Item } = await this.connection.client.send(new GetCommand({ TableName: this.connection.tableName, Key: keys.usedToken(tokenId), ConsistentRead: true }));
    if (!Item) return null;
    const item = Item as Stored;
    const claimedAt = typeof item.claimedAt === 'string' ? item.claimedAt : null;
    if (item.state === 'released' || !claimedAt) return null;
    if (item.state === 'claimed' && Date.parse(claimedAt) < now.getTime() - CLAIM_TIMEOUT_MS) return null;
    return { usedAt: claimedAt, outcome: typeof item.outcome === 'string' ? item.outcome : null };
  }

  /** Changes the record only if this attempt still holds the claim. */
  private async update(tokenId: string, attempt: string, expression: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.connection.client.send(
        new UpdateCommand({
          TableName: this.connection.tableName,
          Key: keys.usedToken(tokenId),
          UpdateExpression: expression,
          ConditionExpression: 'attempt = :attempt AND #state = :claimed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ...values, ':attempt': attempt, ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      // Another request took over a stale claim meanwhile: its record stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
