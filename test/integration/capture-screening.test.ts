import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawMailMissingError } from '../../functions/domain/capture/ports.ts';
import { InvalidCaptureEventError } from '../../functions/handlers/capture.ts';
import { deliveryFromRecord, sesCaptureEventSchema } from '../../functions/handlers/ses-event.ts';
import {
  RAW_MAIL,
  corpusMessage,
  createCaptureHarness,
  sesEvent,
  sesSample,
  sesSampleNames,
  START,
  type CaptureHarness,
  type VerdictOverrides,
} from '../support/capture-harness.ts';

const MOTLEY_INTRO = 'introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml';
const INTRODUCER = 'john.malowney@enron.com';

let h: CaptureHarness;

beforeEach(async () => {
  h = await createCaptureHarness();
  await h.registerPartner(INTRODUCER, 'John Malowney');
});

afterEach(async () => {
  h.close();
  await h.expectLogsFreeOfPersonalData();
});

async function expectNothingCaptured(): Promise<void> {
  expect(await h.mail.drain()).toBe(0);
  expect(await h.introductions()).toEqual([]);
  expect(await h.outboxEntries()).toEqual([]);
  expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
}

describe('capture: SES verdicts', () => {
  const rejections: { name: string; verdicts: VerdictOverrides; reason: RegExp }[] = [
    { name: 'a failed virus scan', verdicts: { virus: 'FAIL' }, reason: /virus scan failed/ },
    { name: 'a failed spam check', verdicts: { spam: 'FAIL' }, reason: /spam check failed/ },
    { name: 'a DMARC failure', verdicts: { dmarc: 'FAIL' }, reason: /failed DMARC/ },
    { name: 'a failed virus scan, whatever else passed', verdicts: { virus: 'FAIL', spam: 'PASS', dmarc: 'PASS' }, reason: /virus scan failed/ },
  ];

  it.each(rejections)('rejects a partner\u2019s introduction after $name, keeps the raw mail and never reads it', async ({ verdicts, reason }) => {
    const [result] = await h.handler()(h.delivery(h.sesId('ses-verdict-0001'), corpusMessage(MOTLEY_INTRO), { verdicts }));

    expect(result).toMatchObject({ outcome: 'rejected', introductionId: null });
    const inbound = await h.inboundFor(h.sesId('ses-verdict-0001'));
    expect(inbound.outcome).toBe('rejected');
    expect(inbound.reasons).toEqual([expect.stringMatching(reason)]);
    expect(inbound.verdicts).toMatchObject({ spam: 'PASS', spf: 'PASS', dkim: 'PASS', ...verdicts });
    expect(inbound.rawLocation).toBe(`s3://${RAW_MAIL.bucket}/${RAW_MAIL.prefix}${h.sesId('ses-verdict-0001')}`);
    expect(h.s3).not.toHaveReceivedCommand(GetObjectCommand);
    expect(h.s3).not.toHaveReceivedCommand(DeleteObjectCommand);
    await expectNothingCaptured();
  });

  it('accepts a DMARC failure when the policy says not to reject on it (and records the verdict)', async () => {
    const lenient = await createCaptureHarness({ policy: { rejectOnDmarcFail: false } });
    await lenient.registerPartner(INTRODUCER, 'John Malowney');

    const [result] = await lenient.handler()(lenient.delivery(lenient.sesId('ses-dmarc-0001'), corpusMessage(MOTLEY_INTRO), { verdicts: { dmarc: 'FAIL' } }));

    expect(result).toMatchObject({ outcome: 'captured' });
    expect((await lenient.inboundFor(lenient.sesId('ses-dmarc-0001'))).verdicts).toMatchObject({ dmarc: 'FAIL' });
    expect(await lenient.introductions()).toHaveLength(1);
    await lenient.mail.drain();
    expect(lenient.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(lenient.s3).not.toHaveReceivedCommand(DeleteObjectCommand);
    lenient.close();
    await lenient.expectLogsFreeOfPersonalData();
  });

  it('accepts a spam FAIL when the policy says not to reject on it', async () => {
    const lenient = await createCaptureHarness({ policy: { rejectOnSpamFail: false } });
    await lenient.registerPartner(INTRODUCER);

    const [result] = await lenient.handler()(lenient.delivery(lenient.sesId('ses-spam-0001'), corpusMessage(MOTLEY_INTRO), { verdicts: { spam: 'FAIL' } }));

    expect(result).toMatchObject({ outcome: 'captured' });
    await lenient.mail.drain();
    expect(lenient.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    lenient.close();
  });

  it('captures with GRAY, PROCESSING_FAILED and DISABLED verdicts (only FAIL rejects)', async () => {
    const [result] = await h.handler()(
      h.delivery(h.sesId('ses-gray-0001'), corpusMessage(MOTLEY_INTRO), { verdicts: { spam: 'GRAY', virus: 'PROCESSING_FAILED', dmarc: 'GRAY', spf: 'DISABLED' } }),
    );
    expect(result).toMatchObject({ outcome: 'captured' });
    expect(await h.mail.drain()).toBe(1);
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });
});

describe('capture: automated mail', () => {
  const automated = [
    { file: 'autoreply/enron__lay-k_inbox_863.eml', kind: 'auto_reply', reason: /auto-reply subject/ },
    { file: 'autoreply/sisimai__rfc3834-01.eml', kind: 'auto_reply', reason: /Auto-Submitted: auto-replied/ },
    { file: 'bounce/enron__motley-m_inbox_4.eml', kind: 'bounce', reason: /mailer-daemon/ },
    { file: 'bounce/sisimai__lhost-amazonses-01.eml', kind: 'bounce', reason: /multipart\/report/ },
  ];

  it.each(automated)('ignores $file ($kind) with the reason recorded and sends nothing', async ({ file, kind, reason }) => {
    // Registered partners everywhere: even so, automatic mail must never be captured or answered.
    const raw = corpusMessage(file);
    const [result] = await h.handler()(h.delivery(h.sesId('ses-auto-0001'), raw));

    expect(result).toMatchObject({ outcome: 'ignored', introductionId: null });
    const inbound = await h.inboundFor(h.sesId('ses-auto-0001'));
    expect(inbound).toMatchObject({ outcome: 'ignored', kind });
    expect(inbound.reasons).toEqual([expect.stringMatching(reason)]);
    await expectNothingCaptured();
  });
});

describe('capture: failures that must not lose the delivery', () => {
  it('rejects (so Lambda retries, then dead-letters) when the raw message is missing from S3, and records nothing', async () => {
    const event = sesEvent(h.sesId('ses-missing-0001'), { timestamp: START }); // nothing stored under this key
    const handler = h.handler();

    const failure = await handler(event).then(
      () => null,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(RawMailMissingError);
    expect((failure as RawMailMissingError).location).toBe(`s3://${RAW_MAIL.bucket}/${RAW_MAIL.prefix}${h.sesId('ses-missing-0001')}`);
    expect(h.s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: RAW_MAIL.bucket, Key: `${RAW_MAIL.prefix}${h.sesId('ses-missing-0001')}` });
    // No outcome is recorded, so a retry (once the object is there) still processes the delivery.
    expect(await h.inbound()).toEqual([]);
    await expectNothingCaptured();

    h.storeRaw(h.sesId('ses-missing-0001'), corpusMessage(MOTLEY_INTRO));
    const [retried] = await handler(event);
    expect(retried).toMatchObject({ outcome: 'captured', repeatDelivery: false });
    expect(await h.mail.drain()).toBe(1);
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });

  const invalidEvents: { name: string; event: unknown }[] = [
    { name: 'an empty object', event: {} },
    { name: 'null', event: null },
    { name: 'an empty Records array', event: { Records: [] } },
    { name: 'an SES notification delivered through SNS', event: sesSample('awsdocs_notification-sns-action.json') },
    { name: 'an SNS action message', event: sesSample('awsdocs_sns-action-message.json') },
    {
      name: 'an SNS-wrapped record',
      event: { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', Message: JSON.stringify(sesSample('awsdocs_notification-sns-action.json')) } }] },
    },
    {
      name: 'an SES record without recipients',
      event: (() => {
        const event = sesEvent('ses-invalid-0001', { timestamp: START }) as { Records: { ses: { receipt: { recipients: string[] } } }[] };
        event.Records[0]!.ses.receipt.recipients = [];
        return event;
      })(),
    },
  ];

  it.each(invalidEvents)('rejects $name with InvalidCaptureEventError and records nothing', async ({ event }) => {
    await expect(h.handler()(event)).rejects.toBeInstanceOf(InvalidCaptureEventError);
    expect(await h.inbound()).toEqual([]);
    expect(h.s3).not.toHaveReceivedAnyCommand();
    await expectNothingCaptured();
    expect(h.logs).toEqual([expect.objectContaining({ level: 'error' })]);
  });
});

describe('capture: the SES event schema', () => {
  const samples = sesSampleNames().map((name) => ({ name, event: sesSample(name) as { Records?: { eventSource?: string; ses?: { receipt?: { action?: { type?: string } } } }[] } }));
  const receiptRecords = samples.filter(({ event }) =>
    (event.Records ?? []).some((record) => record.eventSource === 'aws:ses' && ['Lambda', 'S3'].includes(record.ses?.receipt?.action?.type ?? '')),
  );

  it('has Lambda- and S3-action samples to check', () => {
    expect(receiptRecords.map(({ name }) => name)).toEqual(
      expect.arrayContaining(['awsdocs_lambda-action-event.json', 'aws-lambda-go_ses-s3-event.json', 'powertools-typescript_ses-base.json', 'sam-cli_SesEmailReceiving.json']),
    );
  });

  it.each(receiptRecords)('accepts the aws:ses record in $name and reads where SES stored it', ({ event }) => {
    const parsed = sesCaptureEventSchema.safeParse(event);
    expect(parsed.error?.issues ?? []).toEqual([]);
    for (const record of parsed.data?.Records ?? []) {
      const delivery = deliveryFromRecord(record, RAW_MAIL);
      expect(delivery.deliveryId).toBe(record.ses.mail.messageId);
      expect(delivery.envelopeRecipients).toEqual(record.ses.receipt.recipients.map((recipient) => recipient.toLowerCase()));
      const action = record.ses.receipt.action;
      expect(delivery.rawLocation).toBe(
        action.type === 'S3' ? `s3://${action.bucketName}/${action.objectKey}` : `s3://${RAW_MAIL.bucket}/${RAW_MAIL.prefix}${record.ses.mail.messageId}`,
      );
    }
  });
});
