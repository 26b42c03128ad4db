import { randomBytes } from 'node:crypto';
import type { SealedSecret, SecretSealer } from '../../domain/security/secret-sealer.ts';
import { contextBytes, decrypt, encrypt } from './aes-gcm.ts';

/** What wraps and unwraps data keys: AWS KMS, or a local key file. */
export interface KeyWrapper {
  readonly keyId: string;
  /** A new 256-bit data key, in clear and wrapped. */
  newDataKey(context: Readonly<Record<string, string>>): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  unwrap(wrapped: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer>;
}

/** Envelope encryption: each secret under its own data key, the data key under the wrapper's key. */
export class EnvelopeSealer implements SecretSealer {
  constructor(private readonly wrapper: KeyWrapper) {}

  async seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<SealedSecret> {
    const dataKey = await this.wrapper.newDataKey(context);
    try {
      const sealed = encrypt(dataKey.plaintext, Buffer.from(plaintext, 'utf8'), contextBytes(context));
      return {
        keyId: this.wrapper.keyId,
        encryptedKey: dataKey.wrapped.toString('base64'),
        iv: sealed.iv.toString('base64'),
        ciphertext: sealed.ciphertext.toString('base64'),
        tag: sealed.tag.toString('base64'),
      };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  async open(sealed: SealedSecret, context: Readonly<Record<string, string>>): Promise<string> {
    const key = await this.wrapper.unwrap(Buffer.from(sealed.encryptedKey, 'base64'), context);
    try {
      const plaintext = decrypt(
        key,
        { iv: Buffer.from(sealed.iv, 'base64'), ciphertext: Buffer.from(sealed.ciphertext, 'base64'), tag: Buffer.from(sealed.tag, 'base64') },
        contextBytes(context),
      );
      return plaintext.toString('utf8');
    } finally {
      key.fill(0);
    }
  }
}

/** Local mode: the data keys are wrapped with AES-256-GCM under a key kept in a local file. */
export class LocalKeyWrapper implements KeyWrapper {
  readonly keyId = 'local';

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the local token key must be 32 bytes');
  }

  newDataKey(context: Readonly<Record<string, string>>): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const plaintext = randomBytes(32);
    const wrapped = encrypt(this.masterKey, plaintext, contextBytes(context));
    return Promise.resolve({ plaintext, wrapped: Buffer.concat([wrapped.iv, wrapped.tag, wrapped.ciphertext]) });
  }

  unwrap(wrapped: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer> {
    const iv = wrapped.subarray(0, 12);
    const tag = wrapped.subarray(12, 28);
    const ciphertext = wrapped.subarray(28);
    return Promise.resolve(decrypt(this.masterKey, { iv, tag, ciphertext }, contextBytes(context)));
  }
}
