import { marshall } from '@aws-sdk/util-dynamodb';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nextCronOccurrence } from '../../functions/adapters/scheduler/cron.ts';
import { SCHEDULE_MAX_EVENT_AGE_SECONDS, SCHEDULE_RETRY_ATTEMPTS } from '../../functions/adapters/scheduler/eventbridge-scheduler.ts';
import { OUTBOX_CLAIM_LEASE_MS } from '../../functions/domain/outbound/outbound-email.ts';
import { jobSchema } from '../../functions/domain/schedules/jobs.ts';
import { jobsEnvironmentSchema } from '../../functions/shared/jobs-config.ts';
import type { StreamRecord } from '../../functions/handlers/booking-event.ts';
import { followThroughWork } from '../../functions/handlers/follow-through-event.ts';
import { tableDesign } from '../../functions/adapters/dynamodb/table-design.ts';
import {
  actionsOf,
  functionEnvironment,
  matchesFilter,
  resolvedEnvironment,
  resourceOf,
  roleStatements,
  serviceStatements,
  synthStack,
  type PolicyStatementJson,
  type Resource,
  type SynthesizedStack,
} from './support.ts';

/** The jobs function's variables: what `jobsEnvironmentSchema` parses, plus Powertools and source maps. */
function expectedJobsVariables(options: { serviceAccount: boolean }): string[] {
  return Object.keys(jobsEnvironmentSchema.shape)
    .filter((key) => options.serviceAccount || key !== 'GOOGLE_SERVICE_ACCOUNT')
    // Only a stack upgraded with -c legacyTokenKey=true keeps the old KMS key.
    .filter((key) => key !== 'LEGACY_TOKEN_KEY_ARN')
    .concat('POWERTOOLS_SERVICE_NAME', 'LOG_LEVEL', 'NODE_OPTIONS')
    .sort();
}

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

