import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runNag, type NagResult } from './support.ts';

describe('cdk-nag AwsSolutions', () => {
  let app: NagResult;
  beforeAll(() => {
    app = runNag();
  });

  it('finds nothing unacknowledged in the app', () => {
    expect(app.findings).toEqual([]);
  });

  it('has only the reviewed acknowledgements, each with its reason', () => {
    const { acknowledged } = app;
    expect(acknowledged.map((a) => a.ruleName).sort()).toEqual([
      // dynamodb:ListStreams (booking's and the jobs' stream event source mappings) has no resource-level permissions.
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      // SES writes raw mail under the key prefix; the function may read that prefix only.
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<MailStoreRawMail[0-9A-F]{8}\.Arn>\/inbound\/\*\]$/),
      // The jobs function manages schedules named at run time, in its own schedule group only.
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule\/Refer-Jobs-ScheduleGroup-[0-9A-F]{8}\/\*\]$/),
      // The stack's one dead-letter queue is itself the failure destination. (The keys secret has
      // rotation: no SMG4 acknowledgement, and no other secret.)
      'AwsSolutions-SQS3',
    ]);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('stays clean with a Google service account and with the legacy token key kept, with nothing more acknowledged', () => {
    // cdk-nag only: the CloudFormation schema check ran on the full template above.
    for (const context of [{ googleServiceAccount: true }, { legacyTokenKey: true }]) {
      const variant = runNag(undefined, context, { builtinCloudFormationValidation: false });
      expect(variant.findings, JSON.stringify(context)).toEqual([]);
      expect(variant.acknowledged.map((a) => a.ruleName).sort()).toEqual(app.acknowledged.map((a) => a.ruleName).sort());
    }
  });

  it('reports a violation when one is introduced (the check above is not vacuous)', () => {
    const { findings } = runNag(
      ({ stack }) => {
        new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      },
      {},
      { builtinCloudFormationValidation: false },
    );
    expect(findings).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SQS2 (error) at Refer/Careless/Resource',
        'AwsSolutions-SQS4 (error) at Refer/Careless/Resource',
      ]),
    );
  });
});
