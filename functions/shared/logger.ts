import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger. Log ids, outcomes and counts only: never addresses, names, subjects, bodies or
 * tokens (the reliability suite scans the logs for them).
 */
export const logger = new Logger({ serviceName: 'referral-follow-through' });

export type LogSink = Pick<Logger, 'info' | 'warn' | 'error'>;
