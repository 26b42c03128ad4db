import { describe, expect, it } from 'vitest';
import { sendCaptureMail, type CaptureMailDependencies } from '../../../functions/domain/capture/capture-mail.ts';
import type { InboundOutcome, InboundRecord } from '../../../functions/domain/capture/model.ts';
import type { OutboundEmail, OutboxClaim } from '../../../functions/domain/outbound/outbound-email.ts';
import type { Partner } from '../../../functions/domain/partners/partner.ts';
import { deterministicId } from '../../../functions/domain/shared/ids.ts';
import { introduction, sam } from './capture-fixtures.ts';

function inbound(outcome: InboundOutcome, overrides: Partial<InboundRecord> = {}): InboundRecord {
  return {
    deliveryId: 'd1',
    receivedAt: '2026-11-24T09:30:00.000Z',
    outcome,
    kind: outcome === 'captured' ? 'intro' : 'ambiguous',
    reasons: ['it names only one person with an address'],
    introductionId: outcome === 'captured' ? 'intro1' : null,
    messageId: '<m1@partners.example>',
    sender: 'sam@partners.example',
    subject: 'Jane, meet Bob',
    rawLocation: 's3://bucket/inbound/d1',
    verdicts: null,
    ...overrides,
  };
}

/** An outbox that remembers what was claimed and marked, and a sender that records what went out. */
function fakes(partners: readonly Partner[] = [sam]) {
  const claimed = new Map<string, 'sending' | 'sent'>();
  const sent: OutboundEmail[] = [];
  const dependencies: CaptureMailDependencies = {
    introductions: { getIntroduction: (id) => Promise.resolve(id === introduction.id ? introduction : null) },
    partners: { getPartner: (email) => Promise.resolve(partners.find((partner) => partner.email === email) ?? null) },
    outbox: {
      claim(email): Promise<OutboxClaim> {
        const state = claimed.get(email.outboxKey);
        if (state) return Promise.resolve(state === 'sent' ? 'already_sent' : 'in_progress');
        claimed.set(email.outboxKey, 'sending');
        return Promise.resolve('claimed');
      },
      markSent(outboxKey) {
        claimed.set(outboxKey, 'sent');
        return Promise.resolve();
      },
      release(outboxKey) {
        if (claimed.get(outboxKey) === 'sending') claimed.delete(outboxKey);
        return Promise.resolve();
      },
    },
    sender: {
      send(email) {
        sent.push(email);
        return Promise.resolve({ messageId: `<${sent.length}@ses>` });
      },
    },
    clock: { now: () => new Date('2026-11-24T09:30:05.000Z') },
    settings: { captureAddress: 'intro@in.example.com' },
  };
  return { dependencies, sent };
}

describe('the email a recorded delivery earns', () => {
  it('confirms a captured introduction to its owner, once however often the record comes', async () => {
    const { dependencies, sent } = fakes();
    expect(await sendCaptureMail(inbound('captured'), dependencies)).toBe('sent');
    expect(await sendCaptureMail(inbound('captured'), dependencies)).toBe('already_sent');
    expect(sent.map((email) => [email.outboxKey, email.to.map((to) => to.email)])).toEqual([['capture_confirmation#intro1', ['sam@partners.example']]]);
  });

  it('asks a registered partner about a message it could not read as an introduction, once per message (two copies, one email)', async () => {
    const { dependencies, sent } = fakes();
    expect(await sendCaptureMail(inbound('ambiguous'), dependencies)).toBe('sent');
    expect(await sendCaptureMail(inbound('ambiguous', { deliveryId: 'd2-bcc-copy' }), dependencies)).toBe('already_sent');
    expect(sent.map((email) => email.outboxKey)).toEqual([`capture_needs_attention#${deterministicId('message-id', '<m1@partners.example>')}`]);
    expect(sent[0]?.text).toContain('it names only one person with an address');
  });

  it('sends nothing for every other outcome, for a sender who is not a partner, or for an introduction it cannot find', async () => {
    const { dependencies, sent } = fakes();
    for (const outcome of ['attached', 'duplicate', 'ignored', 'rejected'] as const) expect(await sendCaptureMail(inbound(outcome), dependencies)).toBeNull();
    // Ambiguous only because the introducer had no address: the capture never told anyone about those.
    expect(await sendCaptureMail(inbound('ambiguous', { kind: 'intro' }), dependencies)).toBeNull();
    expect(await sendCaptureMail(inbound('ambiguous', { sender: 'stranger@elsewhere.example' }), dependencies)).toBeNull();
    expect(await sendCaptureMail(inbound('ambiguous', { sender: null }), dependencies)).toBeNull();
    expect(await sendCaptureMail(inbound('captured', { introductionId: 'gone' }), dependencies)).toBeNull();
    expect(await sendCaptureMail(inbound('captured'), fakes([]).dependencies)).toBeNull();
    expect(sent).toEqual([]);
  });
});
