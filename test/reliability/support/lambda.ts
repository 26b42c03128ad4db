/**
 * How Lambda treats a failing invocation, for tests that follow a failure to its end: an
 * asynchronous invocation (SES → capture, Scheduler → jobs) is retried `retryAttempts` times, about
 * a minute and then two apart, and then handed to the on-failure destination (the dead-letter
 * queue); a stream batch (table → booking, jobs) reports its failed records and gets them again,
 * `retryAttempts` times, and then they go to the dead-letter queue too. The stack configures
 * retryAttempts 2 for asynchronous invocations and 5 for the booking stream.
 */

export interface DeadLetter {
  readonly event: unknown;
  readonly error: string;
}

export class DeadLetterQueue {
  readonly messages: DeadLetter[] = [];
  push(event: unknown, error: unknown): void {
    this.messages.push({ event, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}

export interface AsyncInvocationResult<R> {
  readonly attempts: number;
  readonly result?: R;
  readonly errors: readonly unknown[];
  readonly deadLettered: boolean;
}

/** Lambda's asynchronous invocation: the first attempt, then up to `retryAttempts` retries, then the dead-letter queue. */
export async function invokeAsync<R>(
  handler: (event: unknown) => Promise<R>,
  event: unknown,
  options: { retryAttempts?: number; deadLetters?: DeadLetterQueue; beforeRetry?: (retry: number) => void | Promise<void> } = {},
): Promise<AsyncInvocationResult<R>> {
  const retryAttempts = options.retryAttempts ?? 2;
  const errors: unknown[] = [];
  for (let attempt = 0; attempt <= retryAttempts; attempt += 1) {
    if (attempt > 0) await options.beforeRetry?.(attempt);
    try {
      return { attempts: attempt + 1, result: await handler(event), errors, deadLettered: false };
    } catch (error) {
      errors.push(error);
    }
  }
  options.deadLetters?.push(event, errors.at(-1));
  return { attempts: retryAttempts + 1, errors, deadLettered: true };
}

export interface StreamRecordLike {
  readonly dynamodb: { readonly SequenceNumber?: string };
}

/** A stream batch with ReportBatchItemFailures: failed records are delivered again, then dead-lettered. */
export async function invokeStream<T extends StreamRecordLike>(
  handler: (event: { Records: T[] }) => Promise<unknown>,
  records: readonly T[],
  options: { retryAttempts?: number; deadLetters?: DeadLetterQueue; beforeRetry?: (retry: number) => void | Promise<void> } = {},
): Promise<{ invocations: number; deadLettered: readonly T[] }> {
  const retryAttempts = options.retryAttempts ?? 5;
  let pending = [...records];
  let invocations = 0;
  for (let attempt = 0; attempt <= retryAttempts && pending.length > 0; attempt += 1) {
    if (attempt > 0) await options.beforeRetry?.(attempt);
    invocations += 1;
    const result = (await handler({ Records: pending })) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
    const failed = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    pending = pending.filter((record) => failed.has(record.dynamodb.SequenceNumber ?? ''));
  }
  for (const record of pending) options.deadLetters?.push(record, new Error('stream record failed every retry'));
  return { invocations, deadLettered: pending };
}
