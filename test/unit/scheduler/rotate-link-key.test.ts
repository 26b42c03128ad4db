import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type GetSecretValueCommandInput,
  type PutSecretValueCommandInput,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import '../../support/aws-mock-matchers.ts';
import {
  isUsableLinkKey,
  LINK_KEY_LENGTH,
  makeRotationHandler,
  randomLinkKey,
  RotationError,
} from '../../../functions/handlers/rotate-link-key.ts';
import { signToken, verifyToken } from '../../../functions/domain/links/signed-token.ts';
import { keysValue, linkKeysOf, parseKeysValue, tokenSealingKey } from '../../../functions/shared/keys-secret.ts';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:RefereLinkSigningKey-AbCdEf';
const OLD = 'v-old';
const NEW = 'v-new';
const OLD_KEY = 'A'.repeat(32) + 'b'.repeat(32);

/**
 * A Secrets Manager secret in memory, behind the mocked client: versions with their values and
 * staging labels, moved the way Secrets Manager moves them (a label lives on one version; moving
 * AWSCURRENT leaves AWSPREVIOUS on the version it left).
 */
class FakeSecret {
  readonly values = new Map<string, string>([[OLD, OLD_KEY]]);
  readonly stages = new Map<string, string[]>([[OLD, ['AWSCURRENT']]]);
  rotationEnabled = true;

  startRotation(token: string): void {
    // RotateSecret stages the new version id AWSPENDING before calling the function.
    this.label(token, 'AWSPENDING');
  }

  label(versionId: string, stage: string): void {
    for (const [id, labels] of this.stages) this.stages.set(id, labels.filter((label) => label !== stage));
    this.stages.set(versionId, [...(this.stages.get(versionId) ?? []), stage]);
  }

  versionWith(stage: string): string | undefined {
    return [...this.stages].find(([, labels]) => labels.includes(stage))?.[0];
  }
}

const secrets = mockClient(SecretsManagerClient);
let secret: FakeSecret;

function wire(): void {
  secrets.reset();
  secrets.on(DescribeSecretCommand).callsFake(() => ({
    ARN: SECRET,
    RotationEnabled: secret.rotationEnabled,
    VersionIdsToStages: Object.fromEntries([...secret.stages].filter(([, labels]) => labels.length > 0)),
  }));
  secrets.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => {
    const id = input.VersionId ?? secret.versionWith(input.VersionStage ?? 'AWSCURRENT');
    const value = id ? secret.values.get(id) : undefined;
    const staged = id ? (secret.stages.get(id) ?? []) : [];
    if (!id || value === undefined || (input.VersionStage && !staged.includes(input.VersionStage))) {
      throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value", $metadata: {} });
    }
    return { ARN: SECRET, VersionId: id, SecretString: value };
  });
  secrets.on(PutSecretValueCommand).callsFake((input: PutSecretValueCommandInput) => {
    const id = input.ClientRequestToken as string;
    if (secret.values.has(id) && secret.values.get(id) !== input.SecretString) throw new Error('a version cannot change its value');
    secret.values.set(id, input.SecretString as string);
    for (const stage of input.VersionStages ?? []) secret.label(id, stage);
    return { ARN: SECRET, VersionId: id };
  });
  secrets.on(UpdateSecretVersionStageCommand).callsFake((input: UpdateSecretVersionStageCommandInput) => {
    if (input.VersionStage === 'AWSCURRENT') {
      const previous = secret.versionWith('AWSCURRENT');
      if (previous !== input.RemoveFromVersionId) throw new Error('RemoveFromVersionId must name the current version');
      secret.label(input.MoveToVersionId as string, 'AWSCURRENT');
      if (previous) secret.label(previous, 'AWSPREVIOUS');
    }
    return { ARN: SECRET };
  });
}

