import { SendEmailCommand, SESv2Client, TooManyRequestsException, MessageRejected } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import '../../support/aws-mock-matchers.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { SesMailSender } from '../../../functions/adapters/ses/ses-mail-sender.ts';
import { EmailRefusedError, type OutboundEmail } from '../../../functions/domain/outbound/outbound-email.ts';

const ses = mockClient(SESv2Client);
afterEach(() => ses.reset());

const email: OutboundEmail = {
  outboxKey: 'capture_confirmation#intro-1',
  purpose: 'capture_confirmation',
  to: [{ email: 'sam.lee@partners.example', name: 'Sam Lee' }],
  subject: 'Captured: Jane Doe <> Bob Roe, introduced by Sam Lee',
  text: 'Got it.',
  html: '<p>Got it.</p>',
  inReplyTo: null,
  references: [],
  introductionId: 'intro-1',
};
const sender = () => new SesMailSender(new SESv2Client({ region: 'us-east-1', maxAttempts: 1 }), { address: 'desk@in.example.com', name: 'Referral desk' });

describe('SES mail sender', () => {
  it('sends raw MIME tagged with the purpose and returns its Message-ID', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    const { messageId } = await sender().send(email);
    expect(messageId).toMatch(/^<.+@.+>$/);
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, { FromEmailAddress: 'desk@in.example.com', Destination: { ToAddresses: ['sam.lee@partners.example'] }, EmailTags: [{ Name: 'purpose', Value: 'capture_confirmation' }] });
  });

  it.each([
    ['throttled', new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } })],
    ['rejected', new MessageRejected({ message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } })],
  ])('an email SES answered with an error (%s) is refused: not sent, so its claim can be given up', async (_, error) => {
    ses.on(SendEmailCommand).rejects(error);
    const refused = await sender().send(email).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(EmailRefusedError);
    expect((refused as EmailRefusedError).cause).toBe(error);
    // The message names the error, never the recipient.
    expect((refused as Error).message).not.toContain('sam.lee');
  });

  it('a failure without an answer from SES (it may have accepted the email) stays what it was', async () => {
    const lost = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    ses.on(SendEmailCommand).rejects(lost);
    const caught = await sender().send(email).catch((error: unknown) => error);
    expect(caught).not.toBeInstanceOf(EmailRefusedError);
    expect((caught as Error).message).toBe('socket hang up');
  });
});
