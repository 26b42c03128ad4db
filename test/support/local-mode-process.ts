import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '../../functions/local/dynamodb-local.ts';
import { freePortOtherThan } from '../../functions/local/early-start.ts';

const ROOT = join(import.meta.dirname, '../..');
const REFER = join(ROOT, 'bin/refer.js');

/** `refer start` as a user runs it: its own process, on free ports, with a temporary data directory. */
export interface LocalModeProcess {
  readonly process: ChildProcess;
  readonly dataDirectory: string;
  readonly smtpPort: number;
  readonly webPort: number;
  /** `http://127.0.0.1:<web port>` */
  readonly baseUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Runs another `refer` command against it and resolves with what it printed. */
  refer(...args: string[]): Promise<string>;
  /** Sends Ctrl-C and resolves with the exit code once it has exited. */
  interrupt(): Promise<number | null>;
  /** Kills it if it still runs and removes the data directory. */
  cleanUp(): void;
}

export async function startLocalModeProcess(options: { timeoutMs?: number } = {}): Promise<LocalModeProcess> {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'refer-local-'));
  const smtpPort = await findFreePort();
  const webPort = await freePortOtherThan([smtpPort]);
  const env = {
    ...process.env,
    REFER_DATA_DIR: dataDirectory,
    REFER_SMTP_PORT: String(smtpPort),
    REFER_WEB_PORT: String(webPort),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const child = spawn(process.execPath, [REFER, 'start'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const running: LocalModeProcess = {
    process: child,
    dataDirectory,
    smtpPort,
    webPort,
    baseUrl: `http://127.0.0.1:${webPort}`,
    output: () => output,
    refer: (...args) => promisify(execFile)(process.execPath, [REFER, ...args], { env, cwd: ROOT }).then(({ stdout }) => stdout),
    interrupt: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGINT');
      }),
    cleanUp: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (!output.includes('Stop with Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      running.cleanUp();
      throw new Error(`local mode ${child.exitCode !== null ? 'exited early' : 'did not start in time'}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return running;
}
