import { Duration, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_PERIOD, greaterThanZero } from './operator-alerts.ts';

export interface AlarmedDeadLetterQueueProps {
  /** What sends failures here, for cdk-nag's record (e.g. "the capture function's asynchronous invocations"). */
  readonly holds: string;
  /** What an operator finds in the queue and what to do about it. */
  readonly alarmDescription: string;
  /**
   * How long failed events are kept.
   *
   * @default Duration.days(14) (the SQS maximum)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * Where the functions' failures end after their retries: an encrypted (SQS managed keys),
 * TLS-only queue whose alarm fires as soon as it holds anything, so no failure is dropped
 * silently. The stack has one, shared by every function and schedule: each message says where it
 * came from (see `docs/deploy.md`, "Dead letters"), and one queue is one alarm metric to pay for.
 */
export class AlarmedDeadLetterQueue extends Construct {
  public readonly queue: sqs.Queue;
  /** In alarm while the queue holds a failed event. */
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AlarmedDeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter queue: ${props.holds}. cdk-nag only recognises DLQs referenced by another queue's redrive policy.`,
    });
    this.alarm = greaterThanZero(
      this,
      'Alarm',
      this.queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      props.alarmDescription,
    );
  }
}
