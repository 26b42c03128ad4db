import { DecryptCommand, KMSClient, type DecryptCommandInput } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient, type GetSecretValueCommandInput } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { readKeysDocument } from '../../functions/adapters/aws/secrets.ts';
import { aesWrappedDataKey } from '../support/sealed-tokens.ts';
import { AesKeyWrapper, EnvelopeSealer } from '../../functions/adapters/crypto/envelope-sealer.ts';
import { KmsKeyWrapper } from '../../functions/adapters/crypto/kms-key-wrapper.ts';
import { tokenContext } from '../../functions/adapters/google/google-calendar-access.ts';
import { signToken, verifyToken } from '../../functions/domain/links/signed-token.ts';
import { keysValue, linkKeysOf, parseKeysValue, TOKEN_KEY_ID, tokenSealingKey } from '../../functions/shared/keys-secret.ts';

/**
 * The keys secret on AWS (`functions/shared/keys-secret.ts`): links are signed with its first link
 * key and verify with both; refresh tokens are sealed with a key derived from its seed. Secrets
 * Manager and KMS are mocked; the stages are what GetSecretValue answers for each VersionStage.
 */
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:LinkSigningKey-AbCdEf';
const CURRENT = 'C'.repeat(64);
const PREVIOUS = 'P'.repeat(64);
const secrets = mockClient(SecretsManagerClient);

function stages(values: Record<string, string>): void {
  secrets.reset();
  secrets.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => {
    const value = values[input.VersionStage ?? 'AWSCURRENT'];
    if (value === undefined) throw new ResourceNotFoundException({ message: `Secrets Manager can't find the specified secret value for staging label: ${input.VersionStage}`, $metadata: {} });
    return { ARN: SECRET, SecretString: value };
  });
}

const token = (key: string) => signToken({ action: 'rebook', subject: 'intro-1', expiresAt: 4_102_444_800 }, Buffer.from(key));
const verifies = (keys: readonly Buffer[], key: string) => verifyToken(token(key), keys, 'rebook', new Date('2026-11-24T09:00:00Z')).valid;
const read = async () => readKeysDocument(new SecretsManagerClient({}), SECRET);

describe('link keys from the keys secret', () => {
  beforeEach(() => secrets.reset());

  it('a document: signs with its first link key, verifies with both, in one read', async () => {
    stages({ AWSCURRENT: keysValue({ seed: PREVIOUS, linkKeys: [CURRENT, PREVIOUS] }), AWSPREVIOUS: 'X'.repeat(64) });
    const keys = linkKeysOf(await read());
    expect(keys.signingKey.toString()).toBe(CURRENT);
    expect(keys.verificationKeys.map((key) => key.toString())).toEqual([CURRENT, PREVIOUS]);
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET }]);
    expect(verifies(keys.verificationKeys, CURRENT)).toBe(true);
    expect(verifies(keys.verificationKeys, PREVIOUS)).toBe(true);
    expect(verifies(keys.verificationKeys, 'X'.repeat(64))).toBe(false);
  });

  it('the plain value of a stack rotated by the older rotation function: AWSCURRENT signs, AWSPREVIOUS still verifies', async () => {
    stages({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS });
    const keys = linkKeysOf(await read());
    expect(keys.signingKey.toString()).toBe(CURRENT);
    expect(keys.verificationKeys.map((key) => key.toString())).toEqual([CURRENT, PREVIOUS]);
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual(
      expect.arrayContaining([{ SecretId: SECRET }, { SecretId: SECRET, VersionStage: 'AWSPREVIOUS' }]),
    );
  });

  it('a plain value never rotated has one key; a previous value that is no key (too short, the same) is left out', async () => {
    stages({ AWSCURRENT: CURRENT });
    expect(linkKeysOf(await read()).verificationKeys).toHaveLength(1);
    for (const previous of ['short', CURRENT]) {
      stages({ AWSCURRENT: CURRENT, AWSPREVIOUS: previous });
      expect(linkKeysOf(await read()).verificationKeys).toHaveLength(1);
    }
  });

  it('a value that is neither says what is wrong; any other failure is not swallowed', async () => {
    stages({ AWSCURRENT: '{"seed": "x"}' });
    await expect(read()).rejects.toThrow(/expected fields \(seed, linkKeys\)/);
    stages({ AWSCURRENT: 'short' });
    await expect(read()).rejects.toThrow(/at least 48 letters and digits/);
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    await expect(read()).rejects.toThrow('AccessDeniedException');
  });
});

