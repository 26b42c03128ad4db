import { DecryptCommand, KMSClient, type DecryptCommandInput } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient, type GetSecretValueCommandInput } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { putGoogleCredentials, resealRefreshTokens } from '../../bin/cli/keys-commands.ts';
import { AesKeyWrapper, EnvelopeSealer } from '../../functions/adapters/crypto/envelope-sealer.ts';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { tokenContext } from '../../functions/adapters/google/google-calendar-access.ts';
import type { SealedSecret } from '../../functions/domain/security/secret-sealer.ts';
import { keysValue, parseKeysValue, TOKEN_KEY_ID, tokenSealingKey } from '../../functions/shared/keys-secret.ts';
import '../support/aws-mock-matchers.ts';
import { createTestTable } from '../support/dynamo.ts';
import { aesWrappedDataKey } from '../support/sealed-tokens.ts';

/**
 * The operator's commands on the keys secret: `refer google set` (Secrets Manager mocked) and
 * `refer tokens reseal` after an upgrade from the KMS-sealed tokens (KMS mocked, partners on
 * DynamoDB Local).
 */
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:LinkSigningKey-AbCdEf';
const CURRENT = 'C'.repeat(64);
const PREVIOUS = 'P'.repeat(64);
const LEGACY_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const secrets = mockClient(SecretsManagerClient);
const kms = mockClient(KMSClient);

function stages(values: Record<string, string>): void {
  secrets.reset();
  secrets.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => {
    const value = values[input.VersionStage ?? 'AWSCURRENT'];
    if (value === undefined) throw new ResourceNotFoundException({ message: 'no such stage', $metadata: {} });
    return { ARN: SECRET, SecretString: value };
  });
  secrets.on(PutSecretValueCommand).resolves({ ARN: SECRET, VersionId: 'v-2' });
}

const client = () => new SecretsManagerClient({ region: 'eu-west-1', credentials });
const put = () => parseKeysValue(secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input.SecretString ?? '');

