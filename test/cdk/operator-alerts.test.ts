import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_STACK_OUTPUTS } from '../../bin/cli/doctor.ts';
import { FUNCTION_ERROR_PATTERN, FUNCTION_ERRORS_METRIC } from '../../lib/constructs/operator-alerts.ts';
import { OPERATOR_EMAIL_PARAMETER } from '../../lib/refer-stack.ts';
import { METRICS_NAMESPACE } from '../../functions/shared/business-metrics.ts';
import { onlyResourceId, resourceOf, synthStack, type SynthesizedStack } from './support.ts';

interface AlarmProperties {
  MetricName: string;
  Namespace: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Statistic: string;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
}

/**
 * Operator alerts: a TLS-only SNS topic with the operator's email (a deploy-time parameter), one
 * alarm on the stack's dead-letter queue and one on the errors of every function, each sending to
 * it. Each alarm reads one metric: CloudWatch bills $0.10 a month per metric an alarm reads.
 * Alarms are found by their metrics, never by logical ids.
 */
describe('operator alerts', () => {
  let synth: SynthesizedStack;
  let template: Template;
  let topicRef: { Ref: string };
  let alarms: AlarmProperties[];

  beforeAll(() => {
    synth = synthStack();
    template = synth.template;
    topicRef = { Ref: onlyResourceId(template, 'AWS::SNS::Topic') };
    alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => (alarm as { Properties: AlarmProperties }).Properties);
  });

  it('takes the operator email as a deploy-time parameter, checked to be an address', () => {
    const parameter = template.findParameters(OPERATOR_EMAIL_PARAMETER)[OPERATOR_EMAIL_PARAMETER] as { Type: string; AllowedPattern: string; Default?: unknown };
    expect(parameter.Type).toBe('String');
    expect(parameter.Default).toBeUndefined();
    const pattern = new RegExp(parameter.AllowedPattern);
    expect(pattern.test('ops@example.com')).toBe(true);
    for (const wrong of ['ops', 'ops@example', 'two words@example.com', '']) expect(pattern.test(wrong), wrong).toBe(false);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: { Ref: OPERATOR_EMAIL_PARAMETER }, TopicArn: topicRef });
  });

  it('lets only CloudWatch alarms of this stack publish, refuses publishing without TLS, and needs no KMS key', () => {
    // CloudWatch alarms cannot publish to a topic under the AWS managed key aws/sns, and a customer
    // managed key costs $1 a month: the topic carries alarm names and descriptions only.
    expect(resourceOf<Record<string, unknown>>(template, topicRef.Ref).Properties.KmsMasterKeyId).toBeUndefined();
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':alarm:Refer-\\*$')])] }) },
            },
          }),
        ]),
      },
    });
  });

  it('has one dead-letter queue for the whole stack, alarmed as soon as it holds a message', () => {
    const queue = onlyResourceId(template, 'AWS::SQS::Queue');
    const { capture, booking, jobs, deadLetters } = synth.app.stack;
    for (const pipeline of [capture, booking, jobs]) expect(pipeline.deadLetterQueue).toBe(deadLetters.queue);
    const onQueue = alarms.filter((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(onQueue).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
    template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: queue } });
  });

  it('counts the errors of every function in one metric, from a filter on each function\'s log group, and alarms on it', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(5);
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map(
      (filter) => (filter as { Properties: { LogGroupName: unknown; FilterPattern: string; MetricTransformations: unknown[] } }).Properties,
    );
    const logGroupOf = (fn: string) => (resourceOf<{ LoggingConfig: { LogGroup: unknown } }>(template, fn).Properties.LoggingConfig.LogGroup as { Ref: string });
    expect(filters.map((filter) => filter.LogGroupName)).toEqual(expect.arrayContaining(functions.map(logGroupOf)));
    expect(filters).toHaveLength(functions.length);
    for (const filter of filters) {
      expect(filter.FilterPattern).toBe(FUNCTION_ERROR_PATTERN);
      // No dimensions and no default value: one metric for the stack, published only when an error is logged.
      expect(filter.MetricTransformations).toEqual([{ MetricNamespace: METRICS_NAMESPACE, MetricName: FUNCTION_ERRORS_METRIC, MetricValue: '1' }]);
    }
    const onErrors = alarms.filter((alarm) => alarm.MetricName === FUNCTION_ERRORS_METRIC);
    expect(onErrors).toEqual([
      expect.objectContaining({ Namespace: METRICS_NAMESPACE, Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' }),
    ]);
    expect(onErrors[0]?.Dimensions).toBeUndefined();
  });

  it('counts what Lambda counts as an error and what the handlers log as one, and nothing they log as information', () => {
    // The pattern's terms, as CloudWatch Logs matches them: any of them, case-sensitive, anywhere in the event.
    const terms = [...FUNCTION_ERROR_PATTERN.matchAll(/\?(?:"([^"]+)"|(\S+))/g)].map((match) => match[1] ?? match[2] ?? '');
    const counted = (line: string) => terms.some((term) => line.includes(term));
    const lines = {
      // The Node.js runtime, an exception the handler threw.
      thrown: '2026-11-24T09:00:00.000Z\t8f5c\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"boom"}',
      timedOut: '2026-11-24T09:00:30.000Z 8f5c Task timed out after 30.03 seconds',
      reportTimeout: 'REPORT RequestId: 8f5c\tDuration: 30000.00 ms\tBilled Duration: 30000 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tStatus: timeout',
      outOfMemory: 'REPORT RequestId: 8f5c\tDuration: 900.00 ms\tMemory Size: 512 MB\tMax Memory Used: 512 MB\tStatus: error\tError Type: Runtime.OutOfMemory',
      // Powertools, a failure a handler caught (a 5xx page, a stream record reported as failed).
      handled: '{"level":"ERROR","message":"web request failed","service":"referral-follow-through","error":"TimeoutError"}',
    };
    for (const [name, line] of Object.entries(lines)) expect(counted(line), name).toBe(true);
    for (const quiet of [
      '{"level":"INFO","message":"capture: recorded","outcome":"captured"}',
      '{"level":"WARN","message":"resuming bookings failed","error":"ThrottlingException"}',
      'REPORT RequestId: 8f5c\tDuration: 120.00 ms\tBilled Duration: 120 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB',
      '{"_aws":{"CloudWatchMetrics":[{"Namespace":"Refer","Dimensions":[["service","reason"]],"Metrics":[{"Name":"Failures","Unit":"Count"}]}]},"service":"refer","reason":"job_error","Failures":1}',
    ]) {
      expect(counted(quiet), quiet).toBe(false);
    }
  });

  it('sends both alarms of the stack to the topic, when they fire and when they are back to OK', () => {
    // Two alarms, one metric each: $0.20 a month.
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions, alarm.MetricName).toEqual([topicRef]);
      expect(alarm.OKActions, alarm.MetricName).toEqual([topicRef]);
    }
    template.hasOutput('AlarmTopicArn', { Value: topicRef });
  });

  it('has every output refer doctor reads (and the deploy guide names)', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining([...DOCTOR_STACK_OUTPUTS, 'InboundMxRecord', 'DkimCnameRecord1', 'DkimCnameRecord2', 'DkimCnameRecord3', 'AlarmTopicArn', 'DeadLetterQueueUrl']));
    template.hasOutput('KeysSecretArn', { Value: { Ref: synth.id(synth.app.stack.bookingCredentials.keysSecret) } });
  });
});
