import { Aws, CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import * as ses from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { parseReferConfig } from './config.ts';
import { BookingCredentials } from './constructs/booking-credentials.ts';
import { BookingPipeline } from './constructs/booking-pipeline.ts';
import { CapturePipeline } from './constructs/capture-pipeline.ts';
import { AlarmedDeadLetterQueue } from './constructs/alarmed-dead-letter-queue.ts';
import { DataTable } from './constructs/data-table.ts';
import { Jobs } from './constructs/jobs.ts';
import { MailStore } from './constructs/mail-store.ts';
import { OperatorAlerts } from './constructs/operator-alerts.ts';
import { WebEndpoint } from './constructs/web-endpoint.ts';

/** The deploy-time parameter with the operator's email address (alarms). */
export const OPERATOR_EMAIL_PARAMETER = 'OperatorEmail';

/**
 * Props for `ReferStack`. The configuration fields are validated (and defaulted) with
 * `parseReferConfig`; an invalid value fails synth with a message naming the setting.
 */
export interface ReferStackProps extends StackProps {
  /**
   * The domain SES receives mail for and sends from.
   *
   * @default 'in.example.com'
   */
  readonly captureDomain?: string;

  /**
   * The address partners CC.
   *
   * @default `intro@${captureDomain}`
   */
  readonly captureAddress?: string;

  /**
   * The From of outbound mail.
   *
   * @default `follow-up@${captureDomain}`
   */
  readonly senderAddress?: string;

  /**
   * Days raw MIME is kept in S3.
   *
   * @default 90
   */
  readonly rawMailRetentionDays?: number;

  /**
   * Reject a capture when SES's spam or virus verdict is FAIL.
   *
   * @default true
   */
  readonly rejectOnSpamFail?: boolean;

  /**
   * Reject a capture when SES's DMARC verdict is FAIL.
   *
   * @default true
   */
  readonly rejectOnDmarcFail?: boolean;

  /**
   * Book with a Google Workspace service account key (domain-wide delegation) kept in the keys
   * secret (`npx refer google set --service-account key.json`).
   *
   * @default false
   */
  readonly googleServiceAccount?: boolean;

  /**
   * Keep the KMS key that sealed refresh tokens before the keys secret did, until
   * `npx refer tokens reseal` has sealed them again (docs/deploy.md, "Upgrading").
   *
   * @default false
   */
  readonly legacyTokenKey?: boolean;
}

/**
 * The referral follow-through stack: raw mail store, data table, the sending identity of the
 * capture domain, the inbound capture pipeline, booking, the web pages and the follow-through jobs.
 */
export class ReferStack extends Stack {
  /** Raw MIME bucket and its access-log bucket. */
  public readonly mailStore: MailStore;

  /** The single DynamoDB table. */
  public readonly dataTable: DataTable;

  /** SES identity of the capture domain (verify it with the DKIM records from the outputs). */
  public readonly captureDomainIdentity: ses.EmailIdentity;

  /** Where every function's and schedule's failures end after their retries, alarmed. */
  public readonly deadLetters: AlarmedDeadLetterQueue;

  /** Receipt rule and capture function. */
  public readonly capture: CapturePipeline;

  /** The keys secret (link keys, token key seed, Google credentials) and its rotation. */
  public readonly bookingCredentials: BookingCredentials;

  /** The web function and its public Function URL (one-click pages, Google OAuth). */
  public readonly web: WebEndpoint;

  /** Booking function, its stream trigger and schedule. */
  public readonly booking: BookingPipeline;

  /** Follow-through: the jobs function, its schedule group, scheduler role, daily sweep and stream trigger. */
  public readonly jobs: Jobs;

  /** The alarm topic (to the operator's email) and the functions' errors alarm; every alarm of the stack notifies it. */
  public readonly alerts: OperatorAlerts;

  public constructor(scope: Construct, id: string, props: ReferStackProps = {}) {
    super(scope, id, {
      description: 'Referral follow-through: capture of introductions sent to the capture address, booking of the meetings and the follow-through jobs',
      ...props,
    });
    const config = parseReferConfig({
      captureDomain: props.captureDomain,
      captureAddress: props.captureAddress,
      senderAddress: props.senderAddress,
      rawMailRetentionDays: props.rawMailRetentionDays,
      rejectOnSpamFail: props.rejectOnSpamFail,
      rejectOnDmarcFail: props.rejectOnDmarcFail,
      googleServiceAccount: props.googleServiceAccount,
      legacyTokenKey: props.legacyTokenKey,
    });

    this.mailStore = new MailStore(this, 'MailStore', { rawMailRetentionDays: config.rawMailRetentionDays });
    this.dataTable = new DataTable(this, 'Data');
    this.captureDomainIdentity = new ses.EmailIdentity(this, 'CaptureDomainIdentity', {
      identity: ses.Identity.domain(config.captureDomain),
    });
    this.deadLetters = new AlarmedDeadLetterQueue(this, 'DeadLetters', {
      holds:
        "the on-failure destination of every function's asynchronous invocations (capture, booking, jobs) and stream event source mappings (booking, jobs), and the dead-letter queue of every schedule",
      alarmDescription:
        'Something failed for good after its retries and is kept in the dead-letter queue (DeadLetterQueueUrl output) for 14 days. Each message says where it came from: see docs/deploy.md, "Dead letters", for how to read and replay it (every step is idempotent, replaying twice does no harm).',
    });
    this.capture = new CapturePipeline(this, 'Capture', {
      deadLetterQueue: this.deadLetters.queue,
      rawMailBucket: this.mailStore.bucket,
      table: this.dataTable,
      captureAddress: config.captureAddress,
      senderAddress: config.senderAddress,
      rejectOnSpamFail: config.rejectOnSpamFail,
      rejectOnDmarcFail: config.rejectOnDmarcFail,
    });
    this.bookingCredentials = new BookingCredentials(this, 'BookingCredentials', {
      googleServiceAccount: config.googleServiceAccount,
      legacyTokenKey: config.legacyTokenKey,
    });
    this.web = new WebEndpoint(this, 'Web', {
      table: this.dataTable,
      credentials: this.bookingCredentials,
      senderIdentity: this.captureDomainIdentity,
      senderAddress: config.senderAddress,
    });
    this.booking = new BookingPipeline(this, 'Booking', {
      deadLetterQueue: this.deadLetters.queue,
      table: this.dataTable,
      credentials: this.bookingCredentials,
      senderIdentity: this.captureDomainIdentity,
      senderAddress: config.senderAddress,
      webBaseUrl: this.web.url,
    });
    this.jobs = new Jobs(this, 'Jobs', {
      deadLetterQueue: this.deadLetters.queue,
      table: this.dataTable,
      credentials: this.bookingCredentials,
      senderIdentity: this.captureDomainIdentity,
      senderAddress: config.senderAddress,
      captureAddress: config.captureAddress,
      webBaseUrl: this.web.url,
    });

    // Given at deploy time (`cdk deploy --parameters OperatorEmail=...`); later deploys keep it.
    const operatorEmail = new CfnParameter(this, OPERATOR_EMAIL_PARAMETER, {
      type: 'String',
      description: 'Email address that receives the alarms (function errors, the dead-letter queue). Confirm the subscription email AWS sends to it.',
      allowedPattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$',
      constraintDescription: 'must be an email address, e.g. ops@example.com',
    });
    this.alerts = new OperatorAlerts(this, 'Alerts', { operatorEmail: operatorEmail.valueAsString });
    this.alerts.alarmOnFunctionErrors(
      [this.capture.function, this.booking.function, this.jobs.function, this.web.function, this.bookingCredentials.linkKeyRotation.function],
      'A function of the stack logged an error, timed out or crashed: a capture, booking, job or link-key rotation that is retried (then dead-lettered), or a one-click page or Google connect that answered with a server error. Find it in CloudWatch Logs Insights over the /aws/lambda/Refer-* log groups: filter level = "ERROR" or @message like /Task timed out|Status: (error|timeout)/. npx refer doctor checks the keys secret and the Google client.',
    );
    this.alerts.notifyEveryAlarm(this);

    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Alarms go here and to the OperatorEmail subscription (confirm it once from the email AWS sends)',
      value: this.alerts.topic.topicArn,
    });
    new CfnOutput(this, 'ReceiptRuleSetName', {
      description: 'Activate once: aws ses set-active-receipt-rule-set --rule-set-name <this>',
      value: this.capture.receiptRuleSet.receiptRuleSetName,
    });
    new CfnOutput(this, 'CaptureAddress', { value: config.captureAddress });
    new CfnOutput(this, 'InboundMxRecord', {
      description: `MX record of ${config.captureDomain} so SES receives its mail`,
      value: `10 inbound-smtp.${Aws.REGION}.amazonaws.com`,
    });
    const dkim = [
      [this.captureDomainIdentity.dkimDnsTokenName1, this.captureDomainIdentity.dkimDnsTokenValue1],
      [this.captureDomainIdentity.dkimDnsTokenName2, this.captureDomainIdentity.dkimDnsTokenValue2],
      [this.captureDomainIdentity.dkimDnsTokenName3, this.captureDomainIdentity.dkimDnsTokenValue3],
    ] as const;
    dkim.forEach(([name, value], index) => {
      new CfnOutput(this, `DkimCnameRecord${index + 1}`, {
        description: `DKIM CNAME ${index + 1} of 3 that verifies ${config.captureDomain} in SES`,
        value: `${name} CNAME ${value}`,
      });
    });
    new CfnOutput(this, 'TableName', { value: this.dataTable.table.tableName });
    new CfnOutput(this, 'RawMailBucketName', { value: this.mailStore.bucket.bucketName });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Failed captures, bookings and jobs after their retries (docs/deploy.md, "Dead letters")',
      value: this.deadLetters.queue.queueUrl,
    });
    new CfnOutput(this, 'ScheduleGroupName', {
      description: 'EventBridge Scheduler group of every follow-through schedule: aws scheduler list-schedules --group-name <this>',
      value: this.jobs.scheduleGroup.scheduleGroupName,
    });
    new CfnOutput(this, 'WebUrl', {
      description: 'Base URL of the one-click pages and the Google OAuth connect (a public Lambda Function URL; links carry signed tokens)',
      value: this.web.url,
    });
    new CfnOutput(this, 'GoogleOAuthRedirectUri', {
      description: 'Register this as an authorized redirect URI of the Google OAuth client (Google Cloud console, Credentials)',
      value: this.web.oauthRedirectUri,
    });
    new CfnOutput(this, 'KeysSecretArn', {
      description: 'The keys secret (its ARN only): the CLI signs connect links with it and puts the Google client in it: KEYS_SECRET_ARN=<this> npx refer google set --oauth-client client.json',
      value: this.bookingCredentials.keysSecret.secretArn,
    });
    if (config.googleServiceAccount) {
      new CfnOutput(this, 'GoogleServiceAccount', {
        description: 'The functions book with a Workspace service account key, which the keys secret must hold: npx refer google set --service-account key.json',
        value: 'expected in the keys secret',
      });
    }
  }
}
