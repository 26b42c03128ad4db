import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createTransport } from 'nodemailer';
import { DynamoIntroductionQueries } from '../functions/adapters/dynamodb/introduction-queries.ts';
import { DynamoOutbox } from '../functions/adapters/dynamodb/outbox-store.ts';
import { DynamoPartnerStore } from '../functions/adapters/dynamodb/partner-store.ts';
import { parseMail } from '../functions/adapters/mail/parse-mail.ts';
import { normalizeAddress } from '../functions/domain/message/person.ts';
import { localModeBanner, startLocalMode } from '../functions/local/local-mode.ts';
import { localPaths, readLocalSettings } from '../functions/local/local-settings.ts';
import { readRunningLocalMode } from '../functions/local/runtime-file.ts';
import { describeParse, parseFile } from './cli/parse-command.ts';
import { inboundRecord, introductionRecord, outboxRecord, partnerRecord } from './cli/records.ts';
import { openStore, type OpenStore } from './cli/store-connection.ts';
import { calendarConnectLink } from './cli/connect-link.ts';
import { groupCommand, introCommand, jobsCommand, pairCommand } from './cli/follow-through-commands.ts';
import { doctorCommand } from './cli/doctor-command.ts';
import { googleSetCommand, tokensResealCommand } from './cli/keys-commands.ts';
import { demoCommand } from './cli/demo-command.ts';
import { describePreferences, PREFERENCE_OPTIONS, PreferenceError, updatedPreferences } from './cli/partner-preferences.ts';
import { effectiveBookingPreferences, type Partner } from '../functions/domain/partners/partner.ts';

