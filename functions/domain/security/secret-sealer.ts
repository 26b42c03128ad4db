/**
 * Envelope encryption of secrets kept in the table (OAuth refresh tokens): AES-256-GCM under a
 * data key that is itself encrypted by a key-management key (AWS KMS, or a local key file in
 * local mode). `context` is bound to the ciphertext (KMS encryption context and GCM additional
 * data), so a sealed token copied onto another partner cannot be opened.
 */
export interface SealedSecret {
  /** Which key encrypted the data key (a KMS key ARN, or `local`). */
  readonly keyId: string;
  /** The data key, encrypted by that key (base64). */
  readonly encryptedKey: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

export interface SecretSealer {
  seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<SealedSecret>;
  open(sealed: SealedSecret, context: Readonly<Record<string, string>>): Promise<string>;
}
