import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OUTBOUND_MARKER_HEADER } from '../../functions/domain/message/outbound-marker.ts';
import { CAPTURE_ADDRESS, RAW_MAIL, SENDER, START, corpusMessage, createCaptureHarness, headerText, type CaptureHarness } from '../support/capture-harness.ts';

const MOTLEY_INTRO = 'introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml';
const MOTLEY_MESSAGE_ID = '<14576892.1075841341704.JavaMail.evans@thyme>';
const INTRODUCER = 'john.malowney@enron.com';
const SHIVELY_FORWARD = 'introduction_forwarded/enron__shively-h_inbox_49.eml';

let h: CaptureHarness;

beforeEach(async () => {
  h = await createCaptureHarness();
});

afterEach(async () => {
  h.close();
  await h.expectLogsFreeOfPersonalData();
});

describe('capture: an introduction from a registered partner', () => {
  it('records the introduction, its history and links, and confirms it to the partner with one marked email', async () => {
    await h.registerPartner(INTRODUCER, 'John Malowney');
    const handler = h.handler();

    const [summary] = await handler(h.delivery(h.sesId('ses-intro-0001'), corpusMessage(MOTLEY_INTRO)));

    expect(summary).toMatchObject({ deliveryId: h.sesId('ses-intro-0001'), outcome: 'captured', repeatDelivery: false });
    // The capture sends nothing itself: the jobs side sends from the stream.
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
    const records = await h.mail.records();
    expect(records).toHaveLength(1);
    expect(await h.mail.deliver(records)).toEqual({ failed: [], errors: [] });
    const introductions = await h.introductions();
    expect(introductions).toHaveLength(1);
    const [introduction] = introductions;
    expect(introduction).toMatchObject({
      id: summary?.introductionId,
      introducer: { email: INTRODUCER },
      parties: [{ email: 'connie.erickson@enron.com' }, { email: 'matt.motley@enron.com' }],
      forwardedBy: null,
      owner: INTRODUCER,
      subject: 'Thailand',
      messageId: MOTLEY_MESSAGE_ID,
      repliesTo: null,
      status: 'introduced',
      createdAt: START.toISOString(),
      deliveryId: h.sesId('ses-intro-0001'),
      rawLocation: `s3://${RAW_MAIL.bucket}/${RAW_MAIL.prefix}${h.sesId('ses-intro-0001')}`,
    });
    const id = introduction?.id ?? '';

    // One inbound record, one history event, the Message-ID claimed, a link item per person.
    expect(await h.inbound()).toEqual([
      expect.objectContaining({ deliveryId: h.sesId('ses-intro-0001'), outcome: 'captured', kind: 'intro', introductionId: id, messageId: MOTLEY_MESSAGE_ID, sender: INTRODUCER }),
    ]);
    expect(await h.events(id)).toEqual([expect.objectContaining({ type: 'captured', by: INTRODUCER, how: 'email', sourceId: h.sesId('ses-intro-0001') })]);
    expect(await h.messageIdOwner(MOTLEY_MESSAGE_ID)).toMatchObject({ introductionId: id, role: 'introduction' });
    expect(await h.partnerLinks(INTRODUCER)).toEqual([expect.objectContaining({ introductionId: id, role: 'gave' })]);
    expect(await h.partnerLinks('connie.erickson@enron.com')).toEqual([expect.objectContaining({ introductionId: id, role: 'received' })]);
    expect(await h.partnerLinks('matt.motley@enron.com')).toEqual([expect.objectContaining({ introductionId: id, role: 'received' })]);

    // Exactly one email, to the partner, through SES.
    expect(h.s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: RAW_MAIL.bucket, Key: `${RAW_MAIL.prefix}${h.sesId('ses-intro-0001')}` });
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(h.ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: SENDER.address,
      Destination: { ToAddresses: [INTRODUCER] },
      EmailTags: [{ Name: 'purpose', Value: 'capture_confirmation' }],
    });
    const [sent] = await h.sentEmails();
    const mail = sent?.parsed;
    // Each person by name where one is known (read off the address in the Enron copy), else by address.
    expect(mail?.subject).toMatch(
      /^Captured: Connie Erickson <> Matt Motley, introduced by John Malowney$/,
    );
    expect(headerText(mail!, 'Auto-Submitted')).toBe('auto-generated');
    expect(headerText(mail!, OUTBOUND_MARKER_HEADER)).toBe('capture_confirmation');
    expect(mail?.inReplyTo).toBe(MOTLEY_MESSAGE_ID);
    expect(mail?.references).toEqual(MOTLEY_MESSAGE_ID);
    expect(mail?.text).toContain('Hi John,');

    const outbox = await h.outboxEntries();
    expect(outbox).toEqual([
      expect.objectContaining({
        outboxKey: `capture_confirmation#${id}`,
        purpose: 'capture_confirmation',
        status: 'sent',
        to: [INTRODUCER],
        introductionId: id,
        messageId: mail?.messageId,
        sentAt: START.toISOString(),
      }),
    ]);

    // The confirmation finds its way back to the capture address: recognized as ours, never captured.
    h.clock.advance(60_000);
    const [echo] = await handler(h.delivery(h.sesId('ses-echo-0002'), sent!.raw));
    expect(echo).toMatchObject({ outcome: 'ignored', introductionId: null });
    // The stream redelivers the capture's record: nothing is sent twice.
    expect(await h.mail.deliver(records)).toEqual({ failed: [], errors: [] });
    expect(await h.mail.drain()).toBe(0);
    expect((await h.inboundFor(h.sesId('ses-echo-0002'))).reasons.join(' ')).toContain(OUTBOUND_MARKER_HEADER);
    expect(await h.introductions()).toHaveLength(1);
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(h.s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('rejects an introduction from someone who is not a registered partner, and tells no one', async () => {
    // A partner is registered, but not the introducer (one of the introduced people is).
    await h.registerPartner('matt.motley@enron.com', 'Matt Motley');

    const [summary] = await h.handler()(h.delivery(h.sesId('ses-stranger-0001'), corpusMessage(MOTLEY_INTRO)));

    expect(summary).toMatchObject({ outcome: 'rejected', introductionId: null });
    expect(await h.mail.drain()).toBe(0);
    const inbound = await h.inboundFor(h.sesId('ses-stranger-0001'));
    expect(inbound).toMatchObject({ outcome: 'rejected', kind: 'intro', sender: INTRODUCER });
    expect(inbound.reasons).toContain(`${INTRODUCER} is not a registered partner`);
    expect(await h.introductions()).toEqual([]);
    expect(await h.messageIdOwner(MOTLEY_MESSAGE_ID)).toBeUndefined();
    expect(await h.outboxEntries()).toEqual([]);
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
  });

  it('asks the partner once about an introduction it could not read, and not again on redelivery', async () => {
    await h.registerPartner('j..sturm@enron.com', 'Jim Sturm');
    const handler = h.handler();
    const event = h.delivery(h.sesId('ses-ambiguous-0001'), corpusMessage(SHIVELY_FORWARD), { recipients: [CAPTURE_ADDRESS] });

    const [first] = await handler(event);
    expect(first).toMatchObject({ outcome: 'ambiguous', introductionId: null, repeatDelivery: false });
    expect(h.ses).not.toHaveReceivedCommand(SendEmailCommand);
    const records = await h.mail.records();
    expect(records).toHaveLength(1);
    await h.mail.deliver(records);
    const inbound = await h.inboundFor(h.sesId('ses-ambiguous-0001'));
    expect(inbound).toMatchObject({ outcome: 'ambiguous', kind: 'ambiguous', sender: 'j..sturm@enron.com', subject: 'FW: East Power' });
    expect(inbound.reasons.at(-1)).toMatch(/no address for Michael Bridges/);
    expect(await h.introductions()).toEqual([]);

    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(h.ses).toHaveReceivedCommandWith(SendEmailCommand, {
      Destination: { ToAddresses: ['j..sturm@enron.com'] },
      EmailTags: [{ Name: 'purpose', Value: 'capture_needs_attention' }],
    });
    const [sent] = await h.sentEmails();
    expect(sent?.parsed.subject).toBe("Couldn't capture: FW: East Power");
    expect(sent?.parsed.text).toContain(CAPTURE_ADDRESS);
    expect(headerText(sent!.parsed, OUTBOUND_MARKER_HEADER)).toBe('capture_needs_attention');
    expect(await h.outboxEntries()).toEqual([expect.objectContaining({ purpose: 'capture_needs_attention', status: 'sent', to: ['j..sturm@enron.com'] })]);

    // SES delivers the same event again, later.
    h.clock.advance(5 * 60_000);
    const [again] = await handler(event);
    expect(again).toMatchObject({ outcome: 'ambiguous', repeatDelivery: true });
    expect(await h.mail.drain()).toBe(0);
    expect(await h.mail.deliver(records)).toEqual({ failed: [], errors: [] });
    expect(h.ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(await h.inbound()).toHaveLength(1);
  });
});
