import { findFreePort, isPortInUse, startDynamoDbLocal, type RunningDynamoDbLocal } from './dynamodb-local.ts';
import { localPaths, readLocalSettings, type LocalSettings } from './local-settings.ts';
import { PortInUseError } from './port-in-use.ts';
import { readRunningLocalMode } from './runtime-file.ts';

/**
 * The slow first steps of local mode, kept light enough to begin before the rest of the code
 * loads: `npm start` calls `prestartLocalMode` first thing, so DynamoDB Local's JVM boots while
 * the AWS SDK, mail and Google libraries load; `startLocalMode` then takes the instance (or starts
 * one, when nothing was prestarted). The checks come first: a taken port or a second local mode
 * on the same data fails at once, before seconds are spent on Java.
 */
export class LocalModeAlreadyRunningError extends Error {
  override readonly name = 'LocalModeAlreadyRunningError';
}

let prestarted: { readonly key: string; readonly dynamo: Promise<RunningDynamoDbLocal> } | null = null;

export function prestartLocalMode(env: NodeJS.ProcessEnv): void {
  let settings: LocalSettings;
  try {
    settings = readLocalSettings(env);
  } catch {
    // Invalid settings: `refer start` reports them itself.
    return;
  }
  prestarted = { key: keyOf(settings), dynamo: checkedDynamoDbLocal(settings) };
  // Reported when local mode takes it; a process that never does kills the JVM on exit.
  prestarted.dynamo.catch(() => undefined);
}

/** DynamoDB Local for local mode with these settings: the prestarted one, or a new one after the same checks. */
export function localModeDynamoDb(settings: LocalSettings): Promise<RunningDynamoDbLocal> {
  if (prestarted?.key === keyOf(settings)) {
    const { dynamo } = prestarted;
    prestarted = null;
    return dynamo;
  }
  return checkedDynamoDbLocal(settings);
}

async function checkedDynamoDbLocal(settings: LocalSettings): Promise<RunningDynamoDbLocal> {
  const paths = localPaths(settings);
  const running = await readRunningLocalMode(paths.runtimeFile);
  if (running) throw new LocalModeAlreadyRunningError(`Local mode is already running (process ${running.pid}); stop it with Ctrl-C in its terminal first.`);
  const ports: [number | undefined, string, string][] = [
    [settings.smtpPort, 'SMTP capture server', 'REFER_SMTP_PORT'],
    [settings.webPort, 'web server', 'REFER_WEB_PORT'],
    [settings.dynamoPort, 'DynamoDB Local', 'REFER_DYNAMODB_PORT'],
    [settings.googlePort, 'loopback Google Calendar server', 'REFER_GOOGLE_PORT'],
  ];
  for (const [port, what, variable] of ports) {
    if (port !== undefined && (await isPortInUse(port))) throw new PortInUseError(port, what, variable);
  }
  const configured = ports.map(([port]) => port);
  let port = settings.dynamoPort ?? (await freePortOtherThan(configured));
  // A port found free can be taken by another program before we look again: pick another then.
  for (let attempt = 1; settings.dynamoPort === undefined && attempt < FREE_PORT_ATTEMPTS && (await isPortInUse(port)); attempt += 1) {
    port = await freePortOtherThan(configured);
  }
  return startDynamoDbLocal({ dataDirectory: paths.dynamo, quickStart: true, port });
}

/** How many free ports DynamoDB Local tries when none is configured and the one found is taken meanwhile. */
const FREE_PORT_ATTEMPTS = 5;

/**
 * A free port that is none of local mode's configured ports, for a server that binds before them
 * (DynamoDB Local, the loopback Google server): a port just freed may be about to be one of them.
 */
export async function freePortOtherThan(taken: readonly (number | undefined)[]): Promise<number> {
  for (;;) {
    const port = await findFreePort();
    if (!taken.includes(port)) return port;
  }
}

function keyOf(settings: LocalSettings): string {
  return JSON.stringify([settings.dataDirectory, settings.dynamoPort ?? null, settings.smtpPort, settings.webPort, settings.googlePort ?? null]);
}
