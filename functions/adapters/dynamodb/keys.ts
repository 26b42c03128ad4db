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
  partner: (email: string) => ({ pk: `PARTNER#${email}`, sk: META }),
  partnerIntroduction: (email: string, createdAt: string, introductionId: string) => ({ pk: `PARTNER#${email}`, sk: `INTRO#${createdAt}#${introductionId}` }),
  outbox: (outboxKey: string) => ({ pk: `OUTBOX#${boundedKeyPart(outboxKey)}`, sk: META }),
} as const;

/** GSI1 partitions: every item of a collection, sorted by time. */
export const collections = {
  introductions: 'INTRO',
  inbound: 'INBOUND',
  outbox: 'OUTBOX',
  partners: 'PARTNER',
} as const;

/** GSI2: open introductions by status, sorted by when they are next due. */
export const statusPartition = (status: string) => `STATUS#${status}`;

export function threadSubjectPartition(subjectKey: string): string {
  return `THREAD#${createHash('sha256').update(subjectKey).digest('base64url')}`;
}

/** Keys are limited to 2 KB; Message-IDs and outbox keys are usually short, but mail is hostile. */
function boundedKeyPart(value: string): string {
  return value.length <= 512 ? value : `sha256:${createHash('sha256').update(value).digest('base64url')}`;
}
