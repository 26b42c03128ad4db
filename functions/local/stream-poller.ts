import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';

/**
 * Local mode's event source mapping: polls DynamoDB Local's own table stream and hands the
 * records, shaped as Lambda receives them, to the same handlers as on AWS. Starts at the end of
 * the stream (what happened while local mode was stopped is caught by the sweep at start).
 */
export interface StreamConsumer {
  readonly name: string;
  /** Lambda's filter criteria, as a predicate on the record. */
  readonly accepts: (record: LambdaStreamRecord) => boolean;
  /** The handler; returns the records that failed (their sequence numbers), like ReportBatchItemFailures. */
  readonly handle: (records: LambdaStreamRecord[]) => Promise<unknown>;
}

export interface LambdaStreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventSource: 'aws:dynamodb';
  readonly dynamodb: { readonly SequenceNumber: string; readonly NewImage?: Record<string, unknown>; readonly OldImage?: Record<string, unknown> };
}

export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly streamArn: string;
  readonly consumers: readonly StreamConsumer[];
  /** @default 300 */
  readonly intervalMs?: number;
  /** A failed record is retried this many times, then logged and skipped (AWS would dead-letter it). */
  readonly maxAttempts?: number;
  readonly log?: (line: string) => void;
}

export interface RunningStreamPoller {
  /** Resolves when everything read so far has been handled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Reads a table stream from where it was opened: each `read` returns the records written since the last. */
export interface TableStreamReader {
  read(): Promise<LambdaStreamRecord[]>;
  close(): void;
}

/** Opens the stream at its end (`LATEST`: what is written from now on) or its start (`TRIM_HORIZON`). */
export async function openTableStream(options: { endpoint: string; streamArn: string; from: 'LATEST' | 'TRIM_HORIZON' }): Promise<TableStreamReader> {
  const client = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const iterators = new Map<string, string | undefined>();
  // The last record read from each shard: a replaced iterator resumes after it, not from the shard's start.
  const lastSequence = new Map<string, string>();

  const refreshShards = async (type: 'LATEST' | 'TRIM_HORIZON') => {
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: options.streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      const after = lastSequence.get(shard.ShardId);
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamArn: options.streamArn,
          ShardId: shard.ShardId,
          ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: type }),
        }),
      );
      iterators.set(shard.ShardId, ShardIterator);
    }
  };
  await refreshShards(options.from);

  return {
    async read() {
      const records: LambdaStreamRecord[] = [];
      // A second pass reads the shards whose iterator had to be replaced, so an empty answer means
      // nothing new rather than "the iterator went stale" (callers stop reading on empty).
      for (let pass = 0, replaced = true; replaced && pass < 2; pass += 1) {
        replaced = false;
        // New shards appear over time; new ones are read from their start.
        await refreshShards('TRIM_HORIZON');
        for (const [shardId, iterator] of iterators) {
          if (!iterator) continue;
          try {
            const { Records, NextShardIterator } = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
            iterators.set(shardId, NextShardIterator);
            const last = Records?.at(-1)?.dynamodb?.SequenceNumber;
            if (last) lastSequence.set(shardId, last);
            records.push(...(Records ?? []).map(toLambdaRecord));
          } catch (error) {
            // Expired (idle too long), or DynamoDB Local's trimmed error on an iterator taken while the shard was empty: take a new one.
            if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
              iterators.delete(shardId);
              replaced = true;
            } else throw error;
          }
        }
      }
      return records;
    },
    close: () => client.destroy(),
  };
}

export async function startStreamPoller(options: StreamPollerOptions): Promise<RunningStreamPoller> {
  const stream = await openTableStream({ endpoint: options.endpoint, streamArn: options.streamArn, from: 'LATEST' });
  const maxAttempts = options.maxAttempts ?? 3;
  const log = options.log ?? (() => undefined);
  let stopped = false;
  let busy = Promise.resolve();

  const deliver = async (records: LambdaStreamRecord[]) => {
    for (const consumer of options.consumers) {
      let pending = records.filter(consumer.accepts);
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        const result = (await consumer.handle(pending).catch(() => ({ batchItemFailures: pending.map((record) => ({ itemIdentifier: record.dynamodb.SequenceNumber })) }))) as {
          batchItemFailures?: { itemIdentifier: string }[];
        };
        const failed = new Set((result.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
        pending = pending.filter((record) => failed.has(record.dynamodb.SequenceNumber));
        if (pending.length > 0 && attempt >= maxAttempts) {
          log(`${consumer.name}: ${pending.length} change(s) failed ${maxAttempts} times; the daily sweep will retry`);
          break;
        }
        if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  };

  const poll = async () => {
    const records = await stream.read();
    if (records.length > 0) await deliver(records);
  };

  const loop = async () => {
    while (!stopped) {
      busy = poll().catch((error: unknown) => log(`stream polling failed (${error instanceof Error ? error.name : 'error'}); retrying`));
      await busy;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 300));
    }
  };
  const running = loop();

  return {
    async idle() {
      await busy;
      // One more pass: what the last handlers wrote is on the stream now.
      busy = poll().catch(() => undefined);
      await busy;
    },
    async stop() {
      stopped = true;
      await running;
      stream.close();
    },
  };
}

function toLambdaRecord(record: _Record): LambdaStreamRecord {
  return {
    eventID: record.eventID ?? '',
    eventName: record.eventName ?? 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      SequenceNumber: record.dynamodb?.SequenceNumber ?? '',
      ...(record.dynamodb?.NewImage ? { NewImage: record.dynamodb.NewImage } : {}),
      ...(record.dynamodb?.OldImage ? { OldImage: record.dynamodb.OldImage } : {}),
    },
  };
}

/** The same filters the stack's event source mappings use. */
export const entityIs =
  (entities: readonly string[], events: readonly LambdaStreamRecord['eventName'][]) =>
  (record: LambdaStreamRecord): boolean => {
    const entity = (record.dynamodb.NewImage?.entity as { S?: string } | undefined)?.S;
    return events.includes(record.eventName) && entity !== undefined && entities.includes(entity);
  };

/** New inbound records with one of these outcomes: the deliveries the capture recorded that may earn an email. */
export const newInboundWith =
  (outcomes: readonly string[]) =>
  (record: LambdaStreamRecord): boolean =>
    entityIs(['inbound'], ['INSERT'])(record) && outcomes.includes((record.dynamodb.NewImage?.outcome as { S?: string } | undefined)?.S ?? '');
