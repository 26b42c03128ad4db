import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeActiveReceiptRuleSetCommand, type SESClient } from '@aws-sdk/client-ses';
import { GetAccountCommand, GetEmailIdentityCommand, NotFoundException, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { MxRecord } from 'node:dns';
import { effectiveBookingPreferences, isCalendarConnected, type Partner } from '../../functions/domain/partners/partner.ts';
import { KeysSecretError, parseKeysValue, TOKEN_KEY_ID, type KeysDocument } from '../../functions/shared/keys-secret.ts';

/**
 * `refer doctor`: what a deployed stack still needs before mail can be captured and meetings
 * booked, each with the fix. The checks take their clients from the caller (the CLI gives real
 * ones, tests give mocks), read only, and never print a secret's value.
 */

/** Everything the checks talk to. */
export interface DoctorClients {
  readonly cloudFormation: CloudFormationClient;
  readonly sesv2: SESv2Client;
  readonly ses: SESClient;
  readonly secrets: SecretsManagerClient;
  /** `dns.promises.resolveMx`, or a stand-in. */
  readonly resolveMx: (hostname: string) => Promise<MxRecord[]>;
  /** The partners in the stack's table. */
  readonly listPartners: (tableName: string) => Promise<Partner[]>;
}

export interface DoctorCheck {
  /** Stable name, for `--json` readers. */
  readonly check: string;
  readonly ok: boolean;
  /** What was found, one line. */
  readonly summary: string;
  /** What to do about it (null when all is well). */
  readonly fix: string | null;
}

export interface DoctorReport {
  readonly stackName: string;
  readonly region: string | null;
  readonly checks: readonly DoctorCheck[];
  readonly ok: boolean;
}

/** The stack outputs the checks use (see `lib/refer-stack.ts`). */
interface StackFacts {
  readonly region: string;
  readonly domain: string;
  readonly tableName: string;
  readonly receiptRuleSetName: string;
  readonly keysSecretArn: string;
  readonly googleOAuthRedirectUri: string;
  readonly googleServiceAccountExpected: boolean;
  readonly webUrl: string;
}

const HEALTHY_STACK = /^(CREATE|UPDATE|IMPORT)_COMPLETE$|^UPDATE_ROLLBACK_COMPLETE$/;
/** Stack outputs the checks need (a CDK test checks the stack has them). */
export const DOCTOR_STACK_OUTPUTS = ['CaptureAddress', 'TableName', 'ReceiptRuleSetName', 'KeysSecretArn', 'GoogleOAuthRedirectUri', 'WebUrl'] as const;

const DEPLOY = 'npx cdk deploy --parameters OperatorEmail=you@example.com -c captureDomain=in.example.com';

/** Runs every check against the stack named `stackName` (in the clients' account and region). */
export async function runDoctor(clients: DoctorClients, options: { stackName: string }): Promise<DoctorReport> {
  const stack = await describeStack(clients.cloudFormation, options.stackName);
  const stackCheck = checkStack(options.stackName, stack);
  const facts = stack && stackCheck.ok ? stackFacts(stack) : null;
  if (!facts) return report(options.stackName, stack ? regionOf(stack) : null, [stackCheck]);

  const partners = clients.listPartners(facts.tableName);
  // Both checks below report a failed read; a rejection nobody awaited yet must not be unhandled.
  partners.catch(() => undefined);
  const checks = await Promise.all([
    guarded('ses_domain_identity', 'ses:GetEmailIdentity', checkDomainIdentity(clients.sesv2, facts)),
    guarded('ses_production_access', 'ses:GetAccount', checkSendingAccount(clients.sesv2, facts)),
    guarded('receipt_rule_set', 'ses:DescribeActiveReceiptRuleSet', checkReceiptRuleSet(clients.ses, facts)),
    guarded('mx_record', 'DNS', checkMxRecord(clients.resolveMx, facts)),
    ...checkKeysSecret(readKeys(clients.secrets, facts), facts),
    guarded('partner_calendars', PARTNERS_NEED, checkPartners(partners, facts)),
    guarded('refresh_token_key', PARTNERS_NEED, checkTokenKeys(partners, facts)),
  ]);
  return report(options.stackName, facts.region, [stackCheck, ...checks]);
}

/** A check that could not run (no permission, throttled, offline) is reported as one that failed, with the cause. */
async function guarded(check: string, needs: string, running: Promise<DoctorCheck>): Promise<DoctorCheck> {
  try {
    return await running;
  } catch (error) {
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return failed(check, `could not check (${cause})`, `run refer doctor with credentials allowed ${needs}, in the stack's region`);
  }
}

function report(stackName: string, region: string | null, checks: DoctorCheck[]): DoctorReport {
  return { stackName, region, checks, ok: checks.every((check) => check.ok) };
}

function passed(check: string, summary: string): DoctorCheck {
  return { check, ok: true, summary, fix: null };
}

function failed(check: string, summary: string, fix: string): DoctorCheck {
  return { check, ok: false, summary, fix };
}

async function describeStack(client: CloudFormationClient, stackName: string): Promise<Stack | null> {
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Stacks?.[0] ?? null;
  } catch (error) {
    // CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist".
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) return null;
    throw error;
  }
}