describe('the refresh-token key derived from the seed', () => {
  const context = tokenContext('ana@example.com');

  it('is 256 bits, the same for the same seed whatever the link keys, and different from them and for another seed', () => {
    const plain = tokenSealingKey(parseKeysValue(CURRENT));
    const rotated = tokenSealingKey(parseKeysValue(keysValue({ seed: CURRENT, linkKeys: ['N'.repeat(64), CURRENT] })));
    expect(plain).toEqual({ id: TOKEN_KEY_ID, key: rotated.key });
    expect(plain.key).toHaveLength(32);
    expect(plain.key.equals(Buffer.from(CURRENT).subarray(0, 32))).toBe(false);
    expect(tokenSealingKey(parseKeysValue(PREVIOUS)).key.equals(plain.key)).toBe(false);
  });

  it('seals a token that opens for its partner only, with the key id stored', async () => {
    const key = tokenSealingKey(parseKeysValue(CURRENT));
    const sealer = new EnvelopeSealer(new AesKeyWrapper(key.id, key.key));
    const sealed = await sealer.seal('1//refresh-token', context);
    expect(sealed.keyId).toBe(TOKEN_KEY_ID);
    expect(JSON.stringify(sealed)).not.toContain('refresh-token');
    expect(await sealer.open(sealed, context)).toBe('1//refresh-token');
    await expect(sealer.open(sealed, tokenContext('bob@example.com'))).rejects.toThrow();
  });

  it('opens a token sealed by the legacy KMS key only while that key is given, and says what to do otherwise', async () => {
    const kms = mockClient(KMSClient);
    const legacyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const dataKey = randomBytes(32);
    // What KMS returned as the wrapped data key is opaque to us; the mock unwraps a marker.
    kms.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
      expect(input).toMatchObject({ KeyId: legacyArn, EncryptionContext: context });
      return { Plaintext: new Uint8Array(dataKey) };
    });
    const legacySealed = { keyId: legacyArn, encryptedKey: Buffer.from('wrapped-by-kms').toString('base64'), ...aesWrappedDataKey(dataKey, '1//old-token', context) };
    const key = tokenSealingKey(parseKeysValue(CURRENT));
    const withLegacy = new EnvelopeSealer(new AesKeyWrapper(key.id, key.key), [new KmsKeyWrapper(new KMSClient({}), legacyArn)]);
    expect(await withLegacy.open(legacySealed, context)).toBe('1//old-token');
    expect(withLegacy.isSealedWithOlderKey(legacySealed)).toBe(true);
    const without = new EnvelopeSealer(new AesKeyWrapper(key.id, key.key));
    await expect(without.open(legacySealed, context)).rejects.toThrow(/legacyTokenKey=true and run npx refer tokens reseal/);
    kms.restore();
  });
});

describe('verifyToken with several keys', () => {
  it('tries each key; none given is a programming error; every key must be long enough', () => {
    expect(verifies([Buffer.from(PREVIOUS), Buffer.from(CURRENT)], CURRENT)).toBe(true);
    expect(verifyToken(token(CURRENT), Buffer.from(CURRENT), 'rebook', new Date(0)).valid).toBe(true);
    expect(() => verifyToken(token(CURRENT), [], 'rebook', new Date(0))).toThrow('no link verification keys');
    expect(() => verifyToken(token(CURRENT), [Buffer.from(CURRENT), Buffer.from('short')], 'rebook', new Date(0))).toThrow('at least 32 bytes');
    // A match with any key still has to be for this action and unexpired.
    expect(verifyToken(token(PREVIOUS), [Buffer.from(CURRENT), Buffer.from(PREVIOUS)], 'answer', new Date(0))).toEqual({ valid: false, reason: 'wrong_action' });
  });
});
