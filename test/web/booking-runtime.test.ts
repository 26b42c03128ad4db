import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundEmail } from '../../functions/domain/outbound/outbound-email.ts';
import { REAL_GOOGLE } from '../../functions/adapters/google/google-endpoints.ts';
import { bookingRuntimeFromEnvironment } from '../../functions/shared/booking-runtime.ts';
import { loadOnFirstUse } from '../../functions/shared/load-on-first-use.ts';

/**
 * The runtime of the booking and web functions on AWS loads Google's clients and the mail
 * composer with SES when first used (not at a cold start); what it loads must work as before.
 */
const secrets = mockClient(SecretsManagerClient);
const ses = mockClient(SESv2Client);
afterEach(() => {
  secrets.reset();
  ses.reset();
});

const environment = { TABLE_NAME: 'refer', SENDER_ADDRESS: 'Desk@Refer.Example', SENDER_NAME: 'Referral desk', KEYS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys' };
const keysDocument = { seed: 's'.repeat(48), linkKeys: ['k'.repeat(48)], googleOAuthClient: { client_id: 'client-1', client_secret: 'secret-1' } };

const email: OutboundEmail = {
  outboxKey: 'calendar_connect#pat@partner.example',
  purpose: 'calendar_connect',
  to: [{ email: 'pat@partner.example', name: 'Pat Lee' }],
  subject: 'Connect your calendar',
  text: 'Hi Pat,\n\nConnect your calendar.',
  html: '<p>Hi Pat,</p><p>Connect your calendar.</p>',
  inReplyTo: null,
  references: [],
  introductionId: null,
};

describe('the booking runtime on AWS', () => {
  it('gives Google’s consent page and sends through SES, loading each when first used', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(keysDocument) });
    ses.on(SendEmailCommand).resolves({});
    const runtime = await bookingRuntimeFromEnvironment(environment, { webBaseUrl: 'https://web.refer.example/' });

    const consent = new URL(await runtime.oauth.consentUrl('state-1', 'pat@partner.example'));
    expect(`${consent.origin}${consent.pathname}`).toBe(REAL_GOOGLE.oauth2AuthBaseUrl);
    expect(Object.fromEntries(consent.searchParams)).toMatchObject({
      client_id: 'client-1',
      redirect_uri: 'https://web.refer.example/oauth/callback',
      state: 'state-1',
      login_hint: 'pat@partner.example',
      access_type: 'offline',
    });

    const [first, second] = await Promise.all([runtime.booking.sender.send(email), runtime.booking.sender.send(email)]);
    expect(first.messageId).toBe(second.messageId);
    const sent = ses.commandCalls(SendEmailCommand);
    expect(sent).toHaveLength(2);
    expect(sent[0]?.args[0].input).toMatchObject({ FromEmailAddress: 'desk@refer.example', Destination: { ToAddresses: ['pat@partner.example'] } });
    expect(Buffer.from(sent[0]?.args[0].input.Content?.Raw?.Data ?? new Uint8Array()).toString('utf8')).toContain('Subject: Connect your calendar');
  });
});

describe('loadOnFirstUse', () => {
  it('loads once for every caller, and again after a load that failed', async () => {
    let loads = 0;
    const load = loadOnFirstUse(() => {
      loads += 1;
      return loads === 1 ? Promise.reject(new Error('module not found')) : Promise.resolve({ loaded: loads });
    });
    await expect(load()).rejects.toThrow('module not found');
    const values = await Promise.all([load(), load(), load()]);
    expect(values).toEqual([{ loaded: 2 }, { loaded: 2 }, { loaded: 2 }]);
    expect(await load()).toBe(values[0]);
    expect(loads).toBe(2);
  });
});
