import { readFile } from 'node:fs/promises';
import { parseMail } from '../../functions/adapters/mail/parse-mail.ts';
import { personLabel, type Person } from '../../functions/domain/message/person.ts';
import { understandMessage, type Understanding } from '../../functions/domain/message/understand-message.ts';

export interface ParseRecord {
  readonly file: string;
  readonly kind: Understanding['kind'];
  readonly introducer: string | null;
  readonly parties: readonly string[];
  readonly forwardedBy: string | null;
  readonly subject: string | null;
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
  readonly reasons: readonly string[];
}

export interface ParseOptions {
  readonly captureAddress: string;
  readonly systemAddresses: readonly string[];
  readonly envelopeTo: readonly string[];
}

/** Understands one file. Never throws for what the file contains; a missing file is an error. */
export async function parseFile(file: string, options: ParseOptions): Promise<{ record: ParseRecord; understanding: Understanding | null }> {
  const raw = await readFile(file);
  try {
    const understanding = understandMessage(await parseMail(raw), {
      captureAddresses: new Set([options.captureAddress, ...options.envelopeTo].map((address) => address.toLowerCase())),
      systemAddresses: new Set(options.systemAddresses),
    });
    return { record: toRecord(file, understanding), understanding };
  } catch (error) {
    return {
      record: {
        file,
        kind: 'not_intro',
        introducer: null,
        parties: [],
        forwardedBy: null,
        subject: null,
        messageId: null,
        inReplyTo: null,
        references: [],
        reasons: [`the message could not be read: ${error instanceof Error ? error.message : String(error)}`],
      },
      understanding: null,
    };
  }
}

function toRecord(file: string, understanding: Understanding): ParseRecord {
  return {
    file,
    kind: understanding.kind,
    introducer: understanding.introducer?.address ?? null,
    parties: understanding.parties.map((party) => party.address).filter((address): address is string => address !== null).sort(),
    forwardedBy: understanding.forwardedBy?.address ?? null,
    subject: understanding.subject || null,
    messageId: understanding.messageId,
    inReplyTo: understanding.inReplyTo,
    references: [...understanding.references],
    reasons: [...understanding.reasons],
  };
}

export function describeParse(record: ParseRecord, understanding: Understanding | null): string {
  const who = (person: Person | null | undefined) => (person ? `${personLabel(person)}${person.name && person.address ? ` <${person.address}>` : ''}` : '—');
  const lines = [`${record.file}: ${record.kind}`];
  if (record.subject) lines.push(`  subject      ${record.subject}`);
  if (understanding?.introducer) lines.push(`  introducer   ${who(understanding.introducer)}`);
  if (understanding && understanding.parties.length > 0) lines.push(`  parties      ${understanding.parties.map(who).join(', ')}`);
  if (understanding && understanding.unaddressedParties.length > 0) lines.push(`  no address   ${understanding.unaddressedParties.map(who).join(', ')}`);
  if (understanding?.forwardedBy) lines.push(`  forwarded by ${who(understanding.forwardedBy)}`);
  for (const reason of record.reasons) lines.push(`  why          ${reason}`);
  return lines.join('\n');
}
