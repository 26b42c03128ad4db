import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/** The project root (where package.json is): local mode keeps its data under `.data/` there. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const port = z.coerce.number().int().min(1).max(65_535);

const localEnvironmentSchema = z.object({
  REFER_DATA_DIR: z.string().default(resolve(PROJECT_ROOT, '.data')),
  REFER_SMTP_PORT: port.default(2525),
  /** The web pages: one-click links, the OAuth callback. */
  REFER_WEB_PORT: port.default(3000),
  /** The loopback Google server; by default a free port (recorded for the CLI). */
  REFER_GOOGLE_PORT: port.optional(),
  /** A real Google OAuth client for local mode; without it the loopback Google server is used. */
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
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
  readonly webPort: number;
  readonly googlePort: number | undefined;
  /** Set when real Google credentials are configured; otherwise local mode uses the loopback server. */
  readonly googleClient: { readonly clientId: string; readonly clientSecret: string } | null;
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
    webPort: parsed.REFER_WEB_PORT,
    googlePort: parsed.REFER_GOOGLE_PORT,
    googleClient: parsed.GOOGLE_CLIENT_ID && parsed.GOOGLE_CLIENT_SECRET ? { clientId: parsed.GOOGLE_CLIENT_ID, clientSecret: parsed.GOOGLE_CLIENT_SECRET } : null,
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
  googleState: resolve(settings.dataDirectory, 'google-calendar.json'),
});

/** The local web server's base URL (links in local mode's emails point here). */
export const localWebBaseUrl = (settings: Pick<LocalSettings, 'webPort'>) => `http://127.0.0.1:${settings.webPort}/`;