function checkStack(stackName: string, stack: Stack | null): DoctorCheck {
  if (!stack) return failed('stack', `stack ${stackName} is not deployed in this account and region`, `deploy it: ${DEPLOY} (docs/deploy.md), or pass --stack NAME / --region REGION`);
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (!HEALTHY_STACK.test(status)) {
    return failed(
      'stack',
      `stack ${stackName} is ${status}`,
      status.endsWith('_IN_PROGRESS')
        ? 'wait for CloudFormation to finish, then run refer doctor again'
        : `see why: aws cloudformation describe-stack-events --stack-name ${stackName} --region ${regionOf(stack)}; fix the cause and deploy again (docs/deploy.md, "Roll back")`,
    );
  }
  const outputs = outputsOf(stack);
  const missing = DOCTOR_STACK_OUTPUTS.filter((key) => !outputs.get(key));
  if (missing.length > 0) return failed('stack', `stack ${stackName} has no output ${missing.join(', ')}`, `deploy the current version: ${DEPLOY}`);
  return passed('stack', `stack ${stackName} is deployed (${status}) in ${regionOf(stack)}`);
}

function outputsOf(stack: Stack): Map<string, string> {
  return new Map((stack.Outputs ?? []).flatMap((output) => (output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue] as const] : [])));
}

/** The region is the fourth field of the stack's ARN. */
function regionOf(stack: Stack): string {
  return stack.StackId?.split(':')[3] ?? 'unknown';
}

function stackFacts(stack: Stack): StackFacts {
  const outputs = outputsOf(stack);
  const output = (key: string) => outputs.get(key) ?? '';
  const captureAddress = output('CaptureAddress');
  return {
    region: regionOf(stack),
    domain: captureAddress.slice(captureAddress.lastIndexOf('@') + 1).toLowerCase(),
    tableName: output('TableName'),
    receiptRuleSetName: output('ReceiptRuleSetName'),
    keysSecretArn: output('KeysSecretArn'),
    googleOAuthRedirectUri: output('GoogleOAuthRedirectUri'),
    googleServiceAccountExpected: outputs.has('GoogleServiceAccount'),
    webUrl: output('WebUrl'),
  };
}

async function checkDomainIdentity(client: SESv2Client, facts: StackFacts): Promise<DoctorCheck> {
  const check = 'ses_domain_identity';
  try {
    const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: facts.domain }));
    const dkim = identity.DkimAttributes?.Status ?? 'NOT_STARTED';
    if (identity.VerifiedForSendingStatus && dkim === 'SUCCESS') return passed(check, `SES domain identity ${facts.domain} is verified (DKIM ${dkim})`);
    const records = (identity.DkimAttributes?.Tokens ?? []).map((token) => `${token}._domainkey.${facts.domain} CNAME ${token}.dkim.amazonses.com`);
    return failed(
      check,
      `SES domain identity ${facts.domain} is not verified yet (DKIM ${dkim})`,
      records.length > 0
        ? `add these DNS records (also the stack outputs DkimCnameRecord1..3); SES checks them for up to 72 hours: ${records.join('; ')}`
        : `add the three DKIM CNAME records of the stack outputs DkimCnameRecord1..3 to the DNS of ${facts.domain}`,
    );
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
    return failed(check, `SES has no identity for ${facts.domain} in ${facts.region}`, `deploy the stack with -c captureDomain=${facts.domain} in ${facts.region} (it creates the identity)`);
  }
}

async function checkSendingAccount(client: SESv2Client, facts: StackFacts): Promise<DoctorCheck> {
  const check = 'ses_production_access';
  const account = await client.send(new GetAccountCommand({}));
  if (account.SendingEnabled === false) {
    return failed(check, `SES sending is paused for this account in ${facts.region}`, 'see the SES console (Account dashboard) for why; resume it with aws sesv2 put-account-sending-attributes --sending-enabled once the cause is fixed');
  }
  if (!account.ProductionAccessEnabled) {
    return failed(
      check,
      `SES in ${facts.region} is in the sandbox: mail goes only to verified addresses`,
      `request production access (SES console → Account dashboard → Request production access, or aws sesv2 put-account-details --region ${facts.region} --production-access-enabled --mail-type TRANSACTIONAL --website-url ... --use-case-description ...); until then verify each partner's address with aws sesv2 create-email-identity --email-identity ADDRESS`,
    );
  }
  return passed(check, `SES in ${facts.region} has production access`);
}

