import type { MailMessage } from '../message/mail-message.ts';
import type { InboundRecord } from './model.ts';
import type { Introduction, IntroductionEvent } from '../introductions/introduction.ts';
import type { Partner } from '../partners/partner.ts';

export type SaveResult = 'saved' | 'delivery_exists';

export type MessageThread = { readonly introductionId: string; readonly pairId?: undefined } | { readonly pairId: string; readonly introductionId?: undefined };

/** Persistence the capture needs. Every write is conditional so a retry can never write twice. */
export interface CaptureStore {
  findInbound(deliveryId: string): Promise<InboundRecord | null>;
  /** The introduction that owns any of these Message-IDs (its own, or a reply attached to it). */
  findIntroductionIdByMessageIds(messageIds: readonly string[]): Promise<string | null>;
  /** What any of these Message-IDs belongs to: an introduction, or a pair (our weekly email). */
  findThreadByMessageIds(messageIds: readonly string[]): Promise<MessageThread | null>;
  /** Introductions whose thread has this normalized subject, newest first (fallback threading). */
  findIntroductionsByThreadSubject(subjectKey: string): Promise<Introduction[]>;
  getIntroduction(id: string): Promise<Introduction | null>;
  /**
   * One transaction: the introduction, its Message-ID, its first event, the partner links and the
   * inbound record, each conditional on not existing yet.
   */
  saveCapture(capture: { introduction: Introduction; event: IntroductionEvent; inbound: InboundRecord; threadSubjectKey: string | null }): Promise<SaveResult | 'message_exists'>;
  /** One transaction: the reply's Message-ID mapped to the introduction, a history event and the inbound record. */
  saveReply(reply: { introductionId: string; messageId: string | null; event: IntroductionEvent; inbound: InboundRecord }): Promise<SaveResult | 'message_exists'>;
  /** Records the outcome of a delivery that changed nothing else (ignored, rejected, duplicate...). */
  saveOutcome(inbound: InboundRecord): Promise<SaveResult>;
  /**
   * A reply whose thread is not on record yet (it arrived before the message it answers): its
   * outcome, ignored for now, and one marker per Message-ID it answers, in one transaction.
   */
  saveWaitingReply(reply: { inbound: InboundRecord; awaited: readonly string[] }): Promise<SaveResult>;
  /** Deliveries of replies waiting for this Message-ID to be captured (see `saveWaitingReply`). */
  findWaitingReplies(messageId: string): Promise<string[]>;
  /**
   * A waiting reply joins its introduction, in one transaction: its outcome becomes `attached`, its
   * Message-ID is mapped to the introduction, a history event is added. `message_exists` when
   * another copy of the reply took the Message-ID first (its outcome then becomes `duplicate`);
   * `not_waiting` when it no longer waits (adopted already).
   */
  adoptWaitingReply(adoption: {
    deliveryId: string;
    introductionId: string;
    reasons: readonly string[];
    event: IntroductionEvent;
  }): Promise<'adopted' | 'message_exists' | 'not_waiting'>;
}

export interface PartnerDirectory {
  getPartner(email: string): Promise<Partner | null>;
}

/** Reads the raw message a delivery stored. Rejects with `RawMailMissingError` when it is gone. */
export interface RawMailSource {
  /** The message, or with `maxBytes` its first `maxBytes` bytes (sources that cannot read a part may return it all). */
  read(location: string, options?: { readonly maxBytes?: number }): Promise<Buffer>;
}

/** Turns raw MIME into a `MailMessage`. Rejects with `UnreadableMessageError` for mail it cannot read. */
export interface MessageReader {
  read(raw: Buffer): Promise<MailMessage>;
}

export class RawMailMissingError extends Error {
  override readonly name = 'RawMailMissingError';
  constructor(readonly location: string) {
    super(`raw message not found at ${location}`);
  }
}

export class UnreadableMessageError extends Error {
  override readonly name = 'UnreadableMessageError';
}
