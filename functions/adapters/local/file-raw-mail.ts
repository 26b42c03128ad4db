import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RawMailMissingError, type RawMailSource } from '../../domain/capture/ports.ts';

/** Local mode's stand-in for the raw-mail bucket: one .eml file per delivery, kept. */
export class FileRawMailStore implements RawMailSource {
  constructor(private readonly directory: string) {}

  async store(deliveryId: string, raw: Buffer): Promise<string> {
    await mkdir(this.directory, { recursive: true });
    const path = join(this.directory, `${deliveryId}.eml`);
    await writeFile(path, raw);
    return path;
  }

  async read(location: string, options: { readonly maxBytes?: number } = {}): Promise<Buffer> {
    try {
      if (options.maxBytes === undefined) return await readFile(location);
      const file = await open(location, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(options.maxBytes, (await file.stat()).size));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RawMailMissingError(location);
      throw error;
    }
  }
}