const USAGE = `refer — referral follow-through

Usage:
  refer start                                   run the whole system locally (same as npm start)
  refer demo                                    a sample referral group and its mail, sent to the running
                                                local mode: watch it on the dashboard
  refer parse FILE... [--envelope-to ADDRESS] [--json]
                                                what each message is: intro, reply, auto_reply, bounce,
                                                bulk, calendar, not_intro or ambiguous, and who is in it
  refer send FILE... [--envelope-to ADDRESS]    deliver .eml files to the running local mode by SMTP
  refer partner add EMAIL [--name NAME] [--tz IANA_ZONE]
  refer partner list [--json]
  refer partner show EMAIL [--json]             booking preferences and calendar connection
  refer partner set EMAIL --key value...        --booking-mode auto|propose|off, --working-hours
                                                "mon-fri 09:00-17:00", --meeting-minutes 30,
                                                --buffer-minutes 15, --notice "1 business day",
                                                --horizon-days 10, --busy-calendars primary,other,
                                                --video on|off, --invite-introducer on|off, --tz, --name
  refer partner connect EMAIL [--service-account]
                                                a link for the partner to connect Google Calendar
  refer partner remove EMAIL
  refer intros list [--json]                    introductions captured, oldest first
  refer intros show ID [--json]                 one introduction and its history
  refer intros set-status ID STATUS [--amount N]
  refer pair add A B [--weekly mon 08:00] [--tz ZONE] [--one-to-one monthly|quarterly|twice-a-year|off] [--goal 2]
  refer pair list [--json]
  refer group add NAME A B [C...] [--tz ZONE]   a referral group of 2 to 12 partners (monthly digest)
  refer group list [--json]
  refer jobs run KIND [--pair ID | --intro ID | --group ID] [--at ISO-TIME]
                                                run a job now, as if it were that time; KIND is nudge,
                                                outcome, close, update, weekly, one-to-one,
                                                group-digest or sweep
  refer inbound list [--json]                   every message received and what became of it
  refer outbox list [--json]                    every email the system sent
  refer doctor [--stack Refer] [--region R] [--json]
                                                check a deployed stack (AWS credentials): SES identity,
                                                receipt rule set, MX record, Google OAuth client,
                                                partners' calendars; each missing step with its fix
  refer google set [--oauth-client FILE] [--service-account FILE]
                                                put the Google OAuth client (the JSON the Google Cloud
                                                console downloads) or a service account key in the
                                                stack's keys secret (KEYS_SECRET_ARN)
  refer tokens reseal                           after upgrading from a stack with a KMS token key:
                                                seal every refresh token again with the keys secret

The list and partner commands use the running local mode's DynamoDB Local, or TABLE_NAME on AWS
when it is set, or else the local data in .data/ directly.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'parse':
      return parse(rest);
    case 'send':
      return send(rest);
    case 'partner':
      return partner(rest);
    case 'intros':
      if (rest[0] === 'set-status' || rest[0] === 'show') return withStore((store) => introCommand(rest[0] as string, rest.slice(1), store));
      return list(rest, 'intros');
    case 'pair':
      return withStore((store) => pairCommand(rest, store));
    case 'group':
      return withStore((store) => groupCommand(rest, store));
    case 'jobs':
      return withStore((store) => jobsCommand(rest, store));
    case 'demo':
      return demoCommand(rest);
    case 'inbound':
      return list(rest, 'inbound');
    case 'outbox':
      return list(rest, 'outbox');
    case 'doctor':
      return doctorCommand(rest);
    case 'google':
      if (rest[0] !== 'set') throw new UsageError('google needs set');
      return googleSetCommand(rest.slice(1));
    case 'tokens':
      if (rest[0] !== 'reseal') throw new UsageError('tokens needs reseal');
      if (!process.env.TABLE_NAME) throw new UsageError('tokens reseal works on the deployed table: set TABLE_NAME and KEYS_SECRET_ARN (stack outputs)');
      return withStore((store) => tokensResealCommand(store.connection));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 1 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function start(): Promise<number> {
  const settings = readLocalSettings(process.env);
  const running = await startLocalMode(settings);
  // Since this process started: what a person waits for after typing `npm start`, code loading included.
  process.stdout.write(localModeBanner(settings, running, performance.now()));
  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = () => {
      // A second Ctrl-C while stopping: exit now (DynamoDB Local is killed on exit).
      if (stopping) process.exit(130);
      stopping = true;
      process.stdout.write('\nStopping local mode...\n');
      running.stop().then(resolve, (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        resolve();
      });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  process.stdout.write(`Stopped; nothing is left running. The data is kept in ${settings.dataDirectory}.\n`);
  return 0;
}

async function parse(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { json: { type: 'boolean' }, 'envelope-to': { type: 'string', multiple: true } } });
  if (positionals.length === 0) throw new UsageError('parse needs at least one file');
  const settings = readLocalSettings(process.env);
  const options = {
    captureAddress: process.env.CAPTURE_ADDRESS ?? settings.captureAddress,
    systemAddresses: [process.env.SENDER_ADDRESS ?? settings.senderAddress],
    envelopeTo: values['envelope-to'] ?? [],
  };
  let failures = 0;
  for (const file of positionals) {
    try {
      const { record, understanding } = await parseFile(file, options);
      process.stdout.write(values.json ? `${JSON.stringify(record)}\n` : `${describeParse(record, understanding)}\n\n`);
    } catch (error) {
      failures += 1;
      const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
      if (values.json) process.stdout.write(`${JSON.stringify({ file, error: message })}\n`);
      else process.stderr.write(`${file}: ${message}\n`);
    }
  }
  return failures > 0 ? 1 : 0;
}

async function send(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { 'envelope-to': { type: 'string', multiple: true } } });
  if (positionals.length === 0) throw new UsageError('send needs at least one .eml file');
  const settings = readLocalSettings(process.env);
  const running = await readRunningLocalMode(localPaths(settings).runtimeFile);
  if (!running) throw new UsageError('local mode is not running; start it with `npm start` in another terminal');
  const transport = createTransport({ host: '127.0.0.1', port: running.smtpPort, secure: false, ignoreTLS: true });
  try {
    for (const file of positionals) {
      const raw = await readFile(file);
      const message = await parseMail(raw).catch(() => null);
      const from = normalizeAddress(message?.from[0]?.address) ?? 'someone@example.com';
      const info = await transport.sendMail({ envelope: { from, to: values['envelope-to'] ?? [running.captureAddress] }, raw });
      process.stdout.write(`${file}: ${info.response.replace(/^250\s*/, '')}\n`);
    }
  } finally {
    transport.close();
  }
  return 0;
}

async function partner(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { name: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' }, 'service-account': { type: 'boolean' }, ...PREFERENCE_OPTIONS },
  });
  if (action === 'list') {
    return withStore(async (store) => {
      const partners = await new DynamoPartnerStore(store.connection).listPartners();
      if (values.json) for (const item of partners) process.stdout.write(`${JSON.stringify(partnerRecord(item))}\n`);
      else if (partners.length === 0) process.stdout.write('No partners yet. Add one: npx refer partner add EMAIL --name NAME --tz ZONE\n');
      else for (const item of partners) process.stdout.write(`${item.email}  ${item.name ?? ''}  ${item.timeZone}  calendar: ${calendarStatus(item)}\n`);
      return 0;
    });
  }
  if (!['add', 'remove', 'set', 'show', 'connect'].includes(action ?? '')) throw new UsageError('partner needs add, list, show, set, connect or remove');
  const email = normalizeAddress(positionals[0]);
  if (!email) throw new UsageError(`partner ${action} needs a valid email address`);

  if (action === 'remove') {
    return withStore(async (store) => {
      const removed = await new DynamoPartnerStore(store.connection).removePartner(email);
      process.stdout.write(removed ? `Removed partner ${email}. Their introductions stay on record.\n` : `${email} is not a partner.\n`);
      return removed ? 0 : 1;
    });
  }
  if (action === 'add') {
    const timeZone = values.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!isTimeZone(timeZone)) throw new UsageError(`"${timeZone}" is not an IANA time zone (for example Europe/London or America/New_York)`);
    const name = cleanName(values.name);
    return withStore(async (store) => {
      const result = await new DynamoPartnerStore(store.connection).savePartner({ email, name, timeZone, createdAt: new Date().toISOString() });
      process.stdout.write(`${result === 'added' ? 'Added' : 'Updated'} partner ${email}${name ? ` (${name})` : ''}, time zone ${timeZone}.\n`);
      return 0;
    });
  }
  return withStore(async (store) => {
    const partners = new DynamoPartnerStore(store.connection);
    const existing = await partners.getPartner(email);
    if (!existing) throw new UsageError(`${email} is not a partner; add them first: npx refer partner add ${email}`);
    if (action === 'show') {
      const preferences = effectiveBookingPreferences(existing);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ ...partnerRecord(existing), booking: preferences })}\n`);
      } else {
        process.stdout.write([`${existing.email}  ${existing.name ?? ''}`, `calendar          ${calendarStatus(existing)}`, ...describePreferences(preferences)].join('\n') + '\n');
      }
      return 0;
    }
    if (action === 'connect') {
      if (values['service-account']) {
        await partners.connectCalendar(email, { status: 'connected', method: 'service_account', refreshToken: null, connectedAt: new Date().toISOString(), disconnectedAt: null, disconnectReason: null });
        process.stdout.write(`${email} is connected through the Workspace service account (domain-wide delegation).\n`);
        return 0;
      }
      process.stdout.write(`Send this link to ${email}; it is valid for 7 days:\n\n  ${await calendarConnectLink(existing)}\n\n`);
      process.stdout.write('Opening it leads to Google’s consent page; afterwards the calendar is connected and waiting introductions are booked.\n');
      return 0;
    }
    // set
    const timeZone = values.tz ?? existing.timeZone;
    if (!isTimeZone(timeZone)) throw new UsageError(`"${timeZone}" is not an IANA time zone (for example Europe/London or America/New_York)`);
    const preferenceValues: Partial<Record<keyof typeof PREFERENCE_OPTIONS, string>> = {};
    for (const key of Object.keys(PREFERENCE_OPTIONS) as (keyof typeof PREFERENCE_OPTIONS)[]) {
      const value = values[key];
      if (value !== undefined) preferenceValues[key] = value;
    }
    if (Object.keys(preferenceValues).length === 0 && values.tz === undefined && values.name === undefined) throw new UsageError('partner set needs at least one setting, e.g. --booking-mode propose');
    let booking;
    try {
      booking = updatedPreferences(existing.booking ?? {}, preferenceValues, timeZone);
    } catch (error) {
      if (error instanceof PreferenceError) throw new UsageError(error.message);
      throw error;
    }
    if (values.tz !== undefined || values.name !== undefined) {
      await partners.savePartner({ email, name: values.name !== undefined ? cleanName(values.name) : existing.name, timeZone, createdAt: existing.createdAt });
    }
    await partners.setBookingPreferences(email, booking);
    process.stdout.write(`Updated ${email}:\n${describePreferences(effectiveBookingPreferences({ ...existing, timeZone, booking })).map((line) => `  ${line}`).join('\n')}\n`);
    return 0;
  });
}

