import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMail } from '../../../functions/adapters/mail/compose-mail.ts';
import { captureConfirmationEmail, needsAttentionEmail } from '../../../functions/domain/capture/capture-emails.ts';
import { nameFromAddress } from '../../../functions/domain/introductions/introduction.ts';
import { introduction, sam } from './capture-fixtures.ts';
import type { Partner } from '../../../functions/domain/partners/partner.ts';
import { deterministicId } from '../../../functions/domain/shared/ids.ts';

describe('the capture confirmation', () => {
  it('names the people, says who introduced whom from the owner’s side, and threads to the introduction', () => {
    const email = captureConfirmationEmail(introduction, sam);
    expect(email.subject).toBe('Captured: Jane Doe <> Bob Roe, introduced by Sam Lee');
    expect(email.to).toEqual([{ email: 'sam@partners.example', name: 'Sam Lee' }]);
    expect(email.text).toContain('Hi Sam,');
    expect(email.text).toContain('Got it: you introduced Jane Doe <jane.doe@acme.example> and Bob Roe <bob@roe.example> (“Jane, meet Bob”, Tue, Nov 24, 09:30).');
    expect(email.inReplyTo).toBe('<m1@partners.example>');
    expect(email.outboxKey).toBe('capture_confirmation#intro1');
  });

  it('speaks to a forwarding party as the one introduced', () => {
    const bob: Partner = { ...sam, email: 'bob@roe.example', name: 'Bob Roe' };
    const email = captureConfirmationEmail(
      { ...introduction, introducer: { email: 'sam@partners.example', name: 'Sam Lee' }, owner: bob.email, forwardedBy: { email: 'bob@roe.example', name: null } },
      bob,
    );
    expect(email.text).toContain('Got it: Sam Lee introduced you to Jane Doe <jane.doe@acme.example>');
  });

  it('escapes names and subjects in HTML', () => {
    const hostile = { ...introduction, subject: '<script>alert(1)</script>', parties: [{ email: 'x@acme.example', name: '<img src=x onerror=alert(1)>' }, introduction.parties[1]!] };
    const email = captureConfirmationEmail(hostile, sam);
    expect(email.html).not.toMatch(/<script|<img/);
    expect(email.html).toContain('&lt;script&gt;');
  });

  it('asks a partner, once per message, to resend an introduction it could not read', () => {
    const email = needsAttentionEmail(sam, { deliveryId: 'd9', subject: 'FW: East Power', messageId: '<m9@x>', reasons: ['only 1 of the people introduced has an email address'] }, { captureAddress: 'intro@in.example.com' });
    expect(email.subject).toBe("Couldn't capture: FW: East Power");
    expect(email.text).toContain('only 1 of the people introduced has an email address.');
    expect(email.text).toContain('forward it to intro@in.example.com with both people');
    // Keyed by the message, so the CC and BCC copies of one message give one email.
    expect(email.outboxKey).toBe(`capture_needs_attention#${deterministicId('message-id', '<m9@x>')}`);
  });
});

describe('composing outbound mail', () => {
  it('marks it as ours and automatic, with a Message-ID fixed by the outbox key', async () => {
    const email = captureConfirmationEmail(introduction, sam);
    const first = await composeMail(email, { address: 'follow-up@in.example.com', name: 'Referral desk' });
    const second = await composeMail(email, { address: 'follow-up@in.example.com', name: 'Referral desk' });
    expect(first.messageId).toBe(second.messageId);
    const parsed = await simpleParser(first.raw);
    expect(parsed.messageId).toBe(first.messageId);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.get('x-refer-outbound')).toBe('capture_confirmation');
    expect(parsed.inReplyTo).toBe('<m1@partners.example>');
    expect(parsed.subject).toBe(email.subject);
  });

  it('never lets CR/LF in a name become a header', async () => {
    const email = { ...captureConfirmationEmail(introduction, sam), to: [{ email: 'sam@partners.example', name: 'Sam\r\nBcc: victim@evil.example' }], subject: 'Hi\r\nBcc: victim@evil.example' };
    const { raw } = await composeMail(email, { address: 'follow-up@in.example.com', name: 'Referral desk' });
    const parsed = await simpleParser(raw);
    expect(parsed.bcc).toBeUndefined();
    expect(raw.toString()).not.toMatch(/^Bcc:/im);
  });
});

describe('names read off addresses', () => {
  it.each([
    ['jane.doe@acme.example', 'Jane Doe'],
    ['hilda.bourgeois-galloway@enron.com', 'Hilda Bourgeois-Galloway'],
    ['mary_ann_lee@x.example', 'Mary Ann Lee'],
    ['m..scott@enron.com', null],
    ['plarue@icon.example', null],
    ['info@acme.example', null],
  ])('%s → %s', (address, name) => {
    expect(nameFromAddress(address)).toBe(name);
  });
});
