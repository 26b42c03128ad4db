import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { relative } from 'node:path';
import { captureDelivery } from '../domain/capture/capture-delivery.ts';
import { ensureTable, tableStreamArn } from '../adapters/dynamodb/create-table.ts';
import { createDocumentClient, type DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { FileRawMailStore } from '../adapters/local/file-raw-mail.ts';
import { OutboxFolderSender } from '../adapters/local/outbox-folder-sender.ts';
import { captureDependencies } from '../shared/capture-wiring.ts';
import type { RunningDynamoDbLocal } from './dynamodb-local.ts';
import { freePortOtherThan, LocalModeAlreadyRunningError, localModeDynamoDb } from './early-start.ts';
import { makeWebHandler } from '../handlers/web.ts';
import { makeBookingHandler } from '../handlers/booking.ts';
import { makeJobsHandler } from '../handlers/jobs.ts';
import { runJob } from '../domain/schedules/run-job.ts';
import { startLocalScheduler, type LocalScheduler } from '../adapters/scheduler/table-scheduler.ts';
import { entityIs, newInboundWith, startStreamPoller, type RunningStreamPoller } from './stream-poller.ts';
import { CAPTURE_MAIL_OUTCOMES } from '../domain/capture/capture-mail.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import { DynamoUsedTokenStore } from '../adapters/dynamodb/used-token-store.ts';
import { logger } from '../shared/logger.ts';
import { startLocalBooking, type LocalBooking } from './local-booking.ts';
import { startWebServer, type RunningWebServer } from './web-server.ts';
import { loadLocalKeys } from './local-keys.ts';
import { localPaths, localWebBaseUrl, PROJECT_ROOT, type LocalSettings } from './local-settings.ts';
import { removeRuntimeFile, writeRuntimeFile } from './runtime-file.ts';
import { startSmtpInbound, type RunningSmtpInbound } from './smtp-inbound.ts';
import { DashboardData } from './dashboard/dashboard-data.ts';
import { makeDashboard } from './dashboard/dashboard-server.ts';
import { LiveUpdates } from './dashboard/live-updates.ts';

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

export { LocalModeAlreadyRunningError };

/**
 * The whole system on this machine: DynamoDB Local (data kept in .data/), the SMTP capture server
 * playing SES inbound, raw mail kept on disk, outgoing mail written to an outbox folder. The same
 * capture use case and adapters as on Lambda; only raw-mail storage and sending differ.
 */
export async function startLocalMode(settings: LocalSettings): Promise<RunningLocalMode> {
  const paths = localPaths(settings);
  // Checks that nothing else runs on this data and that the ports are free, then starts (or takes the prestarted) DynamoDB Local.
  const dynamo = await localModeDynamoDb(settings);

  const started: {
    dynamo?: RunningDynamoDbLocal;
    smtp?: RunningSmtpInbound;
    booking?: LocalBooking;
    web?: RunningWebServer;
    stream?: RunningStreamPoller;
    scheduler?: LocalScheduler;
    /** The start-up sweep, while it runs: stopping waits for it rather than pulling the table from under it. */
    sweep?: Promise<void>;
  } = {};
  const live = new LiveUpdates();
  const stop = async () => {
    await started.smtp?.stop();
    live.close();
    await started.web?.stop();
    await started.scheduler?.stop();
    await started.sweep;
    await started.stream?.stop();
    await started.booking?.stop();
    await started.dynamo?.stop();
    await removeRuntimeFile(paths.runtimeFile);
  };
  try {
    started.dynamo = dynamo;
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
      googlePort: settings.googlePort ?? (await freePortOtherThan([settings.smtpPort, settings.webPort, started.dynamo.port])),
      googleStatePath: paths.googleState,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    started.booking = booking;
    const followThrough = booking.runtime.followThrough;
    // The same pages as the web function on AWS (one-click links, the Google OAuth callback), and
    // the dashboard, which only local mode serves.
    started.web = await startWebServer({
      port: settings.webPort,
      localRoutes: makeDashboard({
        data: new DashboardData(connection, booking.runtime.scheduler, rawMail, sender),
        runJob: (job) => runJob(job, followThrough),
        live,
        logger,
      }),
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
        {
          name: 'follow-through',
          accepts: (record) => entityIs(['introduction', 'pair', 'group'], ['INSERT', 'MODIFY'])(record) || newInboundWith(CAPTURE_MAIL_OUTCOMES)(record),
          handle: (records) => jobsHandler({ Records: records }),
        },
        // Open dashboard pages refresh on any change to the table.
        {
          name: 'dashboard',
          accepts: () => true,
          handle: () => {
            live.changed();
            return Promise.resolve({ batchItemFailures: [] });
          },
        },
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
    started.sweep = runJob({ kind: 'sweep' }, followThrough).then(
      (result) => {
        if (result.outcomes.length > 0) print(`caught up: ${result.outcomes.join(', ')}`);
      },
      () => {
        print('the start-up sweep failed; the scheduler runs the daily sweep later');
      },
    );
    return { dynamoEndpoint: started.dynamo.endpoint, smtpPort: started.smtp.port, webUrl, googleUrl: booking.loopback?.url ?? null, connection, booking, stream: started.stream, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What `npm start` prints once everything is up: what runs where, how to see the whole loop,
 * how to send an introduction of one's own, and how to stop. `readyMs` is the time since the
 * process started (so it includes loading the code, not only starting the services).
 */
export function localModeBanner(settings: LocalSettings, running: RunningLocalMode, readyMs: number): string {
  const paths = localPaths(settings);
  const show = (path: string) => relative(process.cwd(), path) || '.';
  const smtp = `127.0.0.1:${running.smtpPort}`;
  return [
    '',
    `Referral follow-through is running on this machine (ready ${(readyMs / 1000).toFixed(1)} s after start)`,
    '',
    `  Dashboard        ${running.webUrl}  (introductions, partners, calendar, outbox, schedules; this machine only)`,
    `  Capture address  ${settings.captureAddress}  (SMTP on ${smtp}, no login)`,
    `  Web pages        ${running.webUrl}  (one-click links in the emails, calendar connection)`,
    running.googleUrl
      ? `  Google Calendar  loopback server at ${running.googleUrl}  (partners are connected to it automatically)`
      : '  Google Calendar  real Google (GOOGLE_CLIENT_ID is set): partners connect with `npx refer partner connect EMAIL`',
    '  Scheduler        in process: follow-ups, weekly check-ins and digests fire from the table when due',
    `  DynamoDB Local   ${running.dynamoEndpoint}  (data kept in ${show(paths.dynamo)}/)`,
    `  Mail kept in     ${show(paths.inbound)}/ (received)  and  ${show(paths.outbox)}/ (sent, one .eml each)`,
    '',
    'See the whole loop, in another terminal:',
    '  npx refer demo     a sample referral group sends a few introductions; watch the dashboard',
    '',
    'Or send your own:',
    '  npx refer partner add you@example.com --name "Your Name" --tz Europe/London',
    `  npx refer send path/to/introduction.eml   (or any mail client: SMTP ${smtp}, ${settings.captureAddress} in Cc)`,
    '',
    `Stop with Ctrl-C (the data stays in ${show(settings.dataDirectory)}/).`,
    '',
  ].join('\n');
}

export { PROJECT_ROOT };
