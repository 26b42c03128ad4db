import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient, type GetSecretValueCommandInput } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { signToken, verifyToken } from '../../functions/domain/links/signed-token.ts';
import { readLinkKeys } from '../../functions/shared/booking-runtime.ts';

/**
 * The link keys on AWS: links are signed with the secret's AWSCURRENT version and verify with it or
 * the AWSPREVIOUS version (the key rotates every 30 days). Secrets Manager is mocked; the stages
 * are what GetSecretValue answers for each VersionStage.
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

describe('readLinkKeys', () => {
  beforeEach(() => secrets.reset());

  it('after a rotation: signs with AWSCURRENT, verifies with AWSCURRENT and AWSPREVIOUS, in that order', async () => {
    stages({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS });
    const keys = await readLinkKeys(new SecretsManagerClient({}), SECRET);
    expect(keys.signingKey.toString()).toBe(CURRENT);
    expect(keys.verificationKeys.map((key) => key.toString())).toEqual([CURRENT, PREVIOUS]);
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual(
      expect.arrayContaining([{ SecretId: SECRET }, { SecretId: SECRET, VersionStage: 'AWSPREVIOUS' }]),
    );
    expect(verifies(keys.verificationKeys, CURRENT)).toBe(true);
    expect(verifies(keys.verificationKeys, PREVIOUS)).toBe(true);
    expect(verifies(keys.verificationKeys, 'X'.repeat(64))).toBe(false);
  });

  it('before the first rotation there is no previous version: one key', async () => {
    stages({ AWSCURRENT: CURRENT });
    const keys = await readLinkKeys(new SecretsManagerClient({}), SECRET);
    expect(keys.verificationKeys.map((key) => key.toString())).toEqual([CURRENT]);
    expect(verifies(keys.verificationKeys, PREVIOUS)).toBe(false);
  });

  it('ignores a previous value that is no key (too short, or the same as the current one)', async () => {
    for (const previous of ['short', CURRENT]) {
      stages({ AWSCURRENT: CURRENT, AWSPREVIOUS: previous });
      expect((await readLinkKeys(new SecretsManagerClient({}), SECRET)).verificationKeys).toHaveLength(1);
    }
  });

  it('any other failure is not swallowed', async () => {
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    await expect(readLinkKeys(new SecretsManagerClient({}), SECRET)).rejects.toThrow('AccessDeniedException');
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
