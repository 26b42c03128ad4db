import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../functions/local/dynamodb-local.ts';
import { ensureCommand } from './system-packages.ts';

let dynamo: RunningDynamoDbLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  // DynamoDB Local runs on Java 17; our loopback launcher is a Java source file, so it needs the JDK.
  ensureCommand('javac', 'openjdk-17-jdk-headless');
  dynamo = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}
