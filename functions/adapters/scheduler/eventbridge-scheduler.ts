import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { Job } from '../../domain/schedules/jobs.ts';
import { MAX_SCHEDULE_NAME_LENGTH, type JobScheduler } from '../../domain/schedules/scheduler-port.ts';
import { isValidTimeZone } from '../../domain/booking/time-zones.ts';
import { cronScheduleExpression } from './cron.ts';

/**
 * Delivery retries after a failed invocation (throttling, the function not ready). Scheduler
 * allows 0–185. Each job is idempotent, and the jobs function's own asynchronous invoke
 * configuration retries a failed run twice more; after both, the event lands in the dead-letter queue.
 */
export const SCHEDULE_RETRY_ATTEMPTS = 10;

/**
 * How long Scheduler keeps trying to deliver one run (60 s – 24 h). A nudge or an after-meeting
 * question is still worth sending six hours late; anything older is the daily sweep's to catch.
 */
export const SCHEDULE_MAX_EVENT_AGE_SECONDS = 6 * 60 * 60;

/**
 * EventBridge rejects an `at()` in the past, and one a few seconds ahead can be past by the time the
 * request is processed. A one-time schedule for any earlier time is armed this far ahead of now
 * instead: the job runs as soon as it can, and it is idempotent, so running "late" changes nothing.
 */
export const MIN_AT_LEAD_MS = 60_000;

/** Letters, digits, `-`, `_` and `.`, 1–64 of them: what EventBridge accepts (`scheduleName` produces these). */
const SCHEDULE_NAME_PATTERN = new RegExp(`^[0-9A-Za-z_.-]{1,${MAX_SCHEDULE_NAME_LENGTH}}$`);

export interface EventBridgeJobSchedulerOptions {
  /** The stack's schedule group; every schedule is created in it (the jobs function may touch no other). */
  readonly groupName: string;
  /** ARN of the jobs function, the target of every schedule. */
  readonly targetArn: string;
  /** The role Scheduler assumes to invoke the target (it may do only that, and write to the dead-letter queue). */
  readonly roleArn: string;
  /** Where Scheduler sends a run it could not deliver after its retries. */
  readonly deadLetterArn: string;
  readonly clock?: { now(): Date };
}

/**
 * `JobScheduler` on EventBridge Scheduler. Names are deterministic, so arming is create-or-update:
 * a `ConflictException` from `CreateSchedule` means the schedule exists, and `UpdateSchedule` with
 * the same fields replaces it (moving its time). Disarming a schedule that is not there is done.
 */
export class EventBridgeJobScheduler implements JobScheduler {
  private readonly clock: { now(): Date };

  public constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeJobSchedulerOptions,
  ) {
    this.clock = options.clock ?? { now: () => new Date() };
  }

  public async armOnce(name: string, at: Date, job: Job): Promise<void> {
    if (Number.isNaN(at.getTime())) throw new RangeError(`schedule ${name}: not a valid time`);
    const earliest = this.clock.now().getTime() + MIN_AT_LEAD_MS;
    await this.put({
      ...this.base(name, job),
      ScheduleExpression: atExpression(new Date(Math.max(at.getTime(), earliest))),
      ScheduleExpressionTimezone: 'UTC',
      // One-time schedules delete themselves after their run, so nothing piles up in the group.
      ActionAfterCompletion: 'DELETE',
    });
  }

  public async armRecurring(name: string, cron: string, timeZone: string, job: Job): Promise<void> {
    if (!isValidTimeZone(timeZone)) throw new RangeError(`schedule ${name}: "${timeZone}" is not an IANA time zone`);
    await this.put({
      ...this.base(name, job),
      ScheduleExpression: cronScheduleExpression(cron),
      // EventBridge evaluates the cron in this zone, across DST changes.
      ScheduleExpressionTimezone: timeZone,
    });
  }

  public async disarm(name: string): Promise<void> {
    assertScheduleName(name);
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
  }

  private base(name: string, job: Job) {
    assertScheduleName(name);
    return {
      Name: name,
      GroupName: this.options.groupName,
      Description: `refer job: ${job.kind}`,
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: this.options.targetArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify(job),
        RetryPolicy: { MaximumRetryAttempts: SCHEDULE_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: SCHEDULE_MAX_EVENT_AGE_SECONDS },
        DeadLetterConfig: { Arn: this.options.deadLetterArn },
      },
    } satisfies Partial<CreateScheduleInput>;
  }

  /** Create, or replace the schedule of the same name (UpdateSchedule takes the whole definition). */
  private async put(input: CreateScheduleInput): Promise<void> {
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      await this.client.send(new UpdateScheduleCommand(input));
    }
  }
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the second so a run never comes early. */
export function atExpression(at: Date): string {
  const wholeSecond = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return `at(${wholeSecond.toISOString().slice(0, 19)})`;
}

function assertScheduleName(name: string): void {
  if (!SCHEDULE_NAME_PATTERN.test(name)) {
    throw new RangeError(`"${name}" is not a schedule name EventBridge accepts (1–${MAX_SCHEDULE_NAME_LENGTH} of A-Z a-z 0-9 - _ .); build names with scheduleName()`);
  }
}
