import { Duration, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BookingEnvironment } from '../../functions/shared/booking-config.ts';
import type { BookingCredentials } from './booking-credentials.ts';
import type { DataTable } from './data-table.ts';
import { LambdaScheduleTarget } from './lambda-schedule-target.ts';
import { ReferFunction } from './refer-function.ts';

/** The input of the recurring schedule (`bookingEventSchema` in `functions/handlers/booking-event.ts`). */
export const CHECK_MEETINGS_INPUT = { action: 'check-meetings' } as const;

/** Props for `BookingPipeline`. */
export interface BookingPipelineProps {
  /** The table whose stream starts bookings and where they are recorded. It must have a stream with new and old images. */
  readonly table: DataTable;

  /** The stack's dead-letter queue (`AlarmedDeadLetterQueue`), where this sends failed stream batches (shard and sequence numbers), failed asynchronous invocations and schedule events Scheduler could not deliver. */
  readonly deadLetterQueue: sqs.Queue;

  /** The keys secret: the function signs links and opens refresh tokens. */
  readonly credentials: BookingCredentials;

  /** The SES identity booking mail is sent from; `ses:SendEmail` is scoped to it. */
  readonly senderIdentity: ses.IEmailIdentity;

  /** The From of booking mail. Must belong to `senderIdentity`. */
  readonly senderAddress: string;

  /** Base URL of the web function that one-click links and the OAuth callback point to (its Function URL). */
  readonly webBaseUrl: string;

  /**
   * Display name on outbound mail.
   *
   * @default 'Referral desk'
   */
  readonly senderName?: string;

  /**
   * How often booked meetings are checked against the calendars (declines, moves, cancellations).
   *
   * @default Duration.hours(1)
   */
  readonly checkMeetingsEvery?: Duration;

  /**
   * Stream records per invocation. Each record may call Google several times (up to 10 s per
   * request) within the function's 30 s, and a timed-out batch is retried as a whole, halved.
   *
   * @default 5
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
   * stream keeps records 24 hours).
   *
   * @default Duration.hours(6)
   */
  readonly streamMaxRecordAge?: Duration;

  /**
   * Handler module of the booking function, relative to the repository root.
   *
   * @default 'functions/handlers/booking.ts'
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
   * @default 'refer-booking'
   */
  readonly serviceName?: string;
}

/**
 * Booking: the booking function, started by
 * - the table's stream, filtered so it runs only for a new introduction (INSERT of an
 *   `introduction` item) or a changed partner (MODIFY of a `partner` item; the handler resumes
 *   bookings when a calendar was just connected). Failures are reported per record
 *   (ReportBatchItemFailures), batches are halved on error, retried a bounded number of times and
 *   then recorded in the dead-letter queue;
 * - an EventBridge Scheduler schedule (hourly by default) that checks booked meetings against
 *   the calendars. Scheduler invokes asynchronously; the function's invoke configuration retries
 *   twice and then sends the event to the dead-letter queue, and events Scheduler cannot deliver
 *   go there too.
 *
 * Every booking that failed ends in the stack's dead-letter queue (`deadLetterQueue`).
 */
export class BookingPipeline extends Construct {
  /** The booking function. */
  public readonly function: ReferFunction;

  /** Where failed stream batches, failed asynchronous invocations and undeliverable schedule events go. */
  public readonly deadLetterQueue: sqs.Queue;


  /** The table stream's event source mapping. */
  public readonly streamSource: DynamoEventSource;

  /** The recurring check of booked meetings. */
  public readonly checkMeetingsSchedule: scheduler.Schedule;

  public constructor(scope: Construct, id: string, props: BookingPipelineProps) {
    super(scope, id);
    const table = props.table.table;
    const checkMeetingsEvery = props.checkMeetingsEvery ?? Duration.hours(1);
    if (!table.tableStreamArn) throw new Error('BookingPipeline needs a table with a stream (tableDesign.streamViewType)');

    this.deadLetterQueue = props.deadLetterQueue;

    const environment = {
      TABLE_NAME: table.tableName,
      SENDER_ADDRESS: props.senderAddress,
      SENDER_NAME: props.senderName ?? 'Referral desk',
      WEB_BASE_URL: props.webBaseUrl,
      ...props.credentials.environment,
    } satisfies { [K in keyof BookingEnvironment]: string };

    this.function = new ReferFunction(this, 'Function', {
      entry: props.entry ?? 'functions/handlers/booking.ts',
      description: 'Books introduced meetings in the partner\'s Google Calendar and checks booked meetings',
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'refer-booking',
        LOG_LEVEL: props.logLevel ?? 'INFO',
      },
      // For the schedule's (asynchronous) invocations; stream batches have their own retries below.
      retryAttempts: 2,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    // One grant per need.
    props.table.grantItems(this.function, ['GetItem', 'PutItem', 'UpdateItem'], ['gsi2']);
    props.credentials.grantUseKeys(this.function);
    props.senderIdentity.grantSendEmail(this.function);

    this.streamSource = new DynamoEventSource(table, {
      // A new stream holds only what was written since it was created; start there so an
      // introduction captured while the mapping was being created is still booked.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.streamBatchSize ?? 5,
      bisectBatchOnError: true,
      retryAttempts: props.streamRetryAttempts ?? 5,
      maxRecordAge: props.streamMaxRecordAge ?? Duration.hours(6),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
      // What `workFromStreamRecord` (functions/handlers/booking-event.ts) can act on; everything
      // else written to the table (history events, messages, outbox, deliveries) never starts it.
      filters: [
        lambda.FilterCriteria.filter({ eventName: equals('INSERT'), dynamodb: { NewImage: { entity: { S: equals('introduction') } } } }),
        lambda.FilterCriteria.filter({ eventName: equals('MODIFY'), dynamodb: { NewImage: { entity: { S: equals('partner') } } } }),
      ],
    });
    // Grants the stream read actions on this table's stream (and ListStreams, see the acknowledgement).
    this.function.addEventSource(this.streamSource);
    if (this.function.role) {
      Validations.of(this.function.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only dynamodb:ListStreams, which the event source mapping of the table stream needs: the action has no resource-level permissions (the Service Authorization Reference lists no resource type for it), and it returns stream ARNs, no data. The stream read actions are granted on this table\'s stream ARN.',
      });
    }

    this.checkMeetingsSchedule = new scheduler.Schedule(this, 'CheckMeetings', {
      description: 'Checks booked meetings against the partners\' calendars (declines, moves, cancellations)',
      schedule: scheduler.ScheduleExpression.rate(checkMeetingsEvery),
      target: new LambdaScheduleTarget(this.function, {
        input: scheduler.ScheduleTargetInput.fromObject(CHECK_MEETINGS_INPUT),
        deadLetterQueue: this.deadLetterQueue,
        // Delivery retries (throttling, the function not ready); the run itself is retried by the invoke configuration.
        retryAttempts: 3,
        // A check older than the interval is superseded by the next one (Scheduler allows 1 min to 24 h).
        maxEventAge: Duration.seconds(Math.min(Math.max(checkMeetingsEvery.toSeconds(), 60), 86_400)),
      }),
    });
  }
}

/** An exact-match event filter rule (`FilterRule.isEqual` is typed `any`). */
function equals(value: string): string[] {
  return lambda.FilterRule.isEqual(value) as string[];
}
