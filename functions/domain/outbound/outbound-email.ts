import type { Contact } from '../introductions/introduction.ts';

export type EmailPurpose =
  | 'capture_confirmation'
  | 'capture_needs_attention'
  | 'calendar_connect'
  | 'calendar_reconnect'
  | 'booking_no_slot'
  | 'booking_proposal'
  | 'meeting_declined'
  | 'meeting_moved'
  | 'meeting_cancelled'
  | 'nudge'
  | 'outcome_question'
  | 'close_question'
  | 'progress_update'
  | 'not_a_fit'
  | 'weekly_check_in'
  | 'group_digest'
  | 'one_to_one';

/** An email the system sends, before it becomes MIME. The outbox key makes sending it idempotent. */
export interface OutboundEmail {
  /** Deterministic: what the email is for (purpose + subject + period). One key, at most one email. */
  readonly outboxKey: string;
  readonly purpose: EmailPurpose;
  readonly to: readonly Contact[];
  /** Where replies go, when not to the system (a proposal's replies reach the partner). */
  readonly replyTo?: readonly Contact[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Thread the email to this message (the introduction's), when there is one. */
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
  readonly introductionId: string | null;
  /** The pair or group a recurring email belongs to (replies thread to it). */
  readonly pairId?: string | null;
  /**
   * One-click unsubscribe (RFC 8058) for recurring emails: becomes `List-Unsubscribe` and
   * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
   */
  readonly unsubscribeUrl?: string | null;
}

/** What an email is about, for threading replies to it. */
export interface EmailThread {
  readonly introductionId: string | null;
  readonly pairId: string | null;
}

export type OutboxClaim = 'claimed' | 'already_sent' | 'in_progress';

export interface Outbox {
  /**
   * Claims the right to send this email. `claimed` only for the first caller, or when an earlier
   * claim's lease ran out without the email being marked sent (that attempt crashed).
   */
  claim(email: OutboundEmail, now: Date, leaseUntil: Date): Promise<OutboxClaim>;
  /**
   * Marks the email sent. When it belongs to an introduction or a pair, its Message-ID is
   * recorded against that thread, so a reply to it that reaches the capture address finds it.
   */
  markSent(outboxKey: string, sentAt: Date, messageId: string, thread?: EmailThread): Promise<void>;
  /**
   * Gives up a claim whose email was refused (not sent), so the next attempt can send at once
   * instead of waiting out the lease. Only the claim with this lease; a newer one or a sent email stays.
   */
  release(outboxKey: string, leaseUntil: Date): Promise<void>;
}

export interface MailSender {
  /** Sends the email; returns the Message-ID it went out with. */
  send(email: OutboundEmail): Promise<{ messageId: string }>;
}

/** Another attempt holds the claim right now; retry later rather than risk a second email. */
export class EmailInProgressError extends Error {
  override readonly name = 'EmailInProgressError';
  constructor(readonly outboxKey: string) {
    super(`email ${outboxKey} is being sent by another attempt`);
  }
}

/**
 * The mail service answered and refused the email (throttled, rejected): it was not sent. Other
 * errors (a timeout, a lost connection) may come after the service accepted it.
 */
export class EmailRefusedError extends Error {
  override readonly name = 'EmailRefusedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * How long a claim protects an email while it is being sent. Longer than one send takes, shorter
 * than Lambda's first asynchronous retry (about a minute), so a crashed attempt's retry can send.
 * A stream record is retried sooner: a refused email gives its claim up (see sendOnce), and an
 * attempt that died mid-send leaves the record to the dead-letter queue if every retry falls
 * within the lease.
 */
export const OUTBOX_CLAIM_LEASE_MS = 45_000;

export interface SendOnceDependencies {
  readonly outbox: Outbox;
  readonly sender: MailSender;
  readonly now: () => Date;
}

/** Sends an email at most once per outbox key (see `Outbox.claim` for the crash window). */
export async function sendOnce(email: OutboundEmail, dependencies: SendOnceDependencies): Promise<'sent' | 'already_sent'> {
  const now = dependencies.now();
  const leaseUntil = new Date(now.getTime() + OUTBOX_CLAIM_LEASE_MS);
  const claim = await dependencies.outbox.claim(email, now, leaseUntil);
  if (claim === 'already_sent') return 'already_sent';
  if (claim === 'in_progress') throw new EmailInProgressError(email.outboxKey);
  let messageId: string;
  try {
    ({ messageId } = await dependencies.sender.send(email));
  } catch (error) {
    // A stream record is retried at once, well within the lease: a refused email frees its claim
    // so that retry can send; anything else keeps it (the email may have gone out).
    if (error instanceof EmailRefusedError) await dependencies.outbox.release(email.outboxKey, leaseUntil);
    throw error;
  }
  await dependencies.outbox.markSent(email.outboxKey, dependencies.now(), messageId, { introductionId: email.introductionId, pairId: email.pairId ?? null });
  return 'sent';
}
