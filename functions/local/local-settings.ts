import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The project root (where package.json is): local mode keeps its data under `.data/` there. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const port = z.coerce.number().int().min(1).max(65_535);

const localEnvironmentSchema = z.object({
  REFER_DATA_DIR: z.string().default(resolve(PROJECT_ROOT, '.data')),
  REFER_SMTP_PORT: port.default(2525),
  /** DynamoDB Local's port; by default a free one is chosen and recorded for the CLI. */
  REFER_DYNAMODB_PORT: port.optional(),
  REFER_CAPTURE_ADDRESS: z.email().default('intro@refer.local'),
  REFER_SENDER_ADDRESS: z.email().default('follow-up@refer.local'),
  REFER_SENDER_NAME: z.string().default('Referral desk'),
  REFER_TABLE_NAME: z.string().default('referrals'),
});

export interface LocalSettings {
  readonly dataDirectory: string;
  readonly smtpPort: number;
  readonly dynamoPort: number | undefined;
  readonly captureAddress: string;
  readonly senderAddress: string;
  readonly senderName: string;
  readonly tableName: string;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function readLocalSettings(env: NodeJS.ProcessEnv): LocalSettings {
  const result = localEnvironmentSchema.safeParse(env);
  if (!result.success) throw new SettingsError(`invalid local-mode settings in the environment:\n${z.prettifyError(result.error)}`);
  const parsed = result.data;
  return {
    dataDirectory: resolve(parsed.REFER_DATA_DIR),
    smtpPort: parsed.REFER_SMTP_PORT,
    dynamoPort: parsed.REFER_DYNAMODB_PORT,
    captureAddress: parsed.REFER_CAPTURE_ADDRESS.toLowerCase(),
    senderAddress: parsed.REFER_SENDER_ADDRESS.toLowerCase(),
    senderName: parsed.REFER_SENDER_NAME,
    tableName: parsed.REFER_TABLE_NAME,
  };
}

export const localPaths = (settings: Pick<LocalSettings, 'dataDirectory'>) => ({
  dynamo: resolve(settings.dataDirectory, 'dynamodb'),
  inbound: resolve(settings.dataDirectory, 'inbound'),
  outbox: resolve(settings.dataDirectory, 'outbox'),
  runtimeFile: resolve(settings.dataDirectory, 'local-mode.json'),
});
