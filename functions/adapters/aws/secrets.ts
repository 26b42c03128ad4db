import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isPlainKeysValue, parseKeysValue, type KeysDocument } from '../../shared/keys-secret.ts';

/** A secret's string value. Read once per cold start by the caller; never logged. */
export async function secretString(client: SecretsManagerClient, secretId: string): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new Error(`secret ${secretId} has no value yet; set it as the README describes`);
  return SecretString;
}

/**
 * The stack's keys secret as a document (`functions/shared/keys-secret.ts`): one call, or two for
 * a plain value that may have an `AWSPREVIOUS` link key.
 */
export async function readKeysDocument(client: SecretsManagerClient, secretId: string): Promise<KeysDocument> {
  const current = await secretString(client, secretId);
  return parseKeysValue(current, isPlainKeysValue(current) ? await previousSecretString(client, secretId) : null);
}

async function previousSecretString(client: SecretsManagerClient, secretId: string): Promise<string | null> {
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' }));
    return SecretString ?? null;
  } catch (error) {
    // No version carries the label yet (never rotated).
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
}
