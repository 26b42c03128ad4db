import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod';

/** What a running local mode tells the CLI: where its DynamoDB Local and SMTP server are. */
const runtimeSchema = z.object({
  pid: z.number().int(),
  dynamoEndpoint: z.string(),
  tableName: z.string(),
  smtpPort: z.number().int(),
  webUrl: z.string(),
  /** The loopback Google server's URL, or null when real Google is used. */
  googleUrl: z.string().nullable(),
  captureAddress: z.string(),
  startedAt: z.string(),
});

export type LocalRuntime = z.infer<typeof runtimeSchema>;

export async function writeRuntimeFile(path: string, runtime: LocalRuntime): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(runtime, null, 2)}\n`);
}

/** The running local mode, or null when none is running (a stale file from a killed run is ignored). */
export async function readRunningLocalMode(path: string): Promise<LocalRuntime | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = runtimeSchema.safeParse(json);
  if (!parsed.success || !isAlive(parsed.data.pid)) return null;
  return parsed.data;
}

export async function removeRuntimeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
