import { createHash } from 'node:crypto';

/**
 * How each entity fills the table's keys (see table-design.ts for the access patterns).
 * Collections that are listed in time order share one GSI1 partition each; their write rates
 * (introductions, deliveries, emails, partners) are orders of magnitude under a partition's limits.
 */
export const META = 'META';

export const keys = {
  introduction: (id: string) => ({ pk: `INTRO#${id}`, sk: META }),
  /** One event per cause: a retried change rewrites nothing and adds nothing. History is sorted by `at`. */
  introductionEvent: (id: string, sourceId: string) => ({ pk: `INTRO#${id}`, sk: `EVENT#${sourceId}` }),
  introductionMessage: (id: string, at: string, deliveryId: string) => ({ pk: `INTRO#${id}`, sk: `MSG#${at}#${deliveryId}` }),
  messageId: (messageId: string) => ({ pk: `MSGID#${boundedKeyPart(messageId)}`, sk: META }),
  threadSubject: (subjectKey: string, createdAt: string, introductionId: string) => ({
    pk: threadSubjectPartition(subjectKey),
    sk: `INTRO#${createdAt}#${introductionId}`,
  }),
  inbound: (deliveryId: string) => ({ pk: `INBOUND#${deliveryId}`, sk: META }),
  /** A reply that arrived before the message it answers, waiting for that Message-ID to be captured. */
  waitingReply: (awaitedMessageId: string, deliveryId: string) => ({ pk: `WAITING#${boundedKeyPart(awaitedMessageId)}`, sk: `DELIVERY#${deliveryId}` }),
  partner: (email: string) => ({ pk: `PARTNER#${email}`, sk: META }),
  partnerIntroduction: (email: string, createdAt: string, introductionId: string) => ({ pk: `PARTNER#${email}`, sk: `INTRO#${createdAt}#${introductionId}` }),
  outbox: (outboxKey: string) => ({ pk: `OUTBOX#${boundedKeyPart(outboxKey)}`, sk: META }),
  pair: (id: string) => ({ pk: `PAIR#${id}`, sk: META }),
  pairNote: (id: string, receivedAt: string, deliveryId: string) => ({ pk: `PAIR#${id}`, sk: `NOTE#${receivedAt}#${deliveryId}` }),
  /** The weekly check-in's read model, in the pair's partition: an introduction between the two (by creation time), a partner's profile, the built marker. */
  pairIntroduction: (id: string, createdAt: string, introductionId: string) => ({ pk: `PAIR#${id}`, sk: `INTRO#${createdAt}#${introductionId}` }),
  pairProfile: (id: string, email: string) => ({ pk: `PAIR#${id}`, sk: `PROFILE#${email}` }),
  pairViewMarker: (id: string) => ({ pk: `PAIR#${id}`, sk: 'VIEW' }),
  partnerPair: (email: string, pairId: string) => ({ pk: `PARTNER#${email}`, sk: `PAIR#${pairId}` }),
  group: (id: string) => ({ pk: `GROUP#${id}`, sk: META }),
  partnerGroup: (email: string, groupId: string) => ({ pk: `PARTNER#${email}`, sk: `GROUP#${groupId}` }),
  /** A one-click token that was used (single use); expires with the token. */
  usedToken: (tokenId: string) => ({ pk: `TOKEN#${tokenId}`, sk: META }),
} as const;

/** GSI1 partitions: every item of a collection, sorted by time. */
export const collections = {
  introductions: 'INTRO',
  inbound: 'INBOUND',
  outbox: 'OUTBOX',
  partners: 'PARTNER',
  pairs: 'PAIR',
  groups: 'GROUP',
} as const;

/** GSI2 sort key of an introduction: its next follow-up due time, so the sweep finds what is overdue. */
export const NOT_DUE = '9999-12-31T23:59:59.999Z';
export const dueSortKey = (dueAt: string | null, id: string) => `${dueAt ?? NOT_DUE}#${id}`;

/** GSI2: open introductions by status, sorted by when they are next due. */
export const statusPartition = (status: string) => `STATUS#${status}`;

export function threadSubjectPartition(subjectKey: string): string {
  return `THREAD#${createHash('sha256').update(subjectKey).digest('base64url')}`;
}

/** Keys are limited to 2 KB; Message-IDs and outbox keys are usually short, but mail is hostile. */
function boundedKeyPart(value: string): string {
  return value.length <= 512 ? value : `sha256:${createHash('sha256').update(value).digest('base64url')}`;
}
