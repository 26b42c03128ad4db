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
      // SES writes raw mail under the key prefix; the function may read that prefix only.
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<MailStoreRawMail[0-9A-F]{8}\.Arn>\/inbound\/\*\]$/),
      // The capture function's on-failure destination is itself a dead-letter queue.
      'AwsSolutions-SQS3',
    ]);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('reports a violation when one is introduced (the check above is not vacuous)', () => {
    const { findings } = runNag(({ stack }) => {
      new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    });
    expect(findings).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SQS2 (error) at Refer/Careless/Resource',
        'AwsSolutions-SQS4 (error) at Refer/Careless/Resource',
      ]),
    );
  });
});
