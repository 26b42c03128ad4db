import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { MailSender, OutboundEmail } from '../../domain/outbound/outbound-email.ts';
import { composeMail, type SenderIdentity } from '../mail/compose-mail.ts';

/** Sends through SES v2 as raw MIME, so our headers (threading, markers) go out exactly as built. */
export class SesMailSender implements MailSender {
  constructor(
    private readonly ses: SESv2Client,
    private readonly from: SenderIdentity,
  ) {}

  async send(email: OutboundEmail): Promise<{ messageId: string }> {
    const { raw, messageId } = await composeMail(email, this.from);
    await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: this.from.address,
        Destination: { ToAddresses: email.to.map((contact) => contact.email) },
        Content: { Raw: { Data: raw } },
        EmailTags: [{ Name: 'purpose', Value: email.purpose }],
      }),
    );
    return { messageId };
  }
}
