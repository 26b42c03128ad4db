import * as z from 'zod';
import type { InboundDelivery } from '../domain/capture/capture-delivery.ts';
import type { SesVerdicts } from '../domain/capture/model.ts';

/**
 * The SES receipt event at the edge: the fields of Powertools' `SesRecordSchema` mail, written
 * out here because Powertools' schemas import zod whole (`import { z }`), which keeps all of zod
 * (its locales, JSON Schema) in the capture bundle. More tolerant than Powertools where real mail
 * differs from the samples: a message sent only to BCC has no To in commonHeaders, verdicts can
 * be DISABLED or absent, and dmarcPolicy is only present with a DMARC verdict.
 */
const addresses = z.array(z.string());
const sesMail = z.object({
  timestamp: z.iso.datetime(),
  source: z.string(),
  messageId: z.string(),
  destination: addresses,
  headersTruncated: z.boolean(),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  commonHeaders: z
    .object({
      from: addresses,
      to: addresses,
      cc: addresses,
      bcc: addresses,
      sender: addresses,
      'reply-to': addresses,
      returnPath: z.string(),
      messageId: z.string(),
      date: z.string(),
      subject: z.string(),
    })
    .partial()
    .loose(),
});
const verdict = z.object({ status: z.string() }).optional();

export const sesCaptureEventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal('aws:ses'),
        ses: z.object({
          mail: sesMail,
          receipt: z.object({
            timestamp: z.iso.datetime(),
            recipients: z.array(z.string()).min(1),
            spamVerdict: verdict,
            virusVerdict: verdict,
            spfVerdict: verdict,
            dkimVerdict: verdict,
            dmarcVerdict: verdict,
            action: z.object({ type: z.string(), bucketName: z.string().optional(), objectKey: z.string().optional() }).loose(),
          }),
        }),
      }),
    )
    .min(1),
});

export type SesCaptureEvent = z.infer<typeof sesCaptureEventSchema>;
type SesRecord = SesCaptureEvent['Records'][number];

export interface RawMailLocationSettings {
  readonly bucket: string;
  /** The receipt rule's S3 object key prefix; SES names the object prefix + message id. */
  readonly prefix: string;
}

export function deliveryFromRecord(record: SesRecord, settings: RawMailLocationSettings): InboundDelivery {
  const { mail, receipt } = record.ses;
  const action = receipt.action;
  // An S3-action event says where it stored the message; a Lambda-action event follows the rule's prefix.
  const location =
    action.type === 'S3' && action.bucketName && action.objectKey
      ? `s3://${action.bucketName}/${action.objectKey}`
      : `s3://${settings.bucket}/${settings.prefix}${mail.messageId}`;
  return {
    deliveryId: mail.messageId,
    receivedAt: new Date(receipt.timestamp),
    envelopeRecipients: receipt.recipients.map((recipient) => recipient.toLowerCase()),
    verdicts: verdicts(receipt),
    rawLocation: location,
  };
}

function verdicts(receipt: SesRecord['ses']['receipt']): SesVerdicts {
  const status = (value: { status: string } | undefined) => value?.status ?? 'MISSING';
  return {
    spam: status(receipt.spamVerdict),
    virus: status(receipt.virusVerdict),
    spf: status(receipt.spfVerdict),
    dkim: status(receipt.dkimVerdict),
    dmarc: status(receipt.dmarcVerdict),
  };
}
