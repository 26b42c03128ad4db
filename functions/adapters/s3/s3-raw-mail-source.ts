import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { RawMailMissingError, type RawMailSource } from '../../domain/capture/ports.ts';

/** Reads raw messages the SES receipt rule stored, by `s3://bucket/key` location. */
export class S3RawMailSource implements RawMailSource {
  constructor(private readonly s3: S3Client) {}

  async read(location: string): Promise<Buffer> {
    const { bucket, key } = parseS3Location(location);
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new RawMailMissingError(location);
      return Buffer.from(await object.Body.transformToByteArray());
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
