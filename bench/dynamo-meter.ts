import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What a set of DynamoDB requests cost: requests by operation and the capacity units DynamoDB reported. */
export interface DynamoTally {
  readonly requests: number;
  readonly byOperation: Readonly<Record<string, number>>;
  readonly readUnits: number;
  readonly writeUnits: number;
}

export interface DynamoMeter {
  /** Requests counted so far in each category (`counted`, or what `classify` named). */
  tally(category?: string): DynamoTally;
  reset(): void;
}

const EMPTY: DynamoTally = { requests: 0, byOperation: {}, readUnits: 0, writeUnits: 0 };

/** Sums what DynamoDB reports per table and index; a transaction's units are already doubled there. */
export function capacityUnits(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): { read: number; write: number } {
  const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  let read = 0;
  let write = 0;
  for (const entry of list) {
    const entryRead = entry.ReadCapacityUnits ?? 0;
    const entryWrite = entry.WriteCapacityUnits ?? 0;
    // Some answers give only the total, without saying whether it was read or written.
    if (entryRead === 0 && entryWrite === 0) {
      if (entry.CapacityUnits) read += entry.CapacityUnits;
    } else {
      read += entryRead;
      write += entryWrite;
    }
  }
  return { read, write };
}

const WRITE_OPERATIONS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

/**
 * Counts every request the client sends, with SDK middleware: each request asks DynamoDB for its
 * consumed capacity (`ReturnConsumedCapacity: TOTAL`) and the answer's units are summed, so what
 * is counted is what on-demand billing charges. `classify` puts a request in a category
 * (e.g. local mode's stand-in for EventBridge Scheduler, which on AWS is not DynamoDB at all).
 */
export function meterDynamo(client: DynamoDBDocumentClient, classify: (input: Record<string, unknown>) => string = () => 'counted'): DynamoMeter {
  let tallies = new Map<string, { requests: number; byOperation: Record<string, number>; readUnits: number; writeUnits: number }>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const operation = context.commandName ?? 'unknown';
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const category = classify(input);
      const tally = tallies.get(category) ?? { requests: 0, byOperation: {}, readUnits: 0, writeUnits: 0 };
      tallies.set(category, tally);
      tally.requests += 1;
      tally.byOperation[operation] = (tally.byOperation[operation] ?? 0) + 1;
      try {
        const result = await next(args);
        const units = capacityUnits((result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity);
        // DynamoDB Local may report a write's units as plain CapacityUnits: a write operation's units are writes.
        const onlyTotal = WRITE_OPERATIONS.has(operation) && units.write === 0;
        tally.readUnits += onlyTotal ? 0 : units.read;
        tally.writeUnits += onlyTotal ? units.read : units.write;
        return result;
      } catch (error) {
        // A write refused by its condition is still billed (at least one unit); its answer carries no capacity.
        if (WRITE_OPERATIONS.has(operation)) tally.writeUnits += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchDynamoMeter' },
  );
  return {
    tally: (category = 'counted') => {
      const tally = tallies.get(category);
      return tally ? { ...tally, byOperation: { ...tally.byOperation } } : EMPTY;
    },
    reset: () => {
      tallies = new Map();
    },
  };
}

/** "3 × GetItem, 2 × Query" for a detail line. */
export function describeOperations(byOperation: Readonly<Record<string, number>>, per = 1): string {
  return Object.entries(byOperation)
    .sort((a, b) => b[1] - a[1])
    .map(([operation, count]) => `${Number((count / per).toPrecision(3))} × ${operation.replace(/Command$/, '')}`)
    .join(', ');
}

/**
 * An item's size as DynamoDB counts it for storage and write units: each attribute's name plus
 * its value (strings and binary by their bytes, numbers about one byte per two digits plus one,
 * booleans and null one byte, lists and maps three bytes plus one per element and their
 * elements, a map's keys included). Storage adds 100 bytes per item, in the table and in each
 * index that holds it.
 */
export function dynamoItemBytes(item: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace('.', '').replace(/e.*$/, '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...(value as Set<unknown>)].reduce<number>((sum, element) => sum + valueBytes(element), 0);
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, element) => sum + 1 + valueBytes(element), 0);
  if (typeof value === 'object') return 3 + Object.entries(value).reduce((sum, [key, element]) => sum + 1 + Buffer.byteLength(key) + valueBytes(element), 0);
  return 0;
}
