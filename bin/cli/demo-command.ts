import { createTransport } from 'nodemailer';
import { DynamoIntroductionQueries } from '../../functions/adapters/dynamodb/introduction-queries.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { contactLabel, type Introduction } from '../../functions/domain/introductions/introduction.ts';
import { addGroup, addPair } from '../../functions/domain/pairs/pair-setup.ts';
import { runJob } from '../../functions/domain/schedules/run-job.ts';
import { DEMO_GROUP, DEMO_PAIRS, DEMO_PARTNERS } from '../../functions/local/demo/demo-group.ts';
import { demoMessages } from '../../functions/local/demo/demo-mail.ts';
import { localPaths, readLocalSettings } from '../../functions/local/local-settings.ts';
import { readRunningLocalMode, type LocalRuntime as LocalModeRuntime } from '../../functions/local/runtime-file.ts';
import { CommandError, localFollowThrough } from './follow-through-commands.ts';
import { updatedPreferences } from './partner-preferences.ts';
import { openStore, type OpenStore } from './store-connection.ts';

/** How long the demo waits for the running local mode to book the meetings. */
const BOOKING_WAIT_MS = 30_000;

/**
 * `refer demo`: a sample referral group in the running local mode, and the whole loop on it.
 * Seeds five partners (time zones, booking preferences), two pairs and a group; sends real mail to
 * the capture address over SMTP (introductions, a forward, a reply, an out-of-office, one from a
 * stranger); waits for local mode to book the meetings; then runs the introducers' updates as of
 * the time they are due and Ana & Victor's weekly check-in, as `refer jobs run` would. Everything
 * is idempotent: running it again adds nothing twice.
 */
export async function demoCommand(args: readonly string[]): Promise<number> {
  if (args.length > 0) throw new CommandError('demo takes no arguments');
  const settings = readLocalSettings(process.env);
  const running = await readRunningLocalMode(localPaths(settings).runtimeFile);
  if (!running) throw new CommandError('local mode is not running; start it with `npm start` in another terminal, then run `npx refer demo`');
  // The running local mode's DynamoDB Local (found through the same runtime file).
  const store = await openStore();
  try {
    return await runDemo(running, store);
  } finally {
    await store.close();
  }
}

