import type { MessageKind } from '../message/message-kinds.ts';

/** What became of one delivery to the capture address. Every delivery gets exactly one. */
export type InboundOutcome = 'captured' | 'attached' | 'duplicate' | 'ignored' | 'ambiguous' | 'rejected';

export interface SesVerdicts {
  readonly spam: string;
  readonly virus: string;
  readonly spf: string;
  readonly dkim: string;
  readonly dmarc: string;
}

export interface InboundRecord {
  /** SES message id (or the local SMTP delivery id). */
  readonly deliveryId: string;
  readonly receivedAt: string;
  readonly outcome: InboundOutcome;
  readonly kind: MessageKind | null;
  readonly reasons: readonly string[];
  readonly introductionId: string | null;
  readonly messageId: string | null;
  readonly sender: string | null;
  readonly subject: string | null;
  /** Where the raw message is kept (s3://bucket/key or file path); nothing is ever thrown away. */
  readonly rawLocation: string;
  readonly verdicts: SesVerdicts | null;
  /** A reply that arrived before the message it answers: the Message-IDs it waits for (see `CaptureStore.saveWaitingReply`). */
  readonly waitingFor?: readonly string[];
}

