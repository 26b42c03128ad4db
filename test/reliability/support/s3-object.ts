import type { GetObjectCommandInput } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';

/** What GetObject answers for these bytes: the Range asked for (if any), as a view, like the SDK's body. */
export function s3ObjectOutput(bytes: Buffer, input: Pick<GetObjectCommandInput, 'Range'>) {
  const range = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
  const part = range ? bytes.subarray(Number(range[1]), Number(range[2]) + 1) : bytes;
  return {
    ContentLength: part.length,
    Body: Object.assign(Readable.from([part]), {
      transformToByteArray: () => Promise.resolve(new Uint8Array(part.buffer, part.byteOffset, part.byteLength)),
      transformToString: () => Promise.resolve(part.toString('utf8')),
      transformToWebStream: () => Readable.toWeb(Readable.from([part])),
    }),
  };
}
