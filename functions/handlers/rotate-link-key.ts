import { randomInt } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { MIN_SIGNING_KEY_BYTES, signToken, verifyToken } from '../domain/links/signed-token.ts';
import { KeysSecretError, keysValue, LINK_KEY_PATTERN, MIN_LINK_KEY_LENGTH, parseKeysValue, type KeysDocument } from '../shared/keys-secret.ts';
import { logger as defaultLogger, type LogSink } from '../shared/logger.ts';

/**
 * Secrets Manager rotation of the link-signing key (the HMAC key of one-click links) in the
 * stack's keys secret (`functions/shared/keys-secret.ts`).
 *
 * Secrets Manager calls the function four times per rotation, with the version id of the new
 * value as `ClientRequestToken`:
 * 1. `createSecret` puts, as that version staged `AWSPENDING`, the current document with a new
 *    random link key first and the current one after it; the token key's seed and the Google
 *    credentials are kept as they are (a plain value of an older stack becomes a document whose
 *    seed is that value, so the token key does not change);
 * 2. `setSecret` has nothing to do: the keys are not held by any other system;
 * 3. `testSecret` checks the pending document: a usable new link key, the current one kept as
 *    the previous, everything else unchanged;
 * 4. `finishSecret` moves `AWSCURRENT` to the new version.
 * Every step is idempotent (Secrets Manager retries steps): a step that finds its work done does
 * nothing. Links are signed with the first link key and verified with both, so a rotation never
 * breaks a link that lives shorter than the rotation period.
 */

/** Characters of a generated key: letters and digits, as the stack's generated key. */
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Length of a generated key (about 381 bits); a longer current key keeps its length. */
export const LINK_KEY_LENGTH = 64;

export { MIN_LINK_KEY_LENGTH };

const rotationEventSchema = z.object({
  Step: z.enum(['createSecret', 'setSecret', 'testSecret', 'finishSecret']),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
});

export type RotationEvent = z.infer<typeof rotationEventSchema>;

export interface RotationDependencies {
  readonly secrets: SecretsManagerClient;
  readonly logger?: LogSink;
  /** A new key of the given length; random letters and digits unless a test says otherwise. */
  readonly newKey?: (length: number) => string;
}

export class RotationError extends Error {
  override readonly name = 'RotationError';
}

/** Whether a value can sign and verify links: letters and digits only, at least the stack's minimum length. */
export function isUsableLinkKey(value: string): boolean {
  if (!LINK_KEY_PATTERN.test(value) || value.length < MIN_LINK_KEY_LENGTH) return false;
  const key = Buffer.from(value, 'utf8');
  if (key.length < MIN_SIGNING_KEY_BYTES) return false;
  const now = new Date(0);
  const token = signToken({ action: 'connect_calendar', subject: 'rotation-test', expiresAt: 60 }, key);
  return verifyToken(token, key, 'connect_calendar', now).valid;
}

export function randomLinkKey(length: number = LINK_KEY_LENGTH): string {
  let key = '';
  for (let index = 0; index < length; index += 1) key += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return key;
}

