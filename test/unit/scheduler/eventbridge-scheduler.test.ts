import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import '../../support/aws-mock-matchers.ts';
import {
  atExpression,
  EventBridgeJobScheduler,
  MIN_AT_LEAD_MS,
  SCHEDULE_MAX_EVENT_AGE_SECONDS,
  SCHEDULE_RETRY_ATTEMPTS,
} from '../../../functions/adapters/scheduler/eventbridge-scheduler.ts';
import { jobSchema, type Job } from '../../../functions/domain/schedules/jobs.ts';
import { scheduleName } from '../../../functions/domain/schedules/scheduler-port.ts';

const scheduler = mockClient(SchedulerClient);
const NOW = new Date('2026-03-20T10:00:00.000Z');
const options = {
  groupName: 'Refer-jobs',
  targetArn: 'arn:aws:lambda:eu-west-1:111122223333:function:Refer-JobsFunction',
  roleArn: 'arn:aws:iam::111122223333:role/Refer-JobsSchedulerRole',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:Refer-JobsDeadLetter',
  clock: { now: () => NOW },
};
const target = {
  Arn: options.targetArn,
  RoleArn: options.roleArn,
  RetryPolicy: { MaximumRetryAttempts: SCHEDULE_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: SCHEDULE_MAX_EVENT_AGE_SECONDS },
  DeadLetterConfig: { Arn: options.deadLetterArn },
};

function adapter() {
  return new EventBridgeJobScheduler(new SchedulerClient({ region: 'eu-west-1' }), options);
}

/** The job a schedule carries, read back from its Input as the jobs function reads it. */
function inputOf(call: number, command: typeof CreateScheduleCommand | typeof UpdateScheduleCommand = CreateScheduleCommand): Job {
  const input = scheduler.commandCalls(command)[call]?.args[0].input as CreateScheduleCommandInput;
  return jobSchema.parse(JSON.parse(input.Target?.Input ?? 'null'));
}

beforeEach(() => {
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/Refer-jobs/x' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/Refer-jobs/x' });
  scheduler.on(DeleteScheduleCommand).resolves({});
});

describe('armOnce', () => {
  it('creates a one-time at() schedule in UTC that deletes itself, in the group, targeting the jobs function', async () => {
    const name = scheduleName('nudge', '01JQ0ABCDEFGHJKMNPQRSTVWXY');
    const job: Job = { kind: 'nudge', introductionId: '01JQ0ABCDEFGHJKMNPQRSTVWXY' };
    await adapter().armOnce(name, new Date('2026-03-24T09:30:00.000Z'), job);
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: 'nudge-01JQ0ABCDEFGHJKMNPQRSTVWXY',
      GroupName: 'Refer-jobs',
      ScheduleExpression: 'at(2026-03-24T09:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { ...target, Input: JSON.stringify(job) },
    });
    expect(inputOf(0)).toEqual(job);
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('updates the schedule with the same fields when it exists (arming twice moves the time)', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejectsOnce(new ConflictException({ message: 'Schedule nudge-i1 already exists.', Message: 'Schedule nudge-i1 already exists.', $metadata: {} }));
    const job: Job = { kind: 'outcome', introductionId: 'i1' };
    await adapter().armOnce('outcome-i1', new Date('2026-03-25T16:00:00.000Z'), job);
    const created = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: 'outcome-i1',
      GroupName: 'Refer-jobs',
      ScheduleExpression: 'at(2026-03-25T16:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: { ...target, Input: JSON.stringify(job) },
    });
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toEqual(created);
    expect(inputOf(0, UpdateScheduleCommand)).toEqual(job);
  });

  it('arms a time in the past (or too close to now) a minute from now, which EventBridge accepts', async () => {
    await adapter().armOnce('nudge-late', new Date('2026-03-19T08:00:00.000Z'), { kind: 'nudge', introductionId: 'late' });
    await adapter().armOnce('nudge-soon', new Date(NOW.getTime() + 5_000), { kind: 'nudge', introductionId: 'soon' });
    const expressions = scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input.ScheduleExpression);
    expect(MIN_AT_LEAD_MS).toBe(60_000);
    expect(expressions).toEqual(['at(2026-03-20T10:01:00)', 'at(2026-03-20T10:01:00)']);
  });

  it('rounds up to the whole second, so a job never runs before its time', () => {
    expect(atExpression(new Date('2026-03-24T09:30:00.001Z'))).toBe('at(2026-03-24T09:30:01)');
    expect(atExpression(new Date('2026-03-24T09:30:00.000Z'))).toBe('at(2026-03-24T09:30:00)');
  });

  it('refuses a name EventBridge would reject, and lets other errors through', async () => {
    await expect(adapter().armOnce('nudge/with space', NOW, { kind: 'sweep' })).rejects.toThrow(/scheduleName/);
    await expect(adapter().armOnce('x'.repeat(65), NOW, { kind: 'sweep' })).rejects.toThrow(/1–64/);
    scheduler.on(CreateScheduleCommand).rejects(new ValidationException({ message: 'bad', Message: 'bad', $metadata: {} }));
    await expect(adapter().armOnce('nudge-x', NOW, { kind: 'sweep' })).rejects.toBeInstanceOf(ValidationException);
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });
});

describe('armRecurring', () => {
  it('creates a cron() schedule evaluated in the IANA zone, kept after each run', async () => {
    const job: Job = { kind: 'weekly', pairId: 'p1' };
    await adapter().armRecurring(scheduleName('weekly', 'p1'), '0 8 ? * MON *', 'Europe/London', job);
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: 'weekly-p1',
      GroupName: 'Refer-jobs',
      ScheduleExpression: 'cron(0 8 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/London',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { ...target, Input: JSON.stringify(job) },
    });
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.ActionAfterCompletion).toBeUndefined();
    expect(inputOf(0)).toEqual(job);
  });

  it('accepts the expression already wrapped in cron(), and updates an existing schedule', async () => {
    scheduler.on(CreateScheduleCommand).rejectsOnce(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    await adapter().armRecurring('group-digest-g1', 'cron(0 9 1 * ? *)', 'America/New_York', { kind: 'group-digest', groupId: 'g1' });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: 'group-digest-g1',
      ScheduleExpression: 'cron(0 9 1 * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input.ActionAfterCompletion).toBeUndefined();
  });

  it('rejects an invalid expression or zone before calling EventBridge', async () => {
    await expect(adapter().armRecurring('weekly-p1', '0 8 * * MON *', 'Europe/London', { kind: 'weekly', pairId: 'p1' })).rejects.toThrow(/day-of-week/);
    await expect(adapter().armRecurring('weekly-p1', '0 8 ? * MON *', 'Mars/Olympus', { kind: 'weekly', pairId: 'p1' })).rejects.toThrow(/IANA/);
    expect(scheduler.calls()).toHaveLength(0);
  });
});

describe('disarm', () => {
  it('deletes the schedule from the group', async () => {
    await adapter().disarm('nudge-i1');
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { Name: 'nudge-i1', GroupName: 'Refer-jobs' });
  });

  it('counts a schedule that is not there as removed', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'Schedule nudge-i1 does not exist.', Message: 'Schedule nudge-i1 does not exist.', $metadata: {} }));
    await expect(adapter().disarm('nudge-i1')).resolves.toBeUndefined();
  });

  it('lets any other failure through', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(new ValidationException({ message: 'bad', Message: 'bad', $metadata: {} }));
    await expect(adapter().disarm('nudge-i1')).rejects.toBeInstanceOf(ValidationException);
  });
});
