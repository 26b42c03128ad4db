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
      // No rotation for the Google OAuth client secret: it is issued and rotated in Google Cloud
      // console. (The link-signing key has rotation: no acknowledgement.)
      'AwsSolutions-SMG4',
      // The capture, booking and jobs functions' failure destinations are themselves dead-letter queues.
      'AwsSolutions-SQS3',
      'AwsSolutions-SQS3',
      'AwsSolutions-SQS3',
    ]);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('stays clean with the Google service account secret, whose rotation is acknowledged too', () => {
    // cdk-nag only: the CloudFormation schema check ran on the full template above.
    const withServiceAccount = runNag(undefined, { googleServiceAccount: true }, { builtinCloudFormationValidation: false });
    expect(withServiceAccount.findings).toEqual([]);
    const smg4 = withServiceAccount.acknowledged.filter((a) => a.ruleName === 'AwsSolutions-SMG4');
    expect(smg4).toHaveLength(2);
    expect(smg4.map((a) => a.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/service account key/)]));
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
