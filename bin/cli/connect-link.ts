import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readKeysDocument } from '../../functions/adapters/aws/secrets.ts';
import { BookingLinkBuilder } from '../../functions/adapters/links/booking-link-builder.ts';
import type { Partner } from '../../functions/domain/partners/partner.ts';
import { loadLocalKeys } from '../../functions/local/local-keys.ts';
import { localPaths, localWebBaseUrl, readLocalSettings } from '../../functions/local/local-settings.ts';
import { readRunningLocalMode } from '../../functions/local/runtime-file.ts';
import { linkKeysOf } from '../../functions/shared/keys-secret.ts';

/**
 * The connect link for a partner: signed with the deployment's link key (Secrets Manager on AWS,
 * `.data/keys` locally) and pointing at its web pages (the web function's URL, or local mode's).
 */
export async function calendarConnectLink(partner: Partner, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.TABLE_NAME && env.KEYS_SECRET_ARN && env.WEB_BASE_URL) {
    const { signingKey } = linkKeysOf(await readKeysDocument(new SecretsManagerClient({}), env.KEYS_SECRET_ARN));
    return new BookingLinkBuilder(env.WEB_BASE_URL, signingKey, () => new Date()).connectCalendar(partner);
  }
  if (env.TABLE_NAME) throw new Error('to make a connect link for AWS, set KEYS_SECRET_ARN and WEB_BASE_URL (stack outputs) as well as TABLE_NAME');
  const settings = readLocalSettings(env);
  const running = await readRunningLocalMode(localPaths(settings).runtimeFile);
  const keys = await loadLocalKeys(settings.dataDirectory);
  return new BookingLinkBuilder(running?.webUrl ?? localWebBaseUrl(settings), keys.linkSigning, () => new Date()).connectCalendar(partner);
}
