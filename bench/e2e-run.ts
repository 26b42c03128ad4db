// Local mode end to end, in its own process (local mode prints its progress on stdout): starts
// `startLocalMode` on free ports in a temporary data directory, registers partners, sends
// introductions over SMTP with nodemailer, waits until each is booked on the loopback Google
// Calendar, and prints one line `BENCH_RESULT {json}` for bench/e2e-bench.ts.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { createDocumentClient } from '../functions/adapters/dynamodb/document-client.ts';
import { DynamoIntroductionQueries } from '../functions/adapters/dynamodb/introduction-queries.ts';
import { DynamoPartnerStore } from '../functions/adapters/dynamodb/partner-store.ts';
import { findFreePort } from '../functions/local/dynamodb-local.ts';
import { startLocalMode } from '../functions/local/local-mode.ts';
import { readLocalSettings } from '../functions/local/local-settings.ts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoItemBytes, meterDynamo } from './dynamo-meter.ts';

const introductions = Number(process.argv[2] ?? 200);
const RECEIVERS = 40;
/** Introductions arrive 5 a second: latency, not the backlog of a burst, is what is measured. */
const ARRIVAL_SPACING_MS = 200;
const TIMEOUT_MS = 240_000;

const dataDirectory = mkdtempSync(join(tmpdir(), 'refer-bench-e2e-'));
const settings = readLocalSettings({
  REFER_DATA_DIR: dataDirectory,
  REFER_SMTP_PORT: String(await findFreePort()),
  REFER_WEB_PORT: String(await findFreePort()),
});
const running = await startLocalMode(settings);
try {
  // Local mode keeps its schedules in the table; on AWS that is EventBridge Scheduler, not DynamoDB.
  const meter = meterDynamo(running.connection.client, (input) => (JSON.stringify(input).includes('SCHEDULE#') ? 'scheduler' : 'counted'));
  const partners = new DynamoPartnerStore(running.connection);
  const partnerEmail = (index: number) => `partner${index}@firm${index}.example`;
  for (let index = 0; index < RECEIVERS; index += 1) {
    await partners.savePartner({ email: partnerEmail(index), name: `Partner Number${index}`, timeZone: 'America/New_York', createdAt: new Date().toISOString() });
  }
  meter.reset();
  const cpuBefore = process.cpuUsage();

  const transport = createTransport({ host: '127.0.0.1', port: settings.smtpPort, secure: false, ignoreTLS: true });
  const accepted = new Map<string, number>();
  let rawBytes = 0;
  const sendingStart = Date.now();
  for (let index = 0; index < introductions; index += 1) {
    const due = sendingStart + index * ARRIVAL_SPACING_MS;
    if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const introducer = partnerEmail(index % RECEIVERS);
    const receiver = partnerEmail((index + 1) % RECEIVERS);
    const prospect = { name: `Prospect Person${index}`, address: `prospect${index}@client${index}.example` };
    const info = await transport.sendMail({
      from: { name: `Partner Number${index % RECEIVERS}`, address: introducer },
      to: [{ name: `Partner Number${(index + 1) % RECEIVERS}`, address: receiver }, prospect],
      cc: settings.captureAddress,
      subject: `Introduction: Partner Number${(index + 1) % RECEIVERS} <> ${prospect.name}`,
      text: `Hi both,\n\nI would like to introduce you to each other. ${prospect.name} runs a family business that is growing fast, and Partner Number${(index + 1) % RECEIVERS} helps exactly such companies. You two should meet.\n\nBest,\nPartner Number${index % RECEIVERS}\n`,
    });
    const id = /captured (\S+)/.exec(info.response)?.[1];
    if (!id) throw new Error(`introduction ${index} was not captured: ${info.response}`);
    accepted.set(id, Date.now());
    rawBytes += info.messageSize ?? 0;
  }
  transport.close();

  // The bench watches for bookings through a client of its own: its reads are not the system's.
  const watcher = createDocumentClient({ endpoint: running.dynamoEndpoint });
  const queries = new DynamoIntroductionQueries({ client: watcher, tableName: settings.tableName });
  const latencies: number[] = [];
  const deadline = Date.now() + TIMEOUT_MS;
  const pending = new Set(accepted.keys());
  while (pending.size > 0 && Date.now() < deadline) {
    for (const intro of await queries.listIntroductions()) {
      if (!pending.has(intro.id) || intro.status !== 'meeting_booked') continue;
      const booked = (await queries.history(intro.id)).find((event) => event.type === 'meeting_booked');
      if (!booked) continue;
      latencies.push(new Date(booked.at).getTime() - (accepted.get(intro.id) ?? 0));
      pending.delete(intro.id);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (pending.size > 0) throw new Error(`${pending.size} of ${introductions} introductions were not booked within ${TIMEOUT_MS / 1000} s`);
  // Mail sent by then (confirmations, invitations' companion emails), and its size.
  const outbox = join(dataDirectory, 'outbox');
  const sentFiles = readdirSync(outbox).map((file) => statSync(join(outbox, file)).size);
  const cpu = process.cpuUsage(cpuBefore);
  const counted = meter.tally('counted');
  watcher.destroy();
  // What the introductions keep in the table: each item's size as DynamoDB bills storage, plus
  // its 100-byte overhead, once in the table and once per index it is in. Partners excluded.
  let storedBytes = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await running.connection.client.send(new ScanCommand({ TableName: settings.tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith('SCHEDULE#') || (pk.startsWith('PARTNER#') && item.sk === 'META')) continue;
      const copies = 1 + ['gsi1pk', 'gsi2pk'].filter((key) => key in item).length;
      storedBytes += copies * (100 + dynamoItemBytes(item));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  process.stdout.write(
    `BENCH_RESULT ${JSON.stringify({
      introductions,
      latencies,
      rawBytesPerIntro: rawBytes / introductions,
      emailsPerIntro: sentFiles.length / introductions,
      emailBytes: sentFiles.length > 0 ? sentFiles.reduce((sum, size) => sum + size, 0) / sentFiles.length : 0,
      dynamo: counted,
      schedulerRequests: meter.tally('scheduler').requests,
      cpuMsPerIntro: (cpu.user + cpu.system) / 1000 / introductions,
      storedBytesPerIntro: storedBytes / introductions,
    })}\n`,
  );
} finally {
  await running.stop();
  rmSync(dataDirectory, { recursive: true, force: true });
}
