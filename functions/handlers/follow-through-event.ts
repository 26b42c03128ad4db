import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { CAPTURE_MAIL_OUTCOMES } from '../domain/capture/capture-mail.ts';
import type { InboundRecord } from '../domain/capture/model.ts';
import type { Introduction } from '../domain/introductions/introduction.ts';
import { jobSchema } from '../domain/schedules/jobs.ts';
import type { Group, Pair } from '../domain/pairs/pair.ts';
import { groupFromItem, inboundFromItem, introductionFromItem, pairFromItem } from '../adapters/dynamodb/items.ts';
import { streamRecordSchema, type StreamRecord } from './booking-event.ts';

/** What the jobs function receives: a scheduled job, or table stream records (the follow-through triggers). */
export const jobsEventSchema = z.union([jobSchema, z.object({ Records: z.array(streamRecordSchema).min(1) })]);

export type FollowThroughWork =
  | {
      readonly kind: 'introduction';
      readonly previous: Introduction | null;
      readonly current: Introduction;
      /** The record's sequence number: which version of the introduction it carries (read models keep the newest). */
      readonly sequenceNumber: string | null;
    }
  | { readonly kind: 'pair'; readonly pair: Pair }
  | { readonly kind: 'group'; readonly group: Group }
  /** A delivery the capture just recorded, which may earn its partner an email (`sendCaptureMail`). */
  | { readonly kind: 'capture_mail'; readonly inbound: InboundRecord }
  | null;

const mailOutcomes: ReadonlySet<unknown> = new Set(CAPTURE_MAIL_OUTCOMES);

/** What a stream record asks follow-through to do, if anything. */
export function followThroughWork(record: StreamRecord): FollowThroughWork {
  const image = (value: Record<string, unknown> | undefined) => (value ? unmarshall(value as Record<string, AttributeValue>) : null);
  const current = image(record.dynamodb.NewImage);
  if (!current || (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY')) return null;
  const previous = image(record.dynamodb.OldImage);
  switch (current.entity) {
    case 'introduction':
      return {
        kind: 'introduction',
        previous: previous ? introductionFromItem(previous) : null,
        current: introductionFromItem(current),
        sequenceNumber: record.dynamodb.SequenceNumber ?? null,
      };
    case 'pair':
      return { kind: 'pair', pair: pairFromItem(current) };
    case 'group':
      return { kind: 'group', group: groupFromItem(current) };
    case 'inbound':
      // Recorded once (a conditional put): its INSERT is the one moment the outcome is new.
      return record.eventName === 'INSERT' && mailOutcomes.has(current.outcome) ? { kind: 'capture_mail', inbound: inboundFromItem(current) } : null;
    default:
      return null;
  }
}