export function makeRotationHandler(dependencies: RotationDependencies) {
  const { secrets } = dependencies;
  const log = dependencies.logger ?? defaultLogger;
  const newKey = dependencies.newKey ?? randomLinkKey;

  const value = async (SecretId: string, selector: { VersionId?: string; VersionStage: string }): Promise<string> => {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId, ...selector }));
    if (!SecretString) throw new RotationError(`the ${selector.VersionStage} version has no string value`);
    return SecretString;
  };

  /** The document a value holds; a value that is none is never rotated over (its seed seals the refresh tokens). */
  const documentOf = (text: string, stage: string): KeysDocument => {
    try {
      return parseKeysValue(text);
    } catch (error) {
      if (error instanceof KeysSecretError) throw new RotationError(`the ${stage} value is not a keys document (${error.message}); it is left as it is`);
      throw error;
    }
  };

  /** The pending value: a usable new link key, the current one kept after it, nothing else changed. */
  const checkPending = async (SecretId: string, ClientRequestToken: string): Promise<void> => {
    const pending = documentOf(await value(SecretId, { VersionId: ClientRequestToken, VersionStage: 'AWSPENDING' }), 'AWSPENDING');
    const current = documentOf(await value(SecretId, { VersionStage: 'AWSCURRENT' }), 'AWSCURRENT');
    const [pendingKey, keptKey] = pending.linkKeys;
    if (!isUsableLinkKey(pendingKey)) {
      throw new RotationError(`the pending key is not usable: it needs at least ${MIN_LINK_KEY_LENGTH} letters and digits`);
    }
    if (pendingKey === current.linkKeys[0]) throw new RotationError('the pending key is the current key: a rotation must produce a new key');
    if (keptKey !== current.linkKeys[0]) throw new RotationError('the pending value does not keep the current key as the previous one: links signed with it would stop working');
    const besidesLinkKeys = (document: KeysDocument) => JSON.stringify({ ...document, linkKeys: [] });
    if (besidesLinkKeys(pending) !== besidesLinkKeys(current)) {
      throw new RotationError(
        'the pending value changes more than the link key (the token key seed or the Google credentials changed since it was created); the current value stays, and the next rotation starts again from it',
      );
    }
  };

  const steps = {
    async createSecret({ SecretId, ClientRequestToken }: RotationEvent): Promise<void> {
      const current = documentOf(await value(SecretId, { VersionStage: 'AWSCURRENT' }), 'AWSCURRENT');
      try {
        await value(SecretId, { VersionId: ClientRequestToken, VersionStage: 'AWSPENDING' });
        log.info('rotation: pending key already created', { step: 'createSecret' });
        return;
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      const [currentKey] = current.linkKeys;
      const length = Math.max(LINK_KEY_LENGTH, currentKey.length);
      const pending = keysValue({ ...current, linkKeys: [newKey(length), currentKey] });
      await secrets.send(new PutSecretValueCommand({ SecretId, ClientRequestToken, SecretString: pending, VersionStages: ['AWSPENDING'] }));
      log.info('rotation: pending key created', { step: 'createSecret' });
    },

    setSecret(): Promise<void> {
      // The key lives only in this secret: no database or third party has to be told about it.
      log.info('rotation: nothing to set', { step: 'setSecret' });
      return Promise.resolve();
    },

    async testSecret({ SecretId, ClientRequestToken }: RotationEvent): Promise<void> {
      await checkPending(SecretId, ClientRequestToken);
      log.info('rotation: pending key tested', { step: 'testSecret' });
    },

    async finishSecret({ SecretId, ClientRequestToken }: RotationEvent, versions: Record<string, string[]>): Promise<void> {
      // Again: `refer google set` may have changed the current value since testSecret.
      await checkPending(SecretId, ClientRequestToken);
      const currentVersion = Object.entries(versions).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
      await secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: ClientRequestToken,
          ...(currentVersion ? { RemoveFromVersionId: currentVersion } : {}),
        }),
      );
      log.info('rotation: new key is current', { step: 'finishSecret' });
    },
  };

  return async (event: unknown): Promise<void> => {
    const parsed = rotationEventSchema.safeParse(event);
    if (!parsed.success) throw new RotationError('not a Secrets Manager rotation event');
    const request = parsed.data;
    const metadata = await secrets.send(new DescribeSecretCommand({ SecretId: request.SecretId }));
    if (!metadata.RotationEnabled) throw new RotationError('rotation is not enabled on this secret');
    const versions = metadata.VersionIdsToStages ?? {};
    const stages = versions[request.ClientRequestToken];
    if (!stages) throw new RotationError('the version being rotated to does not exist on the secret');
    if (stages.includes('AWSCURRENT')) {
      // finishSecret already ran (or this is a retry of any step after it): nothing left to do.
      log.info('rotation: version is already current', { step: request.Step });
      return;
    }
    if (!stages.includes('AWSPENDING')) throw new RotationError('the version being rotated to is not staged AWSPENDING');

    switch (request.Step) {
      case 'createSecret':
        return steps.createSecret(request);
      case 'setSecret':
        return steps.setSecret();
      case 'testSecret':
        return steps.testSecret(request);
      case 'finishSecret':
        return steps.finishSecret(request, versions);
    }
  };
}

export const handler = makeRotationHandler({ secrets: new SecretsManagerClient({}) });
