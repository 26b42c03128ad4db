import { parseArgs } from 'node:util';
import { EMPTY_FOLLOW_UP } from '../../functions/domain/followup/follow-up-state.ts';
import { changeStatus, MAX_AMOUNT } from '../../functions/domain/followup/answer-question.ts';
import type { FollowThroughDependencies } from '../../functions/domain/followup/follow-through.ts';
import { INTRODUCTION_STATUSES, type IntroductionStatus } from '../../functions/domain/introductions/status.ts';
import { addGroup, addPair, InvalidPairError } from '../../functions/domain/pairs/pair-setup.ts';
import { ONE_TO_ONE_CADENCES, type OneToOneCadence, type Pair } from '../../functions/domain/pairs/pair.ts';
import { JOB_KINDS, type Job, type JobKind } from '../../functions/domain/schedules/jobs.ts';
import { runJob } from '../../functions/domain/schedules/run-job.ts';
import type { Weekday } from '../../functions/domain/booking/time-zones.ts';
import { DynamoIntroductionQueries } from '../../functions/adapters/dynamodb/introduction-queries.ts';
import { OutboxFolderSender } from '../../functions/adapters/local/outbox-folder-sender.ts';
import { loadLocalKeys } from '../../functions/local/local-keys.ts';
import { localRuntime } from '../../functions/local/local-runtime.ts';
import { localPaths, localWebBaseUrl, readLocalSettings } from '../../functions/local/local-settings.ts';
import { readRunningLocalMode } from '../../functions/local/runtime-file.ts';
import type { OpenStore } from './store-connection.ts';

export class CommandError extends Error {
  override readonly name = 'UsageError';
}

const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * Follow-through as local mode runs it, for a CLI command: the same table, outbox folder, table
 * scheduler and Google as the running local mode (or the local data directly), with a clock that
 * can be set (`--at`) so a week can be run through in seconds.
 */
export async function localFollowThrough(store: OpenStore, at?: Date): Promise<FollowThroughDependencies> {
  if (process.env.TABLE_NAME && !process.env.REFER_DYNAMODB_ENDPOINT) {
    throw new CommandError('this command works on local mode; on AWS the schedules run the jobs function (aws lambda invoke it with a job to run one now)');
  }
  const settings = readLocalSettings(process.env);
  const running = await readRunningLocalMode(localPaths(settings).runtimeFile);
  const runtime = localRuntime({
    connection: store.connection,
    keys: await loadLocalKeys(settings.dataDirectory),
    sender: new OutboxFolderSender(localPaths(settings).outbox, { address: settings.senderAddress, name: settings.senderName }, () => at ?? new Date()),
    webBaseUrl: running?.webUrl ?? localWebBaseUrl(settings),
    captureAddress: settings.captureAddress,
    loopbackUrl: running?.googleUrl ?? null,
    googleClient: settings.googleClient,
    ...(at ? { clock: { now: () => at } } : {}),
  });
  return runtime.followThrough;
}

