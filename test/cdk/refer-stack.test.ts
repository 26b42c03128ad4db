import { OUTBOX_CLAIM_LEASE_MS } from '../../functions/domain/outbound/outbound-email.ts';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyAttributeNames, tableDesign } from '../../functions/adapters/dynamodb/table-design.ts';
import { captureEnvironmentSchema } from '../../functions/shared/capture-config.ts';
import { marshall } from '@aws-sdk/util-dynamodb';
import { tokenContext } from '../../functions/adapters/google/google-calendar-access.ts';
import { bookingEventSchema, workFromStreamRecord, type StreamRecord } from '../../functions/handlers/booking-event.ts';
import { bookingEnvironmentSchema } from '../../functions/shared/booking-config.ts';
import { MIN_LINK_KEY_LENGTH } from '../../functions/shared/keys-secret.ts';
import { oauthRedirectUri } from '../../functions/shared/booking-runtime.ts';
import {
  actionsOf,
  allPolicyStatements,
  functionEnvironment,
  matchesFilter,
  onlyResourceId,
  resolvedEnvironment,
  resourceOf,
  serviceStatements,
  type Resource,
  roleStatements,
  synthStack,
  synthTemplate,
  type PolicyStatementJson,
  type SynthesizedStack,
} from './support.ts';

const defaultCapture = 'intro@in.example.com';
const defaultSender = 'follow-up@in.example.com';

/** `{ "Fn::GetAtt": [id, "Arn"] }` joined with a suffix, as CDK renders `bucket.arnForObjects(...)`. */
function arnWithSuffix(logicalId: string, suffix: string) {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, suffix]] };
}

function captureEnvironmentOf({ template, app, id }: SynthesizedStack): Record<string, unknown> {
  return functionEnvironment(template, id(app.stack.capture.function));
}

/** The capture function's environment of a stack synthesized with `context`. */
function captureEnvironment(context: Record<string, unknown>): Record<string, unknown> {
  return captureEnvironmentOf(synthStack(context));
}

