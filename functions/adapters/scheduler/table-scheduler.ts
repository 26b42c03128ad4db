import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { jobSchema, type Job } from '../../domain/schedules/jobs.ts';
import type { JobScheduler } from '../../domain/schedules/scheduler-port.ts';
import { isValidTimeZone } from '../../domain/booking/time-zones.ts';
import type { DynamoConnection } from '../dynamodb/document-client.ts';
import { queryAll } from '../dynamodb/query-all.ts';
import type { LogSink } from '../../shared/logger.ts';
import { nextCronOccurrence, parseCron } from './cron.ts';
import { SCHEDULE_ENTITY, scheduleKeys, schedulePartitions } from './schedule-keys.ts';

/**
 * Runs of one due schedule that may fail before it is set aside. Each failure is retried on the
 * next tick of the local scheduler (never in a loop within one tick).
 */
export const MAX_LOCAL_RUN_ATTEMPTS = 3;

/** The longest error note kept on a schedule item. */
const MAX_ERROR_NOTE_CHARS = 500;

const scheduleItemSchema = z.object({
  name: z.string(),
  kind: z.enum(['once', 'recurring']),
  job: jobSchema,
  nextRunAt: z.iso.datetime(),
  cron: z.string().optional(),
  timeZone: z.string().optional(),
  revision: z.number().int(),
  attempts: z.number().int().default(0),
  lastError: z.string().optional(),
  gsi2pk: z.string(),
});

/** A schedule as the table holds it. */
export interface StoredSchedule {
  readonly name: string;
  readonly kind: 'once' | 'recurring';
  readonly job: Job;
  /** When it runs next (for a one-time schedule: when it runs). */
  readonly nextRunAt: Date;
  readonly cron?: string;
  readonly timeZone?: string;
  /** Increases on every change; `markRan` and `markFailed` only act on the revision that was due. */
  readonly revision: number;
  /** Failed runs of this occurrence so far. */
  readonly attempts: number;
  readonly lastError?: string;
  /** False once it failed `MAX_LOCAL_RUN_ATTEMPTS` times (a one-time schedule is then kept, not run). */
  readonly armed: boolean;
}

export interface TableJobSchedulerOptions {
  /** Recurring schedules are armed at their next occurrence after now. */
  readonly clock?: { now(): Date };
}

/**
 * `JobScheduler` for local mode: each schedule is one item in the app's table (keys in
 * `schedule-keys.ts`), and `startLocalScheduler` runs the due ones in process. Arming is an upsert
 * on a deterministic key, so arming twice leaves one item; disarming a missing schedule is done.
 */
export class TableJobScheduler implements JobScheduler {
  private readonly clock: { now(): Date };

  public constructor(
    private readonly connection: DynamoConnection,
    options: TableJobSchedulerOptions = {},
  ) {
    this.clock = options.clock ?? { now: () => new Date() };
  }

  public async armOnce(name: string, at: Date, job: Job): Promise<void> {
    if (Number.isNaN(at.getTime())) throw new RangeError(`schedule ${name}: not a valid time`);
    const parsedJob = jobSchema.parse(job);
    // Arming the same time again changes nothing but the job (no new revision, so a run in
    // progress still completes it); a time in the past is simply due: the next tick runs it.
    if (await this.refreshIfUnchanged(name, parsedJob, '#kind = :once AND #nextRunAt = :at AND #gsi2pk = :armed', { ':once': 'once', ':at': at.toISOString(), ':armed': schedulePartitions.armed })) {
      return;
    }
    await this.write(name, { kind: 'once', job: parsedJob, nextRunAt: at.toISOString() }, ['cron', 'timeZone']);
  }

