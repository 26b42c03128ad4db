import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMail } from '../../functions/adapters/mail/parse-mail.ts';
import { UnreadableMessageError } from '../../functions/domain/capture/ports.ts';
import type { MailMessage } from '../../functions/domain/message/mail-message.ts';
import { understandMessage } from '../../functions/domain/message/understand-message.ts';
import { type CaptureHarness } from '../support/capture-harness.ts';
import { corpusMessages, mutate, mutationArbitrary } from '../support/mail-mutations.ts';
import { createCaptureWorld, type CaptureWorld } from './support/capture-world.ts';
import { reportFigures } from './support/figures.ts';
import { HOSTILE_PARTNER, hostileMailMessage, hostileRawMessage, PATHOLOGICAL_PIECES, soundnessProblems, understandingContext } from './support/hostile-mail.ts';
import { invokeAsync } from './support/lambda.ts';
import { SOAK, scaled } from './support/scale.ts';

/**
 * Hostile and broken mail: generated MIME, byte-mutated corpus messages and hostile `MailMessage`s.
 * Understanding (parse plus our work) never throws, always gives a sound answer or cleanly refuses
 * (the capture records that as rejected), and takes under 50 ms per message: a catastrophic regular
 * expression would show as one message taking seconds. Time is the process's CPU time, so other
 * work on the machine does not count; a message over the bound is timed again (best of five), so
 * a GC pause does not either. A sample goes through the whole capture against DynamoDB Local:
 * every delivery ends with one recorded outcome.
 */

const MESSAGES = scaled(2_000, 100_000);
const THROUGH_CAPTURE = scaled(60, 2_000);
/** The bound per message. Timed assertions are fragile: a slow message is timed again, and the best of five counts. */
const BOUND_MS = 50;
/** On every `npm test` the machine runs other test files at the same time: the bound gets slack there. */
const ASSERTED_BOUND_MS = SOAK ? BOUND_MS : 5 * BOUND_MS;
const SEED = Number(process.env.RELIABILITY_SEED ?? (SOAK ? Date.now() % 1_000_000_000 : 20_261_124));
const CHUNK = 500;
/** How long the runs of one piece are: the quadratic expressions this found took seconds at 30 KB. */
const RUN_KB = scaled(30, 100);
/** Endings that make a line an attribution ("On Mon, Jane wrote:"), whose sender is then looked for. */
const LINE_ENDS = [' On Mon, Jane <jane@acme.example> wrote:', ' wrote:'];
/** Beginnings that send a line down another path in splitBody. */
const LINE_STARTS = ['---------- Forwarded message --------- ', '-----Original Message----- ', '> ', 'From: Jane <jane@acme.example> ', 'On Mon, Jane wrote: ', 'Pat', 'my assistant', 'copying Pat'];

type Case = { readonly kind: 'mutated' | 'generated'; readonly raw: Buffer } | { readonly kind: 'message'; readonly message: MailMessage };

const corpus = corpusMessages();
const mutatedCorpus = fc
  .tuple(fc.nat({ max: corpus.length - 1 }), fc.array(mutationArbitrary, { minLength: 1, maxLength: 8 }))
  .map(([index, mutations]) => mutate(corpus[index] ?? Buffer.alloc(0), mutations, corpus));

/** The n-th chunk of cases, always the same for a seed: 45 % mutated corpus, 35 % generated MIME, 20 % hostile MailMessages. */
function casesOf(chunk: number, size: number): Case[] {
  const seed = SEED + chunk;
  const mutated = Math.round(size * 0.45);
  const generated = Math.round(size * 0.35);
  return [
    ...fc.sample(mutatedCorpus, { numRuns: mutated, seed }).map((raw): Case => ({ kind: 'mutated', raw })),
    ...fc.sample(hostileRawMessage, { numRuns: generated, seed }).map((raw): Case => ({ kind: 'generated', raw })),
    ...fc.sample(hostileMailMessage, { numRuns: size - mutated - generated, seed }).map((message): Case => ({ kind: 'message', message })),
  ];
}

/** Parse (for raw mail) and understand one case; never throws. */
async function understandCase(input: Case): Promise<{ refused: boolean; problems: string[] }> {
  let message: MailMessage;
  if (input.kind === 'message') message = input.message;
  else {
    try {
      message = await parseMail(input.raw);
    } catch (error) {
      if (error instanceof UnreadableMessageError) return { refused: true, problems: [] };
      return { refused: false, problems: [`parseMail threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`] };
    }
  }
  try {
    return { refused: false, problems: soundnessProblems(understandMessage(message, understandingContext)) };
  } catch (error) {
    return { refused: false, problems: [`understandMessage threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`] };
  }
}

