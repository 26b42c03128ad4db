import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { CORPUS_DIR } from '../../support/corpus.ts';

/**
 * Everything the code under test writes while a reliability test file runs: the Powertools logger
 * (it writes JSON lines to process.stdout and process.stderr), anything else written there, and
 * every console call. The tests' own figures go out through `writeFigures`, which is not captured.
 * At the end of each file `scanCapturedLogs` looks for what must never be logged.
 */

export interface CapturedLine {
  readonly source: 'stdout' | 'stderr' | 'console' | 'log sink';
  readonly text: string;
}

export interface LogOffender {
  readonly what: string;
  readonly match: string;
  readonly line: string;
}


const state = {
  installed: false,
  lines: [] as CapturedLine[],
  forbidden: new Set<string>(),
  /** The console.log of the test runner, kept before the capture wraps it. */
  figureWriter: (line: string): void => {
    process.stdout.write(`${line}\n`);
  },
};

/** What must never appear in a log line, by pattern. */
const PATTERNS: readonly { what: string; pattern: RegExp }[] = [
  { what: 'an email address', pattern: /[^\s"'<>@\\]+@[^\s"'<>@\\]+\.[a-z]{2,}/i },
  // Our one-click links: base64url claims, a dot, the 43-character HMAC-SHA256.
  { what: 'a signed link token', pattern: /[\w-]{16,}\.[\w-]{43}(?![\w-])/ },
  { what: 'a Google access token', pattern: /ya29\.[\w-]{10,}/ },
  { what: 'a Google refresh token', pattern: /1\/\/[\w-]{10,}/ },
  { what: 'a bearer credential', pattern: /bearer\s+[\w.~+/-]{10,}/i },
  { what: 'a private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

/** Starts capturing. Idempotent; the setup file calls it before each reliability test file. */
export function installLogCapture(): void {
  if (state.installed) return;
  state.installed = true;
  const runnerLog = console.log.bind(console);
  state.figureWriter = (line) => {
    runnerLog(line);
  };

  const tee = (stream: NodeJS.WriteStream, source: 'stdout' | 'stderr') => {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    const write = (chunk: unknown, ...rest: unknown[]): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
      record(source, text);
      // Structured log lines are kept for the scan, not printed: hundreds of them would bury the figures.
      if (/^\s*\{.*"level"\s*:/.test(text)) {
        const callback = rest.find((item): item is () => void => typeof item === 'function');
        callback?.();
        return true;
      }
      return original(chunk, ...rest);
    };
    stream.write = write;
  };
  tee(process.stdout, 'stdout');
  tee(process.stderr, 'stderr');

  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      record('console', format(...args));
      original(...args);
    };
  }
}

function record(source: CapturedLine['source'], text: string): void {
  for (const line of text.split('\n')) if (line.trim()) state.lines.push({ source, text: line });
}

type LogCall = { readonly level: string; readonly args: readonly unknown[] };

/**
 * What the production code logs through a harness's log sink (the harnesses hand their handlers
 * an array-backed logger instead of Powertools) is scanned like everything else: every call pushed
 * to these arrays from now on is captured too, whatever the harness clears between tests.
 */
export function watchLogSinks(...sinks: LogCall[][]): void {
  for (const sink of sinks) {
    const push = sink.push.bind(sink);
    sink.push = (...calls: LogCall[]) => {
      for (const call of calls) {
        const text = JSON.stringify({ level: call.level, args: call.args }, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message } : value));
        state.lines.push({ source: 'log sink', text });
      }
      return push(...calls);
    };
  }
}

/** Prints a line of figures for the report, outside the capture (the figures are the test's, not the system's). */
export function writeFigures(line: string): void {
  state.figureWriter(line);
}

/** Text that must not appear in any log: bodies, subjects and names the test fed in, secrets it holds. */
export function forbidInLogs(...values: readonly string[]): void {
  for (const value of values) {
    const trimmed = value.trim();
    if (trimmed.length >= 8) state.forbidden.add(trimmed);
  }
}

export function capturedLogLines(): readonly CapturedLine[] {
  return state.lines;
}

/** Forgets what was captured so far (after a test has checked that a planted offender is caught). */
export function clearCapturedLogs(): void {
  state.lines.length = 0;
}

let corpusFragments: readonly string[] | undefined;

/**
 * Distinctive lines of the corpus messages' bodies and their subjects: a log line quoting any of
 * them carries a message body.
 */
export function corpusBodyFragments(): readonly string[] {
  if (corpusFragments) return corpusFragments;
  const fragments = new Set<string>();
  const dir = join(CORPUS_DIR, 'eml');
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.eml'))) {
    const text = readFileSync(join(dir, file), 'latin1');
    const split = text.search(/\r?\n\r?\n/);
    const header = split >= 0 ? text.slice(0, split) : text;
    const subject = /^Subject:[ \t]*(.+)$/im.exec(header)?.[1]?.trim();
    if (subject && subject.length >= 12 && !subject.includes('=?')) fragments.add(subject);
    const body = split >= 0 ? text.slice(split) : '';
    let taken = 0;
    for (const line of body.split(/\r?\n/)) {
      const clean = line.trim();
      // Prose, not MIME machinery: words and spaces, no encoded runs.
      if (clean.length < 40 || clean.split(/\s+/).length < 6 || /=[0-9A-F]{2}|^[A-Za-z0-9+/]{40,}$|^--|^Content-/.test(clean)) continue;
      fragments.add(clean.slice(0, 60));
      if (++taken === 3) break;
    }
  }
  corpusFragments = [...fragments];
  return corpusFragments;
}

/** Every captured line that carries an address, a token, a secret or a message body. */
export function scanCapturedLogs(lines: readonly CapturedLine[] = state.lines): LogOffender[] {
  const offenders: LogOffender[] = [];
  const fragments = [...state.forbidden, ...corpusBodyFragments()];
  for (const { text } of lines) {
    for (const { what, pattern } of PATTERNS) {
      const match = pattern.exec(text);
      if (match) offenders.push({ what, match: match[0], line: text });
    }
    for (const fragment of fragments) {
      if (text.includes(fragment)) offenders.push({ what: 'a message body, subject, name or secret the test used', match: fragment, line: text });
    }
  }
  return offenders;
}

export function describeOffenders(offenders: readonly LogOffender[]): string {
  const shown = offenders.slice(0, 20).map((offender) => `- ${offender.what}: "${offender.match}" in ${offender.line.slice(0, 300)}`);
  return [`${offenders.length} log line(s) carry personal data or secrets:`, ...shown, ...(offenders.length > 20 ? [`... and ${offenders.length - 20} more`] : [])].join('\n');
}
