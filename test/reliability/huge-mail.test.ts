import { GetObjectCommand, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES_READ } from '../../functions/domain/capture/capture-delivery.ts';
import { RAW_MAIL, sesEvent, type CaptureHarness } from '../support/capture-harness.ts';
import { createCaptureWorld, type CaptureWorld } from './support/capture-world.ts';
import { reportFigures } from './support/figures.ts';
import { forbidInLogs } from './support/log-capture.ts';
import { s3ObjectOutput } from './support/s3-object.ts';
import { SOAK } from './support/scale.ts';

/**
 * The largest message SES accepts (40 MB) through the whole capture: S3 is asked for the first
 * 10 MB only, the message is understood from them, the outcome is recorded with a reason saying
 * so, and the process grows by a bounded amount (the capture function has 512 MB).
 */

const MB = 1024 * 1024;
const SIZE = 40 * MB;
/** Half of the capture function's memory. */
const MAX_GROWTH_MB = 256;
const INTRODUCER = 'sam.lee@partners.example';
const HEAD = [
  `From: Sam Lee <${INTRODUCER}>`,
  'To: Jane Doe <jane.doe@acme.example>, Bob Roe <bob.roe@roe.example>',
  'Cc: intro@in.example.com',
  'Subject: Jane, meet Bob (with the whole archive)',
  'Date: Tue, 24 Nov 2026 09:00:00 +0000',
  'MIME-Version: 1.0',
].join('\r\n');

function filled(bytes: number, line: string): Buffer {
  const unit = Buffer.from(line);
  const buffer = Buffer.allocUnsafe(bytes);
  for (let at = 0; at < bytes; at += unit.length) unit.copy(buffer, at, 0, Math.min(unit.length, bytes - at));
  return buffer;
}

interface Variant {
  readonly name: string;
  readonly everyRun: boolean;
  readonly build: (messageId: string) => Buffer;
  /** What the capture makes of the first 10 MB. */
  readonly outcome: string;
}

const variants: Variant[] = [
  {
    name: 'an introduction with a 40 MB attachment',
    everyRun: true,
    outcome: 'captured',
    build: (id) => {
      const head = Buffer.from(
        `${HEAD}\r\nMessage-ID: ${id}\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJane, meet Bob. The archive is attached.\r\n\r\nSam\r\n--b1\r\nContent-Type: application/pdf; name="archive.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
      );
      return Buffer.concat([head, filled(SIZE - head.length - 8, 'JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29kZT4+CnN0cmVh\r\n'), Buffer.from('\r\n--b1--\r\n')]);
    },
  },
  {
    // Too long to be turned into text (over 1 MB of HTML): the subject alone says who meets whom.
    name: 'a 40 MB HTML-only body',
    everyRun: true,
    outcome: 'captured',
    build: (id) => {
      const head = Buffer.from(`${HEAD}\r\nMessage-ID: ${id}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Jane, meet Bob.</p>`);
      return Buffer.concat([head, filled(SIZE - head.length, '<div><p>More of the <b>archive</b>, table after table.</p></div>\r\n')]);
    },
  },
  {
    name: 'a 40 MB plain-text body',
    everyRun: SOAK,
    outcome: 'captured',
    build: (id) => {
      const head = Buffer.from(`${HEAD}\r\nMessage-ID: ${id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJane, meet Bob. You two should talk.\r\n\r\n`);
      return Buffer.concat([head, filled(SIZE - head.length, 'The minutes of every meeting since 1999, line after line after line.\r\n')]);
    },
  },
  {
    name: 'a 40 MB body without a single line break',
    everyRun: SOAK,
    outcome: 'captured',
    build: (id) => {
      const head = Buffer.from(`${HEAD}\r\nMessage-ID: ${id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJane, meet Bob. You two should talk. `);
      return Buffer.concat([head, filled(SIZE - head.length, 'x')]);
    },
  },
];

let world: CaptureWorld;
let h: CaptureHarness;
const ranges: (string | undefined)[] = [];

beforeAll(async () => {
  world = await createCaptureWorld([[INTRODUCER, 'Sam Lee']]);
  h = world.h;
  forbidInLogs('Jane, meet Bob', 'The archive is attached', 'More of the');
});
afterAll(() => world.stop());

/** The object as S3 serves it, noting the Range asked for. */
function serve(bytes: Buffer) {
  return (input: GetObjectCommandInput) => {
    ranges.push(input.Range);
    return s3ObjectOutput(bytes, input);
  };
}

describe('a 40 MB message', () => {
  it.each(variants.filter((variant) => variant.everyRun))('$name: read up to 10 MB, outcome recorded with the reason, bounded memory', async ({ name, build, outcome }) => {
    const id = h.sesId(`huge-${name.replace(/\W+/g, '-')}`);
    const raw = build(`<huge-${id}@partners.example>`);
    expect(raw.length).toBeGreaterThanOrEqual(SIZE - 16);
    h.s3.on(GetObjectCommand, { Bucket: RAW_MAIL.bucket, Key: `${RAW_MAIL.prefix}${id}` }).callsFake(serve(raw));
    const handler = world.handler();

    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    const maxRssBefore = process.resourceUsage().maxRSS * 1024;
    let sampledPeak = rssBefore;
    const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss)), 1);
    const started = performance.now();
    const [summary] = await handler(sesEvent(id, { timestamp: h.clock.now() }));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const heapAfter = process.memoryUsage().heapUsed;
    const maxRssAfter = process.resourceUsage().maxRSS * 1024;
    // The process's own peak moved only if this message made a new one; sampling catches the rest.
    const peak = Math.max(sampledPeak, maxRssAfter > maxRssBefore ? maxRssAfter : 0);
    const growthMb = (peak - rssBefore) / MB;

    const inbound = await h.inboundFor(id);
    reportFigures(`40 MB message: ${name}`, {
      'message MB': raw.length / MB,
      'bytes read': `${MAX_MESSAGE_BYTES_READ / MB} MB (S3 Range ${ranges.at(-1) ?? 'none'})`,
      outcome: inbound.outcome,
      seconds,
      'peak RSS growth MB': growthMb,
      'heap growth MB': (heapAfter - heapBefore) / MB,
    });
    expect(ranges.at(-1)).toBe(`bytes=0-${MAX_MESSAGE_BYTES_READ}`);
    expect(summary).toMatchObject({ outcome });
    expect(inbound.outcome).toBe(outcome);
    expect(inbound.reasons[0]).toBe('only the first 10 MB of this larger message were read');
    expect(growthMb, 'peak RSS growth (MB)').toBeLessThan(MAX_GROWTH_MB);
  });
});