describe('default configuration', () => {
  let template: Template;
  let bucketId: string;
  let tableId: string;
  let queueId: string;
  let functionId: string;
  let roleId: string;
  let identityId: string;
  let logGroupId: string;
  let statements: PolicyStatementJson[];

  beforeAll(() => {
    const synth = synthStack();
    template = synth.template;
    const { stack } = synth.app;
    bucketId = synth.id(stack.mailStore.bucket);
    tableId = onlyResourceId(template, 'AWS::DynamoDB::Table');
    queueId = synth.id(stack.capture.deadLetterQueue);
    functionId = synth.id(stack.capture.function);
    roleId = synth.id(stack.capture.function.role as IConstruct);
    logGroupId = synth.id(stack.capture.function.logGroup);
    identityId = onlyResourceId(template, 'AWS::SES::EmailIdentity');
    statements = roleStatements(template, roleId);
  });

  describe('raw mail bucket', () => {
    it('is encrypted, private and logs access to a separate bucket', () => {
      template.resourceCountIs('AWS::S3::Bucket', 2);
      template.allResourcesProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      const logBucketId = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id !== bucketId);
      template.hasResource('AWS::S3::Bucket', {
        Properties: { LoggingConfiguration: { DestinationBucketName: { Ref: logBucketId } } },
        DeletionPolicy: 'Retain',
      });
    });

    it('denies every request without TLS on both buckets', () => {
      for (const id of Object.keys(template.findResources('AWS::S3::Bucket'))) {
        template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: id },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Principal: { AWS: '*' },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });

    it('expires raw mail after 90 days by default', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: Match.anyValue(),
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })]),
        },
      });
    });

    it('lets SES put objects under the prefix, only from this account and this receipt rule', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: Match.anyValue(),
              Effect: 'Allow',
              Principal: { Service: 'ses.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: arnWithSuffix(bucketId, '/inbound/*'),
              Condition: {
                StringEquals: {
                  'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                  'aws:SourceArn': {
                    'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':receipt-rule-set/Refer-capture:receipt-rule/capture$')])],
                  },
                },
              },
            },
          ]),
        },
      });
    });
  });

  describe('table', () => {
    it('has the keys, indexes and TTL of tableDesign', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: tableDesign.partitionKey, KeyType: 'HASH' },
          { AttributeName: tableDesign.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayEquals(
          keyAttributeNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        ),
        GlobalSecondaryIndexes: Match.arrayEquals(
          tableDesign.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        ),
        TimeToLiveSpecification: { AttributeName: tableDesign.timeToLiveAttribute, Enabled: true },
      });
    });

    it('is on-demand, encrypted, point-in-time recoverable and retained', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('capture function', () => {
    it('runs on ARM64 with Node.js 22 or newer and its own log group', () => {
      const fn = template.findResources('AWS::Lambda::Function')[functionId] as {
        Properties: { Runtime: string; Architectures: string[]; LoggingConfig: unknown };
      };
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      const major = /^nodejs(\d+)\.x$/.exec(fn.Properties.Runtime)?.[1];
      expect(Number(major)).toBeGreaterThanOrEqual(22);
      expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
    });

    it('times out before the outbox claim lease ends, so a slow attempt can never be overtaken and send twice', () => {
      const fn = template.findResources('AWS::Lambda::Function')[functionId] as { Properties: { Timeout: number } };
      expect(fn.Properties.Timeout * 1000).toBeLessThan(OUTBOX_CLAIM_LEASE_MS);
    });

    it('gets exactly the variables capture-config parses, plus Powertools and source maps', () => {
      const env = functionEnvironment(template, functionId);
      expect(Object.keys(env).sort()).toEqual(
        [...Object.keys(captureEnvironmentSchema.shape), 'POWERTOOLS_SERVICE_NAME', 'LOG_LEVEL', 'NODE_OPTIONS'].sort(),
      );
      expect(env).toMatchObject({
        TABLE_NAME: { Ref: tableId },
        RAW_MAIL_BUCKET: { Ref: bucketId },
        RAW_MAIL_PREFIX: 'inbound/',
        CAPTURE_ADDRESS: defaultCapture,
        SENDER_ADDRESS: defaultSender,
        REJECT_ON_SPAM_FAIL: 'true',
        REJECT_ON_DMARC_FAIL: 'true',
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      // What the function does at cold start: with the references filled in, the variables parse.
      const resolved = Object.fromEntries(
        Object.entries(env).map(([key, value]) => [key, typeof value === 'string' ? value : `resolved-${key}`]),
      );
      expect(() => captureEnvironmentSchema.parse(resolved)).not.toThrow();
    });

    it('retries a failed invocation twice, then sends it to the encrypted, TLS-only dead-letter queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    });
  });

  describe('IAM', () => {
    it('uses no managed policies and no wildcard resource', () => {
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
      for (const statement of statements) {
        expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      }
    });

    it('reads raw mail only: s3:GetObject under the prefix', () => {
      const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
      expect(s3).toEqual([
        { Sid: 'ReadRawMail', Effect: 'Allow', Action: 's3:GetObject', Resource: arnWithSuffix(bucketId, '/inbound/*') },
      ]);
    });

    it('sends no mail (the jobs function sends what a capture earns), though the capture domain identity exists', () => {
      expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')))).toEqual([]);
      expect(identityId).toBe(onlyResourceId(template, 'AWS::SES::EmailIdentity'));
      template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'in.example.com' });
    });

    it('reads and writes table items and queries the indexes by name, nothing more', () => {
      const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
      expect(dynamo).toEqual([
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:BatchGetItem',
            'dynamodb:ConditionCheckItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          Resource: tableArn,
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: tableDesign.globalSecondaryIndexes.map((index) => arnWithSuffix(tableId, `/index/${index.indexName}`)),
        },
      ]);
    });

    it('writes its own logs and to its dead-letter queue', () => {
      const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
      ]);
      const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(sqs).toHaveLength(1);
      expect(actionsOf(sqs[0] as PolicyStatementJson)).toContain('sqs:SendMessage');
      expect(sqs[0]?.Resource).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
      // Nothing else: every statement is one of the needs tested above.
      const services = new Set(statements.flatMap((s) => actionsOf(s).map((a) => a.split(':')[0])));
      expect([...services].sort()).toEqual(['dynamodb', 'logs', 's3', 'sqs']);
    });

    it('lets only SES, for this account and this receipt rule, invoke the function', () => {
      const permissions = template.findResources('AWS::Lambda::Permission', {
        Properties: { FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] } },
      });
      expect(Object.keys(permissions)).toHaveLength(1);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
        Principal: 'ses.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: {
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':receipt-rule-set/Refer-capture:receipt-rule/capture$')])],
        },
      });
    });
  });

  describe('SES inbound', () => {
    it('has one rule for the capture address: scan, TLS, store in S3 then invoke the function', () => {
      const ruleSetId = onlyResourceId(template, 'AWS::SES::ReceiptRuleSet');
      template.hasResourceProperties('AWS::SES::ReceiptRuleSet', { RuleSetName: 'Refer-capture' });
      template.hasResource('AWS::SES::ReceiptRule', {
        Properties: {
          RuleSetName: { Ref: ruleSetId },
          Rule: {
            Name: 'capture',
            Enabled: true,
            Recipients: [defaultCapture],
            ScanEnabled: true,
            TlsPolicy: 'Require',
            Actions: [
              { S3Action: { BucketName: { Ref: bucketId }, ObjectKeyPrefix: 'inbound/' } },
              { LambdaAction: { FunctionArn: { 'Fn::GetAtt': [functionId, 'Arn'] }, InvocationType: 'Event' } },
            ],
          },
        },
        // SES checks both permissions when it creates the rule.
        DependsOn: Match.arrayWith([
          Object.keys(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'ses.amazonaws.com' } }))[0],
          Object.keys(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }))[0],
        ]),
      });
    });

    it('outputs the rule set name to activate', () => {
      template.hasOutput('ReceiptRuleSetName', {
        Value: { Ref: onlyResourceId(template, 'AWS::SES::ReceiptRuleSet') },
        Description: Match.stringLikeRegexp('set-active-receipt-rule-set'),
      });
    });
  });
});

describe('configuration from context', () => {
  it('derives addresses from the capture domain and applies the other settings', () => {
    const synth = synthStack({
      captureDomain: 'Refer.Acme.test',
      rawMailRetentionDays: '30', // -c values arrive as strings
      rejectOnSpamFail: 'false',
      rejectOnDmarcFail: false,
    });
    const { template } = synth;
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'refer.acme.test' });
    template.hasResourceProperties('AWS::SES::ReceiptRule', { Rule: { Recipients: ['intro@refer.acme.test'] } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
    });
    expect(captureEnvironmentOf(synth)).toMatchObject({
      CAPTURE_ADDRESS: 'intro@refer.acme.test',
      SENDER_ADDRESS: 'follow-up@refer.acme.test',
      REJECT_ON_SPAM_FAIL: 'false',
      REJECT_ON_DMARC_FAIL: 'false',
    });
  });

  it('takes explicit addresses at the capture domain', () => {
    const env = captureEnvironment({ captureAddress: 'Referrals@in.example.com', senderAddress: 'desk@in.example.com' });
    expect(env).toMatchObject({ CAPTURE_ADDRESS: 'referrals@in.example.com', SENDER_ADDRESS: 'desk@in.example.com' });
  });

  it.each([
    [{ captureAddress: 'not-an-email' }, /captureAddress \("not-an-email"\): must be an email address/],
    [{ senderAddress: 'desk@elsewhere.test' }, /senderAddress \("desk@elsewhere.test"\): desk@elsewhere.test is not at the capture domain in.example.com/],
    [{ captureDomain: 'no spaces.example' }, /captureDomain \("no spaces.example"\): must be a domain name/],
    [{ rawMailRetentionDays: '0' }, /rawMailRetentionDays \("0"\): must be at least 1 day/],
    [{ rawMailRetentionDays: 'ninety' }, /rawMailRetentionDays \("ninety"\)/],
    [{ rejectOnSpamFail: 'yes' }, /rejectOnSpamFail \("yes"\)/],
  ])('rejects %j with a clear message', (context, message) => {
    expect(() => synthTemplate(context)).toThrow(message);
  });
});

function streamRecord(
  eventName: StreamRecord['eventName'],
  newImage: Record<string, unknown> | null,
  oldImage: Record<string, unknown> | null = null,
): StreamRecord {
  return {
    eventID: `${eventName}-1`,
    eventName,
    dynamodb: {
      SequenceNumber: '100',
      ...(newImage ? { NewImage: marshall(newImage, { removeUndefinedValues: true }) } : {}),
      ...(oldImage ? { OldImage: marshall(oldImage, { removeUndefinedValues: true }) } : {}),
    },
  };
}

/** The booking and web functions' variables: what `bookingEnvironmentSchema` parses, plus Powertools and source maps. */
function expectedBookingVariables(options: { webBaseUrl: boolean; serviceAccount: boolean }): string[] {
  return Object.keys(bookingEnvironmentSchema.shape)
    .filter((key) => options.webBaseUrl || key !== 'WEB_BASE_URL')
    .filter((key) => options.serviceAccount || key !== 'GOOGLE_SERVICE_ACCOUNT')
    // Only a stack upgraded with -c legacyTokenKey=true keeps the old KMS key.
    .filter((key) => key !== 'LEGACY_TOKEN_KEY_ARN')
    .concat('POWERTOOLS_SERVICE_NAME', 'LOG_LEVEL', 'NODE_OPTIONS')
    .sort();
}

describe('booking (default configuration)', () => {
  let synth: SynthesizedStack;
  let template: Template;
  let ids: {
    table: string;
    keysSecret: string;
    booking: string;
    bookingRole: string;
    web: string;
    webRole: string;
    webUrl: string;
    queue: string;
    identity: string;
    schedule: string;
  };
  let bookingStatements: PolicyStatementJson[];
  let webStatements: PolicyStatementJson[];

  beforeAll(() => {
    synth = synthStack();
    template = synth.template;
    const { stack } = synth.app;
    const { id } = synth;
    ids = {
      table: id(stack.dataTable.table),
      keysSecret: id(stack.bookingCredentials.keysSecret),
      booking: id(stack.booking.function),
      bookingRole: id(stack.booking.function.role as IConstruct),
      web: id(stack.web.function),
      webRole: id(stack.web.function.role as IConstruct),
      webUrl: id(stack.web.functionUrl),
      queue: id(stack.booking.deadLetterQueue),
      identity: id(stack.captureDomainIdentity),
      schedule: id(stack.booking.checkMeetingsSchedule),
    };
    bookingStatements = roleStatements(template, ids.bookingRole);
    webStatements = roleStatements(template, ids.webRole);
  });

  describe('table stream', () => {
    it('has the stream of tableDesign, with new and old images (the handler compares them)', () => {
      expect(tableDesign.streamViewType).toBe('NEW_AND_OLD_IMAGES');
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        StreamSpecification: { StreamViewType: tableDesign.streamViewType },
      });
    });
  });

  describe('stream trigger', () => {
    type Mapping = {
      FilterCriteria: { Filters: { Pattern: string }[] };
      BatchSize: number;
      [key: string]: unknown;
    };
    let mapping: Mapping;
    beforeAll(() => {
      // The stream has two mappings: booking's and the jobs function's (tested in jobs.test.ts).
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: ids.booking } } }));
      expect(mappings).toHaveLength(1);
      mapping = (mappings[0] as Resource<Mapping>).Properties;
    });

    it('reads the table stream into the booking function in small, halved, bounded batches with per-record failures', () => {
      expect(mapping).toMatchObject({
        FunctionName: { Ref: ids.booking },
        EventSourceArn: { 'Fn::GetAtt': [ids.table, 'StreamArn'] },
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 6 * 3600,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.queue, 'Arn'] } } },
      });
      expect(mapping.BatchSize).toBeGreaterThan(0);
      expect(mapping.BatchSize).toBeLessThanOrEqual(10);
    });

    it('filters to new introductions and changed partners', () => {
      expect(mapping.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern) as unknown)).toEqual([
        { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['introduction'] } } } },
        { eventName: ['MODIFY'], dynamodb: { NewImage: { entity: { S: ['partner'] } } } },
      ]);
    });

    it('never filters out a record the handler acts on, and drops the rest of the table traffic', () => {
      const patterns = mapping.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern) as unknown);
      const passes = (record: StreamRecord) => patterns.some((pattern) => matchesFilter(pattern, record));
      const partner = { pk: 'PARTNER#ana@example.com', sk: 'META', entity: 'partner', email: 'ana@example.com' };
      const connected = { ...partner, calendar: { status: 'connected', generation: 2 } };
      const cases: [StreamRecord, 'book' | 'resume' | null, boolean][] = [
        [streamRecord('INSERT', { pk: 'INTRO#i1', sk: 'META', entity: 'introduction', id: 'i1' }), 'book', true],
        [streamRecord('MODIFY', connected, { ...partner, calendar: { status: 'connected', generation: 1 } }), 'resume', true],
        [streamRecord('MODIFY', connected, connected), null, true], // filtered in the handler
        [streamRecord('INSERT', partner), null, false],
        [streamRecord('MODIFY', { pk: 'INTRO#i1', sk: 'META', entity: 'introduction', id: 'i1' }), null, false],
        [streamRecord('REMOVE', null, { pk: 'INTRO#i1', sk: 'META', entity: 'introduction', id: 'i1' }), null, false],
        [streamRecord('INSERT', { pk: 'INTRO#i1', sk: 'EVENT#1', entity: 'introduction_event' }), null, false],
        [streamRecord('INSERT', { pk: 'OUTBOX#x', sk: 'META', entity: 'outbox' }), null, false],
        [streamRecord('INSERT', { pk: 'INBOUND#x', sk: 'META', entity: 'inbound' }), null, false],
      ];
      for (const [record, work, passed] of cases) {
        expect(workFromStreamRecord(record)?.kind ?? null).toBe(work);
        expect(passes(record)).toBe(passed);
      }
    });

    it('sends records that still fail to the encrypted, TLS-only, alarmed dead-letter queue', () => {
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
      expect(resourceOf(template, ids.queue).Properties).toMatchObject({ SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    });
  });

  describe('hourly meeting check', () => {
    it('invokes the booking function every hour with {"action":"check-meetings"}, with retries and the dead-letter queue', () => {
      const schedule = resourceOf<{ ScheduleExpression: string; Target: Record<string, unknown> & { Input: string } }>(
        template,
        ids.schedule,
      ).Properties;
      expect(schedule.ScheduleExpression).toBe('rate(1 hour)');
      expect(schedule.Target).toMatchObject({
        Arn: { 'Fn::GetAtt': [ids.booking, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.queue, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: expect.any(Number) as number, MaximumEventAgeInSeconds: 3600 },
      });
      const input: unknown = JSON.parse(schedule.Target.Input);
      expect(input).toEqual({ action: 'check-meetings' });
      expect(bookingEventSchema.safeParse(input).success).toBe(true);
      // This one and the jobs' daily sweep (jobs.test.ts); the jobs function creates the rest at run time.
      template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    });

    it('runs as a role only Scheduler of this account can assume, allowed to invoke the function and write to the queue', () => {
      const roleArn = (resourceOf<{ Target: { RoleArn: { 'Fn::GetAtt': [string, string] } } }>(template, ids.schedule).Properties.Target
        .RoleArn)['Fn::GetAtt'][0];
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: { StringEquals: Match.objectLike({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }) },
            }),
          ],
        },
      });
      expect(roleStatements(template, roleArn)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [ids.booking, 'Arn'] } },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [ids.queue, 'Arn'] } },
      ]);
    });

    it('retries a failed run twice, then sends it to the dead-letter queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.booking },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.queue, 'Arn'] } } },
      });
    });
  });

  describe('keys secret', () => {
    it('is one generated secret of at least 48 letters and digits (the first link key and the token key seed), retained', () => {
      const secret = resourceOf<{ GenerateSecretString: Record<string, unknown> }>(template, ids.keysSecret);
      const generated = secret.Properties.GenerateSecretString;
      expect(generated).toMatchObject({ ExcludePunctuation: true, IncludeSpace: false });
      expect(generated.PasswordLength).toBeGreaterThanOrEqual(MIN_LINK_KEY_LENGTH);
      expect(generated.SecretStringTemplate).toBeUndefined();
      // Its seed seals the refresh tokens kept in the retained table.
      expect(secret.DeletionPolicy).toBe('Retain');
      template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    });

    it('needs no customer managed KMS key: tokens are sealed in the functions with the key derived from the secret', () => {
      template.resourceCountIs('AWS::KMS::Key', 0);
      for (const statements of [bookingStatements, webStatements]) expect(serviceStatements(statements, 'kms')).toEqual([]);
    });

    it('lets both functions read exactly this secret, with GetSecretValue only', () => {
      for (const statements of [bookingStatements, webStatements]) {
        expect(serviceStatements(statements, 'secretsmanager')).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: ids.keysSecret } }]);
      }
      // The capture function gets none (its services are listed in the capture IAM tests).
    });
  });

  describe('booking function', () => {
    it('gets exactly the variables booking-config parses (no service account by default), plus Powertools and source maps', () => {
      const env = functionEnvironment(template, ids.booking);
      expect(Object.keys(env).sort()).toEqual(expectedBookingVariables({ webBaseUrl: true, serviceAccount: false }));
      expect(env).toMatchObject({
        TABLE_NAME: { Ref: ids.table },
        SENDER_ADDRESS: defaultSender,
        WEB_BASE_URL: { 'Fn::GetAtt': [ids.webUrl, 'FunctionUrl'] },
        KEYS_SECRET_ARN: { Ref: ids.keysSecret },
        POWERTOOLS_SERVICE_NAME: 'refer-booking',
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(() => bookingEnvironmentSchema.parse(resolvedEnvironment(env))).not.toThrow();
    });

    it('times out before the outbox claim lease ends', () => {
      for (const id of [ids.booking, ids.web]) {
        expect(resourceOf<{ Timeout: number }>(template, id).Properties.Timeout * 1000).toBeLessThan(OUTBOX_CLAIM_LEASE_MS);
      }
    });

    it('reads and writes items, queries gsi2 by name, reads its stream and nothing more of the table', () => {
      const tableArn = { 'Fn::GetAtt': [ids.table, 'Arn'] };
      expect(serviceStatements(bookingStatements, 'dynamodb')).toEqual([
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: tableArn },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: arnWithSuffix(ids.table, '/index/gsi2') },
        // No resource-level permissions exist for ListStreams (acknowledged in cdk-nag).
        { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: { 'Fn::GetAtt': [ids.table, 'StreamArn'] },
        },
      ]);
    });

    it('sends mail only as the capture domain identity, and writes its logs and its dead-letter queue', () => {
      for (const statements of [bookingStatements, webStatements]) {
        const ses = serviceStatements(statements, 'ses');
        expect(ses).toHaveLength(1);
        expect(actionsOf(ses[0] as PolicyStatementJson).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
        expect(JSON.stringify(ses[0]?.Resource)).toContain(`":identity/",{"Ref":"${ids.identity}"}`);
      }
      const sqs = serviceStatements(bookingStatements, 'sqs');
      expect(sqs).toHaveLength(1);
      expect(actionsOf(sqs[0] as PolicyStatementJson)).toContain('sqs:SendMessage');
      expect(sqs[0]?.Resource).toEqual({ 'Fn::GetAtt': [ids.queue, 'Arn'] });
      const services = (statements: PolicyStatementJson[]) =>
        [...new Set(statements.flatMap((s) => actionsOf(s).map((a) => a.split(':')[0])))].sort();
      expect(services(bookingStatements)).toEqual(['dynamodb', 'logs', 'secretsmanager', 'ses', 'sqs']);
      expect(services(webStatements)).toEqual(['dynamodb', 'logs', 'secretsmanager', 'ses']);
    });
  });

  describe('web function', () => {
    it('gets the booking variables except its own URL (a CloudFormation cycle), plus Powertools and source maps', () => {
      const env = functionEnvironment(template, ids.web);
      expect(Object.keys(env).sort()).toEqual(expectedBookingVariables({ webBaseUrl: false, serviceAccount: false }));
      expect(env).toMatchObject({
        TABLE_NAME: { Ref: ids.table },
        KEYS_SECRET_ARN: { Ref: ids.keysSecret },
        POWERTOOLS_SERVICE_NAME: 'refer-web',
      });
      expect(() => bookingEnvironmentSchema.parse(resolvedEnvironment(env))).not.toThrow();
    });

    it('reads and writes items and queries gsi2 by name, nothing more of the table', () => {
      expect(serviceStatements(webStatements, 'dynamodb')).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] },
        },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: arnWithSuffix(ids.table, '/index/gsi2') },
      ]);
    });

    it('has a public Function URL (links carry signed tokens) and no other way in', () => {
      expect(resourceOf(template, ids.webUrl).Properties).toEqual({
        AuthType: 'NONE',
        TargetFunctionArn: { 'Fn::GetAtt': [ids.web, 'Arn'] },
      });
      const permissions = Object.values(
        template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: { 'Fn::GetAtt': [ids.web, 'Arn'] } } }),
      ).map((permission) => (permission as Resource).Properties);
      expect(permissions).toEqual(
        expect.arrayContaining([
          { Action: 'lambda:InvokeFunctionUrl', FunctionName: { 'Fn::GetAtt': [ids.web, 'Arn'] }, FunctionUrlAuthType: 'NONE', Principal: '*' },
          { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [ids.web, 'Arn'] }, InvokedViaFunctionUrl: true, Principal: '*' },
        ]),
      );
      expect(permissions).toHaveLength(2);
    });

    it('outputs the URL, the OAuth redirect URI to register with Google, and the keys secret the CLI puts the client in', () => {
      const url = { 'Fn::GetAtt': [ids.webUrl, 'FunctionUrl'] };
      // A Function URL ends with "/"; the runtime builds the redirect URI from that base.
      const base = 'https://abc.lambda-url.eu-west-1.on.aws/';
      const suffix = oauthRedirectUri(base).slice(base.length);
      expect(suffix).toBe('oauth/callback');
      template.hasOutput('WebUrl', { Value: url });
      template.hasOutput('GoogleOAuthRedirectUri', { Value: { 'Fn::Join': ['', [url, suffix]] } });
      template.hasOutput('KeysSecretArn', { Value: { Ref: ids.keysSecret } });
      expect(template.findOutputs('GoogleServiceAccount')).toEqual({});
    });
  });

  describe('IAM across the stack', () => {
    it('has no wildcard resource but ListStreams, and no wildcard action', () => {
      const statements = allPolicyStatements(template).map(({ statement }) => statement);
      // Booking's and the jobs function's stream mappings; the jobs' schedules-in-group ARN ends in "/*", not "*".
      expect(statements.filter((s) => JSON.stringify(s.Resource).includes('"*"'))).toEqual([
        { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
        { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
      ]);
      for (const statement of statements) for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    });
  });
});

