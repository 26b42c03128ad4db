import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxFolderSender, readSentMail } from '../../../functions/adapters/local/outbox-folder-sender.ts';
import type { OutboundEmail } from '../../../functions/domain/outbound/outbound-email.ts';

const FROM = { address: 'refer@refer.local', name: 'Refer' };

function email(outboxKey: string, text: string, html: string): OutboundEmail {
  return {
    outboxKey,
    purpose: 'weekly_check_in',
    to: [{ email: 'ana@costa.example', name: 'Ana Costa' }],
    subject: 'Your week',
    text,
    html,
    inReplyTo: null,
    references: [],
    introductionId: null,
  };
}

let directory: string;
let clock: Date;
let folder: OutboxFolderSender;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'refer-outbox-folder-'));
  clock = new Date('2026-11-24T09:00:00.000Z');
  folder = new OutboxFolderSender(join(directory, 'outbox'), FROM, () => clock);
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe("local mode's outbox folder", () => {
  it('gives back each email as the recipient reads it, found by its outbox key and Message-ID', async () => {
    const text = `Hi Ana,\n\nQ4 so far: 9 introductions — past your goal. Ünïcödé, "quotes" & <angle brackets>.\n${'A long line that the composer folds. '.repeat(12)}\nAnswer: http://127.0.0.1:3000/answer?token=a.b\n`;
    const html = '<!doctype html><html><head><meta charset="utf-8"></head><body><p>Hi Ana, Ünïcödé &amp; more</p></body></html>';
    const sent = await folder.send(email('weekly#pair-1#2026-W48', text, html));
    clock = new Date(clock.getTime() + 1000);
    const other = await folder.send(email('weekly#pair-2#2026-W48', 'Hi Eve,\n', '<p>Hi Eve</p>'));

    const raw = await folder.read({ outboxKey: 'weekly#pair-1#2026-W48', messageId: sent.messageId });
    expect(raw).not.toBeNull();
    expect(await readSentMail(raw ?? Buffer.alloc(0))).toEqual({ text, html });
    expect(await readSentMail((await folder.read({ outboxKey: 'weekly#pair-2#2026-W48', messageId: other.messageId })) ?? Buffer.alloc(0))).toEqual({ text: 'Hi Eve,\n', html: '<p>Hi Eve</p>' });
  });

  it('tells apart two keys that share a file name, and finds nothing that was not sent', async () => {
    const prefix = `follow_up#${'x'.repeat(90)}`;
    const first = await folder.send(email(`${prefix}#first`, 'First\n', ''));
    clock = new Date(clock.getTime() + 1000);
    const second = await folder.send(email(`${prefix}#second`, 'Second\n', ''));
    expect(readdirSync(join(directory, 'outbox'))).toHaveLength(2);

    expect((await readSentMail((await folder.read({ outboxKey: `${prefix}#first`, messageId: first.messageId })) ?? Buffer.alloc(0))).text).toBe('First\n');
    expect((await readSentMail((await folder.read({ outboxKey: `${prefix}#second`, messageId: second.messageId })) ?? Buffer.alloc(0))).text).toBe('Second\n');
    expect(await folder.read({ outboxKey: `${prefix}#first`, messageId: null })).toBeNull();
    expect(await folder.read({ outboxKey: 'never#sent', messageId: '<never@refer.local>' })).toBeNull();
    expect(await new OutboxFolderSender(join(directory, 'missing'), FROM).read({ outboxKey: `${prefix}#first`, messageId: first.messageId })).toBeNull();
  });

  it('gives the newest copy of an email a crashed attempt sent again', async () => {
    await folder.send(email('capture_confirmation#intro-1', 'First attempt\n', ''));
    clock = new Date(clock.getTime() + 60_000);
    const retry = await folder.send(email('capture_confirmation#intro-1', 'Retry\n', ''));
    const raw = await folder.read({ outboxKey: 'capture_confirmation#intro-1', messageId: retry.messageId });
    expect((await readSentMail(raw ?? Buffer.alloc(0))).text).toBe('Retry\n');
  });
});
