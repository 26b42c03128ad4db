/**
 * The domain's view of an email: what `mailparser` produced, reduced to what understanding needs
 * and decoupled from the library's types. The mail adapter builds it; tests can build it directly.
 */
export interface MailAddress {
  /** As written in the header (not yet lower-cased); null for a group or a name without address. */
  readonly address: string | null;
  /** Display name, or '' when absent. */
  readonly name: string;
}

export interface MailMessage {
  /** Header lines by lower-cased name, unfolded, in order of appearance. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly from: readonly MailAddress[];
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
  readonly replyTo: readonly MailAddress[];
  readonly subject: string;
  /** RFC 5322 Message-ID including angle brackets, or null. */
  readonly messageId: string | null;
  readonly inReplyTo: readonly string[];
  readonly references: readonly string[];
  readonly date: Date | null;
  /** Plain text body; for HTML-only mail, the text rendering of the HTML. */
  readonly text: string;
  /** Top-level MIME type, lower-cased, e.g. `multipart/report`. */
  readonly contentType: string;
  /** MIME types of the non-body parts (attachments, calendar parts, reports). */
  readonly partTypes: readonly string[];
  /** `message/rfc822` attachments, parsed. */
  readonly attachedMessages: readonly MailMessage[];
}

export function headerValues(message: MailMessage, name: string): readonly string[] {
  return message.headers.get(name.toLowerCase()) ?? [];
}

export function firstHeader(message: MailMessage, name: string): string | null {
  return headerValues(message, name)[0] ?? null;
}
