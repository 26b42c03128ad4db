import type { Node } from 'constructs';
import * as z from 'zod';

/**
 * Deploy-time settings of the stack. `bin/app.ts` reads them from CDK context
 * (`cdk.json` or `-c key=value`); `ReferStack` validates them again so a stack built directly
 * (tests, other apps) gets the same checks.
 */
export interface ReferConfig {
  /** The domain SES receives mail for and sends from, e.g. `in.example.com`. */
  readonly captureDomain: string;
  /** The address partners CC; must be at `captureDomain`. */
  readonly captureAddress: string;
  /** The From of every message the system sends; must be at `captureDomain`. */
  readonly senderAddress: string;
  /** Days raw MIME is kept in S3 before the lifecycle rule deletes it. */
  readonly rawMailRetentionDays: number;
  /** Reject a capture when SES's spam or virus verdict is FAIL. */
  readonly rejectOnSpamFail: boolean;
  /** Reject a capture when SES's DMARC verdict is FAIL. */
  readonly rejectOnDmarcFail: boolean;
  /**
   * Book with a Google Workspace service account key (domain-wide delegation) that the operator
   * puts in the keys secret, so partners in that Workspace need not connect by consent.
   */
  readonly googleServiceAccount: boolean;
  /**
   * Keep the KMS key that sealed refresh tokens before the keys secret did, so they still open,
   * until `npx refer tokens reseal` has sealed them again (docs/deploy.md, "Upgrading").
   */
  readonly legacyTokenKey: boolean;
}

/** Context keys `bin/app.ts` reads, one per `ReferConfig` field. */
export const contextKeys = [
  'captureDomain',
  'captureAddress',
  'senderAddress',
  'rawMailRetentionDays',
  'rejectOnSpamFail',
  'rejectOnDmarcFail',
  'googleServiceAccount',
  'legacyTokenKey',
] as const satisfies readonly (keyof ReferConfig)[];

export const defaultCaptureDomain = 'in.example.com';
export const defaultRawMailRetentionDays = 90;

// A DNS name SES can receive for: labels of letters, digits and hyphens, at least two labels.
const domainPattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

// Context passed on the command line arrives as strings; cdk.json may hold real booleans/numbers.
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);
const wholeDays = z.union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)]).pipe(
  z
    .number()
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(36_500, 'must be at most 36500 days'),
);
// The same check the capture function applies to CAPTURE_ADDRESS/SENDER_ADDRESS at cold start,
// so a value that would crash the function fails synth instead.
const emailAddress = z.email('must be an email address like intro@in.example.com').transform((value) => value.toLowerCase());

const configSchema = z
  .object({
    captureDomain: z
      .string()
      .transform((value) => value.trim().toLowerCase())
      .pipe(z.string().regex(domainPattern, 'must be a domain name like in.example.com'))
      .default(defaultCaptureDomain),
    captureAddress: emailAddress.optional(),
    senderAddress: emailAddress.optional(),
    rawMailRetentionDays: wholeDays.default(defaultRawMailRetentionDays),
    rejectOnSpamFail: flag.default(true),
    rejectOnDmarcFail: flag.default(true),
    googleServiceAccount: flag.default(false),
    legacyTokenKey: flag.default(false),
  })
  .transform((raw, ctx): ReferConfig => {
    const captureAddress = raw.captureAddress ?? `intro@${raw.captureDomain}`;
    const senderAddress = raw.senderAddress ?? `follow-up@${raw.captureDomain}`;
    for (const [key, address] of [
      ['captureAddress', captureAddress],
      ['senderAddress', senderAddress],
    ] as const) {
      if (domainOf(address) !== raw.captureDomain) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${address} is not at the capture domain ${raw.captureDomain} (SES receives and sends for that domain only)`,
        });
      }
    }
    return { ...raw, captureAddress, senderAddress };
  });

/** Input accepted by `parseReferConfig`: every field optional, context-style strings allowed. */
export type ReferConfigInput = { readonly [K in keyof ReferConfig]?: unknown };

/**
 * Applies defaults and validates. Throws one `Error` listing every invalid setting by its
 * context key, e.g. `Invalid refer configuration: captureAddress ("nope"): must be an email address ...`.
 */
export function parseReferConfig(input: ReferConfigInput = {}): ReferConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const value = key in input ? ` (${JSON.stringify(input[key as keyof ReferConfig])})` : '';
    return `${key}${value}: ${issue.message}`;
  });
  throw new Error(
    `Invalid refer configuration: ${problems.join('; ')}. ` +
      `Set it in cdk.json "context" or with -c, e.g. cdk synth -c captureDomain=in.example.com`,
  );
}

/** Reads the `contextKeys` from a construct's context (unset keys take their defaults) and validates them. */
export function referConfigFromContext(node: Node): ReferConfig {
  const input: Record<string, unknown> = {};
  for (const key of contextKeys) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined) input[key] = value;
  }
  return parseReferConfig(input);
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
