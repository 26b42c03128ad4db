import MailComposer, { type MailComposerOptions as Options } from 'nodemailer/lib/mail-composer';
import { parseMail } from '../../functions/adapters/mail/parse-mail.ts';
import { understandMessage, type Understanding } from '../../functions/domain/message/understand-message.ts';

export const CAPTURE_ADDRESS = 'intro@refer.local';
export const SENDER_ADDRESS = 'follow-up@refer.local';

/** Real MIME, built the way the system builds its own mail (nodemailer's composer). */
export function composeMime(options: Options): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new MailComposer(options).compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
}

/** Parses with mailparser and understands, as the capture does. */
export async function understandRaw(raw: Buffer | string, envelopeTo: readonly string[] = []): Promise<Understanding> {
  return understandMessage(await parseMail(raw), {
    captureAddresses: new Set([CAPTURE_ADDRESS, ...envelopeTo]),
    systemAddresses: new Set([SENDER_ADDRESS]),
  });
}

export async function understandComposed(options: Options, envelopeTo: readonly string[] = []): Promise<Understanding> {
  return understandRaw(await composeMime(options), envelopeTo);
}

/** The parties' addresses as a sorted set (the order they were addressed in is tested on its own). */
export const addressesOf = (understanding: Understanding) => understanding.parties.map((party) => party.address).sort();