async function checkReceiptRuleSet(client: SESClient, facts: StackFacts): Promise<DoctorCheck> {
  const check = 'receipt_rule_set';
  const { Metadata } = await client.send(new DescribeActiveReceiptRuleSetCommand({}));
  const active = Metadata?.Name ?? null;
  if (active === facts.receiptRuleSetName) return passed(check, `receipt rule set ${active} is active`);
  const activate = `aws ses set-active-receipt-rule-set --region ${facts.region} --rule-set-name ${facts.receiptRuleSetName}`;
  return active
    ? failed(check, `the active receipt rule set is ${active}, not ${facts.receiptRuleSetName}`, `${activate} (only one set is active per region: this replaces ${active}; move its rules into ${facts.receiptRuleSetName} first if you still need them)`)
    : failed(check, `no receipt rule set is active in ${facts.region}, so SES drops mail for ${facts.domain}`, activate);
}

async function checkMxRecord(resolveMx: DoctorClients['resolveMx'], facts: StackFacts): Promise<DoctorCheck> {
  const check = 'mx_record';
  const inbound = `inbound-smtp.${facts.region}.amazonaws.com`;
  const wanted = `${facts.domain} MX 10 ${inbound}`;
  let records: MxRecord[];
  try {
    records = await resolveMx(facts.domain);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTFOUND' && code !== 'ENODATA') return failed(check, `could not look up the MX record of ${facts.domain} (${code ?? 'error'})`, `check your network and DNS, then run refer doctor again; the record must be ${wanted}`);
    records = [];
  }
  if (records.length === 0) return failed(check, `${facts.domain} has no MX record`, `add the DNS record ${wanted} (the stack output InboundMxRecord)`);
  const host = (record: MxRecord) => record.exchange.toLowerCase().replace(/\.$/, '');
  const first = Math.min(...records.map((record) => record.priority));
  const preferred = records.filter((record) => record.priority === first).map(host);
  if (preferred.includes(inbound)) return passed(check, `MX of ${facts.domain} points at ${inbound}`);
  const found = records.map((record) => `${record.priority} ${host(record)}`).join(', ');
  return records.some((record) => host(record) === inbound)
    ? failed(check, `mail for ${facts.domain} goes to ${preferred.join(', ')} before SES (MX: ${found})`, `give ${inbound} the lowest MX priority or remove the others: ${wanted}`)
    : failed(check, `MX of ${facts.domain} points elsewhere (${found})`, `replace it with ${wanted} (SES receives only in ${facts.region} for this stack)`);
}

const PARTNERS_NEED = 'dynamodb:Query on the table and its gsi1 index';

/** The keys secret's document, or why it could not be read as one (a missing secret, a value that is no document). */
type KeysRead = { readonly document: KeysDocument } | { readonly problem: string; readonly fix: string };

async function readKeys(client: SecretsManagerClient, facts: StackFacts): Promise<KeysRead> {
  let text: string | undefined;
  try {
    ({ SecretString: text } = await client.send(new GetSecretValueCommand({ SecretId: facts.keysSecretArn })));
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return { problem: `the keys secret ${facts.keysSecretArn} does not exist`, fix: `deploy the stack again: ${DEPLOY}` };
    throw error;
  }
  try {
    return { document: parseKeysValue(text ?? '') };
  } catch (error) {
    if (!(error instanceof KeysSecretError)) throw error;
    return {
      problem: `the keys secret is not valid: ${error.message}`,
      fix: `it is generated by the stack and changed only by its rotation and npx refer google set; if it was edited by hand, make the last good version current again: aws secretsmanager list-secret-version-ids --secret-id ${facts.keysSecretArn}, then update-secret-version-stage --version-stage AWSCURRENT`,
    };
  }
}

