import { Aws, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SCHEDULE_MAX_EVENT_AGE_SECONDS, SCHEDULE_RETRY_ATTEMPTS } from '../../functions/adapters/scheduler/eventbridge-scheduler.ts';
import { CAPTURE_MAIL_OUTCOMES } from '../../functions/domain/capture/capture-mail.ts';
import type { Job } from '../../functions/domain/schedules/jobs.ts';
import type { JobsEnvironment } from '../../functions/shared/jobs-config.ts';
import type { BookingCredentials } from './booking-credentials.ts';
import type { DataTable } from './data-table.ts';
import { LambdaScheduleTarget } from './lambda-schedule-target.ts';
import { ReferFunction } from './refer-function.ts';

/** The input of the daily sweep schedule (`jobSchema` in functions/domain/schedules/jobs.ts). */
export const SWEEP_INPUT = { kind: 'sweep' } as const satisfies Job;

/** Entities whose new or changed items start the jobs function from the table stream. */
export const JOBS_STREAM_ENTITIES = ['introduction', 'pair', 'group'] as const;

/** What the jobs function may do with schedules in its group: create-or-update, remove, read one. */
export const JOBS_SCHEDULE_ACTIONS = ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'] as const;

/** Props for `Jobs`. */
export interface JobsProps {
  /** The table the jobs read and write, whose stream starts follow-ups. It must have a stream with new images. */
  readonly table: DataTable;

  /** The stack's dead-letter queue (`AlarmedDeadLetterQueue`), where this sends failed stream batches, failed asynchronous invocations and undeliverable runs of the job schedules. */
  readonly deadLetterQueue: sqs.Queue;

  /** The keys secret: one-to-ones are booked in partners' calendars and emails carry signed links. */
  readonly credentials: BookingCredentials;

  /** The SES identity follow-up mail is sent from; `ses:SendEmail` is scoped to it. */
  readonly senderIdentity: ses.IEmailIdentity;

  /** The From of follow-up mail. Must belong to `senderIdentity`. */
  readonly senderAddress: string;

  /** The capture address: replies to recurring emails go there and are recorded. */
  readonly captureAddress: string;

  /** Base URL of the web function that one-click links point to (its Function URL). */
  readonly webBaseUrl: string;

  /**
   * Display name on outbound mail.
   *
   * @default 'Referral desk'
   */
  readonly senderName?: string;

  /**
   * Hour (UTC) of the daily sweep, the backstop that finds anything overdue and rebuilds missing schedules.
   *
   * @default 5
   */
  readonly sweepHourUtc?: number;

  /**
   * Stream records per invocation.
   *
   * @default 10
   */
  readonly streamBatchSize?: number;

  /**
   * Retries of a failed stream batch (halved on each error) before its records go to the dead-letter queue.
   *
   * @default 5
   */
  readonly streamRetryAttempts?: number;

  /**
   * Stream records older than this go to the dead-letter queue instead of being retried (the
   * stream keeps records 24 hours; the daily sweep re-derives anything a lost record would have armed).
   *
   * @default Duration.hours(6)
   */
  readonly streamMaxRecordAge?: Duration;

  /**
   * Handler module of the jobs function, relative to the repository root.
   *
   * @default 'functions/handlers/jobs.ts'
   */
  readonly entry?: string;

  /**
   * Powertools logger level.
   *
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

  /**
   * Powertools service name.
   *
   * @default 'refer-jobs'
   */
  readonly serviceName?: string;
}

/**
 * Follow-through: the jobs function and everything that starts it.
 *
 * - A **schedule group** holds every job schedule: the ones the function creates at run time
 *   (one-time per introduction, recurring per pair and group, through `EventBridgeJobScheduler`)
 *   and the **daily sweep** defined here.
 * - A **scheduler role** is what EventBridge Scheduler assumes to run those schedules: only
 *   Scheduler, for this account and this group, may assume it, and it may only invoke the jobs
 *   function and write failed runs to the dead-letter queue.
 * - The function may create, update, read and delete schedules in that group only, and pass that
 *   role only, only to Scheduler.
 * - The **table stream** starts the function for new or changed introductions, pairs and groups
 *   (second event source mapping of the stream, next to booking's), with per-record failures,
 *   halved batches, bounded retries and the dead-letter queue.
 * - Scheduler invokes asynchronously: the invoke configuration retries a failed run twice, then
 *   dead-letters it. Every failure ends in the stack's dead-letter queue (`deadLetterQueue`).
 */
export class Jobs extends Construct {
  /** The jobs function. */
  public readonly function: ReferFunction;

  /** The group of every job schedule. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;

  /** The role EventBridge Scheduler assumes to invoke the jobs function. */
  public readonly schedulerRole: iam.Role;

  /** The daily sweep schedule. */
  public readonly sweepSchedule: scheduler.Schedule;

  /** Where failed stream batches, failed asynchronous invocations and undeliverable schedule runs go. */
  public readonly deadLetterQueue: sqs.Queue;


  /** The table stream's event source mapping of the jobs function. */
  public readonly streamSource: DynamoEventSource;

