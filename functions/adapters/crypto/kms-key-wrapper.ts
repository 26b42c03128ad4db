import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyWrapper } from './envelope-sealer.ts';

/** AWS KMS wraps the data keys; the encryption context is enforced by KMS and logged by CloudTrail. */
export class KmsKeyWrapper implements KeyWrapper {
  constructor(
    private readonly kms: KMSClient,
    readonly keyId: string,
  ) {}

  async newDataKey(context: Readonly<Record<string, string>>): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const { Plaintext, CiphertextBlob } = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }));
    if (!Plaintext || !CiphertextBlob) throw new Error('KMS returned no data key');
    return { plaintext: Buffer.from(Plaintext), wrapped: Buffer.from(CiphertextBlob) };
  }

  async unwrap(wrapped: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer> {
    const { Plaintext } = await this.kms.send(new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: wrapped, EncryptionContext: { ...context } }));
    if (!Plaintext) throw new Error('KMS returned no plaintext');
    return Buffer.from(Plaintext);
  }
}
