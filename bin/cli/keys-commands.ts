import { KMSClient } from '@aws-sdk/client-kms';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { readKeysDocument } from '../../functions/adapters/aws/secrets.ts';
import { AesKeyWrapper, EnvelopeSealer } from '../../functions/adapters/crypto/envelope-sealer.ts';
import { KmsKeyWrapper } from '../../functions/adapters/crypto/kms-key-wrapper.ts';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { tokenContext } from '../../functions/adapters/google/google-calendar-access.ts';
import { googleOAuthClientSchema, googleServiceAccountSchema } from '../../functions/shared/booking-config.ts';
import { keysValue, tokenSealingKey, type KeysDocument } from '../../functions/shared/keys-secret.ts';

/**
 * The operator's commands on the stack's keys secret (`functions/shared/keys-secret.ts`):
 * `refer google set` puts the Google credentials in it, `refer tokens reseal` seals refresh tokens
 * sealed by the retired KMS key again with the secret's token key. Neither prints a secret.
 */

/** An OAuth client as Google's console downloads it (`{"web": {...}}`), or just its two fields. */
const downloadedOAuthClientSchema = z.union([
  z.object({ web: googleOAuthClientSchema }).transform((value) => value.web),
  z.object({ installed: googleOAuthClientSchema }).transform((value) => value.installed),
  googleOAuthClientSchema,
]);

export interface GoogleCredentialsInput {
  /** The OAuth client JSON file's content. */
  readonly oauthClient?: string;
  /** The service account key JSON file's content. */
  readonly serviceAccount?: string;
}

/**
 * Puts the given Google credentials in the keys secret as a new current version, keeping every
 * key (a plain value of an older stack becomes the document, with its previous link key). Returns
 * what was put, without secrets.
 */
export async function putGoogleCredentials(secrets: SecretsManagerClient, secretId: string, input: GoogleCredentialsInput): Promise<string[]> {
  if (input.oauthClient === undefined && input.serviceAccount === undefined) throw new CliInputError('give --oauth-client FILE, --service-account FILE, or both');
  const changes: Partial<KeysDocument> = {};
  const done: string[] = [];
  if (input.oauthClient !== undefined) {
    const client = parseJsonFile(input.oauthClient, downloadedOAuthClientSchema, 'the OAuth client file (Google Cloud console → Credentials → the client → Download JSON)');
    changes.googleOAuthClient = { client_id: client.client_id, client_secret: client.client_secret };
    done.push(`Google OAuth client ${client.client_id}`);
  }
  if (input.serviceAccount !== undefined) {
    const key = parseJsonFile(input.serviceAccount, googleServiceAccountSchema, 'the service account key file (Google Cloud console → IAM → Service accounts → Keys → Add key → JSON)');
    changes.googleServiceAccount = { client_email: key.client_email, private_key: key.private_key };
    done.push(`Google service account ${key.client_email}`);
  }
  const document = await readKeysDocument(secrets, secretId);
  await secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: keysValue({ ...document, ...changes }) }));
  return done;
}

export interface ResealReport {
  readonly resealed: number;
  /** Partners whose connection changed while resealing (they reconnected: their new token is sealed already). */
  readonly changedMeanwhile: number;
  /** Tokens already sealed with the keys secret. */
  readonly current: number;
}

/**
 * Seals again, with the keys secret's token key, every refresh token sealed with another key (the
 * customer managed KMS key of older stacks, named by the token's key id). Idempotent: a token
 * already sealed with the secret's key is left alone, and a connection that changed meanwhile is
 * not overwritten.
 */
export async function resealRefreshTokens(dependencies: { connection: DynamoConnection; secrets: SecretsManagerClient; kms: KMSClient; keysSecretArn: string }): Promise<ResealReport> {
  const tokenKey = tokenSealingKey(await readKeysDocument(dependencies.secrets, dependencies.keysSecretArn));
  const store = new DynamoPartnerStore(dependencies.connection);
  const report = { resealed: 0, changedMeanwhile: 0, current: 0 };
  for (const partner of await store.listPartners()) {
    const connection = partner.calendar;
    const sealed = connection?.refreshToken;
    if (!connection || !sealed) continue;
    if (sealed.keyId === tokenKey.id) {
      report.current += 1;
      continue;
    }
    const sealer = new EnvelopeSealer(new AesKeyWrapper(tokenKey.id, tokenKey.key), [new KmsKeyWrapper(dependencies.kms, sealed.keyId)]);
    const context = tokenContext(partner.email);
    const resealed = await sealer.seal(await sealer.open(sealed, context), context);
    if (await store.resealRefreshToken(partner.email, connection.generation, resealed)) report.resealed += 1;
    else report.changedMeanwhile += 1;
  }
  return report;
}

export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}

function parseJsonFile<S extends z.ZodType>(text: string, schema: S, what: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliInputError(`${what} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliInputError(`${what} does not have the expected fields`);
  return parsed.data;
}

function keysSecretArn(env: NodeJS.ProcessEnv): string {
  if (!env.KEYS_SECRET_ARN) throw new CliInputError('set KEYS_SECRET_ARN to the stack output KeysSecretArn (docs/deploy.md, step 2)');
  return env.KEYS_SECRET_ARN;
}

/** `refer google set [--oauth-client FILE] [--service-account FILE]` with KEYS_SECRET_ARN set. */
export async function googleSetCommand(args: readonly string[], env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { 'oauth-client': { type: 'string' }, 'service-account': { type: 'string' } } });
  const secretId = keysSecretArn(env);
  const input: GoogleCredentialsInput = {
    ...(values['oauth-client'] ? { oauthClient: await readFile(values['oauth-client'], 'utf8') } : {}),
    ...(values['service-account'] ? { serviceAccount: await readFile(values['service-account'], 'utf8') } : {}),
  };
  const secrets = new SecretsManagerClient({});
  try {
    const done = await putGoogleCredentials(secrets, secretId, input);
    out.write(`Put in the keys secret: ${done.join(', ')}. The functions read it at their next cold start; npx refer doctor checks it.\n`);
    return 0;
  } finally {
    secrets.destroy();
  }
}

/** `refer tokens reseal` with TABLE_NAME and KEYS_SECRET_ARN set, and credentials allowed kms:Decrypt on the old key. */
export async function tokensResealCommand(connection: DynamoConnection, env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const secrets = new SecretsManagerClient({});
  const kms = new KMSClient({});
  try {
    const report = await resealRefreshTokens({ connection, secrets, kms, keysSecretArn: keysSecretArn(env) });
    out.write(
      `${report.resealed} refresh token${report.resealed === 1 ? '' : 's'} sealed again with the keys secret; ${report.current} already were; ${report.changedMeanwhile} changed meanwhile (reconnected).\n` +
        'When npx refer doctor reports no token left on the old key, deploy without -c legacyTokenKey=true and schedule the old key\'s deletion (docs/deploy.md, "Upgrading").\n',
    );
    return 0;
  } finally {
    secrets.destroy();
    kms.destroy();
  }
}
