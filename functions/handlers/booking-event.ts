import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';

/**
 * What starts a booking: the table's stream (a new introduction; a partner whose calendar was
 * just connected), the hourly schedule (check booked meetings), or a direct request.
 */
const attributeMap = z.record(z.string(), z.unknown());
export const streamRecordSchema = z.object({
  eventID: z.string().optional(),
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  dynamodb: z.object({ SequenceNumber: z.string().optional(), NewImage: attributeMap.optional(), OldImage: attributeMap.optional() }),
});

export const bookingEventSchema = z.union([
  z.object({ Records: z.array(streamRecordSchema).min(1) }),
  z.object({ action: z.literal('check-meetings') }),
  z.object({ action: z.literal('book'), introductionId: z.string().min(1) }),
  z.object({ action: z.literal('resume'), partner: z.email() }),
]);

export type BookingEvent = z.infer<typeof bookingEventSchema>;
export type StreamRecord = z.infer<typeof streamRecordSchema>;

/** What a stream record asks for, if anything. */
export type StreamWork = { kind: 'book'; introductionId: string } | { kind: 'resume'; partner: string } | null;

export function workFromStreamRecord(record: StreamRecord): StreamWork {
  const image = record.dynamodb.NewImage ? unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>) : null;
  if (!image) return null;
  if (record.eventName === 'INSERT' && image.entity === 'introduction' && typeof image.id === 'string') {
    return { kind: 'book', introductionId: image.id };
  }
  if (record.eventName === 'MODIFY' && image.entity === 'partner' && typeof image.email === 'string') {
    const old = record.dynamodb.OldImage ? unmarshall(record.dynamodb.OldImage as Record<string, AttributeValue>) : {};
    const connected = (image.calendar as { status?: string; generation?: number } | undefined) ?? {};
    const before = (old.calendar as { generation?: number } | undefined) ?? {};
    if (connected.status === 'connected' && connected.generation !== before.generation) return { kind: 'resume', partner: image.email };
  }
  return null;
}
