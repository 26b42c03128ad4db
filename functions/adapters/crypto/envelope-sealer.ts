import { randomBytes } from 'node:crypto';
import type { SealedSecret, SecretSealer } from '../../domain/security/secret-sealer.ts';
import { contextBytes, decrypt, encrypt } from './aes-gcm.ts';

/** What wraps and unwraps data keys: a key from the stack's keys secret, a local key file, or (for older tokens) AWS KMS. */
export interface KeyWrapper {
  /** Stored with every sealed secret, so the wrapper that can open it is found again. */
  readonly keyId: string;
  /** A new 256-bit data key, in clear and wrapped. */
  newDataKey(context: Readonly<Record<string, string>>): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  unwrap(wrapped: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer>;
}

/**
 * Envelope encryption: each secret under its own data key, the data key under the sealing
 * wrapper's key. Opening picks the wrapper by the sealed secret's `keyId`: the sealing one, or one
 * of `alsoOpensWith` (keys that sealed older secrets and seal nothing new).
 */
export class EnvelopeSealer implements SecretSealer {
  private readonly openers: ReadonlyMap<string, KeyWrapper>;

  constructor(
    private readonly wrapper: KeyWrapper,
    alsoOpensWith: readonly KeyWrapper[] = [],
  ) {
    this.openers = new Map([...alsoOpensWith, wrapper].map((each) => [each.keyId, each]));
  }

  /** Whether `sealed` is sealed with an older key than the one that seals now (it opens, but should be sealed again). */
  isSealedWithOlderKey(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.wrapper.keyId;
  }

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
    const opener = this.openers.get(sealed.keyId);
    if (!opener) {
      throw new Error(
        `this secret is sealed with key ${sealed.keyId}, which this deployment does not have: deploy with -c legacyTokenKey=true and run npx refer tokens reseal (docs/deploy.md, "Upgrading"), or have the partner connect their calendar again`,
      );
    }
    const key = await opener.unwrap(Buffer.from(sealed.encryptedKey, 'base64'), context);
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

/** Data keys wrapped with AES-256-GCM under a 256-bit key held by this process (from the keys secret, or a local key file). */
export class AesKeyWrapper implements KeyWrapper {
  constructor(
    readonly keyId: string,
    private readonly masterKey: Buffer,
  ) {
    if (masterKey.length !== 32) throw new Error('a token wrapping key must be 32 bytes');
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

/** Local mode: the data keys are wrapped under a key kept in a local file (`.data/keys`). */
export class LocalKeyWrapper extends AesKeyWrapper {
  constructor(masterKey: Buffer) {
    super('local', masterKey);
  }
}
