import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient, type DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { ensureTable } from '../../functions/adapters/dynamodb/create-table.ts';

/**
 * A fresh table on the suite's DynamoDB Local (started once by the global setup), built from the
 * same table design as the stack. Each call gets its own table, so test files never share data.
 */
export async function createTestTable(): Promise<DynamoConnection> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  const raw = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(raw, tableName);
  raw.destroy();
  return { client: createDocumentClient({ endpoint }), tableName };
}
