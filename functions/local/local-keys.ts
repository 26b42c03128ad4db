import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Local mode's stand-ins for Secrets Manager and KMS: random keys in `.data/keys/`, created on
 * first use, readable by the owner only. Deleting them invalidates links and stored calendar grants.
 */
export interface LocalKeys {
  /** Signs one-click links (HMAC-SHA256). */
  readonly linkSigning: Buffer;
  /** Wraps the data keys that seal refresh tokens. */
  readonly tokenWrapping: Buffer;
}

export async function loadLocalKeys(dataDirectory: string): Promise<LocalKeys> {
  const directory = join(dataDirectory, 'keys');
  return {
    linkSigning: await keyFile(join(directory, 'link-signing.key')),
    tokenWrapping: await keyFile(join(directory, 'token-wrapping.key')),
  };
}

async function keyFile(path: string): Promise<Buffer> {
  try {
    const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
    if (key.length === 32) return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // `wx`: if another process created it meanwhile, use theirs.
  try {
    await writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
  }
}
