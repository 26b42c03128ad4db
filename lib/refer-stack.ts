import { Aws, CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import * as ses from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { parseReferConfig } from './config.ts';
import { BookingCredentials } from './constructs/booking-credentials.ts';
import { BookingPipeline } from './constructs/booking-pipeline.ts';
import { CapturePipeline } from './constructs/capture-pipeline.ts';
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
   * Create a secret for a Google Workspace service account key (domain-wide delegation) and pass
   * it to the booking and web functions.
   *
   * @default false
   */
  readonly googleServiceAccount?: boolean;
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

  /** Receipt rule, capture function and its dead-letter queue. */
  public readonly capture: CapturePipeline;

  /** Token key, link-signing key and Google credentials of booking. */
  public readonly bookingCredentials: BookingCredentials;

  /** The web function and its public Function URL (one-click pages, Google OAuth). */
  public readonly web: WebEndpoint;

  /** Booking function, its stream trigger, schedule and dead-letter queue. */
  public readonly booking: BookingPipeline;

  /** Follow-through: the jobs function, its schedule group, scheduler role, daily sweep, stream trigger and dead-letter queue. */
  public readonly jobs: Jobs;

  /** The alarm topic (to the operator's email) and the functions' alarms; every alarm of the stack notifies it. */
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
    });

    this.mailStore = new MailStore(this, 'MailStore', { rawMailRetentionDays: config.rawMailRetentionDays });
    this.dataTable = new DataTable(this, 'Data');
    this.captureDomainIdentity = new ses.EmailIdentity(this, 'CaptureDomainIdentity', {
      identity: ses.Identity.domain(config.captureDomain),
    });
    this.capture = new CapturePipeline(this, 'Capture', {
      rawMailBucket: this.mailStore.bucket,
      table: this.dataTable,
      senderIdentity: this.captureDomainIdentity,
      captureAddress: config.captureAddress,
      senderAddress: config.senderAddress,
      rejectOnSpamFail: config.rejectOnSpamFail,
      rejectOnDmarcFail: config.rejectOnDmarcFail,
    });
    this.bookingCredentials = new BookingCredentials(this, 'BookingCredentials', {
      googleServiceAccount: config.googleServiceAccount,
    });
    this.web = new WebEndpoint(this, 'Web', {
      table: this.dataTable,
      credentials: this.bookingCredentials,
      senderIdentity: this.captureDomainIdentity,
      senderAddress: config.senderAddress,
    });
    this.booking = new BookingPipeline(this, 'Booking', {
      table: this.dataTable,
      credentials: this.bookingCredentials,
      senderIdentity: this.captureDomainIdentity,
      senderAddress: config.senderAddress,
      webBaseUrl: this.web.url,
    });
    this.jobs = new Jobs(this, 'Jobs', {
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
      description: 'Email address that receives the alarms (errors, throttles, dead-letter queues). Confirm the subscription email AWS sends to it.',
      allowedPattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$',
      constraintDescription: 'must be an email address, e.g. ops@example.com',
    });
    this.alerts = new OperatorAlerts(this, 'Alerts', { operatorEmail: operatorEmail.valueAsString });
    this.alerts.alarmOnErrors(
      this.capture.function,
      'Capture',
      'The capture function failed on an incoming message. Lambda retries it twice; then the SES event goes to the capture dead-letter queue and the raw MIME stays in S3. See the function\'s log.',
    );
    this.alerts.alarmOnThrottles(
      this.capture.function,
      'Capture',
      'Lambda throttled the capture function: incoming mail waits (Lambda retries for up to 6 hours). Raise the account\'s concurrency quota (Service Quotas, Lambda concurrent executions).',
    );
    this.alerts.alarmOnErrors(
      this.booking.function,
      'Booking',
      'The booking function failed (Google Calendar, DynamoDB, a secret). Failed bookings are retried and then land in the booking dead-letter queue; the introduction stays awaiting_booking. See the function\'s log; check the Google OAuth client with npx refer doctor.',
    );
    this.alerts.alarmOnErrors(
      this.jobs.function,
      'Jobs',
      'A follow-through job or stream record failed. It is retried and then dead-lettered; the daily sweep re-runs what is due. See the jobs function\'s log.',
    );
    // The web function answers every request itself (an error page), so Lambda's Errors would miss
    // most failures; the URL's 5xx count has them, and crashes and timeouts too.
    this.alerts.alarmOnUrlServerErrors(
      this.web.function,
      'Web',
      'A one-click page or the Google connect failed with a server error: the person who clicked saw an error page. See the web function\'s log; npx refer doctor checks the secrets it needs.',
    );
    this.alerts.alarmOnThrottles(
      this.web.function,
      'Web',
      'Lambda throttled the web function: people clicking links got an error. Raise the account\'s concurrency quota (Service Quotas, Lambda concurrent executions).',
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
    new CfnOutput(this, 'CaptureDeadLetterQueueUrl', { value: this.capture.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'BookingDeadLetterQueueUrl', { value: this.booking.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'JobsDeadLetterQueueUrl', { value: this.jobs.deadLetterQueue.queueUrl });
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
    new CfnOutput(this, 'LinkSigningSecretArn', {
      description: 'The link-signing key\'s secret (its ARN only), for connect links made by the CLI: LINK_SIGNING_SECRET_ARN=<this> npx refer partner connect EMAIL',
      value: this.bookingCredentials.linkSigningSecret.secretArn,
    });
    new CfnOutput(this, 'GoogleOAuthSecretName', {
      description: 'Put the Google OAuth client here: aws secretsmanager put-secret-value --secret-id <this> --secret-string \'{"client_id":"...","client_secret":"..."}\'',
      value: this.bookingCredentials.googleOAuthSecret.secretName,
    });
    if (this.bookingCredentials.googleServiceAccountSecret) {
      new CfnOutput(this, 'GoogleServiceAccountSecretName', {
        description: 'Put the service account key JSON here: aws secretsmanager put-secret-value --secret-id <this> --secret-string file://key.json',
        value: this.bookingCredentials.googleServiceAccountSecret.secretName,
      });
    }
  }
}