describe('follow-through jobs (default configuration)', () => {
  let synth: SynthesizedStack;
  let template: Template;
  let groupName: string;
  let ids: {
    jobs: string;
    jobsRole: string;
    schedulerRole: string;
    group: string;
    sweep: string;
    queue: string;
    table: string;
    keysSecret: string;
    webUrl: string;
    identity: string;
  };
  let jobsStatements: PolicyStatementJson[];

  beforeAll(() => {
    synth = synthStack();
    template = synth.template;
    const { stack } = synth.app;
    const { id } = synth;
    ids = {
      jobs: id(stack.jobs.function),
      jobsRole: id(stack.jobs.function.role as IConstruct),
      schedulerRole: id(stack.jobs.schedulerRole),
      group: id(stack.jobs.scheduleGroup),
      sweep: id(stack.jobs.sweepSchedule),
      queue: id(stack.jobs.deadLetterQueue),
      table: id(stack.dataTable.table),
      keysSecret: id(stack.bookingCredentials.keysSecret),
      webUrl: id(stack.web.functionUrl),
      identity: id(stack.captureDomainIdentity),
    };
    groupName = resourceOf<{ Name: string }>(template, ids.group).Properties.Name;
    jobsStatements = roleStatements(template, ids.jobsRole);
  });

  describe('schedule group and scheduler role', () => {
    it('has one schedule group for every job schedule, named in the outputs', () => {
      template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
      expect(groupName).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
      template.hasOutput('ScheduleGroupName', { Value: groupName });
    });

    it('lets only EventBridge Scheduler of this account, running a schedule of this group, assume the role', () => {
      const role = resourceOf<{ AssumeRolePolicyDocument: { Statement: unknown[] }; ManagedPolicyArns?: unknown }>(template, ids.schedulerRole);
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          // Scheduler's documented confused-deputy condition: the source ARN is the schedule group's.
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': getAtt(ids.group) } },
        },
      ]);
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('allows the role only to invoke the jobs function and write to its dead-letter queue', () => {
      expect(roleStatements(template, ids.schedulerRole)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: getAtt(ids.jobs) },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: getAtt(ids.queue) },
      ]);
    });
  });

  describe('daily sweep', () => {
    type ScheduleProps = {
      GroupName: unknown;
      ScheduleExpression: string;
      ScheduleExpressionTimezone: string;
      FlexibleTimeWindow: unknown;
      Target: Record<string, unknown> & { Input: string };
    };
    let sweep: ScheduleProps;
    beforeAll(() => {
      sweep = resourceOf<ScheduleProps>(template, ids.sweep).Properties;
    });

    it('runs {"kind":"sweep"} every day at 05:00 UTC, in the group', () => {
      expect(sweep).toMatchObject({
        GroupName: groupName,
        ScheduleExpression: 'cron(0 5 * * ? *)',
        ScheduleExpressionTimezone: 'Etc/UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
      });
      const input: unknown = JSON.parse(sweep.Target.Input);
      expect(input).toEqual({ kind: 'sweep' });
      expect(jobSchema.parse(input)).toEqual({ kind: 'sweep' });
      // The same expression as local mode evaluates it: 05:00 UTC, every day.
      const after = new Date('2026-03-28T12:00:00Z');
      const first = nextCronOccurrence(sweep.ScheduleExpression, sweep.ScheduleExpressionTimezone, after);
      expect(first?.toISOString()).toBe('2026-03-29T05:00:00.000Z');
      expect(nextCronOccurrence(sweep.ScheduleExpression, sweep.ScheduleExpressionTimezone, first as Date)?.toISOString()).toBe('2026-03-30T05:00:00.000Z');
    });

    it('is created after its group (which it names by a literal)', () => {
      const resources = (template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources;
      expect(resources[ids.sweep]?.DependsOn).toContain(ids.group);
    });

    it('invokes the jobs function as the scheduler role, with the retry policy and dead-letter queue of the runtime schedules', () => {
      expect(sweep.Target).toEqual({
        Arn: getAtt(ids.jobs),
        RoleArn: getAtt(ids.schedulerRole),
        Input: sweep.Target.Input,
        RetryPolicy: { MaximumRetryAttempts: SCHEDULE_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: SCHEDULE_MAX_EVENT_AGE_SECONDS },
        DeadLetterConfig: { Arn: getAtt(ids.queue) },
      });
    });
  });

  describe('jobs function', () => {
    it('gets exactly the variables jobs-config parses, plus Powertools and source maps', () => {
      const env = functionEnvironment(template, ids.jobs);
      expect(Object.keys(env).sort()).toEqual(expectedJobsVariables({ serviceAccount: false }));
      expect(env).toMatchObject({
        TABLE_NAME: { Ref: ids.table },
        SENDER_ADDRESS: 'follow-up@in.example.com',
        CAPTURE_ADDRESS: 'intro@in.example.com',
        WEB_BASE_URL: getAtt(ids.webUrl, 'FunctionUrl'),
        KEYS_SECRET_ARN: { Ref: ids.keysSecret },
        SCHEDULE_GROUP: groupName,
        SCHEDULER_ROLE_ARN: getAtt(ids.schedulerRole),
        SCHEDULER_DEAD_LETTER_ARN: getAtt(ids.queue),
        POWERTOOLS_SERVICE_NAME: 'refer-jobs',
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(() => jobsEnvironmentSchema.parse(resolvedEnvironment(env))).not.toThrow();
    });

    it('times out before the outbox claim lease ends, so a slow attempt is never overtaken and sends twice', () => {
      expect(resourceOf<{ Timeout: number }>(template, ids.jobs).Properties.Timeout * 1000).toBeLessThan(OUTBOX_CLAIM_LEASE_MS);
    });

    it('retries a failed asynchronous run (a schedule\'s) twice, then sends it to the dead-letter queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.jobs },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: getAtt(ids.queue) } },
      });
    });

    it('has no resource policy: only the scheduler role (by IAM) and the stream mapping start it', () => {
      expect(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: Match.objectLike({ 'Fn::GetAtt': [ids.jobs, 'Arn'] }) } })).toEqual({});
      expect(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: { Ref: ids.jobs } } })).toEqual({});
    });
  });

  describe('jobs function IAM', () => {
    it('creates, updates, reads and deletes schedules only in its group', () => {
      expect(serviceStatements(jobsStatements, 'scheduler')).toEqual([
        {
          Effect: 'Allow',
          Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:schedule/${groupName}/*`]],
          },
        },
      ]);
    });

    it('passes only the scheduler role, and only to EventBridge Scheduler', () => {
      expect(serviceStatements(jobsStatements, 'iam')).toEqual([
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: getAtt(ids.schedulerRole),
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]);
    });

    it('reads and writes table items, queries the table and both indexes by name, and reads its stream', () => {
      const tableArn = getAtt(ids.table);
      expect(serviceStatements(jobsStatements, 'dynamodb')).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
          Resource: tableArn,
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: tableDesign.globalSecondaryIndexes.map((index) => ({ 'Fn::Join': ['', [tableArn, `/index/${index.indexName}`]] })),
        },
        { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: getAtt(ids.table, 'StreamArn'),
        },
      ]);
    });

    it('reads the keys secret (links, refresh tokens), sends as the capture domain, writes its dead-letter queue and logs; nothing else', () => {
      // A plain value of an older stack also has its previous link key in the AWSPREVIOUS version: no condition on the stage.
      expect(serviceStatements(jobsStatements, 'secretsmanager')).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: ids.keysSecret } }]);
      const ses = serviceStatements(jobsStatements, 'ses');
      expect(ses).toHaveLength(1);
      expect(actionsOf(ses[0] as PolicyStatementJson).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      expect(JSON.stringify(ses[0]?.Resource)).toContain(`":identity/",{"Ref":"${ids.identity}"}`);
      expect(serviceStatements(jobsStatements, 'sqs').length).toBeGreaterThan(0);
      for (const statement of serviceStatements(jobsStatements, 'sqs')) {
        expect(actionsOf(statement)).toContain('sqs:SendMessage');
        expect(statement.Resource).toEqual(getAtt(ids.queue));
      }
      const services = [...new Set(jobsStatements.flatMap((s) => actionsOf(s).map((a) => a.split(':')[0])))].sort();
      expect(services).toEqual(['dynamodb', 'iam', 'logs', 'scheduler', 'secretsmanager', 'ses', 'sqs']);
    });
  });

  describe('table stream trigger', () => {
    type Mapping = { FilterCriteria: { Filters: { Pattern: string }[] }; BatchSize: number; [key: string]: unknown };
    let mapping: Mapping;
    beforeAll(() => {
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: ids.jobs } } }));
      expect(mappings).toHaveLength(1);
      mapping = (mappings[0] as Resource<Mapping>).Properties;
    });

    it('is a second mapping of the table stream: halved, bounded batches with per-record failures and the dead-letter queue', () => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      expect(mapping).toMatchObject({
        EventSourceArn: getAtt(ids.table, 'StreamArn'),
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 6 * 3600,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: getAtt(ids.queue) } },
      });
      expect(mapping.BatchSize).toBeGreaterThan(0);
      expect(mapping.BatchSize).toBeLessThanOrEqual(10);
    });

    it('filters to new and changed introductions, pairs and groups, and to deliveries newly recorded as captured or ambiguous', () => {
      expect(mapping.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern) as unknown)).toEqual([
        { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: ['introduction', 'pair', 'group'] } } } },
        { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['inbound'] }, outcome: { S: ['captured', 'ambiguous'] } } } },
      ]);
    });

    it('lets through every record the handler acts on, and drops the rest of the table traffic (its own schedule items included)', () => {
      const patterns = mapping.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern) as unknown);
      const record = (eventName: StreamRecord['eventName'], image: Record<string, unknown>): StreamRecord => ({
        eventID: `${eventName}-1`,
        eventName,
        dynamodb: {
          SequenceNumber: '100',
          ...(eventName === 'REMOVE' ? { OldImage: marshall(image) } : { NewImage: marshall(image), OldImage: marshall(image) }),
        },
      });
      const passes = (candidate: StreamRecord) => patterns.some((pattern) => matchesFilter(pattern, candidate));
      // The handler's own reading of a record; these items are skeletons, so one it would act on
      // fails to parse: that still says it would act.
      const handlerActs = (candidate: StreamRecord) => {
        try {
          return followThroughWork(candidate) !== null;
        } catch {
          return true;
        }
      };
      const item = (entity: string) => ({ pk: `${entity.toUpperCase()}#x`, sk: 'META', entity });
      // Every outcome a delivery can be recorded with: only a new captured or ambiguous one earns an email.
      for (const outcome of ['captured', 'attached', 'duplicate', 'ignored', 'ambiguous', 'rejected']) {
        for (const eventName of ['INSERT', 'MODIFY', 'REMOVE'] as const) {
          const candidate = record(eventName, { ...item('inbound'), outcome });
          const expected = eventName === 'INSERT' && ['captured', 'ambiguous'].includes(outcome);
          expect({ outcome, eventName, passes: passes(candidate) }).toEqual({ outcome, eventName, passes: expected });
          expect({ outcome, eventName, acts: handlerActs(candidate) }).toEqual({ outcome, eventName, acts: expected });
        }
      }
      const entities = ['introduction', 'pair', 'group', 'introduction_event', 'introduction_message', 'partner', 'partner_pair', 'pair_note', 'outbox', 'inbound', 'message_id', 'schedule'];
      for (const entity of entities) {
        for (const eventName of ['INSERT', 'MODIFY', 'REMOVE'] as const) {
          const candidate = record(eventName, item(entity));
          const expected = eventName !== 'REMOVE' && ['introduction', 'pair', 'group'].includes(entity);
          expect({ entity, eventName, passes: passes(candidate) }).toEqual({ entity, eventName, passes: expected });
          expect({ entity, eventName, acts: handlerActs(candidate) }).toEqual({ entity, eventName, acts: expected });
        }
      }
    });
  });

  it('sends everything that still fails to the stack\'s one encrypted, TLS-only, alarmed dead-letter queue, whose URL is an output', () => {
    expect(resourceOf(template, ids.queue).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: ids.queue }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: getAtt(ids.queue, 'QueueName') }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: ids.queue } });
  });
});

describe('jobs with a Google service account (context googleServiceAccount)', () => {
  it('is told the keys secret holds a service account key', () => {
    const { template, app, id } = synthStack({ googleServiceAccount: 'true' });
    const env = functionEnvironment(template, id(app.stack.jobs.function));
    expect(Object.keys(env).sort()).toEqual(expectedJobsVariables({ serviceAccount: true }));
    expect(env.GOOGLE_SERVICE_ACCOUNT).toBe('true');
    expect(() => jobsEnvironmentSchema.parse(resolvedEnvironment(env))).not.toThrow();
    const read = serviceStatements(roleStatements(template, id(app.stack.jobs.function.role as IConstruct)), 'secretsmanager');
    expect(read).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: id(app.stack.bookingCredentials.keysSecret) } }]);
  });
});