describe('refer google set', () => {
  beforeEach(() => stages({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS }));

  it('puts the OAuth client as Google downloads it, keeping every key (a plain value becomes the document, its previous link key kept)', async () => {
    const downloaded = JSON.stringify({ web: { client_id: '1234-abc.apps.googleusercontent.com', client_secret: 'GOCSPX-secret', project_id: 'p', redirect_uris: [] } });
    const done = await putGoogleCredentials(client(), SECRET, { oauthClient: downloaded });

    expect(done).toEqual(['Google OAuth client 1234-abc.apps.googleusercontent.com']);
    expect(JSON.stringify(done)).not.toContain('GOCSPX');
    expect(secrets).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    expect(secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toMatchObject({ SecretId: SECRET });
    // No stage given: the new version becomes AWSCURRENT.
    expect(secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input.VersionStages).toBeUndefined();
    expect(put()).toEqual({ seed: CURRENT, linkKeys: [CURRENT, PREVIOUS], googleOAuthClient: { client_id: '1234-abc.apps.googleusercontent.com', client_secret: 'GOCSPX-secret' } });
    // The token key derived from the seed is the one the plain value gave: tokens sealed before still open.
    expect(tokenSealingKey(put()).key.equals(tokenSealingKey(parseKeysValue(CURRENT)).key)).toBe(true);
  });

  it('puts a service account key next to the OAuth client already there, keeping only the fields used', async () => {
    stages({ AWSCURRENT: keysValue({ seed: PREVIOUS, linkKeys: [CURRENT, PREVIOUS], googleOAuthClient: { client_id: 'id.apps.googleusercontent.com', client_secret: 's' } }) });
    const key = { type: 'service_account', client_email: 'booker@project.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----', private_key_id: 'x' };
    expect(await putGoogleCredentials(client(), SECRET, { serviceAccount: JSON.stringify(key) })).toEqual(['Google service account booker@project.iam.gserviceaccount.com']);
    expect(put()).toEqual({
      seed: PREVIOUS,
      linkKeys: [CURRENT, PREVIOUS],
      googleOAuthClient: { client_id: 'id.apps.googleusercontent.com', client_secret: 's' },
      googleServiceAccount: { client_email: key.client_email, private_key: key.private_key },
    });
  });

  it('refuses what is not a client or a key, or nothing at all, and writes nothing', async () => {
    await expect(putGoogleCredentials(client(), SECRET, {})).rejects.toThrow(/--oauth-client FILE, --service-account FILE/);
    await expect(putGoogleCredentials(client(), SECRET, { oauthClient: 'not json' })).rejects.toThrow(/OAuth client file .* is not JSON/);
    await expect(putGoogleCredentials(client(), SECRET, { oauthClient: JSON.stringify({ web: { client_id: 'x' } }) })).rejects.toThrow(/expected fields/);
    expect(secrets).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });
});

describe('refer tokens reseal', () => {
  let connection: DynamoConnection;
  let partners: DynamoPartnerStore;
  const dataKeys = new Map<string, Buffer>();

  /** A token as the KMS scheme sealed it: the data key wrapped by KMS (the mock hands it back), the token under it. */
  function kmsSealed(email: string, token: string): SealedSecret {
    const dataKey = randomBytes(32);
    const wrapped = Buffer.from(`kms-wrapped:${email}`).toString('base64');
    dataKeys.set(wrapped, dataKey);
    return { keyId: LEGACY_KEY, encryptedKey: wrapped, ...aesWrappedDataKey(dataKey, token, tokenContext(email)) };
  }

  async function connect(email: string, refreshToken: SealedSecret | null): Promise<void> {
    await partners.savePartner({ email, name: null, timeZone: 'Europe/London', createdAt: '2026-11-02T09:00:00.000Z' });
    await partners.connectCalendar(email, { status: 'connected', method: 'oauth', refreshToken, connectedAt: '2026-11-02T10:00:00.000Z', disconnectedAt: null, disconnectReason: null });
  }

  beforeEach(async () => {
    connection = await createTestTable();
    partners = new DynamoPartnerStore(connection);
    stages({ AWSCURRENT: keysValue({ seed: CURRENT, linkKeys: [CURRENT] }) });
    kms.reset();
    kms.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
      const dataKey = dataKeys.get(Buffer.from(input.CiphertextBlob as Uint8Array).toString('base64'));
      if (!dataKey || input.KeyId !== LEGACY_KEY || input.EncryptionContext?.purpose !== 'google-refresh-token') throw new Error('InvalidCiphertextException');
      return { KeyId: LEGACY_KEY, Plaintext: new Uint8Array(dataKey) };
    });
  });

  const reseal = () => resealRefreshTokens({ connection, secrets: client(), kms: new KMSClient({ region: 'eu-west-1', credentials }), keysSecretArn: SECRET });

  it('seals every KMS-sealed token again with the keys secret, so it opens without KMS; run again, it changes nothing', async () => {
    const key = tokenSealingKey(parseKeysValue(keysValue({ seed: CURRENT, linkKeys: [CURRENT] })));
    const sealer = new EnvelopeSealer(new AesKeyWrapper(key.id, key.key));
    await connect('ana@partner.test', kmsSealed('ana@partner.test', '1//ana-token'));
    await connect('bo@partner.test', await sealer.seal('1//bo-token', tokenContext('bo@partner.test')));
    await connect('cy@partner.test', null);

    expect(await reseal()).toEqual({ resealed: 1, current: 1, changedMeanwhile: 0 });

    const ana = (await partners.getPartner('ana@partner.test'))?.calendar;
    expect(ana?.refreshToken?.keyId).toBe(TOKEN_KEY_ID);
    expect(ana?.generation).toBe(1);
    expect(await sealer.open(ana?.refreshToken as SealedSecret, tokenContext('ana@partner.test'))).toBe('1//ana-token');
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 1);

    kms.resetHistory();
    expect(await reseal()).toEqual({ resealed: 0, current: 2, changedMeanwhile: 0 });
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 0);
  });

  it('never overwrites a connection that changed meanwhile (the partner reconnected)', async () => {
    await connect('ana@partner.test', kmsSealed('ana@partner.test', '1//ana-token'));
    const sealed = (await partners.getPartner('ana@partner.test'))?.calendar?.refreshToken as SealedSecret;
    expect(await partners.resealRefreshToken('ana@partner.test', 2, sealed)).toBe(false);
    expect(await partners.resealRefreshToken('ana@partner.test', 1, sealed)).toBe(true);
  });
});
