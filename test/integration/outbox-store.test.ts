import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { meterDynamo } from '../../bench/dynamo-meter.ts';
import { DynamoOutbox } from '../../functions/adapters/dynamodb/outbox-store.ts';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { sendOnce, type OutboundEmail } from '../../functions/domain/outbound/outbound-email.ts';
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
});
