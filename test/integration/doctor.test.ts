import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeActiveReceiptRuleSetCommand, SESClient } from '@aws-sdk/client-ses';
import { GetAccountCommand, GetEmailIdentityCommand, NotFoundException, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import type { MxRecord } from 'node:dns';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { doctorCommand } from '../../bin/cli/doctor-command.ts';
import { doctorJsonLines, formatDoctorReport, runDoctor, type DoctorClients, type DoctorReport } from '../../bin/cli/doctor.ts';
import { keysValue, TOKEN_KEY_ID, type KeysDocument } from '../../functions/shared/keys-secret.ts';
import '../support/aws-mock-matchers.ts';
import { createTestTable } from '../support/dynamo.ts';

/**
 * `refer doctor` against a deployed stack: AWS answered by aws-sdk-client-mock, DNS by an injected
 * resolver, the partners read from a real table on DynamoDB Local through the partner store.
 */

const REGION = 'eu-west-1';
const DOMAIN = 'in.example.com';
const RULE_SET = 'Refer-capture';
const KEYS_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:BookingCredentialsLinkSigning-MnOpQr`;
const SEED = 'S'.repeat(64);
const WEB_URL = 'https://abc123.lambda-url.eu-west-1.on.aws/';
const INBOUND = `inbound-smtp.${REGION}.amazonaws.com`;
const CLIENT_SECRET = 'GOCSPX-never-printed';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const cloudFormation = mockClient(CloudFormationClient);
const sesv2 = mockClient(SESv2Client);
const ses = mockClient(SESClient);
const secrets = mockClient(SecretsManagerClient);

let connection: DynamoConnection;
let partners: DynamoPartnerStore;
let mx: Record<string, MxRecord[] | NodeJS.ErrnoException>;
let clients: DoctorClients;

function stack(overrides: Partial<Stack> = {}, extraOutputs: Record<string, string> = {}): Stack {
  const outputs: Record<string, string> = {
    CaptureAddress: `intro@${DOMAIN}`,
    TableName: connection.tableName,
    ReceiptRuleSetName: RULE_SET,
    KeysSecretArn: KEYS_SECRET_ARN,
    GoogleOAuthRedirectUri: `${WEB_URL}oauth/callback`,
    WebUrl: WEB_URL,
    InboundMxRecord: `10 ${INBOUND}`,
    ...extraOutputs,
  };
  return {
    StackName: 'Refer',
    StackId: `arn:aws:cloudformation:${REGION}:123456789012:stack/Refer/0a1b2c3d`,
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: new Date('2026-11-01T00:00:00Z'),
    Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    ...overrides,
  };
}

function dnsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`queryMx ${code} ${DOMAIN}`), { code });
}

/** Everything in place: the state a finished deployment is in. */
function healthy(): void {
  cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [stack()] });
  sesv2.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS', Tokens: ['tok1', 'tok2', 'tok3'] } });
  sesv2.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true });
  ses.on(DescribeActiveReceiptRuleSetCommand).resolves({ Metadata: { Name: RULE_SET } });
  keysSecret({ googleOAuthClient: { client_id: '1234-abc.apps.googleusercontent.com', client_secret: CLIENT_SECRET } });
  mx = { [DOMAIN]: [{ priority: 10, exchange: `${INBOUND.toUpperCase()}.` }] };
}

/** What a deployment looks like right after its first `cdk deploy`. */
function freshlyDeployed(): void {
  cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [stack({ StackStatus: 'CREATE_COMPLETE' })] });
  sesv2.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: false, DkimAttributes: { Status: 'PENDING', Tokens: ['tok1', 'tok2', 'tok3'] } });
  sesv2.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendingEnabled: true });
  ses.on(DescribeActiveReceiptRuleSetCommand).resolves({});
  // As Secrets Manager generated it: letters and digits, nothing the operator put yet.
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SEED });
  mx = { [DOMAIN]: dnsError('ENOTFOUND') };
}

/** The keys secret as a document with these Google credentials. */
function keysSecret(google: Pick<KeysDocument, 'googleOAuthClient' | 'googleServiceAccount'>): void {
  secrets.on(GetSecretValueCommand, { SecretId: KEYS_SECRET_ARN }).resolves({ SecretString: keysValue({ seed: SEED, linkKeys: [SEED], ...google }) });
}

async function addPartner(email: string, calendar: 'connected' | 'disconnected' | 'never', bookingMode?: 'off', tokenKeyId: string | null = null): Promise<void> {
  await partners.savePartner({ email, name: null, timeZone: 'Europe/London', createdAt: '2026-11-02T09:00:00.000Z' });
  if (bookingMode) await partners.setBookingPreferences(email, { bookingMode });
  if (calendar === 'never') return;
  const refreshToken = tokenKeyId ? { keyId: tokenKeyId, encryptedKey: 'a2V5', iv: 'aXY=', ciphertext: 'Y3Q=', tag: 'dGFn' } : null;
  const connected = await partners.connectCalendar(email, { status: 'connected', method: 'oauth', refreshToken, connectedAt: '2026-11-02T10:00:00.000Z', disconnectedAt: null, disconnectReason: null });
  if (calendar === 'disconnected' && connected) await partners.markCalendarDisconnected(email, connected.generation, 'HTTP 400 invalid_grant', new Date('2026-11-20T08:00:00.000Z'));
}

function check(report: DoctorReport, name: string) {
  const found = report.checks.find((entry) => entry.check === name);
  if (!found) throw new Error(`no check ${name} in ${report.checks.map((entry) => entry.check).join(', ')}`);
  return found;
}

beforeAll(async () => {
  connection = await createTestTable();
});

beforeEach(async () => {
  cloudFormation.reset();
  sesv2.reset();
  ses.reset();
  secrets.reset();
  // Each test gets its own table: the partner check reads all of them.
  connection = await createTestTable();
  partners = new DynamoPartnerStore(connection);
  clients = {
    cloudFormation: new CloudFormationClient({ region: REGION, credentials }),
    sesv2: new SESv2Client({ region: REGION, credentials }),
    ses: new SESClient({ region: REGION, credentials }),
    secrets: new SecretsManagerClient({ region: REGION, credentials }),
    resolveMx: (hostname) => {
      const answer = mx[hostname] ?? dnsError('ENODATA');
      return Array.isArray(answer) ? Promise.resolve(answer) : Promise.reject(answer);
    },
    listPartners: (tableName) => new DynamoPartnerStore({ client: connection.client, tableName }).listPartners(),
  };
});

afterEach(() => {
  for (const client of [clients.cloudFormation, clients.sesv2, clients.ses, clients.secrets]) client.destroy();
});

describe('refer doctor: a finished deployment', () => {
  it('passes every check, reading the stack outputs and asking each service about them', async () => {
    healthy();
    await addPartner('ana@partner.test', 'connected');
    // Booking turned off: no calendar needed.
    await addPartner('bo@partner.test', 'never', 'off');

    const report = await runDoctor(clients, { stackName: 'Refer' });

    expect(report.checks.map((entry) => [entry.check, entry.ok])).toEqual([
      ['stack', true],
      ['ses_domain_identity', true],
      ['ses_production_access', true],
      ['receipt_rule_set', true],
      ['mx_record', true],
      ['google_oauth_client', true],
      ['partner_calendars', true],
      ['refresh_token_key', true],
    ]);
    expect(report).toMatchObject({ ok: true, region: REGION });
    expect(report.checks.every((entry) => entry.fix === null)).toBe(true);
    expect(cloudFormation).toReceiveCommandWith(DescribeStacksCommand, { StackName: 'Refer' });
    expect(sesv2).toReceiveCommandWith(GetEmailIdentityCommand, { EmailIdentity: DOMAIN });
    expect(ses).toHaveReceivedCommandTimes(DescribeActiveReceiptRuleSetCommand, 1);
    expect(secrets).toReceiveCommandWith(GetSecretValueCommand, { SecretId: KEYS_SECRET_ARN });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(formatDoctorReport(report)).toMatch(/^✓ MX of in\.example\.com points at inbound-smtp\.eu-west-1\.amazonaws\.com$/m);
    expect(formatDoctorReport(report)).toMatch(/Everything is in place\.\n$/);
  });

  it('checks the service account key too when the stack books with one', async () => {
    healthy();
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [stack({}, { GoogleServiceAccount: 'expected in the keys secret' })] });
    await addPartner('ana@partner.test', 'connected');

    let report = await runDoctor(clients, { stackName: 'Refer' });
    expect(check(report, 'google_oauth_client').ok).toBe(true);
    expect(check(report, 'google_service_account')).toMatchObject({
      ok: false,
      summary: 'the Google service account key is not configured: the stack books with one and the keys secret has none',
      fix: expect.stringContaining(`KEYS_SECRET_ARN=${KEYS_SECRET_ARN} npx refer google set --service-account key.json`) as string,
    });

    keysSecret({ googleOAuthClient: { client_id: '1234-abc.apps.googleusercontent.com', client_secret: CLIENT_SECRET }, googleServiceAccount: { client_email: 'booker@project.iam.gserviceaccount.com', private_key: 'PRIVATE' } });
    report = await runDoctor(clients, { stackName: 'Refer' });
    expect(check(report, 'google_service_account')).toMatchObject({ ok: true, summary: 'the Google service account key is in the keys secret' });
    expect(formatDoctorReport(report) + doctorJsonLines(report)).not.toContain('PRIVATE');
  });

  it('says how many refresh tokens are still sealed with the retired KMS key, and how to seal them again', async () => {
    healthy();
    const legacyKey = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    await addPartner('ana@partner.test', 'connected', undefined, legacyKey);
    await addPartner('bo@partner.test', 'connected', undefined, TOKEN_KEY_ID);

    const report = await runDoctor(clients, { stackName: 'Refer' });

    expect(check(report, 'refresh_token_key')).toEqual({
      check: 'refresh_token_key',
      ok: false,
      summary: `1 of 2 refresh tokens are still sealed with the retired KMS key ${legacyKey}: they open only while the stack is deployed with -c legacyTokenKey=true`,
      fix: `with the stack deployed with -c legacyTokenKey=true: TABLE_NAME=${connection.tableName} KEYS_SECRET_ARN=${KEYS_SECRET_ARN} npx refer tokens reseal (docs/deploy.md, "Upgrading")`,
    });
  });
});

describe('refer doctor: what is missing, with the fix', () => {
  it('after the first deploy: names every missing step with the command or record that fixes it', async () => {
    freshlyDeployed();

    const report = await runDoctor(clients, { stackName: 'Refer' });
    const text = formatDoctorReport(report);
    process.stdout.write(`\n${text}`);

    expect(report.ok).toBe(false);
    expect(check(report, 'stack').ok).toBe(true);
    expect(check(report, 'ses_domain_identity')).toMatchObject({
      ok: false,
      summary: 'SES domain identity in.example.com is not verified yet (DKIM PENDING)',
      fix: expect.stringContaining('tok1._domainkey.in.example.com CNAME tok1.dkim.amazonses.com') as string,
    });
    expect(check(report, 'ses_production_access')).toMatchObject({ ok: false, fix: expect.stringContaining('Request production access') as string });
    expect(check(report, 'receipt_rule_set')).toMatchObject({
      ok: false,
      fix: `aws ses set-active-receipt-rule-set --region ${REGION} --rule-set-name ${RULE_SET}`,
    });
    expect(check(report, 'mx_record')).toMatchObject({ ok: false, summary: 'in.example.com has no MX record', fix: `add the DNS record ${DOMAIN} MX 10 ${INBOUND} (the stack output InboundMxRecord)` });
    expect(check(report, 'google_oauth_client')).toMatchObject({
      ok: false,
      summary: 'the Google OAuth client is not configured: the keys secret has none',
      fix: expect.stringMatching(new RegExp(`authorized redirect URI ${WEB_URL}oauth/callback.*KEYS_SECRET_ARN=${KEYS_SECRET_ARN} npx refer google set --oauth-client client_secret.json$`)) as string,
    });
    expect(check(report, 'partner_calendars')).toMatchObject({
      ok: false,
      fix: `register the first one: TABLE_NAME=${connection.tableName} npx refer partner add EMAIL --name "NAME" --tz IANA_ZONE`,
    });
    // One line per check (✓ or ✗), each ✗ followed by its fix, and a count.
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((line) => /^[✓✗] /.test(line))).toHaveLength(8);
    expect(lines.filter((line) => line.startsWith('    fix: '))).toHaveLength(6);
    expect(lines.at(-1)).toBe('6 of 8 checks need attention.');
  });

  it('says which partners cannot be booked and how to send each a connect link', async () => {
    healthy();
    await addPartner('ana@partner.test', 'connected');
    await addPartner('rosa@partner.test', 'disconnected');
    await addPartner('tom@partner.test', 'never');

    const found = check(await runDoctor(clients, { stackName: 'Refer' }), 'partner_calendars');

    expect(found).toEqual({
      check: 'partner_calendars',
      ok: false,
      summary:
        '2 of 3 partners cannot be booked until they connect Google Calendar: rosa@partner.test (disconnected 2026-11-20T08:00:00.000Z: HTTP 400 invalid_grant), tom@partner.test (never connected)',
      fix: `send each a connect link: TABLE_NAME=${connection.tableName} KEYS_SECRET_ARN=${KEYS_SECRET_ARN} WEB_BASE_URL=${WEB_URL} npx refer partner connect EMAIL`,
    });
  });

  it('tells another active rule set from none, and an MX that prefers another host from one that points elsewhere', async () => {
    healthy();
    ses.on(DescribeActiveReceiptRuleSetCommand).resolves({ Metadata: { Name: 'legacy-rules' } });
    mx = { [DOMAIN]: [{ priority: 20, exchange: INBOUND }, { priority: 5, exchange: 'mx.old-provider.test' }] };
    await addPartner('ana@partner.test', 'connected');

    let report = await runDoctor(clients, { stackName: 'Refer' });
    expect(check(report, 'receipt_rule_set')).toMatchObject({ ok: false, summary: `the active receipt rule set is legacy-rules, not ${RULE_SET}`, fix: expect.stringContaining('this replaces legacy-rules') as string });
    expect(check(report, 'mx_record')).toMatchObject({ ok: false, summary: `mail for ${DOMAIN} goes to mx.old-provider.test before SES (MX: 20 ${INBOUND}, 5 mx.old-provider.test)` });

    mx = { [DOMAIN]: [{ priority: 10, exchange: 'inbound-smtp.us-east-1.amazonaws.com' }] };
    report = await runDoctor(clients, { stackName: 'Refer' });
    expect(check(report, 'mx_record')).toMatchObject({ ok: false, summary: `MX of ${DOMAIN} points elsewhere (10 inbound-smtp.us-east-1.amazonaws.com)`, fix: expect.stringContaining(`${DOMAIN} MX 10 ${INBOUND}`) as string });
  });

  it('spots a client id that is not a Google OAuth client id, and never prints the client secret', async () => {
    healthy();
    keysSecret({ googleOAuthClient: { client_id: 'my-app', client_secret: CLIENT_SECRET } });

    const report = await runDoctor(clients, { stackName: 'Refer' });

    expect(check(report, 'google_oauth_client')).toMatchObject({ ok: false, summary: expect.stringContaining('does not end in .apps.googleusercontent.com') as string });
    expect(formatDoctorReport(report) + doctorJsonLines(report)).not.toContain(CLIENT_SECRET);
  });

  it('reports an identity SES does not have, a deleted secret and a check it may not run, and still runs the others', async () => {
    healthy();
    sesv2.on(GetEmailIdentityCommand).rejects(new NotFoundException({ message: 'Email identity in.example.com does not exist.', $metadata: {} }));
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'Secrets Manager can’t find the specified secret.', $metadata: {} }));
    ses.on(DescribeActiveReceiptRuleSetCommand).rejects(Object.assign(new Error('User is not authorized to perform: ses:DescribeActiveReceiptRuleSet'), { name: 'AccessDenied' }));
    await addPartner('ana@partner.test', 'connected');

    const report = await runDoctor(clients, { stackName: 'Refer' });

    expect(check(report, 'ses_domain_identity')).toMatchObject({ ok: false, summary: `SES has no identity for ${DOMAIN} in ${REGION}` });
    expect(check(report, 'google_oauth_client')).toMatchObject({ ok: false, summary: `the keys secret ${KEYS_SECRET_ARN} does not exist` });
    expect(check(report, 'receipt_rule_set')).toMatchObject({
      ok: false,
      summary: 'could not check (AccessDenied: User is not authorized to perform: ses:DescribeActiveReceiptRuleSet)',
      fix: expect.stringContaining('ses:DescribeActiveReceiptRuleSet') as string,
    });
    expect(check(report, 'partner_calendars').ok).toBe(true);
  });

  it('stops at the stack when it is missing or failed, and says how to deploy or why it failed', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', message: 'Stack with id Refer does not exist', $metadata: {} }),
    );
    let report = await runDoctor(clients, { stackName: 'Refer' });
    expect(report.checks).toEqual([
      expect.objectContaining({ check: 'stack', ok: false, summary: 'stack Refer is not deployed in this account and region', fix: expect.stringContaining('npx cdk deploy --parameters OperatorEmail=') as string }),
    ]);
    expect(sesv2).toHaveReceivedCommandTimes(GetEmailIdentityCommand, 0);

    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [stack({ StackStatus: 'ROLLBACK_COMPLETE' })] });
    report = await runDoctor(clients, { stackName: 'Refer' });
    expect(report.checks).toEqual([
      expect.objectContaining({ ok: false, summary: 'stack Refer is ROLLBACK_COMPLETE', fix: expect.stringContaining(`aws cloudformation describe-stack-events --stack-name Refer --region ${REGION}`) as string }),
    ]);
  });

  it('--json: one object per check and line, with the stack and region', async () => {
    freshlyDeployed();
    const lines = doctorJsonLines(await runDoctor(clients, { stackName: 'Refer' })).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(Object.keys(line).sort()).toEqual(['check', 'fix', 'ok', 'region', 'stack', 'summary']);
    expect(lines[0]).toMatchObject({ stack: 'Refer', region: REGION, check: 'stack', ok: true, fix: null });
  });
});

describe('refer doctor: the command', () => {
  function sink(): { stream: Writable; text: () => string } {
    const chunks: Buffer[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _encoding, done) => void (chunks.push(chunk), done()) });
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  }

  it('exits 2 without a word on stdout when it cannot reach AWS (no credentials)', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const out = sink();
    expect(await doctorCommand(['--region', REGION], out.stream)).toBe(2);
    expect(out.text()).toBe('');
  });

  it('exits 1 when something is missing, reading the stack named by --stack in --region', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', message: 'Stack with id Other does not exist', $metadata: {} }),
    );
    const out = sink();
    const previous = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      expect(await doctorCommand(['--stack', 'Other', '--region', REGION, '--json'], out.stream)).toBe(1);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = previous.id;
      process.env.AWS_SECRET_ACCESS_KEY = previous.key;
      if (previous.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (previous.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
    expect(cloudFormation).toReceiveCommandWith(DescribeStacksCommand, { StackName: 'Other' });
    expect(JSON.parse(out.text())).toMatchObject({ stack: 'Other', check: 'stack', ok: false });
  });
});