const rotate = makeRotationHandler({ secrets: new SecretsManagerClient({ region: 'eu-west-1' }), logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
const step = (Step: string, ClientRequestToken = NEW) => rotate({ Step, SecretId: SECRET, ClientRequestToken });

beforeEach(() => {
  secret = new FakeSecret();
  wire();
  secret.startRotation(NEW);
});

/** The keys document a version holds (a plain value is the generated string of a stack never rotated since it held every key). */
const documentOf = (versionId: string) => parseKeysValue(secret.values.get(versionId) as string);
const OAUTH = { client_id: '1234-abc.apps.googleusercontent.com', client_secret: 'GOCSPX-test' };

describe('rotation of the link-signing key in the keys secret', () => {
  it('createSecret puts, as AWSPENDING, the document with a new random link key first and the current one kept, once', async () => {
    await step('createSecret');
    expect(secret.stages.get(NEW)).toEqual(['AWSPENDING']);
    const pending = documentOf(NEW);
    const [newKey, kept] = pending.linkKeys;
    expect(newKey).toMatch(/^[A-Za-z0-9]+$/);
    expect(newKey).toHaveLength(LINK_KEY_LENGTH);
    expect(newKey).not.toBe(OLD_KEY);
    expect(kept).toBe(OLD_KEY);
    // The generated value stays the seed: the token key it derives does not change.
    expect(pending.seed).toBe(OLD_KEY);
    expect(tokenSealingKey(pending).key.equals(tokenSealingKey(parseKeysValue(OLD_KEY)).key)).toBe(true);
    expect(secrets).toHaveReceivedCommandWith(PutSecretValueCommand, { SecretId: SECRET, ClientRequestToken: NEW, VersionStages: ['AWSPENDING'] });

    const written = secret.values.get(NEW);
    await step('createSecret'); // a retried step
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(1);
    expect(secret.values.get(NEW)).toBe(written);
    expect(secret.stages.get(OLD)).toEqual(['AWSCURRENT']);
  });

  it('keeps the Google credentials the operator put in the secret', async () => {
    secret.values.set(OLD, keysValue({ seed: OLD_KEY, linkKeys: [OLD_KEY], googleOAuthClient: OAUTH }));
    for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(name);
    expect(documentOf(NEW)).toMatchObject({ seed: OLD_KEY, googleOAuthClient: OAUTH, linkKeys: [expect.any(String), OLD_KEY] });
  });

  it('never rotates over a value that is not a keys document (its seed seals the refresh tokens)', async () => {
    secret.values.set(OLD, '{"not": "keys"}');
    await expect(step('createSecret')).rejects.toThrow(/not a keys document/);
    secret.values.set(OLD, 'short');
    await expect(step('createSecret')).rejects.toThrow(RotationError);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('setSecret changes nothing anywhere', async () => {
    await step('createSecret');
    secrets.resetHistory();
    await step('setSecret');
    await step('setSecret');
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('testSecret accepts a usable new key and refuses a weak or unchanged one, a dropped previous key or any other change', async () => {
    await step('createSecret');
    await step('testSecret');
    await step('testSecret');
    const fresh = 'N'.repeat(64);

    secret.values.set(NEW, 'short1');
    await expect(step('testSecret')).rejects.toThrow(RotationError);
    secret.values.set(NEW, keysValue({ seed: OLD_KEY, linkKeys: [OLD_KEY, OLD_KEY] }));
    await expect(step('testSecret')).rejects.toThrow(/current key/);
    secret.values.set(NEW, keysValue({ seed: OLD_KEY, linkKeys: [fresh] }));
    await expect(step('testSecret')).rejects.toThrow(/previous one/);
    secret.values.set(NEW, keysValue({ seed: 'S'.repeat(64), linkKeys: [fresh, OLD_KEY] }));
    await expect(step('testSecret')).rejects.toThrow(/changes more than the link key/);
    secret.values.set(NEW, keysValue({ seed: OLD_KEY, linkKeys: [fresh, OLD_KEY] }));
    await step('testSecret');
  });

  it('finishSecret makes the new value current, once, unless the current value changed since it was created', async () => {
    await step('createSecret');
    await step('testSecret');
    // `refer google set` between testSecret and finishSecret: the pending value would drop the client.
    const current = secret.values.get(OLD) as string;
    secret.values.set(OLD, keysValue({ seed: OLD_KEY, linkKeys: [OLD_KEY], googleOAuthClient: OAUTH }));
    await expect(step('finishSecret')).rejects.toThrow(/changes more than the link key/);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    secret.values.set(OLD, current);

    await step('finishSecret');
    expect(secret.stages.get(NEW)).toEqual(['AWSPENDING', 'AWSCURRENT']);
    expect(secret.stages.get(OLD)).toEqual(['AWSPREVIOUS']);
    expect(secrets).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: SECRET,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: NEW,
      RemoveFromVersionId: OLD,
    });

    await step('finishSecret'); // already current: nothing more
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
    expect(secret.stages.get(OLD)).toEqual(['AWSPREVIOUS']);
  });

  it('a whole rotation with every step run twice ends like one: a link signed before still verifies with the kept key', async () => {
    const link = signToken({ action: 'rebook', subject: 'intro-1', expiresAt: 2_000_000_000 }, Buffer.from(OLD_KEY));
    for (const name of ['createSecret', 'createSecret', 'setSecret', 'setSecret', 'testSecret', 'testSecret', 'finishSecret', 'finishSecret']) {
      await step(name);
    }
    const keys = linkKeysOf(documentOf(secret.versionWith('AWSCURRENT') as string));
    expect(keys.signingKey.toString()).not.toBe(OLD_KEY);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(verifyToken(link, keys.signingKey, 'rebook', now).valid).toBe(false);
    expect(verifyToken(link, keys.verificationKeys, 'rebook', now).valid).toBe(true);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(1);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
  });

  it('the next rotation drops the oldest key, keeps the one it replaces, and never changes the seed', async () => {
    for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(name);
    const first = documentOf(NEW).linkKeys[0];
    const second = 'v-newer';
    secret.startRotation(second);
    for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(name, second);
    expect(secret.versionWith('AWSCURRENT')).toBe(second);
    const document = documentOf(second);
    expect(document.linkKeys).toEqual([expect.not.stringMatching(first), first]);
    expect(document.seed).toBe(OLD_KEY);
  });

  it('refuses to act without rotation enabled, on an unknown version, or on one not staged AWSPENDING', async () => {
    await expect(step('createSecret', 'v-unknown')).rejects.toThrow(/does not exist/);
    secret.stages.set('v-other', ['SOMETHING']);
    secret.values.set('v-other', OLD_KEY);
    await expect(step('createSecret', 'v-other')).rejects.toThrow(/AWSPENDING/);
    secret.rotationEnabled = false;
    await expect(step('createSecret')).rejects.toThrow(/not enabled/);
    await expect(rotate({ Step: 'dance', SecretId: SECRET, ClientRequestToken: NEW })).rejects.toThrow(/not a Secrets Manager rotation event/);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('keys', () => {
  it('generates distinct letter-and-digit keys that sign and verify links', () => {
    const keys = new Set(Array.from({ length: 50 }, () => randomLinkKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(isUsableLinkKey(key)).toBe(true);
    expect(isUsableLinkKey('a'.repeat(47))).toBe(false);
    expect(isUsableLinkKey(`${'a'.repeat(47)} `)).toBe(false);
    expect(randomLinkKey(80)).toHaveLength(80);
  });
});
