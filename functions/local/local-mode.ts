import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { relative } from 'node:path';
import { captureDelivery } from '../domain/capture/capture-delivery.ts';
import { ensureTable, tableStreamArn } from '../adapters/dynamodb/create-table.ts';
import { createDocumentClient, type DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { FileRawMailStore } from '../adapters/local/file-raw-mail.ts';
import { OutboxFolderSender } from '../adapters/local/outbox-folder-sender.ts';
import { captureDependencies } from '../shared/capture-wiring.ts';
import { isPortInUse, startDynamoDbLocal, type RunningDynamoDbLocal } from './dynamodb-local.ts';
import { makeWebHandler } from '../handlers/web.ts';
import { makeBookingHandler } from '../handlers/booking.ts';
import { makeJobsHandler } from '../handlers/jobs.ts';
import { runJob } from '../domain/schedules/run-job.ts';
import { startLocalScheduler, type LocalScheduler } from '../adapters/scheduler/table-scheduler.ts';
import { entityIs, startStreamPoller, type RunningStreamPoller } from './stream-poller.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import { DynamoUsedTokenStore } from '../adapters/dynamodb/used-token-store.ts';
import { logger } from '../shared/logger.ts';
import { startLocalBooking, type LocalBooking } from './local-booking.ts';
import { startWebServer, type RunningWebServer } from './web-server.ts';
import { loadLocalKeys } from './local-keys.ts';
import { localPaths, localWebBaseUrl, PROJECT_ROOT, type LocalSettings } from './local-settings.ts';
import { readRunningLocalMode, removeRuntimeFile, writeRuntimeFile } from './runtime-file.ts';
import { PortInUseError, startSmtpInbound, type RunningSmtpInbound } from './smtp-inbound.ts';

export interface RunningLocalMode {
  readonly dynamoEndpoint: string;
  readonly smtpPort: number;
  readonly webUrl: string;
  /** The loopback Google server, or null when real Google credentials are configured. */
  readonly googleUrl: string | null;
  readonly connection: DynamoConnection;
  readonly booking: LocalBooking;
  readonly stream: RunningStreamPoller;
  stop(): Promise<void>;
}

export class LocalModeAlreadyRunningError extends Error {
  override readonly name = 'LocalModeAlreadyRunningError';
}

/**
 * The whole system on this machine: DynamoDB Local (data kept in .data/), the SMTP capture server
 * playing SES inbound, raw mail kept on disk, outgoing mail written to an outbox folder. The same
 * capture use case and adapters as on Lambda; only raw-mail storage and sending differ.
 */
export async function startLocalMode(settings: LocalSettings): Promise<RunningLocalMode> {
  const paths = localPaths(settings);
  const running = await readRunningLocalMode(paths.runtimeFile);
  if (running) throw new LocalModeAlreadyRunningError(`Local mode is already running (process ${running.pid}); stop it with Ctrl-C in its terminal first.`);
  // Fail on a taken port before spending seconds starting DynamoDB Local.
  if (await isPortInUse(settings.smtpPort)) throw new PortInUseError(settings.smtpPort, 'SMTP capture server', 'REFER_SMTP_PORT');
  if (await isPortInUse(settings.webPort)) throw new PortInUseError(settings.webPort, 'web server', 'REFER_WEB_PORT');
  if (settings.dynamoPort !== undefined && (await isPortInUse(settings.dynamoPort))) {
    throw new PortInUseError(settings.dynamoPort, 'DynamoDB Local', 'REFER_DYNAMODB_PORT');
  }

  const started: {
    dynamo?: RunningDynamoDbLocal;
    smtp?: RunningSmtpInbound;
    booking?: LocalBooking;
    web?: RunningWebServer;
    stream?: RunningStreamPoller;
    scheduler?: LocalScheduler;
  } = {};
  const stop = async () => {
    await started.smtp?.stop();
    await started.web?.stop();
    await started.scheduler?.stop();
    await started.stream?.stop();
    await started.booking?.stop();
    await started.dynamo?.stop();
    await removeRuntimeFile(paths.runtimeFile);
  };
  try {
    started.dynamo = await startDynamoDbLocal({ dataDirectory: paths.dynamo, ...(settings.dynamoPort ? { port: settings.dynamoPort } : {}) });
    const raw = new DynamoDBClient({ endpoint: started.dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(raw, settings.tableName);
    const streamArn = await tableStreamArn(raw, settings.tableName);
    raw.destroy();

    const connection = { client: createDocumentClient({ endpoint: started.dynamo.endpoint }), tableName: settings.tableName };
    const rawMail = new FileRawMailStore(paths.inbound);
    const sender = new OutboxFolderSender(paths.outbox, { address: settings.senderAddress, name: settings.senderName });
    const dependencies = captureDependencies({
      connection,
      rawMail,
      sender,
      policy: { captureAddress: settings.captureAddress, systemAddresses: [settings.senderAddress], rejectOnSpamFail: true, rejectOnDmarcFail: true },
    });
    const webUrl = localWebBaseUrl(settings);
    const keys = await loadLocalKeys(settings.dataDirectory);
    const booking = await startLocalBooking({
      connection,
      keys,
      sender,
      webBaseUrl: webUrl,
      captureAddress: settings.captureAddress,
      googleClient: settings.googleClient,
      ...(settings.googlePort ? { googlePort: settings.googlePort } : {}),
      googleStatePath: paths.googleState,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    started.booking = booking;
    const followThrough = booking.runtime.followThrough;
    // The same pages as the web function on AWS: one-click links and the Google OAuth callback.
    started.web = await startWebServer({
      port: settings.webPort,
      handler: makeWebHandler({
        booking: booking.dependencies,
        partners: new DynamoPartnerStore(connection),
        oauth: booking.oauth,
        sealer: booking.sealer,
        signingKey: keys.linkSigning,
        verificationKeys: [keys.linkSigning],
        followThrough,
        usedTokens: new DynamoUsedTokenStore(connection),
        logger,
      }),
    });
    const bookingHandler = makeBookingHandler({ booking: booking.dependencies, logger });
    const jobsHandler = makeJobsHandler({ followThrough, logger });
    const print = (line: string) => process.stdout.write(`${line}\n`);
    // Lambda's two event source mappings on the table stream, with the same filters.
    started.stream = await startStreamPoller({
      endpoint: started.dynamo.endpoint,
      streamArn,
      log: print,
      consumers: [
        {
          name: 'booking',
          accepts: (record) => entityIs(['introduction'], ['INSERT'])(record) || entityIs(['partner'], ['MODIFY'])(record),
          handle: async (records) => {
            // With the loopback server, the introduced partners are connected to it first: the loop works out of the box.
            for (const record of records) {
              const parties = (record.dynamodb.NewImage?.parties as { L?: { M?: { email?: { S?: string } } }[] } | undefined)?.L ?? [];
              if (record.eventName === 'INSERT') for (const party of parties) if (party.M?.email?.S) await booking.connectToLoopback(party.M.email.S);
            }
            return bookingHandler({ Records: records });
          },
        },
        { name: 'follow-through', accepts: entityIs(['introduction', 'pair', 'group'], ['INSERT', 'MODIFY']), handle: (records) => jobsHandler({ Records: records }) },
      ],
    });
    // EventBridge Scheduler's stand-in: due schedules from the table, run in process.
    started.scheduler = startLocalScheduler({
      scheduler: booking.runtime.scheduler,
      run: async (job) => {
        const result = await runJob(job, followThrough);
        if (result.outcomes.some((outcome) => outcome === 'sent' || outcome.endsWith(':sent'))) print(`${job.kind}: ${result.outcomes.join(', ')}`);
      },
      logger,
    });
    started.smtp = await startSmtpInbound({
      port: settings.smtpPort,
      captureDomain: settings.captureAddress.split('@')[1] ?? 'refer.local',
      onMessage: async (message) => {
        const rawLocation = await rawMail.store(message.deliveryId, message.raw);
        const result = await captureDelivery(
          { deliveryId: message.deliveryId, receivedAt: message.receivedAt, envelopeRecipients: message.envelopeRecipients, verdicts: null, rawLocation },
          dependencies,
        );
        return `OK ${result.outcome}${result.introductionId ? ` ${result.introductionId}` : ''}`;
      },
    });
    await writeRuntimeFile(paths.runtimeFile, {
      pid: process.pid,
      dynamoEndpoint: started.dynamo.endpoint,
      tableName: settings.tableName,
      smtpPort: started.smtp.port,
      webUrl,
      googleUrl: booking.loopback?.url ?? null,
      captureAddress: settings.captureAddress,
      startedAt: new Date().toISOString(),
    });
    // The daily sweep's backstop, once at start: whatever was missed while local mode was stopped.
    runJob({ kind: 'sweep' }, followThrough).then(
      (result) => {
        if (result.outcomes.length > 0) print(`caught up: ${result.outcomes.join(', ')}`);
      },
      () => print('the start-up sweep failed; the scheduler runs the daily sweep later'),
    );
    return { dynamoEndpoint: started.dynamo.endpoint, smtpPort: started.smtp.port, webUrl, googleUrl: booking.loopback?.url ?? null, connection, booking, stream: started.stream, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function localModeBanner(settings: LocalSettings, running: RunningLocalMode, startupMs: number): string {
  const paths = localPaths(settings);
  const show = (path: string) => relative(process.cwd(), path) || '.';
  return [
    '',
    `Referral follow-through is running locally (ready in ${(startupMs / 1000).toFixed(1)} s)`,
    '',
    `  Capture address  ${settings.captureAddress}  (SMTP on 127.0.0.1:${running.smtpPort})`,
    `  DynamoDB Local   ${running.dynamoEndpoint}  (data kept in ${show(paths.dynamo)}/)`,
    `  Raw mail         ${show(paths.inbound)}/`,
    `  Sent mail        ${show(paths.outbox)}/  (one .eml per email)`,
    `  Web pages        ${running.webUrl}  (one-click links, calendar connection)`,
    running.googleUrl
      ? `  Google Calendar  loopback server at ${running.googleUrl}  (partners are connected to it automatically)`
      : '  Google Calendar  real Google (GOOGLE_CLIENT_ID is set): partners connect with `npx refer partner connect EMAIL`',
    '',
    'Try it, in another terminal:',
    `  npx refer partner add you@example.com --name "Your Name" --tz Europe/London`,
    `  npx refer send path/to/introduction.eml      (sent to ${settings.captureAddress} by SMTP)`,
    '  npx refer intros list',
    '  npx refer outbox list',
    '',
    `Any mail client works too: SMTP server 127.0.0.1, port ${running.smtpPort}, no login; put ${settings.captureAddress} in Cc or Bcc.`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}

export { PROJECT_ROOT };