  public constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    const table = props.table.table;
    if (!table.tableStreamArn) throw new Error('Jobs needs a table with a stream (tableDesign.streamViewType)');
    const sweepHour = props.sweepHourUtc ?? 5;
    if (!Number.isInteger(sweepHour) || sweepHour < 0 || sweepHour > 23) throw new Error(`Invalid sweepHourUtc ${sweepHour}: use a whole hour 0–23`);

    this.deadLetterQueue = props.deadLetterQueue;

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup');

    // Confused-deputy protection as EventBridge Scheduler documents it: aws:SourceArn is the
    // schedule *group* (Scheduler passes the group's ARN, not the schedule's), plus the account.
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to run the job schedules: invokes the jobs function, writes failed runs to its dead-letter queue',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Aws.ACCOUNT_ID,
            'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
          },
        },
      }),
    });

    const environment = {
      TABLE_NAME: table.tableName,
      SENDER_ADDRESS: props.senderAddress,
      SENDER_NAME: props.senderName ?? 'Referral desk',
      WEB_BASE_URL: props.webBaseUrl,
      ...props.credentials.environment,
      CAPTURE_ADDRESS: props.captureAddress,
      SCHEDULE_GROUP: this.scheduleGroup.scheduleGroupName,
      SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
      SCHEDULER_DEAD_LETTER_ARN: this.deadLetterQueue.queueArn,
    } satisfies { [K in keyof JobsEnvironment]: string };

    this.function = new ReferFunction(this, 'Function', {
      entry: props.entry ?? 'functions/handlers/jobs.ts',
      description: 'Follow-through jobs: nudges, after-meeting questions, progress updates, weekly check-ins, one-to-ones, group digests, the daily sweep',
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'refer-jobs',
        LOG_LEVEL: props.logLevel ?? 'INFO',
      },
      // For the schedules' (asynchronous) invocations; stream batches have their own retries below.
      retryAttempts: 2,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    // One grant per need: the jobs read introductions, pairs, groups and their numbers (table
    // queries, gsi1 collections, gsi2 due times), write follow-up state and outbox claims in
    // transactions; one-to-ones open partners' sealed refresh tokens; emails carry signed links (the keys secret).
    props.table.grantItemReadWrite(this.function);
    props.credentials.grantUseKeys(this.function);
    props.senderIdentity.grantSendEmail(this.function);

    // Schedules: in this group only, and the one role, only to Scheduler.
    const schedulesInGroup = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.scheduleGroupName}/*`,
    });
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: [...JOBS_SCHEDULE_ACTIONS], resources: [schedulesInGroup] }));
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );

    this.sweepSchedule = new scheduler.Schedule(this, 'DailySweep', {
      description: 'Daily backstop: runs overdue follow-ups and re-arms any job schedule that is missing',
      scheduleGroup: this.scheduleGroup,
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: String(sweepHour), timeZone: TimeZone.ETC_UTC }),
      target: new LambdaScheduleTarget(this.function, {
        role: this.schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject(SWEEP_INPUT),
        deadLetterQueue: this.deadLetterQueue,
        // The same delivery policy as the schedules the function creates (EventBridgeJobScheduler).
        retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
        maxEventAge: Duration.seconds(SCHEDULE_MAX_EVENT_AGE_SECONDS),
      }),
    });

    // The group is referred to by name (a literal): order the schedule after it explicitly.
    this.sweepSchedule.node.addDependency(this.scheduleGroup);

    this.streamSource = new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.streamBatchSize ?? 10,
      bisectBatchOnError: true,
      retryAttempts: props.streamRetryAttempts ?? 5,
      maxRecordAge: props.streamMaxRecordAge ?? Duration.hours(6),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
      // New or changed introductions, pairs and groups re-derive their follow-ups and schedules; a
      // delivery the capture recorded as captured or ambiguous gets its email. Everything else
      // written to the table (history, messages, outbox, schedules...) never starts it.
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
          dynamodb: { NewImage: { entity: { S: lambda.FilterRule.or(...JOBS_STREAM_ENTITIES) } } },
        }),
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.or('INSERT'),
          dynamodb: { NewImage: { entity: { S: lambda.FilterRule.or('inbound') }, outcome: { S: lambda.FilterRule.or(...CAPTURE_MAIL_OUTCOMES) } } },
        }),
      ],
    });
    this.function.addEventSource(this.streamSource);

    if (this.function.role) {
      Validations.of(this.function.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only dynamodb:ListStreams, which the event source mapping of the table stream needs: the action has no resource-level permissions (the Service Authorization Reference lists no resource type for it), and it returns stream ARNs, no data. The stream read actions are granted on this table\'s stream ARN.',
      });
      Validations.of(this.function.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.scheduleGroup.scheduleGroupName}/*]`,
        reason:
          'The jobs function creates, updates, reads and deletes schedules at run time, one per introduction follow-up, pair and group, named from their ids, so their names are not known at deploy time. The wildcard covers only schedules in this stack\'s own schedule group, and the role they run as is the scheduler role, which can only invoke this function.',
      });
    }
  }
}