/** `refer pair add A B --weekly mon 08:00 --tz Europe/London --one-to-one monthly [--goal 2]` and `refer pair list`. */
export async function pairCommand(args: readonly string[], store: OpenStore): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { weekly: { type: 'string' }, tz: { type: 'string' }, 'one-to-one': { type: 'string' }, goal: { type: 'string' }, json: { type: 'boolean' } },
  });
  const dependencies = await localFollowThrough(store);
  if (action === 'list') {
    for (const pair of await dependencies.pairs.listPairs()) {
      process.stdout.write(values.json ? `${JSON.stringify(pairRecord(pair))}\n` : `${pair.id}  ${pair.partners.join(' & ')}  ${describeWeekly(pair)}  one-to-one ${pair.oneToOne}\n`);
    }
    return 0;
  }
  if (action !== 'add') throw new CommandError('pair needs add or list');
  const [a, b, maybeTime] = positionals;
  if (!a || !b) throw new CommandError('pair add needs two partner email addresses');
  const weekly = parseWeekly(values.weekly ?? 'mon 08:00', maybeTime);
  const cadence = (values['one-to-one'] ?? 'monthly').replace(/-/g, '_') as OneToOneCadence;
  if (!ONE_TO_ONE_CADENCES.includes(cadence)) throw new CommandError(`--one-to-one takes ${ONE_TO_ONE_CADENCES.join(', ')}`);
  const goal = values.goal === undefined ? undefined : Number(values.goal);
  if (goal !== undefined && (!Number.isInteger(goal) || goal < 0 || goal > 100)) throw new CommandError('--goal takes introductions per month in each direction, e.g. 2');
  const timeZone = values.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new CommandError(`"${timeZone}" is not an IANA time zone`);
  }
  try {
    const { pair, result } = await addPair({ a, b, timeZone, weekly, oneToOne: cadence, ...(goal !== undefined ? { goalPerMonth: goal } : {}) }, dependencies);
    process.stdout.write(
      `${result === 'added' ? 'Added' : 'Updated'} pair ${pair.id}: ${pair.partners.join(' & ')}, ${describeWeekly(pair)}, one-to-one ${pair.oneToOne}, goal ${pair.goalPerMonth} a month each way.\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof InvalidPairError) throw new CommandError(error.message);
    throw error;
  }
}

/** `refer group add NAME A B C... [--tz ZONE]` and `refer group list`. */
export async function groupCommand(args: readonly string[], store: OpenStore): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { tz: { type: 'string' }, json: { type: 'boolean' } } });
  const dependencies = await localFollowThrough(store);
  if (action === 'list') {
    for (const group of await dependencies.pairs.listGroups()) {
      process.stdout.write(values.json ? `${JSON.stringify(group)}\n` : `${group.id}  ${group.name}  ${group.members.length} members  ${group.timeZone}\n`);
    }
    return 0;
  }
  if (action !== 'add') throw new CommandError('group needs add or list');
  const [name, ...members] = positionals;
  if (!name) throw new CommandError('group add needs a name and 2 to 12 partner addresses');
  try {
    const { group, result } = await addGroup({ name, members, timeZone: values.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone }, dependencies);
    process.stdout.write(`${result === 'added' ? 'Added' : 'Updated'} group ${group.id} "${group.name}" with ${group.members.length} members; digest on the 1st of each month.\n`);
    return 0;
  } catch (error) {
    if (error instanceof InvalidPairError) throw new CommandError(error.message);
    throw error;
  }
}

/**
 * `refer jobs run KIND [--pair ID | --intro ID | --group ID] [--at ISO-TIME]`: runs a job now as
 * if it were that time; without an id, for every pair, group, or introduction that is due.
 */
export async function jobsCommand(args: readonly string[], store: OpenStore): Promise<number> {
  const [action, kind, ...rest] = args;
  if (action !== 'run' || !kind || !(JOB_KINDS as readonly string[]).includes(kind)) {
    throw new CommandError(`jobs run needs a kind: ${JOB_KINDS.filter((item) => item !== 'update' && item !== 'close').join(', ')} (also close, update)`);
  }
  const { values } = parseArgs({ args: rest, options: { pair: { type: 'string' }, intro: { type: 'string' }, group: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' } } });
  const at = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(at.getTime())) throw new CommandError('--at takes an ISO time, e.g. 2026-11-30T08:00:00Z');
  const dependencies = await localFollowThrough(store, at);
  const jobs = await jobsFor(kind as JobKind, { pair: values.pair, intro: values.intro, group: values.group }, at, dependencies);
  if (jobs.length === 0) process.stdout.write(`Nothing to run for ${kind} at ${at.toISOString()}.\n`);
  for (const job of jobs) {
    const result = await runJob({ ...job, at: at.toISOString() }, dependencies);
    const target = 'introductionId' in job ? job.introductionId : 'pairId' in job ? job.pairId : 'groupId' in job ? job.groupId : '';
    process.stdout.write(values.json ? `${JSON.stringify({ ...job, at: at.toISOString(), outcomes: result.outcomes })}\n` : `${kind}${target ? ` ${target}` : ''}: ${result.outcomes.join(', ') || 'nothing due'}\n`);
  }
  return 0;
}

async function jobsFor(kind: JobKind, ids: { pair?: string | undefined; intro?: string | undefined; group?: string | undefined }, at: Date, dependencies: FollowThroughDependencies): Promise<Job[]> {
  switch (kind) {
    case 'sweep':
      return [{ kind }];
    case 'weekly':
    case 'one-to-one':
      return ids.pair ? [{ kind, pairId: ids.pair }] : (await dependencies.pairs.listPairs()).map((pair) => ({ kind, pairId: pair.id }));
    case 'group-digest':
      return ids.group ? [{ kind, groupId: ids.group }] : (await dependencies.pairs.listGroups()).map((group) => ({ kind, groupId: group.id }));
    default: {
      if (ids.intro) return [{ kind, introductionId: ids.intro }];
      const field = kind === 'nudge' ? 'nudgeDueAt' : kind === 'outcome' ? 'outcomeDueAt' : kind === 'close' ? 'closeDueAt' : 'updateDueAt';
      const due = await dependencies.store.listDue(at);
      return due.filter((intro) => (intro.followUp ?? EMPTY_FOLLOW_UP)[field]).map((intro) => ({ kind, introductionId: intro.id }));
    }
  }
}

/** `refer intros set-status ID STATUS [--amount N]` and `refer intros show ID`. */
export async function introCommand(action: string, args: readonly string[], store: OpenStore): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { amount: { type: 'string' }, json: { type: 'boolean' } } });
  const [id, status] = positionals;
  if (!id) throw new CommandError(`intros ${action} needs an introduction id (see npx refer intros list)`);
  const queries = new DynamoIntroductionQueries(store.connection);
  if (action === 'show') {
    const introduction = (await queries.listIntroductions()).find((intro) => intro.id === id);
    if (!introduction) throw new CommandError(`no introduction ${id}`);
    const history = await queries.history(id);
    if (values.json) process.stdout.write(`${JSON.stringify({ introduction, history })}\n`);
    else {
      process.stdout.write(`${introduction.id}  [${introduction.status}]  ${introduction.introducer.email} introduced ${introduction.parties.map((party) => party.email).join(' and ')}\n`);
      for (const event of history) process.stdout.write(`  ${event.at}  ${event.type.padEnd(20)} ${event.by} (${event.how}): ${event.detail}\n`);
    }
    return 0;
  }
  if (!status || !(INTRODUCTION_STATUSES as readonly string[]).includes(status)) throw new CommandError(`intros set-status needs a status: ${INTRODUCTION_STATUSES.join(', ')}`);
  const dependencies = await localFollowThrough(store);
  const current = await dependencies.store.getIntroduction(id);
  if (!current) throw new CommandError(`no introduction ${id}`);
  const amount = values.amount === undefined ? null : Number(values.amount);
  if (amount !== null && !(amount > 0 && amount <= MAX_AMOUNT)) throw new CommandError(`--amount takes a positive number up to ${MAX_AMOUNT}`);
  const result = await changeStatus(id, current.status, status as IntroductionStatus, { by: 'cli', how: 'cli', detail: 'set from the command line', amount }, dependencies, `cli:${current.status}:${status}:${Date.now()}`);
  if (result.outcome === 'applied') process.stdout.write(`${id}: ${current.status} → ${result.status}\n`);
  else throw new CommandError(result.outcome === 'no_longer_applies' ? `${id} is ${result.status}; it cannot move to ${status} from there` : `${id}: ${result.outcome}`);
  return 0;
}

function parseWeekly(value: string, separateTime: string | undefined): Pair['weekly'] {
  if (value.trim().toLowerCase() === 'off') return null;
  const match = /^\s*([a-z]{3})[a-z]*\s*(?:[ @T]\s*(\d{1,2}:\d{2}))?\s*$/i.exec(value);
  const day = match?.[1]?.toLowerCase() as Weekday | undefined;
  const time = match?.[2] ?? separateTime ?? '08:00';
  if (!day || !WEEKDAYS.includes(day) || !/^\d{1,2}:\d{2}$/.test(time)) throw new CommandError('--weekly takes a day and a time, e.g. --weekly mon 08:00 (or off)');
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  if (hours > 23 || minutes > 59) throw new CommandError('--weekly: the time must be HH:MM');
  return { day, time: `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}` };
}

function describeWeekly(pair: Pair): string {
  return pair.weekly ? `weekly ${pair.weekly.day} ${pair.weekly.time} ${pair.timeZone}` : 'weekly off';
}

function pairRecord(pair: Pair) {
  return {
    id: pair.id,
    partners: pair.partners,
    timeZone: pair.timeZone,
    weekly: pair.weekly,
    oneToOne: pair.oneToOne,
    goalPerMonth: pair.goalPerMonth,
    nextOneToOne: pair.nextOneToOne,
    unsubscribed: pair.unsubscribed,
  };
}