  public async armRecurring(name: string, cron: string, timeZone: string, job: Job): Promise<void> {
    if (!isValidTimeZone(timeZone)) throw new RangeError(`schedule ${name}: "${timeZone}" is not an IANA time zone`);
    const fields = parseCron(cron).fields;
    const parsedJob = jobSchema.parse(job);
    // Re-arming the same expression (the sweep rebuilds schedules) keeps the pending occurrence:
    // recomputing it from now could skip one that is due but not yet run.
    if (await this.refreshIfUnchanged(name, parsedJob, '#kind = :recurring AND #cron = :cron AND #timeZone = :timeZone', { ':recurring': 'recurring', ':cron': fields, ':timeZone': timeZone })) {
      return;
    }
    const next = nextCronOccurrence(fields, timeZone, this.clock.now());
    if (!next) throw new RangeError(`schedule ${name}: "${cron}" never runs again`);
    await this.write(name, { kind: 'recurring', job: parsedJob, nextRunAt: next.toISOString(), cron: fields, timeZone }, []);
  }

  public async disarm(name: string): Promise<void> {
    await this.connection.client.send(new DeleteCommand({ TableName: this.connection.tableName, Key: scheduleKeys.schedule(name) }));
  }

  /** Armed schedules whose time has come, earliest first: one Query on GSI2. */
  public async dueSchedules(now: Date): Promise<StoredSchedule[]> {
    const items = await queryAll(this.connection, {
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :armed AND gsi2sk <= :dueBy',
      ExpressionAttributeValues: { ':armed': schedulePartitions.armed, ':dueBy': scheduleKeys.dueBy(now) },
    });
    return items.map(toStoredSchedule);
  }

  /** One schedule by name, armed or set aside; null when there is none. */
  public async get(name: string): Promise<StoredSchedule | null> {
    const { Item } = await this.connection.client.send(
      new GetCommand({ TableName: this.connection.tableName, Key: scheduleKeys.schedule(name), ConsistentRead: true }),
    );
    return Item ? toStoredSchedule(Item) : null;
  }

