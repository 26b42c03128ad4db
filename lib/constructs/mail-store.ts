import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props for `MailStore`. */
export interface MailStoreProps {
  /**
   * Days a raw message is kept before the lifecycle rule deletes it.
   *
   * @default 90
   */
  readonly rawMailRetentionDays?: number;

  /**
   * Days the S3 server access logs of the raw-mail bucket are kept.
   *
   * @default 365
   */
  readonly accessLogRetentionDays?: number;

  /**
   * What happens to the buckets when the stack is deleted. Raw mail is the only copy of what
   * partners sent, so it is kept by default.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where SES puts the raw MIME of every received message: a private, encrypted, TLS-only bucket
 * whose objects expire after the retention, with S3 server access logs in a second bucket.
 */
export class MailStore extends Construct {
  /** Raw MIME of received messages, written by SES, read by the capture function. */
  public readonly bucket: s3.Bucket;

  /** S3 server access logs of `bucket`. */
  public readonly accessLogBucket: s3.Bucket;

  public constructor(scope: Construct, id: string, props: MailStoreProps = {}) {
    super(scope, id);
    // Grant the S3 logging service through the log bucket's policy rather than the legacy
    // LogDeliveryWrite ACL (which needs ACLs enabled). Also set in cdk.json; set here so the
    // construct does not depend on the app's feature flags.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to SSE-S3 buckets. cdk-nag's S1 accepts this bucket
      // without logs of its own because it is the log target of another bucket in the stack.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogRetentionDays ?? 365) },
      ],
    });

    this.bucket = new s3.Bucket(this, 'RawMail', {
      // SSE-S3: SES writes with the bucket default encryption and needs no key grant; with a KMS key
      // both SES (key policy) and every reader (kms:Decrypt) would need grants for no extra control here.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'raw-mail/',
      lifecycleRules: [
        {
          id: 'expire-raw-mail',
          expiration: Duration.days(props.rawMailRetentionDays ?? 90),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
