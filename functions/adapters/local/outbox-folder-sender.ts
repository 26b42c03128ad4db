import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { MailSender, OutboundEmail } from '../../domain/outbound/outbound-email.ts';
import { composeMail, type SenderIdentity } from '../mail/compose-mail.ts';
import { MAIL_PARSER_OPTIONS } from '../mail/parse-mail.ts';

/** An email as its recipient reads it: the plain-text part and the HTML part ('' when there is none). */
export interface SentMailParts {
  readonly text: string;
  readonly html: string;
}

/** Where the whole of a sent email can be read back (the outbox table keeps only what it was). */
export interface SentMailSource {
  /** The raw MIME of the email sent under this outbox key with this Message-ID; null when there is none. */
  read(email: { readonly outboxKey: string; readonly messageId: string | null }): Promise<Buffer | null>;
}

/** `2026-11-24T09-08-57-064Z`: the send time that starts each file name, so a listing is in time order. */
const STAMP_LENGTH = '2026-11-24T09-08-57-064Z'.length;

/**
 * Local mode's stand-in for SES: the exact MIME that would be sent is written to a folder, one
 * .eml per email, so it can be opened in any mail client, and the dashboard reads it back.
 */
export class OutboxFolderSender implements MailSender, SentMailSource {
  constructor(
    private readonly directory: string,
    private readonly from: SenderIdentity,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(email: OutboundEmail): Promise<{ messageId: string }> {
    const { raw, messageId } = await composeMail(email, this.from);
    await mkdir(this.directory, { recursive: true });
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    await writeFile(join(this.directory, `${stamp}-${fileKey(email.outboxKey)}.eml`), raw);
    return { messageId };
  }

  /**
   * The file named after the outbox key whose Message-ID is the one recorded (a key cut to fit a
   * file name can be shared by two emails), the newest when a crashed attempt's retry sent it again.
   */
  async read(email: { readonly outboxKey: string; readonly messageId: string | null }): Promise<Buffer | null> {
    if (!email.messageId) return null;
    const suffix = `-${fileKey(email.outboxKey)}.eml`;
    const names = await readdir(this.directory).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    });
    const candidates = names.filter((name) => name.length === STAMP_LENGTH + suffix.length && name.endsWith(suffix)).sort().reverse();
    for (const name of candidates) {
      const raw = await readFile(join(this.directory, name));
      if ((await simpleParser(raw, MAIL_PARSER_OPTIONS)).messageId === email.messageId) return raw;
    }
    return null;
  }
}

/** The text and HTML parts of an email, decoded as a mail client shows them. */
export async function readSentMail(raw: Buffer): Promise<SentMailParts> {
  const parsed = await simpleParser(raw, MAIL_PARSER_OPTIONS);
  return { text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '' };
}

function fileKey(outboxKey: string): string {
  return outboxKey.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 80);
}