/** CPU milliseconds of this process while `work` runs. */
async function cpuMs(work: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const timed = (input: Case) => cpuMs(() => understandCase(input));

function describeCase(input: Case): string {
  return input.kind === 'message' ? `MailMessage subject ${JSON.stringify(input.message.subject.slice(0, 80))}` : `${input.kind} MIME ${JSON.stringify(input.raw.subarray(0, 160).toString('latin1'))}`;
}

describe('hostile and broken mail', () => {
  it(`${MESSAGES} generated and mutated messages: read or cleanly refused, understood soundly, never a throw, each under ${BOUND_MS} ms`, { timeout: SOAK ? 60 * 60_000 : 180_000 }, async () => {
    const failures: string[] = [];
    const slow: { input: Case; ms: number }[] = [];
    const byKind = { mutated: 0, generated: 0, message: 0 };
    let refused = 0;
    let maxMs = 0;
    let totalMs = 0;
    const started = performance.now();
    for (let chunk = 0; chunk * CHUNK < MESSAGES; chunk += 1) {
      for (const input of casesOf(chunk, Math.min(CHUNK, MESSAGES - chunk * CHUNK))) {
        let result: Awaited<ReturnType<typeof understandCase>> = { refused: false, problems: [] };
        const ms = await cpuMs(async () => (result = await understandCase(input)));
        byKind[input.kind] += 1;
        totalMs += ms;
        maxMs = Math.max(maxMs, ms);
        if (result.refused) refused += 1;
        for (const problem of result.problems) failures.push(`${problem} — ${describeCase(input)}`);
        if (ms > BOUND_MS) slow.push({ input, ms });
      }
    }
    // A slow reading can be a GC pause or another process; a catastrophic expression is slow every time.
    let slowestRetimed = 0;
    let slowestCase = '';
    const stillSlow: string[] = [];
    for (const { input } of slow) {
      // Best of five: a GC pause can hit twice in a row in a 100,000-message run, a slow path hits every time.
      const best = Math.min(await timed(input), await timed(input), await timed(input), await timed(input), await timed(input));
      if (best > slowestRetimed) slowestCase = describeCase(input).slice(0, 120);
      slowestRetimed = Math.max(slowestRetimed, best);
      if (best > ASSERTED_BOUND_MS) stillSlow.push(`${best.toFixed(0)} ms — ${describeCase(input)}`);
    }
    const cases = byKind.mutated + byKind.generated + byKind.message;
    reportFigures('hostile mail', {
      seed: SEED,
      'cases tried': cases,
      mutated: byKind.mutated,
      'generated MIME': byKind.generated,
      'generated MailMessage': byKind.message,
      'cleanly refused as unreadable': refused,
      failures: failures.length,
      'max CPU ms per message (first timing)': maxMs,
      'over 50 ms at first': slow.length,
      'slowest timed again (best of 5), CPU ms': slowestRetimed,
      ...(slowestCase ? { slowest: slowestCase } : {}),
      'mean CPU ms': totalMs / cases,
      'total s': (performance.now() - started) / 1000,
    });
    expect(cases).toBe(MESSAGES);
    expect(failures.slice(0, 10), `${failures.length} failures (seed ${SEED})`).toEqual([]);
    expect(stillSlow, `messages over ${ASSERTED_BOUND_MS} ms every time (seed ${SEED})`).toEqual([]);
  });

  it(`long runs of what the patterns look for (${RUN_KB} KB of each, in the body, the subject, To and Bcc) are understood in under ${BOUND_MS} ms`, { timeout: SOAK ? 30 * 60_000 : 120_000 }, async () => {
    const rows: { piece: string; where: string; ms: number; parseMs: number }[] = [];
    // Each piece alone in each place, and in the body after what sends a line down another path.
    for (const piece of PATHOLOGICAL_PIECES) {
      const run = piece.repeat(Math.ceil((RUN_KB * 1024) / piece.length));
      const flat = run.replace(/\r?\n/g, ' ');
      const variants: Record<string, string> = {
        body: `From: Sam Lee <${HOSTILE_PARTNER}>\r\nTo: Jane Doe <jane.doe@acme.example>, Bob Roe <bob.roe@roe.example>\r\nSubject: Jane, meet Bob\r\n\r\nJane, meet Bob.\r\n${run}`,
        subject: `From: Sam Lee <${HOSTILE_PARTNER}>\r\nTo: jane.doe@acme.example, bob.roe@roe.example\r\nSubject: ${flat}\r\n\r\nJane, meet Bob.`,
        To: `From: ${HOSTILE_PARTNER}\r\nTo: jane.doe@acme.example, ${flat}\r\nSubject: hi\r\n\r\nJane, meet Bob.`,
        Bcc: `From: ${HOSTILE_PARTNER}\r\nTo: jane.doe@acme.example, bob.roe@roe.example\r\nBcc: ${flat}\r\nSubject: hi\r\n\r\nJane, meet Bob.`,
        ...Object.fromEntries(LINE_STARTS.map((start) => [`body after "${start.trim()}"`, `From: ${HOSTILE_PARTNER}\r\nTo: jane.doe@acme.example, bob.roe@roe.example\r\nSubject: hi\r\n\r\nJane, meet Bob.\r\n${start}${run}`])),
        ...Object.fromEntries(LINE_ENDS.map((end) => [`body before "${end.trim()}"`, `From: ${HOSTILE_PARTNER}\r\nTo: jane.doe@acme.example, bob.roe@roe.example\r\nSubject: hi\r\n\r\nJane, meet Bob.\r\n${run}${end}`])),
        // The line under a quote marker is read for a sender ("Jane Doe on 05/05/2020 10:00").
        'line under "-----Original Message-----"': `From: ${HOSTILE_PARTNER}\r\nTo: jane.doe@acme.example, bob.roe@roe.example\r\nSubject: hi\r\n\r\nJane, meet Bob.\r\n-----Original Message-----\r\n${run}x on 05/05/2020 10:00\r\nFrom: jane@acme.example`,
      };
      for (const [where, text] of Object.entries(variants)) {
        // The parser's own time grows with the input (a 100 KB header takes mailparser tens of
        // milliseconds); the bound is on our understanding of what it parsed.
        let message: MailMessage | undefined;
        const parseMs = await cpuMs(async () => (message = await parseMail(Buffer.from(text))));
        const parsed = message;
        if (!parsed) throw new Error('not parsed');
        const understand = () => cpuMs(() => Promise.resolve(understandMessage(parsed, understandingContext)));
        let ms = await understand();
        if (ms > BOUND_MS) ms = Math.min(ms, await understand(), await understand());
        rows.push({ piece, where, ms, parseMs });
      }
    }
    rows.sort((a, b) => b.ms - a.ms);
    const worst = rows[0];
    const over = rows.filter((row) => row.ms > ASSERTED_BOUND_MS);
    reportFigures(`hostile mail, ${RUN_KB} KB runs`, {
      'cases tried': rows.length,
      failures: over.length,
      'slowest understanding, CPU ms': worst?.ms ?? 0,
      slowest: `${JSON.stringify(worst?.piece)} in the ${worst?.where}`,
      'slowest parse (mailparser and adapter), CPU ms': Math.max(...rows.map((row) => row.parseMs)),
    });
    expect(over.map((row) => `${row.ms.toFixed(0)} ms: ${JSON.stringify(row.piece)} in the ${row.where}`)).toEqual([]);
  });

  describe('through the whole capture (DynamoDB Local)', () => {
    let world: CaptureWorld;
    let h: CaptureHarness;
    beforeAll(async () => {
      world = await createCaptureWorld([[HOSTILE_PARTNER], ['john.malowney@enron.com'], ['hilda.bourgeois-galloway@enron.com'], ['jane.doe@acme.example']]);
      h = world.h;
    });
    afterAll(() => world.stop());
    const handler = () => world.handler();

    it(`${THROUGH_CAPTURE} of them through the capture handler: each delivery gets exactly one recorded outcome, none dead-lettered`, { timeout: SOAK ? 30 * 60_000 : 120_000 }, async () => {
      const capture = handler();
      const raws = [
        ...fc.sample(mutatedCorpus, { numRuns: Math.ceil(THROUGH_CAPTURE / 2), seed: SEED + 7 }),
        ...fc.sample(hostileRawMessage, { numRuns: Math.floor(THROUGH_CAPTURE / 2), seed: SEED + 7 }),
      ];
      const outcomes = new Map<string, number>();
      const failures: string[] = [];
      let maxMs = 0;
      for (const [index, raw] of raws.entries()) {
        const id = h.sesId(`hostile-${index}`);
        const start = performance.now();
        const result = await invokeAsync(capture, h.delivery(id, raw));
        maxMs = Math.max(maxMs, performance.now() - start);
        if (result.deadLettered) {
          failures.push(`${id}: ${result.errors.map((error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))).join(' / ')} — ${raw.subarray(0, 120).toString('latin1')}`);
          continue;
        }
        const inbound = await h.store.findInbound(id);
        if (!inbound) failures.push(`${id}: no recorded outcome`);
        else outcomes.set(inbound.outcome, (outcomes.get(inbound.outcome) ?? 0) + 1);
      }
      reportFigures('hostile mail through the capture', {
        'cases tried': raws.length,
        failures: failures.length,
        ...Object.fromEntries([...outcomes].sort().map(([outcome, count]) => [outcome, count])),
        'max ms per delivery': maxMs,
      });
      expect(failures.slice(0, 5)).toEqual([]);
      expect([...outcomes.values()].reduce((sum, count) => sum + count, 0)).toBe(raws.length);
    });
  });
});
