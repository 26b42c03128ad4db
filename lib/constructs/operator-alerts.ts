import { ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

/** Props for `OperatorAlerts`. */
export interface OperatorAlertsProps {
  /** Where alarms are sent: an email address (AWS asks it to confirm the subscription once). */
  readonly operatorEmail: string;
}

/** The period every alarm here looks at; each fires on the first bad period. */
const PERIOD = Duration.minutes(5);

/**
 * Alarms to the operator: an SNS topic encrypted with its own KMS key, TLS-only, with an email
 * subscription. CloudWatch of this account, for this stack's alarms only, may publish to it and
 * use the key (an AWS managed key cannot be used: CloudWatch could not encrypt with it, and every
 * notification would be dropped).
 *
 * `alarmOn*` create the function alarms; `notifyEveryAlarm` sends every alarm under a scope
 * (the dead-letter queues', the key rotation's, these) to the topic, in alarm and back to OK.
 */
export class OperatorAlerts extends Construct {
  /** The alarm topic. */
  public readonly topic: sns.Topic;

  /** The topic's key (rotated yearly). */
  public readonly key: kms.Key;

  public constructor(scope: Construct, id: string, props: OperatorAlertsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const thisStacksAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      // CloudFormation names alarms `<stack name>-<logical id>-<suffix>`.
      ArnLike: {
        'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${stack.stackName}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      },
    };

    this.key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the alarm topic of ${stack.stackName} (CloudWatch alarms to the operator)`,
      enableKeyRotation: true,
      // It encrypts notifications in transit only; nothing stored outlives the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisStackPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: thisStacksAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Referral follow-through alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisStackPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: thisStacksAlarms,
      }),
    );
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.operatorEmail));
  }

  /** In alarm when the function reported an error (an exception, a timeout, running out of memory). */
  public alarmOnErrors(fn: lambda.IFunction, id: string, whatToDo: string): cloudwatch.Alarm {
    return greaterThanZero(this, `${id}Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), whatToDo);
  }

  /** In alarm when Lambda refused to run the function (account or function concurrency exhausted). */
  public alarmOnThrottles(fn: lambda.IFunction, id: string, whatToDo: string): cloudwatch.Alarm {
    return greaterThanZero(this, `${id}Throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), whatToDo);
  }

  /**
   * In alarm when the function's URL answered with a 5xx: the handler's own error pages and
   * what Lambda returns when the function crashed or timed out.
   */
  public alarmOnUrlServerErrors(fn: lambda.IFunction, id: string, whatToDo: string): cloudwatch.Alarm {
    return greaterThanZero(this, `${id}ServerErrors`, fn.metric('Url5xxCount', { period: PERIOD, statistic: 'Sum' }), whatToDo);
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

function greaterThanZero(scope: Construct, id: string, metric: cloudwatch.Metric, description: string): cloudwatch.Alarm {
  return metric.createAlarm(scope, id, {
    alarmDescription: description,
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
