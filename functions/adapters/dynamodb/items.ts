import * as z from 'zod';
import type { InboundRecord } from '../../domain/capture/model.ts';
import type { Introduction } from '../../domain/introductions/introduction.ts';
import type { Partner } from '../../domain/partners/partner.ts';
import type { Group, Pair, PairNote } from '../../domain/pairs/pair.ts';
import { MESSAGE_KINDS } from '../../domain/message/message-kinds.ts';
import { INTRODUCTION_STATUSES } from '../../domain/introductions/status.ts';

/**
 * Items read back from the table are checked against these schemas, so a hand-edited or
 * half-migrated item fails loudly at the adapter instead of deep inside the domain. Each schema
 * is built on first use: building zod schemas takes time every cold start would pay, and most
 * functions read only a few item types.
 */
function builtOnFirstUse<T>(build: () => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build());
}

const contact = builtOnFirstUse(() => z.object({ email: z.string(), name: z.string().nullable() }));

const introductionItem = builtOnFirstUse(() => z.object({
  id: z.string(),
  introducer: contact(),
  parties: z.array(contact()),
  forwardedBy: contact().nullable(),
  owner: z.string(),
  subject: z.string(),
  context: z.string().default(''),
  messageId: z.string().nullable(),
  repliesTo: z.string().nullable().default(null),
  status: z.enum(INTRODUCTION_STATUSES),
  createdAt: z.string(),
  meeting: z
    .object({
      start: z.string(),
      end: z.string(),
      timeZone: z.string(),
      eventId: z.string(),
      calendarOwner: z.string(),
      attendees: z.array(z.string()),
      videoLink: z.string().nullable(),
      htmlLink: z.string().nullable(),
    })
    .nullable()
    .default(null),
  followUp: z
    .object({
      nudgeDueAt: z.string().nullable(),
      nudgesSent: z.number().int(),
      outcomeDueAt: z.string().nullable(),
      outcomeAskedFor: z.string().nullable().default(null),
      closeDueAt: z.string().nullable(),
      closeAsks: z.number().int(),
      pendingUpdates: z.array(z.object({ status: z.enum(INTRODUCTION_STATUSES), at: z.string() })),
      updateDueAt: z.string().nullable(),
      amount: z.number().nullable(),
      closedAt: z.string().nullable().default(null),
      advocate: z.boolean(),
      reconciledStatus: z.enum(INTRODUCTION_STATUSES).nullable().default(null),
    })
    .nullable()
    .default(null),
  followUpRevision: z.number().int().nonnegative().default(0),
  booking: z
    .object({
      calendarOwner: z.string(),
      prospect: z.string(),
      round: z.number().int(),
      waitingFor: z.enum(['calendar_connection', 'calendar_reconnect', 'booking', 'free_slot', 'prospect_choice', 'declined', 'cancelled']).nullable(),
      proposedSlots: z.array(z.object({ start: z.string(), end: z.string() })),
    })
    .nullable()
    .default(null),
  deliveryId: z.string(),
  rawLocation: z.string(),
}));

const verdicts = () => z.object({ spam: z.string(), virus: z.string(), spf: z.string(), dkim: z.string(), dmarc: z.string() });

const inboundItem = builtOnFirstUse(() => z.object({
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
  verdicts: verdicts().nullable(),
  waitingFor: z.array(z.string()).optional(),
}));

const sealedSecret = () => z.object({ keyId: z.string(), encryptedKey: z.string(), iv: z.string(), ciphertext: z.string(), tag: z.string() });

const partnerItem = builtOnFirstUse(() => z.object({
  email: z.string(),
  name: z.string().nullable(),
  timeZone: z.string(),
  createdAt: z.string(),
  // Validated when it is set and again when it is used (effectiveBookingPreferences).
  booking: z.record(z.string(), z.unknown()).optional(),
  calendar: z
    .object({
      status: z.enum(['connected', 'disconnected']),
      method: z.enum(['oauth', 'service_account', 'loopback']),
      refreshToken: sealedSecret().nullable(),
      connectedAt: z.string(),
      disconnectedAt: z.string().nullable(),
      disconnectReason: z.string().nullable(),
      generation: z.number().int(),
    })
    .nullable()
    .optional(),
}));

export function introductionFromItem(item: Record<string, unknown>): Introduction {
  return introductionItem().parse(item);
}

export function inboundFromItem(item: Record<string, unknown>): InboundRecord {
  return inboundItem().parse(item);
}

export function partnerFromItem(item: Record<string, unknown>): Partner {
  const { booking, ...partner } = partnerItem().parse(item);
  return { ...partner, ...(booking ? { booking } : {}) };
}

const pairItem = builtOnFirstUse(() => z.object({
  id: z.string(),
  partners: z.tuple([z.string(), z.string()]),
  timeZone: z.string(),
  weekly: z.object({ day: z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']), time: z.string() }).nullable(),
  oneToOne: z.enum(['monthly', 'quarterly', 'twice_a_year', 'off']),
  goalPerMonth: z.number().int(),
  createdAt: z.string(),
  unsubscribed: z.array(z.string()).default([]),
  nextOneToOne: z.object({ start: z.string(), end: z.string(), eventId: z.string(), period: z.string() }).nullable().default(null),
}));

const pairNoteItem = builtOnFirstUse(() => z.object({ pairId: z.string(), from: z.string(), receivedAt: z.string(), text: z.string(), deliveryId: z.string() }));

const groupItem = builtOnFirstUse(() => z.object({
  id: z.string(),
  name: z.string(),
  members: z.array(z.string()),
  timeZone: z.string(),
  createdAt: z.string(),
  unsubscribed: z.array(z.string()).default([]),
}));

export function pairFromItem(item: Record<string, unknown>): Pair {
  return pairItem().parse(item);
}

export function pairNoteFromItem(item: Record<string, unknown>): PairNote {
  return pairNoteItem().parse(item);
}

export function groupFromItem(item: Record<string, unknown>): Group {
  return groupItem().parse(item);
}