function calendarStatus(partner: Partner): string {
  const calendar = partner.calendar;
  if (!calendar) return 'not connected';
  const how = calendar.method === 'oauth' ? 'Google account' : calendar.method === 'service_account' ? 'Workspace service account' : 'local loopback calendar';
  return calendar.status === 'connected' ? `connected (${how}) since ${calendar.connectedAt}` : `disconnected ${calendar.disconnectedAt ?? ''} (${calendar.disconnectReason ?? 'reconnect needed'})`;
}

function cleanName(name: string | undefined): string | null {
  return name?.replace(/[\r\n]+/g, ' ').trim() || null;
}

async function list(args: readonly string[], what: 'intros' | 'inbound' | 'outbox'): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'list') throw new UsageError(`${what} needs list`);
  const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
  return withStore(async (store) => {
    const lines = await listLines(store, what);
    const output = values.json ? lines.map((line) => JSON.stringify(line.record)) : lines.map((line) => line.text);
    if (output.length === 0 && !values.json) process.stdout.write(`Nothing yet (reading ${store.description}).\n`);
    for (const line of output) process.stdout.write(`${line}\n`);
    return 0;
  });
}

async function listLines(store: OpenStore, what: 'intros' | 'inbound' | 'outbox'): Promise<{ record: object; text: string }[]> {
  const queries = new DynamoIntroductionQueries(store.connection);
  if (what === 'intros') {
    return (await queries.listIntroductions()).map(introductionRecord).map((record) => ({
      record,
      text: `${record.createdAt}  ${record.introducer} introduced ${record.parties.join(' and ')}  [${record.status}]  ${record.subject}`,
    }));
  }
  if (what === 'inbound') {
    return (await queries.listInbound()).map(inboundRecord).map((record) => ({
      record,
      text: `${record.receivedAt}  ${record.outcome.padEnd(9)} ${record.sender ?? '—'}  ${record.subject ?? ''}\n    ${record.reasons.join('; ')}`,
    }));
  }
  return (await new DynamoOutbox(store.connection).list()).map(outboxRecord).map((record) => ({
    record,
    text: `${record.sentAt ?? 'sending'}  to ${record.to.join(', ')}  [${record.purpose}]  ${record.subject}`,
  }));
}

async function withStore(action: (store: OpenStore) => Promise<number>): Promise<number> {
  const store = await openStore();
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Errors a user can act on: print the message alone, not a stack trace. */
const USER_FACING_ERRORS = new Set(['UsageError', 'CliInputError', 'KeysSecretError', 'PortInUseError', 'LocalModeAlreadyRunningError', 'SettingsError']);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof Error && 'code' in error ? String((error as NodeJS.ErrnoException).code) : '';
    if (error instanceof Error && (USER_FACING_ERRORS.has(error.name) || code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`refer: ${error.message}\n`);
      if (error instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) process.stderr.write('Run `npx refer help` for usage.\n');
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`refer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
