import * as z from 'zod';

/**
 * Environment of the capture function. The CDK stack sets exactly these variables; local mode
 * builds the same object from its own settings. Parsed once at cold start so a misconfigured
 * deployment fails loudly instead of mis-filing mail.
 */
const booleanFlag = z
  .enum(['true', 'false'])
  .default('true')
  .transform((value) => value === 'true');

export const captureEnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  RAW_MAIL_BUCKET: z.string().min(1),
  /** Prefix the SES S3 action writes under; the object key is this prefix plus the SES message id. */
  RAW_MAIL_PREFIX: z.string().default('inbound/'),
  /** The address partners put in CC, e.g. intro@in.example.com. */
  CAPTURE_ADDRESS: z.email().transform((value) => value.toLowerCase()),
  /** The From of every message the system sends, e.g. follow-up@in.example.com (the capture recognises its own mail). */
  SENDER_ADDRESS: z.email().transform((value) => value.toLowerCase()),
  REJECT_ON_SPAM_FAIL: booleanFlag,
  REJECT_ON_DMARC_FAIL: booleanFlag,
});

export type CaptureEnvironment = z.infer<typeof captureEnvironmentSchema>;

export function readCaptureEnvironment(env: NodeJS.ProcessEnv): CaptureEnvironment {
  return captureEnvironmentSchema.parse(env);
}
