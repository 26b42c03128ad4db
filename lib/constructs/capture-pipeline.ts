import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CaptureEnvironment } from '../../functions/shared/capture-config.ts';
import type { DataTable } from './data-table.ts';
import { ReferFunction } from './refer-function.ts';

/** Props for `CapturePipeline`. */
export interface CapturePipelineProps {
  /** Bucket SES writes raw MIME to; the function reads it back. */
  readonly rawMailBucket: s3.Bucket;

  /** The table introductions are recorded in. */
  readonly table: DataTable;

  /** The stack's dead-letter queue (`AlarmedDeadLetterQueue`), where this sends the capture function's asynchronous invocations that still fail after 2 retries (the SES event; the raw MIME stays in S3). */
  readonly deadLetterQueue: sqs.Queue;

  /** The address partners CC (the receipt rule's only recipient). */
  readonly captureAddress: string;

  /** The From of the system's outbound mail (sent by other functions): the capture recognises it as the system's own. */
  readonly senderAddress: string;

  /** Reject a capture when SES's spam or virus verdict is FAIL. */
  readonly rejectOnSpamFail: boolean;

  /** Reject a capture when SES's DMARC verdict is FAIL. */
  readonly rejectOnDmarcFail: boolean;

  /**
   * Key prefix SES stores raw mail under; the function may read objects under it and nothing else.
   * Must end with `/`.
   *
   * @default 'inbound/'
   */
  readonly rawMailPrefix?: string;

  /**
   * Name of the receipt rule set (it must be made the active set by hand, see the stack output).
   *
   * @default `${stackName}-capture`
   */
  readonly receiptRuleSetName?: string;

  /**
   * Name of the receipt rule inside the set.
   *
   * @default 'capture'
   */
  readonly receiptRuleName?: string;

  /**
   * Handler module of the capture function, relative to the repository root.
   *
   * @default 'functions/handlers/capture.ts'
   */
  readonly entry?: string;

  /**
   * Powertools logger level.
   *
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

  /**
   * Powertools service name.
   *
   * @default 'refer-capture'
   */
  readonly serviceName?: string;
}

/**
 * Inbound mail for the capture address: an SES receipt rule set with one rule (spam/virus scan,
 * TLS required) that stores the raw message in S3 and then invokes the capture function
 * asynchronously. A capture that still fails after 2 retries lands in an encrypted dead-letter
 * queue, which raises an alarm, so no message is dropped silently.
 *
 * The rule's S3 and Lambda actions are written here instead of using `aws-ses-actions`, because
 * those grant SES access with `aws:SourceAccount` only; these grants are also scoped by
 * `aws:SourceArn` to this one receipt rule.
 */
export class CapturePipeline extends Construct {
  /** The capture function. */
  public readonly function: ReferFunction;

  /** On-failure destination of the function's asynchronous invocations. */
  public readonly deadLetterQueue: sqs.Queue;


  /** The receipt rule set. CDK cannot activate it: `aws ses set-active-receipt-rule-set`. */
  public readonly receiptRuleSet: ses.ReceiptRuleSet;

  /** The receipt rule for the capture address. */
  public readonly receiptRule: ses.ReceiptRule;

  /** ARN of `receiptRule`, the `aws:SourceArn` SES presents to S3 and Lambda. */
  public readonly receiptRuleArn: string;

  public constructor(scope: Construct, id: string, props: CapturePipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const rawMailPrefix = props.rawMailPrefix ?? 'inbound/';
    if (!/^[A-Za-z0-9!_.()'-]+(\/[A-Za-z0-9!_.()'-]+)*\/$/.test(rawMailPrefix)) {
      throw new Error(
        `Invalid rawMailPrefix "${rawMailPrefix}": use a key prefix like "inbound/" (no leading slash, ending in "/"), so the function's read grant covers raw mail only.`,
      );
    }
    const receiptRuleSetName = props.receiptRuleSetName ?? `${stack.stackName}-capture`;
    const receiptRuleName = props.receiptRuleName ?? 'capture';
    // Known before the rule exists, so the bucket policy and the Lambda permission (which SES checks
    // when the rule is created) can name it without a dependency cycle.
    this.receiptRuleArn = stack.formatArn({
      service: 'ses',
      resource: 'receipt-rule-set',
      resourceName: `${receiptRuleSetName}:receipt-rule/${receiptRuleName}`,
    });
    const fromThisRule = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': this.receiptRuleArn },
    };

    this.deadLetterQueue = props.deadLetterQueue;

    const environment = {
      TABLE_NAME: props.table.table.tableName,
      RAW_MAIL_BUCKET: props.rawMailBucket.bucketName,
      RAW_MAIL_PREFIX: rawMailPrefix,
      CAPTURE_ADDRESS: props.captureAddress,
      SENDER_ADDRESS: props.senderAddress,
      REJECT_ON_SPAM_FAIL: String(props.rejectOnSpamFail),
      REJECT_ON_DMARC_FAIL: String(props.rejectOnDmarcFail),
    } satisfies Record<keyof CaptureEnvironment, string>;

    this.function = new ReferFunction(this, 'Function', {
      entry: props.entry ?? 'functions/handlers/capture.ts',
      description: `Records introductions sent to ${props.captureAddress} and confirms them by mail`,
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'refer-capture',
        LOG_LEVEL: props.logLevel ?? 'INFO',
      },
      retryAttempts: 2,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    // One grant per need.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadRawMail',
        actions: ['s3:GetObject'],
        resources: [props.rawMailBucket.arnForObjects(`${rawMailPrefix}*`)],
      }),
    );
    if (this.function.role) {
      const bucketLogicalId = stack.getLogicalId(props.rawMailBucket.node.defaultChild as s3.CfnBucket);
      Validations.of(this.function.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${rawMailPrefix}*]`,
        reason:
          'SES names each raw-mail object by its message id, so the function reads s3:GetObject on the key prefix SES writes under and on nothing else in the bucket.',
      });
    }
    // No mail permission: the capture sends nothing (the jobs function sends what a capture earns).
    props.table.grantItemReadWrite(this.function);

    const storeRawMail = props.rawMailBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSesCaptureRuleToStoreRawMail',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [props.rawMailBucket.arnForObjects(`${rawMailPrefix}*`)],
        conditions: fromThisRule,
      }),
    );
    this.function.addPermission('InvokeBySesCaptureRule', {
      principal: new iam.ServicePrincipal('ses.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: this.receiptRuleArn,
    });
    const invokePermission = this.function.permissionsNode.findChild('InvokeBySesCaptureRule');

    this.receiptRuleSet = new ses.ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName });
    this.receiptRule = this.receiptRuleSet.addRule('Rule', {
      receiptRuleName,
      recipients: [props.captureAddress],
      enabled: true,
      scanEnabled: true,
      tlsPolicy: ses.TlsPolicy.REQUIRE,
      actions: [
        // First keep the message, so even a function that cannot start loses nothing.
        fixedAction({ s3Action: { bucketName: props.rawMailBucket.bucketName, objectKeyPrefix: rawMailPrefix } }),
        fixedAction({
          lambdaAction: { functionArn: this.function.functionArn, invocationType: 'Event' },
        }),
      ],
    });
    // SES tests both permissions when the rule is created.
    if (storeRawMail.policyDependable) this.receiptRule.node.addDependency(storeRawMail.policyDependable);
    this.receiptRule.node.addDependency(invokePermission);
  }
}

/** A receipt rule action whose permissions are granted by the caller (see `CapturePipeline`). */
function fixedAction(config: ses.ReceiptRuleActionConfig): ses.IReceiptRuleAction {
  return { bind: () => config };
}
