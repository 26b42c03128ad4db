import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../functions/adapters/dynamodb/create-table.ts';
import { createDocumentClient, type DynamoConnection } from '../../functions/adapters/dynamodb/document-client.ts';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local.ts';
import { localPaths, readLocalSettings } from '../../functions/local/local-settings.ts';
import { readRunningLocalMode } from '../../functions/local/runtime-file.ts';

export interface OpenStore {
  readonly connection: DynamoConnection;
  readonly description: string;
  close(): Promise<void>;
}

/**
 * The DynamoDB the CLI talks to, without flags: an explicit endpoint if one is set; else the
 * running local mode's DynamoDB Local; else DynamoDB on AWS when TABLE_NAME is set; else the local
 * data in .data/ opened directly with a short-lived DynamoDB Local.
 */
export async function openStore(env: NodeJS.ProcessEnv = process.env): Promise<OpenStore> {
  const settings = readLocalSettings(env);
  if (env.REFER_DYNAMODB_ENDPOINT) {
    return local(env.REFER_DYNAMODB_ENDPOINT, settings.tableName, `DynamoDB at ${env.REFER_DYNAMODB_ENDPOINT}`, () => Promise.resolve());
  }
  const running = await readRunningLocalMode(localPaths(settings).runtimeFile);
  if (running) return local(running.dynamoEndpoint, running.tableName, 'the running local mode', () => Promise.resolve());
  if (env.TABLE_NAME) {
    const client = createDocumentClient();
    return { connection: { client, tableName: env.TABLE_NAME }, description: `DynamoDB table ${env.TABLE_NAME} on AWS`, close: () => Promise.resolve(client.destroy()) };
  }
  const dynamo = await startDynamoDbLocal({ dataDirectory: localPaths(settings).dynamo, quickStart: true });
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(raw, settings.tableName);
  raw.destroy();
  return local(dynamo.endpoint, settings.tableName, 'the local data in .data/ (local mode is not running)', () => dynamo.stop());
}

function local(endpoint: string, tableName: string, description: string, stop: () => Promise<void>): OpenStore {
  const client = createDocumentClient({ endpoint });
  return {
    connection: { client, tableName },
    description,
    close: async () => {
      client.destroy();
      await stop();
    },
  };
}