  /**
   * The schedule ran at `ranAt`: a one-time schedule is deleted, a recurring one moves to its next
   * occurrence after both `ranAt` and the occurrence that ran (missed occurrences are not replayed).
   * With `revision`, nothing happens if the schedule was re-armed while its job ran (a job may
   * re-arm its own schedule, e.g. "remind me in 3 days"). Returns whether the schedule changed.
   */
  public async markRan(name: string, ranAt: Date, revision?: number): Promise<boolean> {
    const current = await this.get(name);
    if (!current || (revision !== undefined && current.revision !== revision)) return false;
    try {
      if (current.kind === 'once') {
        await this.connection.client.send(
          new DeleteCommand({
            TableName: this.connection.tableName,
            Key: scheduleKeys.schedule(name),
            ConditionExpression: '#revision = :revision',
            ExpressionAttributeNames: { '#revision': 'revision' },
            ExpressionAttributeValues: { ':revision': current.revision },
          }),
        );
        return true;
      }
      await this.advance(current, ranAt, {});
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * A run failed. Below `MAX_LOCAL_RUN_ATTEMPTS` the schedule stays due (the next tick retries it);
   * at the limit a one-time schedule is set aside (GSI2 `SCHEDULE#failed`, kept with its error note
   * for an operator; arming it again re-arms it), and a recurring one moves on to its next
   * occurrence, keeping the note. Returns the schedule as it is now, or null if it was re-armed or
   * removed meanwhile.
   */
  public async markFailed(name: string, error: string, revision: number): Promise<StoredSchedule | null> {
    const current = await this.get(name);
    if (!current || current.revision !== revision) return null;
    const note = error.slice(0, MAX_ERROR_NOTE_CHARS);
    const attempts = current.attempts + 1;
    try {
      if (attempts < MAX_LOCAL_RUN_ATTEMPTS) {
        await this.update(current, { attempts, lastError: note }, []);
      } else if (current.kind === 'once') {
        await this.update(current, { attempts, lastError: note, gsi2pk: schedulePartitions.failed }, []);
      } else {
        await this.advance(current, this.clock.now(), { lastError: note });
      }
    } catch (caught) {
      if (caught instanceof ConditionalCheckFailedException) return null;
      throw caught;
    }
    return this.get(name);
  }

  private async advance(current: StoredSchedule, ranAt: Date, extra: Record<string, unknown>): Promise<void> {
    const after = new Date(Math.max(ranAt.getTime(), current.nextRunAt.getTime()));
    const next = current.cron && current.timeZone ? nextCronOccurrence(current.cron, current.timeZone, after) : null;
    if (!next) {
      // Its years are over (or the item is damaged): nothing will run it again.
      await this.connection.client.send(new DeleteCommand({ TableName: this.connection.tableName, Key: scheduleKeys.schedule(current.name) }));
      return;
    }
    await this.update(
      current,
      { ...extra, nextRunAt: next.toISOString(), gsi2pk: schedulePartitions.armed, gsi2sk: scheduleKeys.runOrder(next, current.name), attempts: 0 },
      Object.keys(extra).includes('lastError') ? [] : ['lastError'],
    );
  }

  /**
   * Updates only the job of a schedule whose definition `condition` says is unchanged, keeping its
   * revision and next run. False when there is no such schedule.
   */
  private async refreshIfUnchanged(name: string, job: Job, condition: string, values: Record<string, unknown>): Promise<boolean> {
    const names: Record<string, string> = { '#job': 'job' };
    for (const placeholder of condition.match(/#[A-Za-z0-9]+/g) ?? []) names[placeholder] = placeholder.slice(1);
    try {
      await this.connection.client.send(
        new UpdateCommand({
          TableName: this.connection.tableName,
          Key: scheduleKeys.schedule(name),
          UpdateExpression: 'SET #job = :job',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':job': job },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Sets attributes on the revision that was read (bumping it), or fails the condition. */
  private async update(current: StoredSchedule, values: Record<string, unknown>, remove: readonly string[]): Promise<void> {
    const expression = changeExpression(values, remove);
    await this.connection.client.send(
      new UpdateCommand({
        TableName: this.connection.tableName,
        Key: scheduleKeys.schedule(current.name),
        UpdateExpression: expression.UpdateExpression,
        ConditionExpression: '#revision = :revision',
        ExpressionAttributeNames: expression.ExpressionAttributeNames,
        ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ':revision': current.revision },
      }),
    );
  }

  /** Creates or replaces a schedule: armed, no failures, a new revision. */
  private async write(
    name: string,
    definition: { kind: 'once' | 'recurring'; job: Job; nextRunAt: string; cron?: string; timeZone?: string },
    remove: readonly string[],
  ): Promise<void> {
    const values = {
      entity: SCHEDULE_ENTITY,
      name,
      ...definition,
      attempts: 0,
      armedAt: this.clock.now().toISOString(),
      gsi2pk: schedulePartitions.armed,
      gsi2sk: scheduleKeys.runOrder(definition.nextRunAt, name),
    };
    await this.connection.client.send(
      new UpdateCommand({ TableName: this.connection.tableName, Key: scheduleKeys.schedule(name), ...changeExpression(values, [...remove, 'lastError']) }),
    );
  }
}

/** `SET` the values, bump `revision`, `REMOVE` the attributes named; every name a placeholder. */
function changeExpression(values: Record<string, unknown>, remove: readonly string[]) {
  const names: Record<string, string> = { '#revision': 'revision' };
  const placeholders: Record<string, unknown> = { ':one': 1 };
  const assignments = Object.entries(values).map(([attribute, value], index) => {
    names[`#s${index}`] = attribute;
    placeholders[`:s${index}`] = value;
    return `#s${index} = :s${index}`;
  });
  const removals = remove.map((attribute, index) => {
    names[`#r${index}`] = attribute;
    return `#r${index}`;
  });
  return {
    UpdateExpression: `SET ${assignments.join(', ')} ADD #revision :one${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: placeholders,
  };
}

function toStoredSchedule(item: Record<string, unknown>): StoredSchedule {
  const parsed = scheduleItemSchema.parse(item);
  return {
    name: parsed.name,
    kind: parsed.kind,
    job: parsed.job,
    nextRunAt: new Date(parsed.nextRunAt),
    ...(parsed.cron !== undefined ? { cron: parsed.cron } : {}),
    ...(parsed.timeZone !== undefined ? { timeZone: parsed.timeZone } : {}),
    revision: parsed.revision,
    attempts: parsed.attempts,
    ...(parsed.lastError !== undefined ? { lastError: parsed.lastError } : {}),
    armed: parsed.gsi2pk === schedulePartitions.armed,
  };
}

// --- The in-process scheduler ----------------------------------------------------------------------

export interface LocalSchedulerOptions {
  readonly scheduler: TableJobScheduler;
  /** Runs one job (local mode: the jobs handler's use cases). A rejection counts as a failed run. */
  readonly run: (job: Job) => Promise<void>;
  /**
   * Time between ticks; the next tick is timed from the end of the previous one, so ticks never overlap.
   *
   * @default 5_000
   */
  readonly intervalMs?: number;
  readonly clock?: { now(): Date };
  readonly logger?: LogSink;
}

export interface TickResult {
  /** Schedules whose job ran and succeeded. */
  readonly ran: string[];
  /** Schedules whose job failed this tick (they are retried on a later tick, up to the limit). */
  readonly failed: string[];
  /** Of `failed`, those that reached the limit and were set aside (one-time) or moved on (recurring). */
  readonly gaveUp: string[];
}

export interface LocalScheduler {
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
  /** Runs the due schedules now (waits for a tick in progress rather than overlapping it). */
  tick(): Promise<TickResult>;
}

/**
 * Local mode's stand-in for EventBridge Scheduler: every `intervalMs` it runs the schedules that
 * are due, one at a time, earliest first. A job that throws is logged and retried on a later tick
 * (each tick tries it once), up to `MAX_LOCAL_RUN_ATTEMPTS`; after that see `markFailed`.
 */
export function startLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const clock = options.clock ?? { now: () => new Date() };
  const intervalMs = options.intervalMs ?? 5_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<TickResult> | null = null;

  const runDue = async (): Promise<TickResult> => {
    const result: TickResult = { ran: [], failed: [], gaveUp: [] };
    for (const schedule of await options.scheduler.dueSchedules(clock.now())) {
      try {
        await options.run(schedule.job);
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        result.failed.push(schedule.name);
        const after = await options.scheduler.markFailed(schedule.name, message, schedule.revision);
        const gaveUp = after !== null && (!after.armed || after.attempts === 0);
        if (gaveUp) result.gaveUp.push(schedule.name);
        const log = gaveUp ? options.logger?.error.bind(options.logger) : options.logger?.warn.bind(options.logger);
        log?.(gaveUp ? 'scheduled job failed; giving up on this run' : 'scheduled job failed; retrying on a later tick', {
          schedule: schedule.name,
          kind: schedule.job.kind,
          attempt: schedule.attempts + 1,
          error: error instanceof Error ? error.name : 'error',
        });
        continue;
      }
      await options.scheduler.markRan(schedule.name, clock.now(), schedule.revision);
      result.ran.push(schedule.name);
    }
    return result;
  };

  const tick = (): Promise<TickResult> => {
    if (!inFlight) {
      inFlight = runDue().finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  };

  const loop = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick()
        .catch((error: unknown) => {
          // The table itself failed (e.g. DynamoDB Local restarting): try again next time.
          options.logger?.error('local scheduler tick failed', { error: error instanceof Error ? error.name : 'error' });
        })
        .finally(loop);
    }, intervalMs);
    timer.unref();
  };
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (inFlight) await inFlight.catch(() => undefined);
    },
    tick,
  };
}
