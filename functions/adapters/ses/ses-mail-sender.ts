import { SendEmailCommand, SESv2ServiceException, type SESv2Client } from '@aws-sdk/client-sesv2';
import { EmailRefusedError, type MailSender, type OutboundEmail } from '../../domain/outbound/outbound-email.ts';
import { composeMail, type SenderIdentity } from '../mail/compose-mail.ts';

/** Sends through SES v2 as raw MIME, so our headers (threading, markers) go out exactly as built. */
export class SesMailSender implements MailSender {
  constructor(
    private readonly ses: SESv2Client,
    private readonly from: SenderIdentity,
  ) {}

  async send(email: OutboundEmail): Promise<{ messageId: string }> {
    const { raw, messageId } = await composeMail(email, this.from);
    try {
      await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: this.from.address,
          Destination: { ToAddresses: email.to.map((contact) => contact.email) },
          Content: { Raw: { Data: raw } },
          EmailTags: [{ Name: 'purpose', Value: email.purpose }],
        }),
      );
    } catch (error) {
      // SES answered with an error (after the SDK's own retries): the email was not accepted.
      if (error instanceof SESv2ServiceException) throw new EmailRefusedError(`SES refused the email: ${error.name}`, { cause: error });
      throw error;
    }
    return { messageId };
  }
}
