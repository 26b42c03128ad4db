import type { Introduction } from '../introductions/introduction.ts';
import type { Partner } from '../partners/partner.ts';
import { sendOnce, type MailSender, type Outbox } from '../outbound/outbound-email.ts';
import type { Clock } from '../shared/clock.ts';
import { captureConfirmationEmail, needsAttentionEmail, type CaptureEmailSettings } from './capture-emails.ts';
import type { InboundOutcome, InboundRecord } from './model.ts';

/** The outcomes a partner may be told about by email; every other outcome sends nothing. */
export const CAPTURE_MAIL_OUTCOMES = ['captured', 'ambiguous'] as const satisfies readonly InboundOutcome[];

export interface CaptureMailDependencies {
  readonly introductions: { getIntroduction(id: string): Promise<Introduction | null> };
  readonly partners: { getPartner(email: string): Promise<Partner | null> };
  readonly outbox: Outbox;
  readonly sender: MailSender;
  readonly clock: Clock;
  readonly settings: CaptureEmailSettings;
}

/**
 * The email a recorded delivery earns its partner, sent at most once (the outbox key follows the
 * introduction or the message, so a repeated or replayed record sends nothing twice):
 * - captured: the confirmation, to the partner who owns the introduction;
 * - ambiguous, because the message could not be read as an introduction: what to do, to the
 *   sender when the sender is a registered partner (no one else is told anything).
 * Built from what is on record now, so it says what the table says.
 */
export async function sendCaptureMail(inbound: InboundRecord, dependencies: CaptureMailDependencies): Promise<'sent' | 'already_sent' | null> {
  const send = { ...dependencies, now: () => dependencies.clock.now() };
  if (inbound.outcome === 'captured' && inbound.introductionId) {
    const introduction = await dependencies.introductions.getIntroduction(inbound.introductionId);
    const owner = introduction ? await dependencies.partners.getPartner(introduction.owner) : null;
    return introduction && owner ? sendOnce(captureConfirmationEmail(introduction, owner), send) : null;
  }
  if (inbound.outcome === 'ambiguous' && inbound.kind === 'ambiguous' && inbound.sender) {
    const partner = await dependencies.partners.getPartner(inbound.sender);
    return partner ? sendOnce(needsAttentionEmail(partner, inbound, dependencies.settings), send) : null;
  }
  return null;
}
