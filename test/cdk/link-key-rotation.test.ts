import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BookingCredentials, MIN_LINK_KEY_ROTATION_DAYS } from '../../lib/constructs/booking-credentials.ts';
import { ROTATION_ACTIONS } from '../../lib/constructs/link-key-rotation.ts';
import { FUNCTION_ERRORS_METRIC } from '../../lib/constructs/operator-alerts.ts';
import { CONNECT_LINK_DAYS, REBOOK_LINK_DAYS } from '../../functions/adapters/links/booking-link-builder.ts';
import {
  actionsOf,
  allPolicyStatements,
  resourceOf,
  roleStatements,
  serviceStatements,
  synthStack,
  type PolicyStatementJson,
  type SynthesizedStack,
} from './support.ts';

describe('link-signing key rotation', () => {
  let synth: SynthesizedStack;
  let template: Template;
  let ids: { secret: string; rotation: string; rotationRole: string };
  let rotationStatements: PolicyStatementJson[];

  beforeAll(() => {
    synth = synthStack();
    template = synth.template;
    const credentials = synth.app.stack.bookingCredentials;
    ids = {
      secret: synth.id(credentials.keysSecret),
      rotation: synth.id(credentials.linkKeyRotation.function),
      rotationRole: synth.id(credentials.linkKeyRotation.function.role as IConstruct),
    };
    rotationStatements = roleStatements(template, ids.rotationRole);
  });

  it('rotates the link-signing key, and only it, every 30 days with the rotation function, not on deploy', () => {
    const schedules = template.findResources('AWS::SecretsManager::RotationSchedule');
    expect(Object.values(schedules).map((schedule) => (schedule as { Properties: unknown }).Properties)).toEqual([
      {
        SecretId: { Ref: ids.secret },
        RotationLambdaARN: { 'Fn::GetAtt': [ids.rotation, 'Arn'] },
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
        RotateImmediatelyOnUpdate: false,
      },
    ]);
    expect(30).toBeGreaterThanOrEqual(MIN_LINK_KEY_ROTATION_DAYS);
  });

  it('runs the rotation handler on the project defaults', () => {
    const fn = resourceOf<{ Runtime: string; Architectures: string[]; Handler: string }>(template, ids.rotation).Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
  });

  it('lets the rotation function do exactly the four rotation actions on that one secret, and write its logs', () => {
    expect(serviceStatements(rotationStatements, 'secretsmanager')).toEqual([
      { Effect: 'Allow', Action: [...ROTATION_ACTIONS].sort(), Resource: { Ref: ids.secret } },
    ]);
    const services = [...new Set(rotationStatements.flatMap((s) => actionsOf(s).map((a) => a.split(':')[0])))].sort();
    expect(services).toEqual(['logs', 'secretsmanager']);
    // It makes its own random key: no GetRandomPassword (which would need Resource "*").
    expect(rotationStatements.flatMap(actionsOf)).not.toContain('secretsmanager:GetRandomPassword');
    expect(JSON.stringify(rotationStatements)).not.toContain('"*"');
  });

  it('may be invoked only by Secrets Manager of this account, for this secret, before the schedule exists', () => {
    const permissions = Object.entries(
      template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: { 'Fn::GetAtt': [ids.rotation, 'Arn'] } } }),
    );
    expect(permissions.map(([, permission]) => (permission as { Properties: unknown }).Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.rotation, 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { Ref: ids.secret },
      },
    ]);
    const [scheduleId] = Object.keys(template.findResources('AWS::SecretsManager::RotationSchedule'));
    const schedule = (template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources[scheduleId as string];
    expect(schedule?.DependsOn).toEqual(expect.arrayContaining([permissions[0]?.[0]]));
  });

  it('counts a failed rotation step in the stack\'s function errors alarm (a metric filter on its log group)', () => {
    const logGroup = synth.id(synth.app.stack.bookingCredentials.linkKeyRotation.function.logGroup);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logGroup },
      MetricTransformations: [Match.objectLike({ MetricName: FUNCTION_ERRORS_METRIC })],
    });
  });

  it('leaves the readers able to read every stage of the key (current and previous), and no one else may write it', () => {
    const { stack } = synth.app;
    for (const fn of [stack.booking.function, stack.web.function]) {
      const read = serviceStatements(roleStatements(template, synth.id(fn.role as IConstruct)), 'secretsmanager');
      expect(read).toHaveLength(1);
      expect(read[0]?.Action).toBe('secretsmanager:GetSecretValue');
      // No secretsmanager:VersionStage condition: AWSPREVIOUS is readable as well as AWSCURRENT.
      expect(read[0]?.Condition).toBeUndefined();
    }
    const writers = allPolicyStatements(template).filter(({ statement }) =>
      actionsOf(statement).some((action) => ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'].includes(action)),
    );
    expect(writers.map(({ roles }) => roles)).toEqual([[{ Ref: ids.rotationRole }]]);
  });

  it('refuses a rotation period that a link could outlive', () => {
    expect(MIN_LINK_KEY_ROTATION_DAYS).toBe(Math.max(CONNECT_LINK_DAYS, REBOOK_LINK_DAYS) + 1);
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Check');
    expect(() => new BookingCredentials(stack, 'Weekly', { linkKeyRotation: Duration.days(7) })).toThrow(/linkKeyRotation 7 days: use at least 15 days/);
    expect(() => new BookingCredentials(stack, 'Monthly', { linkKeyRotation: Duration.days(31) })).not.toThrow();
  });
});
