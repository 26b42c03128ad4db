import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailSender, OutboundEmail } from '../../domain/outbound/outbound-email.ts';
import { composeMail, type SenderIdentity } from '../mail/compose-mail.ts';

/**
 * Local mode's stand-in for SES: the exact MIME that would be sent is written to a folder, one
 * .eml per email, so it can be opened in any mail client.
 */
export class OutboxFolderSender implements MailSender {
  constructor(
    private readonly directory: string,
    private readonly from: SenderIdentity,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(email: OutboundEmail): Promise<{ messageId: string }> {
    const { raw, messageId } = await composeMail(email, this.from);
    await mkdir(this.directory, { recursive: true });
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    const safeKey = email.outboxKey.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 80);
    await writeFile(join(this.directory, `${stamp}-${safeKey}.eml`), raw);
    return { messageId };
  }
}
