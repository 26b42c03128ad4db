import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { MAIL_PARSER_OPTIONS, parseMail } from '../functions/adapters/mail/parse-mail.ts';
import { understandMessage, type UnderstandingContext } from '../functions/domain/message/understand-message.ts';
import type { Metric } from './report.ts';
import { median, significant } from './stats.ts';

/** The vendored copy of ../shared/corpus/eml (test/unit/corpus-copy.test.ts keeps the two identical). */
export const CORPUS_EML_DIR = join(import.meta.dirname, '../test/corpus/eml');

const CAPTURE_ADDRESS = 'intro@refer.local';
const CONTEXT: UnderstandingContext = { captureAddresses: new Set([CAPTURE_ADDRESS]), systemAddresses: new Set(['follow-up@refer.local']) };

export function corpusMessages(directory = CORPUS_EML_DIR): Buffer[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.eml'))
    .sort()
    .map((file) => readFileSync(join(directory, file)));
}

/** What the capture does to understand a message: parse (with attached messages) and decide what it is. */
async function understand(raw: Buffer): Promise<unknown> {
  return understandMessage(await parseMail(raw), CONTEXT);
}

/** mailparser alone, with the options the capture gives it: the floor the capture cannot go under. */
async function parseOnly(raw: Buffer): Promise<unknown> {
  return simpleParser(raw, MAIL_PARSER_OPTIONS);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/**
 * capture_overhead_ratio and capture_msgs_per_s: every corpus message understood vs parsed by
 * mailparser alone, interleaved round by round in this one process (which goes first alternates),
 * after warm-up rounds; the ratio is the median of the rounds' ratios.
 */
export async function benchCapture(options: { rounds: number; warmupRounds: number }): Promise<Metric[]> {
  const messages = corpusMessages();
  const ratios: number[] = [];
  let understandMs = 0;
  let parseMs = 0;
  for (let round = 0; round < options.warmupRounds + options.rounds; round += 1) {
    // Message by message, the two side by side, which goes first alternating: a change in the
    // machine's load hits both alike.
    let oursMs = 0;
    let theirsMs = 0;
    for (const [index, raw] of messages.entries()) {
      if ((index + round) % 2 === 0) {
        theirsMs += await timed(() => parseOnly(raw));
        oursMs += await timed(() => understand(raw));
      } else {
        oursMs += await timed(() => understand(raw));
        theirsMs += await timed(() => parseOnly(raw));
      }
    }
    if (round < options.warmupRounds) continue;
    ratios.push(oursMs / theirsMs);
    understandMs += oursMs;
    parseMs += theirsMs;
  }
  const messagesUnderstood = messages.length * options.rounds;
  const bytes = messages.reduce((sum, raw) => sum + raw.length, 0);
  return [
    {
      metric: 'capture_overhead_ratio',
      value: significant(median(ratios), 3),
      unit: 'ratio',
      detail: `median of ${options.rounds} rounds (message by message, interleaved) (after ${options.warmupRounds} warm-up) over the ${messages.length} corpus messages (${Math.round(bytes / 1024)} KB): parseMail + understandMessage ${(understandMs / options.rounds).toFixed(1)} ms a round vs mailparser simpleParser alone (same options) ${(parseMs / options.rounds).toFixed(1)} ms`,
    },
    {
      metric: 'capture_msgs_per_s',
      value: Math.round(messagesUnderstood / (understandMs / 1000)),
      unit: 'msg/s',
      detail: `${messagesUnderstood} corpus messages parsed and understood in one thread (${(understandMs / messagesUnderstood).toFixed(2)} ms each on average)`,
    },
  ];
}
