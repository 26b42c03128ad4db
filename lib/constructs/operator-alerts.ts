import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';
import { FUNCTION_ERRORS_METRIC, METRICS_NAMESPACE } from '../../functions/shared/business-metrics.ts';

export { FUNCTION_ERRORS_METRIC };

/** Props for `OperatorAlerts`. */
export interface OperatorAlertsProps {
  /** Where alarms are sent: an email address (AWS asks it to confirm the subscription once). */
  readonly operatorEmail: string;
}

/** The period every alarm here looks at; each fires on the first bad period. */
export const ALARM_PERIOD = Duration.minutes(5);


/**
 * What counts as a function error in a function's log (a CloudWatch Logs filter pattern, any of
 * the terms): a line logged at ERROR level (our Powertools lines carry `"level":"ERROR"`; the
 * Node.js runtime writes an exception the handler threw as `ERROR	Invoke Error`), a timeout
 * (`Task timed out after`, `Status: timeout` in the REPORT line) and a crashed runtime or init
 * (`Status: error`, e.g. out of memory). These are the invocations Lambda's `Errors` metric counts,
 * plus the failures the handlers catch and answer themselves (the web pages' 5xx, a stream record
 * reported as failed).
 */
export const FUNCTION_ERROR_PATTERN = '?ERROR ?"Task timed out" ?"Status: timeout" ?"Status: error"';

/**
 * Alarms to the operator, on as few billed alarm metrics as cover every failure: a CloudWatch
 * alarm costs $0.10 a month per metric it reads, which for a small group's deployment is a large
 * part of its whole bill.
 *
 * - `alarmOnFunctionErrors`: one alarm on one custom metric that a metric filter on each
 *   function's log group adds to (`FUNCTION_ERROR_PATTERN`), instead of one `Errors` alarm per
 *   function. The metric is published only when an error is logged, so it costs nothing in a
 *   healthy hour.
 * - The stack's one dead-letter queue has its own alarm (`AlarmedDeadLetterQueue`).
 *
 * Alarms go to an SNS topic with the operator's email subscription, TLS-only; only CloudWatch of
 * this account, for this stack's alarms, may publish to it. The topic is not encrypted at rest (see the
 * constructor for why).
 */
export class OperatorAlerts extends Construct {
  /** The alarm topic. */
  public readonly topic: sns.Topic;

  public constructor(scope: Construct, id: string, props: OperatorAlertsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Not encrypted at rest: the topic carries only alarm notifications (alarm name, description,
    // metric, threshold; no personal data, no secret), kept only until delivered. CloudWatch alarms
    // cannot publish to a topic under the AWS managed key alias/aws/sns (its key policy does not let
    // cloudwatch.amazonaws.com use it, and it cannot be edited), and a customer managed key costs
    // $1 a month, more than a small group's whole bill. Publishing requires TLS (cdk-nag SNS3).
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Referral follow-through alarms',
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisStackPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          // CloudFormation names alarms `<stack name>-<logical id>-<suffix>`.
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${stack.stackName}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }),
    );
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.operatorEmail));
  }

  /**
   * One alarm for the errors of all `functions`: a metric filter on each one's log group adds 1 to
   * the stack's `FunctionErrors` metric for every line matching `FUNCTION_ERROR_PATTERN`.
   */
  public alarmOnFunctionErrors(functions: readonly lambda.Function[], whatToDo: string): cloudwatch.Alarm {
    for (const fn of functions) {
      new logs.MetricFilter(fn, 'ErrorsFilter', {
        logGroup: fn.logGroup,
        filterPattern: logs.FilterPattern.literal(FUNCTION_ERROR_PATTERN),
        metricNamespace: METRICS_NAMESPACE,
        metricName: FUNCTION_ERRORS_METRIC,
        metricValue: '1',
      });
    }
    return greaterThanZero(this, 'FunctionErrors', new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: FUNCTION_ERRORS_METRIC, period: ALARM_PERIOD, statistic: 'Sum' }), whatToDo);
  }

  /** Sends every alarm under `scope` to the topic when it fires and when it is back to OK. */
  public notifyEveryAlarm(scope: IConstruct): void {
    const action = new SnsAction(this.topic);
    for (const alarm of scope.node.findAll().filter((node): node is cloudwatch.Alarm => node instanceof cloudwatch.Alarm)) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}

/** In alarm on the first period whose value is above zero; no data is no failure. */
export function greaterThanZero(scope: Construct, id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric,
    alarmDescription: description,
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
