import { OUTBOX_CLAIM_LEASE_MS } from '../../functions/domain/outbound/outbound-email.ts';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyAttributeNames, tableDesign } from '../../functions/adapters/dynamodb/table-design.ts';
import { captureEnvironmentSchema } from '../../functions/shared/capture-config.ts';
import {
  actionsOf,
  onlyResourceId,
  roleStatements,
  synthTemplate,
  type PolicyStatementJson,
} from './support.ts';

const defaultCapture = 'intro@in.example.com';
const defaultSender = 'follow-up@in.example.com';

/** `{ "Fn::GetAtt": [id, "Arn"] }` joined with a suffix, as CDK renders `bucket.arnForObjects(...)`. */
function arnWithSuffix(logicalId: string, suffix: string) {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, suffix]] };
}

function functionEnvironment(template: Template): Record<string, unknown> {
  const fn = template.findResources('AWS::Lambda::Function');
  const [only] = Object.values(fn) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
  if (!only || Object.keys(fn).length !== 1) throw new Error('expected exactly one function');
  return only.Properties.Environment.Variables;
}

describe('default configuration', () => {
  let template: Template;
  let bucketId: string;
  let tableId: string;
  let queueId: string;
  let functionId: string;
  let roleId: string;
  let identityId: string;
  let statements: PolicyStatementJson[];

  beforeAll(() => {
    template = synthTemplate();
    bucketId = Object.keys(
      template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } }),
    )[0] as string;
    tableId = onlyResourceId(template, 'AWS::DynamoDB::Table');
    queueId = onlyResourceId(template, 'AWS::SQS::Queue');
    functionId = onlyResourceId(template, 'AWS::Lambda::Function');
    roleId = onlyResourceId(template, 'AWS::IAM::Role');
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
      const logGroupId = onlyResourceId(template, 'AWS::Logs::LogGroup');
      expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
    });

    it('times out before the outbox claim lease ends, so a slow attempt can never be overtaken and send twice', () => {
      const fn = template.findResources('AWS::Lambda::Function')[functionId] as { Properties: { Timeout: number } };
      expect(fn.Properties.Timeout * 1000).toBeLessThan(OUTBOX_CLAIM_LEASE_MS);
    });

    it('gets exactly the variables capture-config parses, plus Powertools and source maps', () => {
      const env = functionEnvironment(template);
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
      template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
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

    it('sends mail only as the capture domain identity', () => {
      const ses = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
      expect(ses).toHaveLength(1);
      expect(actionsOf(ses[0] as PolicyStatementJson).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      expect(JSON.stringify(ses[0]?.Resource)).toContain(`":identity/",{"Ref":"${identityId}"}`);
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
          Resource: { 'Fn::GetAtt': [onlyResourceId(template, 'AWS::Logs::LogGroup'), 'Arn'] },
        },
      ]);
      const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(sqs).toHaveLength(1);
      expect(actionsOf(sqs[0] as PolicyStatementJson)).toContain('sqs:SendMessage');
      expect(sqs[0]?.Resource).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
      // Nothing else: every statement is one of the needs tested above.
      const services = new Set(statements.flatMap((s) => actionsOf(s).map((a) => a.split(':')[0])));
      expect([...services].sort()).toEqual(['dynamodb', 'logs', 's3', 'ses', 'sqs']);
    });

    it('lets only SES, for this account and this receipt rule, invoke the function', () => {
      template.resourceCountIs('AWS::Lambda::Permission', 1);
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
          onlyResourceId(template, 'AWS::Lambda::Permission'),
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
    const template = synthTemplate({
      captureDomain: 'Refer.Acme.test',
      rawMailRetentionDays: '30', // -c values arrive as strings
      rejectOnSpamFail: 'false',
      rejectOnDmarcFail: false,
    });
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'refer.acme.test' });
    template.hasResourceProperties('AWS::SES::ReceiptRule', { Rule: { Recipients: ['intro@refer.acme.test'] } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
    });
    expect(functionEnvironment(template)).toMatchObject({
      CAPTURE_ADDRESS: 'intro@refer.acme.test',
      SENDER_ADDRESS: 'follow-up@refer.acme.test',
      REJECT_ON_SPAM_FAIL: 'false',
      REJECT_ON_DMARC_FAIL: 'false',
    });
  });

  it('takes explicit addresses at the capture domain', () => {
    const env = functionEnvironment(
      synthTemplate({ captureAddress: 'Referrals@in.example.com', senderAddress: 'desk@in.example.com' }),
    );
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
