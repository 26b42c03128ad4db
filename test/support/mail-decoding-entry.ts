// The mail decoding the capture runs, as one module: imported as is (the real iconv-lite and
// encoding-japanese) and bundled with the Lambda bundles' aliases (the shims), so a test can
// compare the two. See test/unit/mail/charset-shims.test.ts.
import libmime from 'libmime';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

export { parseMail } from '../../functions/adapters/mail/parse-mail.ts';

/** An encoded word's text, as header decoding reads it. */
export function decodeWord(charset: string, bytes: Buffer): string {
  return libmime.decodeWord(charset, 'B', bytes.toString('base64'));
}

/** A body in `charset`, through the decode stream mailparser uses, written in chunks of `chunkSize` bytes. */
export async function decodeBody(charset: string, bytes: Buffer, chunkSize: number): Promise<{ text: string; supported: boolean }> {
  const stream = libmime.createDecodeStream(charset);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  const text = (await buffer(Readable.from(chunks).pipe(stream))).toString('utf8');
  return { text, supported: stream.supported };
}
