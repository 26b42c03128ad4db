/**
 * The one description of the table. The CDK stack, local mode and the tests all build their table
 * from this object, so the deployed table and the ones we test against can never drift apart.
 *
 * Single-table design. Every item has `pk`/`sk`; two generic secondary indexes carry the other
 * access patterns (see `keys.ts` for how each entity fills them):
 *
 * | need                                                    | key                                        |
 * |---------------------------------------------------------|--------------------------------------------|
 * | introduction, its history and its messages              | pk INTRO#id, sk META / EVENT#... / MSG#... |
 * | is this SES delivery already handled?                   | pk INBOUND#sesMessageId, sk META           |
 * | replies waiting for the message they answer             | pk WAITING#<message-id>, sk DELIVERY#id    |
 * | which introduction owns this RFC Message-ID?            | pk MSGID#<message-id>, sk META             |
 * | partner profile by email                                | pk PARTNER#email, sk META                  |
 * | introductions a partner gave / received in a period     | pk PARTNER#email, sk INTRO#createdAt#id    |
 * | outbox: was this email already sent?                    | pk OUTBOX#key, sk META                     |
 * | a pair's weekly check-in in one query (its read model)  | pk PAIR#id, sk INTRO#createdAt#id / META / NOTE#... / PROFILE#email / VIEW |
 * | collections in time order (intros, inbound, outbox...)  | GSI1: gsi1pk COLLECTION#month, gsi1sk time |
 * | open introductions by status and due time (sweeps)      | GSI2: gsi2pk STATUS#status, gsi2sk due#id  |
 */
export const tableDesign = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB's TTL deletes items whose time has passed (used one-click tokens, replies waiting for their introduction). */
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
  /** The stream that starts booking (`functions/handlers/booking-event.ts` compares the new and old images). */
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

export type IndexName = (typeof tableDesign.globalSecondaryIndexes)[number]['indexName'];

/** All key attributes are strings. */
export const keyAttributeNames: readonly string[] = [
  tableDesign.partitionKey,
  tableDesign.sortKey,
  ...tableDesign.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
];