/** The Google OAuth client, and the service account key when the stack books with one: both in the keys secret. */
function checkKeysSecret(reading: Promise<KeysRead>, facts: StackFacts): Promise<DoctorCheck>[] {
  const setGoogle = `KEYS_SECRET_ARN=${facts.keysSecretArn} npx refer google set`;
  const check = (name: string, what: string, present: (document: KeysDocument) => string | null, fix: string): Promise<DoctorCheck> =>
    guarded(
      name,
      'secretsmanager:GetSecretValue on the keys secret',
      reading.then((read) => {
        if ('problem' in read) return failed(name, read.problem, read.fix);
        const problem = present(read.document);
        return problem ? failed(name, `the ${what} ${problem}`, fix) : passed(name, `the ${what} is in the keys secret`);
      }),
    );
  const oauthFix =
    `create an OAuth client (Google Cloud console → APIs & Services → Credentials → OAuth client ID, type Web application) ` +
    `with the authorized redirect URI ${facts.googleOAuthRedirectUri}, download its JSON, then: ${setGoogle} --oauth-client client_secret.json`;
  return [
    check(
      'google_oauth_client',
      'Google OAuth client',
      (document) => {
        if (!document.googleOAuthClient) return 'is not configured: the keys secret has none';
        return document.googleOAuthClient.client_id.endsWith('.apps.googleusercontent.com') ? null : 'looks wrong: its client_id does not end in .apps.googleusercontent.com';
      },
      oauthFix,
    ),
    ...(facts.googleServiceAccountExpected
      ? [
          check(
            'google_service_account',
            'Google service account key',
            (document) => (document.googleServiceAccount ? null : 'is not configured: the stack books with one and the keys secret has none'),
            `create a JSON key for the service account (Google Cloud console → IAM → Service accounts → Keys), authorize its client id for domain-wide ` +
              `delegation in the Workspace Admin console, then: ${setGoogle} --service-account key.json`,
          ),
        ]
      : []),
  ];
}

/** Refresh tokens sealed with a key other than the keys secret's (the KMS key of a stack before the upgrade). */
async function checkTokenKeys(partners: Promise<Partner[]>, facts: StackFacts): Promise<DoctorCheck> {
  const check = 'refresh_token_key';
  const sealed = (await partners).flatMap((partner) => (partner.calendar?.refreshToken ? [partner.calendar.refreshToken.keyId] : []));
  const older = sealed.filter((keyId) => keyId !== TOKEN_KEY_ID);
  if (older.length === 0) return passed(check, `every refresh token (${sealed.length}) is sealed with the keys secret`);
  return failed(
    check,
    `${older.length} of ${sealed.length} refresh tokens are still sealed with the retired KMS key ${[...new Set(older)].join(', ')}: they open only while the stack is deployed with -c legacyTokenKey=true`,
    `with the stack deployed with -c legacyTokenKey=true: TABLE_NAME=${facts.tableName} KEYS_SECRET_ARN=${facts.keysSecretArn} npx refer tokens reseal (docs/deploy.md, "Upgrading")`,
  );
}

async function checkPartners(listing: Promise<Partner[]>, facts: StackFacts): Promise<DoctorCheck> {
  const check = 'partner_calendars';
  const env = `TABLE_NAME=${facts.tableName}`;
  const partners = await listing;
  if (partners.length === 0) {
    return failed(check, 'no partners yet: introductions from anyone else are not captured', `register the first one: ${env} npx refer partner add EMAIL --name "NAME" --tz IANA_ZONE`);
  }
  // A partner who turned booking off needs no calendar.
  const waiting = partners.filter((partner) => !isCalendarConnected(partner) && effectiveBookingPreferences(partner).bookingMode !== 'off');
  if (waiting.length === 0) return passed(check, `${partners.length} partner${partners.length === 1 ? '' : 's'}, every calendar that books is connected`);
  const described = waiting.map((partner) =>
    partner.calendar ? `${partner.email} (disconnected ${partner.calendar.disconnectedAt ?? ''}: ${partner.calendar.disconnectReason ?? 'reconnect needed'})` : `${partner.email} (never connected)`,
  );
  const connectEnv = `${env} KEYS_SECRET_ARN=${facts.keysSecretArn} WEB_BASE_URL=${facts.webUrl}`;
  return failed(
    check,
    `${waiting.length} of ${partners.length} partners cannot be booked until they connect Google Calendar: ${described.join(', ')}`,
    `send each a connect link: ${connectEnv} npx refer partner connect EMAIL`,
  );
}

/** One line per check, ✓ or ✗, the fix indented under each ✗, and a last line that sums up. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = [`refer doctor: stack ${report.stackName}${report.region ? ` in ${report.region}` : ''}`];
  for (const check of report.checks) {
    lines.push(`${check.ok ? '✓' : '✗'} ${check.summary}`);
    if (check.fix) lines.push(`    fix: ${check.fix}`);
  }
  const missing = report.checks.filter((check) => !check.ok).length;
  lines.push(missing === 0 ? 'Everything is in place.' : `${missing} of ${report.checks.length} checks need attention.`);
  return `${lines.join('\n')}\n`;
}

/** `--json`: one JSON object per check, one per line. */
export function doctorJsonLines(report: DoctorReport): string {
  return report.checks.map((check) => JSON.stringify({ stack: report.stackName, region: report.region, ...check })).join('\n') + '\n';
}
