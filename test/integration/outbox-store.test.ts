import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { meterDynamo } from '../../bench/dynamo-meter.ts';
import { DynamoOutbox } from '../../functions/adapters/dynamodb/outbox-store.ts';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { EmailInProgressError, EmailRefusedError, sendOnce, type MailSender, type OutboundEmail } from '../../functions/domain/outbound/outbound-email.ts';
import { createTestTable } from '../support/dynamo.ts';

const NOW = new Date('2026-11-24T09:00:00.000Z');

/** A weekly check-in's size: a few KB of text and as much again of HTML. */
const email: OutboundEmail = {
  outboxKey: 'weekly_check_in#pair-1#2026-W48#ana@costa.example',
  purpose: 'weekly_check_in',
  to: [{ email: 'ana@costa.example', name: 'Ana Costa' }],
  subject: 'Ana and Victor — your week',
  text: `Hi Ana,\n\n${'Sara Kim: meeting Fri 20 Nov 15:00. How did it go? http://127.0.0.1:3000/answer?token=abc.def\n'.repeat(40)}`,
  html: `<!doctype html><html><body>${'<p>Sara Kim: meeting Fri 20 Nov 15:00. <a href="http://127.0.0.1:3000/answer?token=abc.def">How did it go?</a></p>'.repeat(40)}</body></html>`,
  inReplyTo: null,
  references: [],
  introductionId: null,
  pairId: 'pair-1',
};

describe('outbox items', () => {
  it('keep what sending once and support need, with the body as a digest: one write unit per copy, whatever the email weighs', async () => {
    const connection = await createTestTable();
    const meter = meterDynamo(connection.client);
    const outbox = new DynamoOutbox(connection);
    const sender = { send: () => Promise.resolve({ messageId: '<weekly-1@refer.local>' }) };

    expect(await sendOnce(email, { outbox, sender, now: () => NOW })).toBe('sent');
    expect(await sendOnce(email, { outbox, sender, now: () => NOW })).toBe('already_sent');

    const { Item } = await connection.client.send(new GetCommand({ TableName: connection.tableName, Key: keys.outbox(email.outboxKey) }));
    expect(Item).not.toHaveProperty('text');
    expect(Item).not.toHaveProperty('html');
    const digest = createHash('sha256').update(`${email.text}\0${email.html}`).digest('base64url');
    expect(await outbox.get(email.outboxKey)).toEqual({
      outboxKey: email.outboxKey,
      purpose: 'weekly_check_in',
      to: ['ana@costa.example'],
      subject: email.subject,
      status: 'sent',
      claimedAt: NOW.toISOString(),
      sentAt: NOW.toISOString(),
      messageId: '<weekly-1@refer.local>',
      introductionId: null,
      bodySha256: digest,
    });
    expect(await outbox.list()).toHaveLength(1);

    // The claim (item and its GSI1 copy), the sent mark with the Message-ID record (a transaction,
    // each write twice) and the refused second claim: 2 + 2 × 3 + 1 units. With the bodies the
    // claim alone was about 10.
    const { writeUnits } = meter.tally();
    expect(writeUnits).toBeLessThanOrEqual(9);
  });

  describe('a send that fails, retried at once (as a stream record is, well within the lease)', () => {
    const failingOnce = (error: Error) => {
      let calls = 0;
      const sender: MailSender = {
        send: () => {
          calls += 1;
          return calls === 1 ? Promise.reject(error) : Promise.resolve({ messageId: `<retry-${calls}@refer.local>` });
        },
      };
      return { sender, calls: () => calls };
    };

    it('sends on the retry when the mail service refused the email (its claim was given up)', async () => {
      const outbox = new DynamoOutbox(await createTestTable());
      const { sender, calls } = failingOnce(new EmailRefusedError('SES refused the email: TooManyRequestsException'));
      await expect(sendOnce(email, { outbox, sender, now: () => NOW })).rejects.toBeInstanceOf(EmailRefusedError);
      expect(await sendOnce(email, { outbox, sender, now: () => NOW })).toBe('sent');
      expect(await sendOnce(email, { outbox, sender, now: () => NOW })).toBe('already_sent');
      expect(calls()).toBe(2);
      expect(await outbox.get(email.outboxKey)).toMatchObject({ status: 'sent', messageId: '<retry-2@refer.local>' });
    });

    it('keeps the claim when the failure may have come after the email went out (a timeout): the retry waits for the lease', async () => {
      const outbox = new DynamoOutbox(await createTestTable());
      const { sender, calls } = failingOnce(new Error('socket hang up'));
      await expect(sendOnce(email, { outbox, sender, now: () => NOW })).rejects.toThrow('socket hang up');
      await expect(sendOnce(email, { outbox, sender, now: () => NOW })).rejects.toBeInstanceOf(EmailInProgressError);
      expect(calls()).toBe(1);
      // After the lease, the crashed attempt's email is sent (the window the outbox cannot close).
      expect(await sendOnce(email, { outbox, sender, now: () => new Date(NOW.getTime() + 60_000) })).toBe('sent');
    });

    it("releasing gives up only that attempt's claim: a newer claim and a sent email stay", async () => {
      const outbox = new DynamoOutbox(await createTestTable());
      const firstLease = new Date(NOW.getTime() + 45_000);
      expect(await outbox.claim(email, NOW, firstLease)).toBe('claimed');
      const later = new Date(NOW.getTime() + 50_000);
      expect(await outbox.claim(email, later, new Date(later.getTime() + 45_000))).toBe('claimed');
      await outbox.release(email.outboxKey, firstLease);
      expect(await outbox.claim(email, later, new Date(later.getTime() + 45_000))).toBe('in_progress');
      await outbox.markSent(email.outboxKey, later, '<sent@refer.local>');
      await outbox.release(email.outboxKey, new Date(later.getTime() + 45_000));
      expect(await outbox.claim(email, later, new Date(later.getTime() + 45_000))).toBe('already_sent');
    });
  });
});
