import { contextBytes, encrypt } from '../../functions/adapters/crypto/aes-gcm.ts';

/** The AES-GCM part of a sealed secret for a given data key (how a token sealed by the KMS scheme looks, minus its wrapped key). */
export function aesWrappedDataKey(dataKey: Buffer, plaintext: string, context: Readonly<Record<string, string>>): { iv: string; ciphertext: string; tag: string } {
  const sealed = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), contextBytes(context));
  return { iv: sealed.iv.toString('base64'), ciphertext: sealed.ciphertext.toString('base64'), tag: sealed.tag.toString('base64') };
}
