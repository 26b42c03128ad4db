import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { RawMailMissingError, type RawMailSource } from '../../domain/capture/ports.ts';

/** Reads raw messages the SES receipt rule stored, by `s3://bucket/key` location. */
export class S3RawMailSource implements RawMailSource {
  constructor(private readonly s3: S3Client) {}

  async read(location: string, options: { readonly maxBytes?: number } = {}): Promise<Buffer> {
    const { bucket, key } = parseS3Location(location);
    // A range beyond the end of the object returns the whole object (a shorter one is fine).
    const range = options.maxBytes === undefined ? {} : { Range: `bytes=0-${options.maxBytes - 1}` };
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...range }));
      if (!object.Body) throw new RawMailMissingError(location);
      const bytes = await object.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (error instanceof NoSuchKey) throw new RawMailMissingError(location);
      throw error;
    }
  }
}

export function s3Location(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseS3Location(location: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]) throw new Error(`not an S3 location: ${location}`);
  return { bucket: match[1], key: match[2] };
}
