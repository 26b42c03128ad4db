import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { z } from 'zod';

/** A secret's string value. Read once per cold start by the caller; never logged. */
export async function secretString(client: SecretsManagerClient, secretId: string): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new Error(`secret ${secretId} has no value yet; set it as the README describes`);
  return SecretString;
}

/** A JSON secret checked against its schema, with a message that says which secret is wrong. */
export async function secretJson<T extends z.ZodType>(client: SecretsManagerClient, secretId: string, schema: T): Promise<z.infer<T>> {
  const text = await secretString(client, secretId);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`secret ${secretId} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`secret ${secretId} does not have the expected fields (${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')})`);
  return parsed.data;
}
