import { Fn } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { WEB_PATHS } from '../../functions/adapters/links/booking-link-builder.ts';
import type { BookingEnvironment } from '../../functions/shared/booking-config.ts';
import type { BookingCredentials } from './booking-credentials.ts';
import type { DataTable } from './data-table.ts';
import { ReferFunction } from './refer-function.ts';

/** Props for `WebEndpoint`. */
export interface WebEndpointProps {
  /** The table where calendar connections and chosen slots are recorded. */
  readonly table: DataTable;

  /** The keys secret: the function signs and verifies links and seals and opens refresh tokens. */
  readonly credentials: BookingCredentials;

  /** The SES identity booking mail is sent from; `ses:SendEmail` is scoped to it. */
  readonly senderIdentity: ses.IEmailIdentity;

  /** The From of booking mail. Must belong to `senderIdentity`. */
  readonly senderAddress: string;

  /**
   * Display name on outbound mail.
   *
   * @default 'Referral desk'
   */
  readonly senderName?: string;

  /**
   * Handler module of the web function, relative to the repository root.
   *
   * @default 'functions/handlers/web.ts'
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
   * @default 'refer-web'
   */
  readonly serviceName?: string;
}

/**
 * The web function behind a Lambda Function URL: the one-click pages of booking emails (choose a
 * proposed slot, find another time) and the Google OAuth connect and callback.
 *
 * The URL is public (auth type NONE): the pages are reached from links in emails by people with
 * no AWS credentials. Authorization is in the links instead: every link carries an HMAC-signed,
 * expiring token scoped to one action and one subject, a GET never changes anything (mail
 * scanners follow links), and only the POST of the confirmation form acts. The OAuth callback is
 * bound to the partner by a signed `state` token the same way.
 *
 * The function is not given its own URL in its environment (that would be a CloudFormation
 * cycle); it takes the base URL from the request's domain.
 */
export class WebEndpoint extends Construct {
  /** The web function. */
  public readonly function: ReferFunction;

  /** Its public Function URL. */
  public readonly functionUrl: lambda.FunctionUrl;

  /** Base URL of the pages, `https://<id>.lambda-url.<region>.on.aws/` (ends with `/`). */
  public readonly url: string;

  /** The OAuth redirect URI to register with the Google OAuth client (`oauthRedirectUri` of the runtime). */
  public readonly oauthRedirectUri: string;

  public constructor(scope: Construct, id: string, props: WebEndpointProps) {
    super(scope, id);

    const environment = {
      TABLE_NAME: props.table.table.tableName,
      SENDER_ADDRESS: props.senderAddress,
      SENDER_NAME: props.senderName ?? 'Referral desk',
      ...props.credentials.environment,
    } satisfies { [K in keyof Omit<BookingEnvironment, 'WEB_BASE_URL'>]: string };

    this.function = new ReferFunction(this, 'Function', {
      entry: props.entry ?? 'functions/handlers/web.ts',
      description: 'One-click pages (booking, answers, unsubscribe) and the Google Calendar OAuth connect and callback',
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'refer-web',
        LOG_LEVEL: props.logLevel ?? 'INFO',
      },
    });

    // One grant per need: calendar connections (partner items) and chosen slots (introduction,
    // its history event and outbox items, in one transaction where needed), waiting bookings by gsi2.
    props.table.grantItems(this.function, ['GetItem', 'PutItem', 'UpdateItem'], ['gsi2']);
    props.credentials.grantUseKeys(this.function);
    props.senderIdentity.grantSendEmail(this.function);

    // Public on purpose, see the class comment: the links, not IAM, authorize each action.
    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.url = this.functionUrl.url;
    this.oauthRedirectUri = Fn.join('', [this.url, WEB_PATHS.oauthCallback.replace(/^\//, '')]);
  }
}