describe('booking with a Google service account (context googleServiceAccount)', () => {
  it('tells both functions the keys secret holds its key, and the doctor to check it; no other secret', () => {
    const { template, app, id } = synthStack({ googleServiceAccount: 'true' }); // -c values arrive as strings
    const keysSecret = id(app.stack.bookingCredentials.keysSecret);
    const functions = [
      [id(app.stack.booking.function), true],
      [id(app.stack.web.function), false],
    ] as const;
    for (const [functionId, webBaseUrl] of functions) {
      const env = functionEnvironment(template, functionId);
      expect(Object.keys(env).sort()).toEqual(expectedBookingVariables({ webBaseUrl, serviceAccount: true }));
      expect(env.GOOGLE_SERVICE_ACCOUNT).toBe('true');
      expect(() => bookingEnvironmentSchema.parse(resolvedEnvironment(env))).not.toThrow();
    }
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    for (const fn of [app.stack.booking.function, app.stack.web.function]) {
      expect(serviceStatements(roleStatements(template, id(fn.role as IConstruct)), 'secretsmanager')).toEqual([
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: keysSecret } },
      ]);
    }
    template.hasOutput('GoogleServiceAccount', { Value: Match.anyValue() });
  });

  it('rejects a flag that is not a boolean', () => {
    expect(() => synthTemplate({ googleServiceAccount: 'yes' })).toThrow(/googleServiceAccount \("yes"\)/);
  });
});

describe('an upgraded stack that keeps the KMS key of older refresh tokens (context legacyTokenKey)', () => {
  it('keeps the retained key and its alias, and lets the token functions only decrypt with it, for refresh tokens only', () => {
    const { template, app, id } = synthStack({ legacyTokenKey: 'true' });
    const key = app.stack.bookingCredentials.legacyTokenKey;
    expect(key).toBeDefined();
    const keyId = id(key as IConstruct);
    // The construct path of the key that sealed every token before: the upgrade keeps it, never replaces it.
    expect(keyId).toMatch(/^BookingCredentialsTokenKey/);
    const resource = resourceOf(template, keyId);
    expect(resource.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(resource.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/Refer/google-refresh-tokens', TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const purpose = { StringEquals: { 'kms:EncryptionContext:purpose': tokenContext('ana@example.com').purpose } };
    for (const fn of [app.stack.booking.function, app.stack.web.function, app.stack.jobs.function]) {
      expect(serviceStatements(roleStatements(template, id(fn.role as IConstruct)), 'kms')).toEqual([
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] }, Condition: purpose },
      ]);
      expect(functionEnvironment(template, id(fn)).LEGACY_TOKEN_KEY_ARN).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    }
  });
});
