import { describe, expect, it } from 'vitest';
import { messageIds, parseMail } from '../../../functions/adapters/mail/parse-mail.ts';

describe('parseMail', () => {
  it('reads a part whose Content-Type is empty (mailparser reports it as false) as an unknown attachment', async () => {
    const raw = [
      'From: a@b.example',
      'To: c@d.example',
      'Subject: x',
      'Content-Type: multipart/mixed; boundary="XX"',
      '',
      '--XX',
      'Content-Type: text/plain',
      '',
      'hello',
      '--XX',
      'Content-Type: ;',
      'Content-Disposition: attachment',
      '',
      'abc',
      '--XX--',
      '',
    ].join('\r\n');
    const message = await parseMail(raw);
    expect(message.partTypes).toEqual(['application/octet-stream']);
    expect(message.text.trim()).toBe('hello');
  });

  it('keeps header lines by lower-cased name, unfolded', async () => {
    const message = await parseMail('From: a@b.example\r\nList-Id: Some list\r\n <list.example>\r\nSubject: x\r\n\r\nbody');
    expect(message.headers.get('list-id')).toEqual(['Some list <list.example>']);
  });

  it.each([
    ['<a@b> <c@d>', ['<a@b>', '<c@d>']],
    [['<a@b>', '<a@b>'], ['<a@b>']],
    ['bare@id', ['<bare@id>']],
    ['two words', []],
    [undefined, []],
  ] as const)('reads Message-IDs from %j', (value, expected) => {
    expect(messageIds(value as string | string[] | undefined)).toEqual(expected);
  });
});
