import { z } from 'zod';
import type { InboundRecord } from '../../domain/capture/model.ts';
import type { Introduction } from '../../domain/introductions/introduction.ts';
import type { Partner } from '../../domain/partners/partner.ts';
import { MESSAGE_KINDS } from '../../domain/message/understand-message.ts';

/**
 * Items read back from the table are checked against these schemas, so a hand-edited or
 * half-migrated item fails loudly at the adapter instead of deep inside the domain.
 */
const contact = z.object({ email: z.string(), name: z.string().nullable() });

const introductionItem = z.object({
  id: z.string(),
  introducer: contact,
  parties: z.array(contact),
  forwardedBy: contact.nullable(),
  owner: z.string(),
  subject: z.string(),
  messageId: z.string().nullable(),
  repliesTo: z.string().nullable().default(null),
  status: z.literal('introduced'),
  createdAt: z.string(),
  deliveryId: z.string(),
  rawLocation: z.string(),
});

const verdicts = z.object({ spam: z.string(), virus: z.string(), spf: z.string(), dkim: z.string(), dmarc: z.string() });

const inboundItem = z.object({
  deliveryId: z.string(),
  receivedAt: z.string(),
  outcome: z.enum(['captured', 'attached', 'duplicate', 'ignored', 'ambiguous', 'rejected']),
  kind: z.enum(MESSAGE_KINDS).nullable(),
  reasons: z.array(z.string()),
  introductionId: z.string().nullable(),
  messageId: z.string().nullable(),
  sender: z.string().nullable(),
  subject: z.string().nullable(),
  rawLocation: z.string(),
  verdicts: verdicts.nullable(),
});

const partnerItem = z.object({
  email: z.string(),
  name: z.string().nullable(),
  timeZone: z.string(),
  createdAt: z.string(),
});

export function introductionFromItem(item: Record<string, unknown>): Introduction {
  return introductionItem.parse(item);
}

export function inboundFromItem(item: Record<string, unknown>): InboundRecord {
  return inboundItem.parse(item);
}

export function partnerFromItem(item: Record<string, unknown>): Partner {
  return partnerItem.parse(item);
}
