import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { CORPUS_DIR } from './corpus.ts';

/**
 * Byte-level mutations of real mail: what a broken relay, a truncated upload or a hostile sender
 * makes of a message. Used by the message property tests (a few hundred runs) and the reliability
 * suite (up to a hundred thousand).
 */

/** Every message of the corpus (test/corpus/eml), read once. */
export function corpusMessages(): Buffer[] {
  const dir = join(CORPUS_DIR, 'eml');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.eml'))
    .sort()
    .map((file) => readFileSync(join(dir, file)));
}

/** Bytes that mean something to a MIME parser, inserted where they do the most damage. */
const MIME_SHRAPNEL = [
  '\r\n\r\n',
  '\r\n',
  '\n.\n',
  '\u0000',
  '--',
  '\r\n--boundary\r\n',
  'Content-Type: multipart/mixed; boundary="x"\r\n',
  'Content-Transfer-Encoding: base64\r\n',
  'Content-Transfer-Encoding: quoted-printable\r\n',
  '=?utf-8?B?',
  '=?iso-2022-jp?Q?=1B$B',
  '?=',
  '=\r\n',
  '=ZZ',
  'charset="x-unknown"',
  '<',
  '>',
  '"',
  '\\',
  '\u00ff\u00fe',
];

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'shrapnel'; readonly at: number; readonly piece: string; readonly times: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'splice'; readonly at: number; readonly other: number; readonly from: number };

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('shrapnel' as const), at: fc.nat(), piece: fc.constantFrom(...MIME_SHRAPNEL), times: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), other: fc.nat(), from: fc.nat() }),
);

/** Applies the mutations in order; `others` are the messages a splice may graft in. */
export function mutate(source: Buffer, mutations: readonly Mutation[], others: readonly Buffer[] = []): Buffer {
  let bytes = Buffer.from(source);
  for (const step of mutations) {
    const at = bytes.length === 0 ? 0 : step.at % bytes.length;
    switch (step.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = step.byte;
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(step.bytes), bytes.subarray(at)]);
        break;
      case 'shrapnel':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(step.piece.repeat(step.times), 'latin1'), bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + step.length)]);
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'duplicate':
        bytes = Buffer.concat([bytes.subarray(0, at + step.length), bytes.subarray(at)]);
        break;
      case 'splice': {
        const other = others.length > 0 ? others[step.other % others.length] : undefined;
        if (other && other.length > 0) bytes = Buffer.concat([bytes.subarray(0, at), other.subarray(step.from % other.length)]);
        break;
      }
    }
  }
  return bytes;
}