async function runDemo(running: LocalModeRuntime, store: OpenStore): Promise<number> {
  const say = (line = '') => process.stdout.write(`${line}\n`);
  const dashboard = running.webUrl;

  say(`Setting up the ${DEMO_GROUP.name}: ${DEMO_PARTNERS.length} partners, ${DEMO_PAIRS.length} pairs, one group.`);
  const partners = new DynamoPartnerStore(store.connection);
  for (const partner of DEMO_PARTNERS) {
    const existing = await partners.getPartner(partner.email);
    await partners.savePartner({ email: partner.email, name: partner.name, timeZone: partner.timeZone, createdAt: existing?.createdAt ?? new Date().toISOString() });
    await partners.setBookingPreferences(partner.email, updatedPreferences(existing?.booking ?? {}, partner.preferences, partner.timeZone));
    say(`  partner  ${partner.name.padEnd(12)} ${partner.timeZone.padEnd(20)} ${Object.entries(partner.preferences).map(([key, value]) => `${key} ${value}`).join(', ')}`);
  }
  const followThrough = await localFollowThrough(store);
  const pairIds: string[] = [];
  for (const pair of DEMO_PAIRS) {
    const { pair: saved } = await addPair({ a: pair.a.email, b: pair.b.email, timeZone: pair.timeZone, weekly: pair.weekly, oneToOne: pair.oneToOne, goalPerMonth: pair.goalPerMonth }, followThrough);
    pairIds.push(saved.id);
    say(`  pair     ${pair.a.name} & ${pair.b.name}: weekly check-in ${pair.weekly.day} ${pair.weekly.time} ${pair.timeZone}, ${pair.oneToOne} one-to-one, goal ${pair.goalPerMonth} a month each way`);
  }
  await addGroup({ name: DEMO_GROUP.name, members: DEMO_GROUP.members.map((member) => member.email), timeZone: DEMO_GROUP.timeZone }, followThrough);
  say(`  group    ${DEMO_GROUP.name}: all five, monthly digest`);

  say();
  say(`Sending mail to ${running.captureAddress} (SMTP 127.0.0.1:${running.smtpPort}):`);
  const transport = createTransport({ host: '127.0.0.1', port: running.smtpPort, secure: false, ignoreTLS: true });
  try {
    for (const message of await demoMessages(running.captureAddress, new Date())) {
      const info = await transport.sendMail({ envelope: { from: message.from, to: [running.captureAddress] }, raw: message.raw });
      say(`  ${message.shows}\n    → ${info.response.replace(/^250\s*/, '')}`);
    }
  } finally {
    transport.close();
  }

  say();
  say('Waiting for local mode to book the meetings (it reads the table stream, as the booking Lambda does)...');
  const queries = new DynamoIntroductionQueries(store.connection);
  const mine = (list: readonly Introduction[]) => list.filter((intro) => intro.messageId?.startsWith('<demo-'));
  const settled = (intro: Introduction) => intro.status === 'meeting_booked' || intro.booking?.waitingFor === 'prospect_choice' || (intro.status !== 'introduced' && intro.status !== 'awaiting_booking');
  const deadline = Date.now() + BOOKING_WAIT_MS;
  let introductions = mine(await queries.listIntroductions());
  while (!introductions.every(settled) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    introductions = mine(await queries.listIntroductions());
  }
  for (const intro of introductions) {
    const who = `${intro.parties.map(contactLabel).join(' and ')} (from ${contactLabel(intro.introducer)})`;
    if (intro.meeting) say(`  booked   ${who}: ${new Date(intro.meeting.start).toUTCString().replace(':00 GMT', ' UTC')} in ${intro.meeting.calendarOwner}'s calendar`);
    else if (intro.booking?.waitingFor === 'prospect_choice') say(`  proposed ${who}: three times emailed to choose from`);
    else say(`  waiting  ${who}: ${intro.status}${intro.booking?.waitingFor ? ` (${intro.booking.waitingFor})` : ''}`);
  }

  // The introducer hears about a booking an hour later (changes within the hour are combined): run those updates as of then.
  await waitForUpdatesDue(queries, introductions.filter((intro) => intro.meeting).length, deadline);
  const updates = (await queries.listIntroductions()).filter((intro) => intro.messageId?.startsWith('<demo-') && intro.followUp?.updateDueAt);
  if (updates.length > 0) say();
  for (const intro of updates) {
    const at = intro.followUp?.updateDueAt as string;
    const result = await runJob({ kind: 'update', introductionId: intro.id, at }, await localFollowThrough(store, new Date(at)));
    say(`  update to ${contactLabel(intro.introducer)} as of ${at} (an hour after the booking): ${result.outcomes.join(', ')}`);
  }
  const [firstPair] = DEMO_PAIRS;
  const weekly = await runJob({ kind: 'weekly', pairId: pairIds[0] ?? '' }, followThrough);
  say(`  weekly check-in for ${firstPair?.a.name} & ${firstPair?.b.name}, as of now: ${weekly.outcomes.join(', ')}`);

  say();
  say(`Open the dashboard: ${dashboard}`);
  say('  Introductions     who introduced whom, where each stands; open one for its meeting, history and thread');
  say('  Partners & pairs  this week’s and this quarter’s numbers, and the chart');
  say('  Outbox            every email sent, as its recipient sees it (confirmations, the proposal to Daniel, updates, the check-in)');
  say('  Schedules         press Run now on Priya & Marco’s weekly check-in, then open it in the Outbox and try a one-click link');
  say('  Inbound           the out-of-office (ignored) and the stranger’s introduction (rejected), with the reasons');
  return 0;
}

/** Follow-through reconciles each booking from the stream a moment later: wait until the updates are queued. */
async function waitForUpdatesDue(queries: DynamoIntroductionQueries, booked: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    // Reconciled for the booking: the outcome question is due after the meeting (and the update queued, unless it went out already).
    const queued = (await queries.listIntroductions()).filter((intro) => intro.messageId?.startsWith('<demo-') && intro.meeting && (intro.followUp?.updateDueAt || intro.followUp?.outcomeDueAt));
    if (queued.length >= booked) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
