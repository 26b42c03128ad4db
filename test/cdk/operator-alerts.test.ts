import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_STACK_OUTPUTS } from '../../bin/cli/doctor.ts';
import { OPERATOR_EMAIL_PARAMETER } from '../../lib/refer-stack.ts';
import { onlyResourceId, synthStack, type SynthesizedStack } from './support.ts';

interface AlarmProperties {
  MetricName: string;
  Namespace: string;
  Dimensions: { Name: string; Value: unknown }[];
  AlarmActions?: unknown[];
  OKActions?: unknown[];
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
}

/**
 * Operator alerts: an encrypted, TLS-only SNS topic with the operator's email (a deploy-time
 * parameter), and an alarm on every dead-letter queue and every function, each sending to it.
 * Alarms are found by their metrics' dimensions, never by logical ids.
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

  /** The alarms on a metric of the resource named by `dimension` (a queue's name, a function's name). */
  function alarmsOn(metricName: string, dimension: { Name: string; Value: unknown }): AlarmProperties[] {
    return alarms.filter((alarm) => alarm.MetricName === metricName && JSON.stringify(alarm.Dimensions) === JSON.stringify([dimension]));
  }

  it('takes the operator email as a deploy-time parameter, checked to be an address', () => {
    const parameter = template.findParameters(OPERATOR_EMAIL_PARAMETER)[OPERATOR_EMAIL_PARAMETER] as { Type: string; AllowedPattern: string; Default?: unknown };
    expect(parameter.Type).toBe('String');
    expect(parameter.Default).toBeUndefined();
    const pattern = new RegExp(parameter.AllowedPattern);
    expect(pattern.test('ops@example.com')).toBe(true);
    for (const wrong of ['ops', 'ops@example', 'two words@example.com', '']) expect(pattern.test(wrong), wrong).toBe(false);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: { Ref: OPERATOR_EMAIL_PARAMETER }, TopicArn: topicRef });
  });

  it('encrypts the topic with its own rotated key that CloudWatch alarms of this stack may use, and refuses publishing without TLS', () => {
    const keyId = synth.id(synth.app.stack.alerts.key);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':alarm:Refer-\\*$')])] }) },
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('alarms on every dead-letter queue as soon as it holds a message', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(3);
    for (const queue of queues) {
      const [alarm, ...others] = alarmsOn('ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } });
      expect(others, `one alarm on ${queue}`).toEqual([]);
      expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    }
  });

  it('alarms on every function’s errors; on the web function’s 5xx answers, which include its errors', () => {
    const webId = synth.id(synth.app.stack.web.function);
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      const metric = fn === webId ? 'Url5xxCount' : 'Errors';
      const [alarm, ...others] = alarmsOn(metric, { Name: 'FunctionName', Value: { Ref: fn } });
      expect(others, `one ${metric} alarm on ${fn}`).toEqual([]);
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    }
  });

  it('alarms on throttles of the functions people wait on: capture (mail) and web (pages)', () => {
    const throttled = alarms.filter((alarm) => alarm.MetricName === 'Throttles').map((alarm) => alarm.Dimensions);
    const { capture, web } = synth.app.stack;
    expect(throttled).toEqual(
      expect.arrayContaining([
        [{ Name: 'FunctionName', Value: { Ref: synth.id(capture.function) } }],
        [{ Name: 'FunctionName', Value: { Ref: synth.id(web.function) } }],
      ]),
    );
    expect(throttled).toHaveLength(2);
  });

  it('sends every alarm of the stack to the topic, when it fires and when it is back to OK', () => {
    // Ten alarms: the CloudWatch free tier's worth; each one more costs $0.10 a month.
    expect(alarms).toHaveLength(10);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions, alarm.MetricName).toEqual([topicRef]);
      expect(alarm.OKActions, alarm.MetricName).toEqual([topicRef]);
    }
    template.hasOutput('AlarmTopicArn', { Value: topicRef });
  });

  it('has every output refer doctor reads (and the deploy guide names)', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining([...DOCTOR_STACK_OUTPUTS, 'InboundMxRecord', 'DkimCnameRecord1', 'DkimCnameRecord2', 'DkimCnameRecord3', 'AlarmTopicArn']));
    template.hasOutput('LinkSigningSecretArn', { Value: { Ref: synth.id(synth.app.stack.bookingCredentials.linkSigningSecret) } });
  });
});
