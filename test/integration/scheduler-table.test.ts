import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { scheduleKeys, schedulePartitions } from '../../functions/adapters/scheduler/schedule-keys.ts';
import {
  MAX_LOCAL_RUN_ATTEMPTS,
  startLocalScheduler,
  TableJobScheduler,
  type LocalScheduler,
} from '../../functions/adapters/scheduler/table-scheduler.ts';
import type { Job } from '../../functions/domain/schedules/jobs.ts';
import { scheduleName } from '../../functions/domain/schedules/scheduler-port.ts';
import { createTestTable } from '../support/dynamo.ts';

/** A clock the test moves by hand. */
class TestClock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
}

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Long enough that only the test's own `tick()` calls run anything. */
const NO_TIMER = 3_600_000;

let connection: DynamoConnection;
let clock: TestClock;
let scheduler: TableJobScheduler;
let local: LocalScheduler | undefined;

async function allItems(): Promise<Record<string, unknown>[]> {
  const { Items } = await connection.client.send(new ScanCommand({ TableName: connection.tableName }));
  return Items ?? [];
}

beforeEach(async () => {
  await local?.stop();
  local = undefined;
  // One table per test: schedules of one test never reach another.
  connection = await createTestTable();
  clock = new TestClock(new Date('2026-03-20T10:00:00.000Z'));
  scheduler = new TableJobScheduler(connection, { clock });
});

function start(run: (job: Job) => Promise<void>): LocalScheduler {
  local = startLocalScheduler({ scheduler, run, intervalMs: NO_TIMER, clock, logger: quietLogger });
  return local;
}

describe('TableJobScheduler', () => {
  it('arming twice leaves one item, at the later time, in the due index', async () => {
    const name = scheduleName('nudge', 'i1');
    await scheduler.armOnce(name, new Date('2026-03-24T09:00:00.000Z'), { kind: 'nudge', introductionId: 'i1' });
    await scheduler.armOnce(name, new Date('2026-03-27T09:00:00.000Z'), { kind: 'nudge', introductionId: 'i1' });
    const items = await allItems();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      ...scheduleKeys.schedule(name),
      entity: 'schedule',
      kind: 'once',
      nextRunAt: '2026-03-27T09:00:00.000Z',
      gsi2pk: schedulePartitions.armed,
      gsi2sk: '2026-03-27T09:00:00.000Z#nudge-i1',
      job: { kind: 'nudge', introductionId: 'i1' },
    });
    expect(await scheduler.dueSchedules(new Date('2026-03-24T09:00:00.000Z'))).toEqual([]);
    expect((await scheduler.dueSchedules(new Date('2026-03-27T09:00:00.000Z'))).map((s) => s.name)).toEqual([name]);
  });

  it('lists due schedules earliest first, and disarms (twice is fine)', async () => {
    await scheduler.armOnce('outcome-b', new Date('2026-03-20T09:00:00.000Z'), { kind: 'outcome', introductionId: 'b' });
    await scheduler.armOnce('nudge-a', new Date('2026-03-20T08:00:00.000Z'), { kind: 'nudge', introductionId: 'a' });
    await scheduler.armOnce('nudge-c', new Date('2026-03-21T08:00:00.000Z'), { kind: 'nudge', introductionId: 'c' });
    expect((await scheduler.dueSchedules(clock.now())).map((s) => s.name)).toEqual(['nudge-a', 'outcome-b']);
    await scheduler.disarm('nudge-a');
    await scheduler.disarm('nudge-a');
    await scheduler.disarm('never-armed');
    expect((await scheduler.dueSchedules(clock.now())).map((s) => s.name)).toEqual(['outcome-b']);
  });

  it('arms a recurring weekly schedule at the next Monday 08:00 London time', async () => {
    clock.set('2026-03-25T12:00:00.000Z'); // a Wednesday, GMT
    await scheduler.armRecurring('weekly-p1', 'cron(0 8 ? * MON *)', 'Europe/London', { kind: 'weekly', pairId: 'p1' });
    const stored = await scheduler.get('weekly-p1');
    // Monday 30 March is after the clocks went forward: 08:00 BST.
    expect(stored).toMatchObject({ kind: 'recurring', cron: '0 8 ? * MON *', timeZone: 'Europe/London', armed: true });
    expect(stored?.nextRunAt.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });
});

describe('startLocalScheduler', () => {
  it('runs each due schedule once and deletes a one-time schedule after its run', async () => {
    const ran: Job[] = [];
    const runner = start((job) => {
      ran.push(job);
      return Promise.resolve();
    });
    await scheduler.armOnce('nudge-i1', new Date('2026-03-20T09:59:00.000Z'), { kind: 'nudge', introductionId: 'i1' });
    await scheduler.armOnce('outcome-i2', new Date('2026-03-20T11:00:00.000Z'), { kind: 'outcome', introductionId: 'i2' });

    expect(await runner.tick()).toEqual({ ran: ['nudge-i1'], failed: [], gaveUp: [] });
    expect(await runner.tick()).toEqual({ ran: [], failed: [], gaveUp: [] });
    expect(ran).toEqual([{ kind: 'nudge', introductionId: 'i1' }]);
    expect(await scheduler.get('nudge-i1')).toBeNull();

    clock.set('2026-03-20T11:00:00.000Z');
    const [first, second] = [runner.tick(), runner.tick()]; // overlapping calls share one tick
    expect(await first).toEqual({ ran: ['outcome-i2'], failed: [], gaveUp: [] });
    expect(await second).toEqual({ ran: ['outcome-i2'], failed: [], gaveUp: [] });
    expect(ran).toHaveLength(2);
    expect(await allItems()).toEqual([]);
  });

  it('re-arms a recurring weekly schedule at the next Monday 08:00 local, across the DST change', async () => {
    const ran: string[] = [];
    const runner = start(() => {
      ran.push(clock.now().toISOString());
      return Promise.resolve();
    });
    clock.set('2026-03-18T12:00:00.000Z');
    await scheduler.armRecurring('weekly-p1', '0 8 ? * MON *', 'Europe/London', { kind: 'weekly', pairId: 'p1' });
    expect((await scheduler.get('weekly-p1'))?.nextRunAt.toISOString()).toBe('2026-03-23T08:00:00.000Z'); // GMT

    for (const at of ['2026-03-23T08:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-04-06T07:00:00.000Z']) {
      clock.set(at);
      expect((await runner.tick()).ran).toEqual(['weekly-p1']);
      expect((await runner.tick()).ran).toEqual([]);
    }
    expect(ran).toEqual(['2026-03-23T08:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-04-06T07:00:00.000Z']);
    const stored = await scheduler.get('weekly-p1');
    expect(stored?.nextRunAt.toISOString()).toBe('2026-04-13T07:00:00.000Z');
    expect((await allItems())).toHaveLength(1);
  });

  it('runs a recurring schedule that was missed for weeks once, then at its next occurrence', async () => {
    const runner = start(() => Promise.resolve());
    clock.set('2026-03-18T12:00:00.000Z');
    await scheduler.armRecurring('weekly-p1', '0 8 ? * MON *', 'Europe/London', { kind: 'weekly', pairId: 'p1' });
    clock.set('2026-04-15T12:00:00.000Z'); // local mode was off for four Mondays
    expect((await runner.tick()).ran).toEqual(['weekly-p1']);
    expect((await runner.tick()).ran).toEqual([]);
    expect((await scheduler.get('weekly-p1'))?.nextRunAt.toISOString()).toBe('2026-04-20T07:00:00.000Z');
  });

  it('re-arming the same recurring schedule keeps an occurrence that is due but has not run', async () => {
    const runner = start(() => Promise.resolve());
    clock.set('2026-03-18T12:00:00.000Z');
    await scheduler.armRecurring('weekly-p1', '0 8 ? * MON *', 'Europe/London', { kind: 'weekly', pairId: 'p1' });
    clock.set('2026-03-23T08:00:30.000Z');
    await scheduler.armRecurring('weekly-p1', '0 8 ? * MON *', 'Europe/London', { kind: 'weekly', pairId: 'p1' }); // the sweep rebuilding schedules
    expect((await runner.tick()).ran).toEqual(['weekly-p1']);
    await scheduler.armRecurring('weekly-p1', '0 9 ? * TUE *', 'Europe/London', { kind: 'weekly', pairId: 'p1' }); // a new time
    expect((await scheduler.get('weekly-p1'))?.nextRunAt.toISOString()).toBe('2026-03-24T09:00:00.000Z');
  });

  it('keeps a schedule its own job re-armed while it ran ("remind me in 3 days")', async () => {
    const runner = start(async (job) => {
      if (job.kind === 'nudge') await scheduler.armOnce('nudge-i1', new Date('2026-03-23T10:00:00.000Z'), job);
    });
    await scheduler.armOnce('nudge-i1', new Date('2026-03-20T10:00:00.000Z'), { kind: 'nudge', introductionId: 'i1' });
    expect((await runner.tick()).ran).toEqual(['nudge-i1']);
    expect((await scheduler.get('nudge-i1'))?.nextRunAt.toISOString()).toBe('2026-03-23T10:00:00.000Z');
    expect(await runner.tick()).toEqual({ ran: [], failed: [], gaveUp: [] });
  });

  it('retries a failing job on later ticks a bounded number of times, then sets it aside with an error note', async () => {
    let calls = 0;
    const runner = start((job) => {
      calls += 1;
      return job.kind === 'outcome' ? Promise.reject(new Error('SES is down')) : Promise.resolve();
    });
    await scheduler.armOnce('outcome-i1', new Date('2026-03-20T09:00:00.000Z'), { kind: 'outcome', introductionId: 'i1' });
    await scheduler.armOnce('nudge-i2', new Date('2026-03-20T09:30:00.000Z'), { kind: 'nudge', introductionId: 'i2' });

    // One attempt per tick: the failure does not hold up the schedule after it.
    expect(await runner.tick()).toEqual({ ran: ['nudge-i2'], failed: ['outcome-i1'], gaveUp: [] });
    expect(calls).toBe(2);
    for (let attempt = 2; attempt < MAX_LOCAL_RUN_ATTEMPTS; attempt += 1) {
      expect(await runner.tick()).toEqual({ ran: [], failed: ['outcome-i1'], gaveUp: [] });
    }
    expect(await runner.tick()).toEqual({ ran: [], failed: ['outcome-i1'], gaveUp: ['outcome-i1'] });
    expect(calls).toBe(1 + MAX_LOCAL_RUN_ATTEMPTS);

    // Set aside: never run again on its own, kept with its note.
    for (let tick = 0; tick < 3; tick += 1) expect(await runner.tick()).toEqual({ ran: [], failed: [], gaveUp: [] });
    expect(calls).toBe(1 + MAX_LOCAL_RUN_ATTEMPTS);
    const stored = await scheduler.get('outcome-i1');
    expect(stored).toMatchObject({ armed: false, attempts: MAX_LOCAL_RUN_ATTEMPTS, lastError: 'Error: SES is down' });
    const item = (await allItems()).find((candidate) => candidate.name === 'outcome-i1');
    expect(item?.gsi2pk).toBe(schedulePartitions.failed);

    // Arming it again (the sweep, an operator) makes it due again with a clean slate.
    await scheduler.armOnce('outcome-i1', new Date('2026-03-20T09:00:00.000Z'), { kind: 'outcome', introductionId: 'i1' });
    expect(await scheduler.get('outcome-i1')).toMatchObject({ armed: true, attempts: 0 });
    expect((await scheduler.get('outcome-i1'))?.lastError).toBeUndefined();
  });

  it('moves a recurring schedule that keeps failing on to its next occurrence, keeping the note', async () => {
    const runner = start(() => Promise.reject(new TypeError('bad pair')));
    clock.set('2026-03-18T12:00:00.000Z');
    await scheduler.armRecurring('weekly-p1', '0 8 ? * MON *', 'Europe/London', { kind: 'weekly', pairId: 'p1' });
    clock.set('2026-03-23T08:00:00.000Z');
    const results = [];
    for (let tick = 0; tick < MAX_LOCAL_RUN_ATTEMPTS + 2; tick += 1) results.push(await runner.tick());
    expect(results.map((result) => result.failed.length)).toEqual([...Array<number>(MAX_LOCAL_RUN_ATTEMPTS).fill(1), 0, 0]);
    expect(results[MAX_LOCAL_RUN_ATTEMPTS - 1]?.gaveUp).toEqual(['weekly-p1']);
    expect(await scheduler.get('weekly-p1')).toMatchObject({ armed: true, attempts: 0, lastError: 'TypeError: bad pair' });
    expect((await scheduler.get('weekly-p1'))?.nextRunAt.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('polls on its own timer and stops', async () => {
    const ran: Job[] = [];
    await scheduler.armOnce('sweep-daily', new Date('2026-03-20T05:00:00.000Z'), { kind: 'sweep' });
    local = startLocalScheduler({
      scheduler,
      run: (job) => {
        ran.push(job);
        return Promise.resolve();
      },
      intervalMs: 20,
      clock,
      logger: quietLogger,
    });
    await expect.poll(() => ran.length, { timeout: 5_000, interval: 20 }).toBe(1);
    await local.stop();
    await scheduler.armOnce('sweep-again', new Date('2026-03-20T05:00:00.000Z'), { kind: 'sweep' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ran).toHaveLength(1);
  });
});
