import { build } from 'esbuild';
import { encodeXML as encodeXml4, escapeAttribute as escapeAttribute4, escapeText as escapeText4 } from 'entities';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHARSET_ALIASES, SINGLE_BYTE_HIGH_HALVES } from '../../../functions/adapters/mail/charsets/charset-tables.ts';
import { encodeXML, escapeAttribute, escapeText } from '../../../functions/adapters/mail/entities/index.ts';
import { encode as heShimEncode } from '../../../functions/adapters/mail/he-shim.ts';
import { bundleAliases, esmRequireBanner, projectRoot } from '../../../lib/constructs/refer-function.ts';
import { CORPUS_DIR } from '../../support/corpus.ts';
import * as real from '../../support/mail-decoding-entry.ts';

/**
 * The Lambda bundles decode charsets with shims (Node's ICU converters and small tables) where local
 * mode and the other tests run iconv-lite and encoding-japanese. The same decoding module, bundled
 * with the bundles' aliases, must read what the real libraries read: every corpus message, every
 * byte of every single-byte charset, every character of the double-byte ones.
 */

type MailDecoding = typeof real;
let bundled: MailDecoding;
let outdir: string;
let bundledInputs: string[];

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'charset-shims-'));
  const outfile = join(outdir, 'mail-decoding.mjs');
  const { metafile } = await build({
    entryPoints: [join(projectRoot, 'test/support/mail-decoding-entry.ts')],
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: esmRequireBanner },
    alias: { ...bundleAliases },
    outfile,
    logLevel: 'error',
    metafile: true,
  });
  bundledInputs = Object.keys(metafile.inputs);
  bundled = (await import(pathToFileURL(outfile).href)) as MailDecoding;
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Charsets iconv-lite decodes that the bundles read as UTF-8 (libmime's fallback for an unknown charset). */
const DROPPED_CHARSETS = ['cp737', 'cp775', 'cp855', 'cp857', 'cp860', 'cp862', 'cp865', 'cp869', 'macgreek', 'macturkish', 'koi8-t', 'viscii', 'tcvn', 'armscii8'];

const ascii = Buffer.from('Plain ASCII text.\r\n');

it('the bundle holds the shims, not iconv-lite, encoding-japanese, he or entities 4', () => {
  expect(bundledInputs.filter((input) => /^node_modules\/(iconv-lite|encoding-japanese|he|entities)\//.test(input))).toEqual([]);
  expect(bundledInputs).toEqual(
    expect.arrayContaining([
      'functions/adapters/mail/charsets/iconv-lite-shim.ts',
      'functions/adapters/mail/charsets/encoding-japanese-shim.ts',
      'functions/adapters/mail/he-shim.ts',
      'node_modules/htmlparser2/node_modules/entities/dist/esm/decode.js',
    ]),
  );
});

/** Maps as their entries, so headers are compared too. */
const serialized = (value: unknown) => JSON.stringify(value, (_key, field: unknown) => (field instanceof Map ? [...field.entries()] : field));

describe('charset names', () => {
  it('every charset name is supported by the bundles exactly when by the real libraries, except the dropped rare code pages', async () => {
    const names = [
      ...Object.keys(CHARSET_ALIASES),
      ...Object.keys(SINGLE_BYTE_HIGH_HALVES),
      ...['UTF-8', 'us-ascii', 'ISO-8859-1', 'latin1', 'Shift_JIS', 'windows-31j', 'ISO-2022-JP', 'csISO2022JP', 'JIS', 'EUCJP', 'euc-jp', 'EUC-KR', 'ks_c_5601-1987', 'gb2312', 'GBK', 'GB18030', 'Big5', 'Big5-HKSCS', 'UTF-16', 'UTF-16BE', 'UTF-32'],
      ...['utf-7', 'unicode-1-1-utf-7', 'base64', 'hex', 'x-unknown', 'ISO-2022-KR', 'hz-gb-2312', 'x-user-defined', '__proto__', 'constructor', ''],
    ];
    const differences: string[] = [];
    for (const name of names) {
      const [expected, actual] = await Promise.all([real.decodeBody(name, ascii, 5), bundled.decodeBody(name, ascii, 5)]);
      if (expected.supported !== actual.supported || expected.text !== actual.text) differences.push(name);
    }
    expect(differences).toEqual([]);
    for (const name of DROPPED_CHARSETS) {
      expect((await real.decodeBody(name, ascii, 5)).supported, name).toBe(true);
      const dropped = await bundled.decodeBody(name, Buffer.from([0x41, 0xe9, 0x42]), 5);
      expect(dropped, name).toEqual({ supported: false, text: 'A\ufffdB' });
    }
  });
});

describe('single-byte charsets', () => {
  const everyByte = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
  it('every byte of every single-byte charset, in headers and bodies', async () => {
    const names = [...Object.keys(SINGLE_BYTE_HIGH_HALVES), ...Object.entries(CHARSET_ALIASES).filter(([, id]) => id in SINGLE_BYTE_HIGH_HALVES).map(([alias]) => alias)];
    for (const name of names) {
      expect(bundled.decodeWord(name, everyByte), name).toBe(real.decodeWord(name, everyByte));
      expect(await bundled.decodeBody(name, everyByte, 7), name).toEqual(await real.decodeBody(name, everyByte, 7));
    }
    expect(names.length).toBeGreaterThan(150);
  });
});

/** Every two-byte sequence with this lead range, one per line, and each line's pair. */
function everyPair(leads: readonly [number, number], trails: readonly [number, number], wrap: (pair: number[]) => number[] = (pair) => pair) {
  const pairs: number[] = [];
  const bytes: number[] = [];
  for (let lead = leads[0]; lead <= leads[1]; lead += 1) {
    for (let trail = trails[0]; trail <= trails[1]; trail += 1) {
      if (trail === 0x0a || trail === 0x0d) continue;
      pairs.push((lead << 8) | trail);
      bytes.push(...wrap([lead, trail]), 0x0a);
    }
  }
  return { pairs, bytes: Buffer.from(bytes) };
}

/** A character the real libraries decode (not a replacement, a private-use, a control character or encoding-japanese's "?"). */
const isCharacter = (text: string) => text.length > 0 && !/[\ufffd\ue000-\uf8ff\u0000-\u001f\u007f-\u009f?]/u.test(text);

describe('double-byte charsets', () => {
  const ESC_JIS_X_0208 = [0x1b, 0x24, 0x42];
  const ESC_ASCII = [0x1b, 0x28, 0x42];
  const cases = [
    { names: ['GBK', 'gb2312', 'GB18030', 'cp936'], ...everyPair([0x81, 0xfe], [0x40, 0xfe]) },
    { names: ['Big5', 'cp950'], ...everyPair([0x81, 0xfe], [0x40, 0xfe]) },
    { names: ['Shift_JIS', 'windows-31j'], ...everyPair([0x81, 0xfc], [0x40, 0xfc]) },
    { names: ['EUC-JP'], ...everyPair([0xa1, 0xfe], [0xa1, 0xfe]) },
    { names: ['EUC-KR', 'ks_c_5601-1987'], ...everyPair([0x81, 0xfe], [0x41, 0xfe]) },
    { names: ['ISO-2022-JP', 'JIS'], ...everyPair([0x21, 0x7e], [0x21, 0x7e], (pair) => [...ESC_JIS_X_0208, ...pair, ...ESC_ASCII]) },
  ];
  for (const { names, pairs, bytes } of cases) {
    it(`every character of ${names.join(', ')}, in headers and in bodies cut into odd chunks`, async () => {
      for (const name of names) {
        const expectedLines = real.decodeWord(name, bytes).split('\n');
        const fromWord = bundled.decodeWord(name, bytes).split('\n');
        const fromBody = (await bundled.decodeBody(name, bytes, 7)).text.split('\n');
        expect((await real.decodeBody(name, bytes, 7)).text.split('\n')).toEqual(expectedLines);
        const differences: string[] = [];
        let characters = 0;
        pairs.forEach((pair, index) => {
          const expected = expectedLines[index] ?? '';
          if (!isCharacter(expected)) return;
          characters += 1;
          // Big5-HKSCS's additions (Hong Kong characters, control pictures) are private-use or unknown for ICU's Big5 (the only known difference).
          const lead = pair >> 8;
          const hongKong = name === 'Big5' && ((lead >= 0x87 && lead <= 0xa0) || (lead >= 0xc6 && lead <= 0xc8) || lead >= 0xf9 || (pair >= 0xa3c0 && pair <= 0xa3e1));
          if ((fromWord[index] !== expected || fromBody[index] !== expected) && !hongKong) differences.push(`${pair.toString(16)}: ${expected} ≠ ${fromWord[index] ?? ''} / ${fromBody[index] ?? ''}`);
        });
        expect(differences.slice(0, 10), name).toEqual([]);
        expect(characters, name).toBeGreaterThan(6_000);
      }
    });
  }
});

describe('HTML escaping', () => {
  const he = createRequire(import.meta.url)('he') as { encode(text: string, options?: { useNamedReferences?: boolean }): string };
  it("he's default encoding, for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => heShimEncode(text) === he.encode(text)),
      { numRuns: 500 },
    );
    const everyBmpCharacter = String.fromCharCode(...Array.from({ length: 0x10000 }, (_, code) => code));
    expect(heShimEncode(everyBmpCharacter)).toBe(he.encode(everyBmpCharacter));
    expect(heShimEncode('a\u{1F600}<b>')).toBe(he.encode('a\u{1F600}<b>'));
  });
  it("he's named references for the characters that could break HTML, numeric ones for the rest (the same HTML)", () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '"', '&', "'", '<', '>', '`') }), (text) => heShimEncode(text, { useNamedReferences: true }) === he.encode(text, { useNamedReferences: true })));
  });
  it("entities 7's escaping is entities 4's, which dom-serializer imports", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => encodeXML(text) === encodeXml4(text) && escapeAttribute(text) === escapeAttribute4(text) && escapeText(text) === escapeText4(text)),
      { numRuns: 2_000 },
    );
  });
});

describe('the corpus', () => {
  const files = readdirSync(join(CORPUS_DIR, 'eml'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.eml'));
  it('every message reads the same through the bundles as through the real libraries', async () => {
    expect(files.length).toBeGreaterThan(100);
    const charsets = new Set<string>();
    for (const file of files) {
      const raw = readFileSync(join(CORPUS_DIR, 'eml', file));
      for (const match of raw.toString('latin1').matchAll(/charset="?([\w.:-]+)/gi)) charsets.add((match[1] ?? '').toLowerCase());
      expect(serialized(await bundled.parseMail(raw)), file).toBe(serialized(await real.parseMail(raw)));
    }
    // What the corpus is written in besides UTF-8 and ASCII: the comparison covers them.
    expect([...charsets].sort()).toEqual(expect.arrayContaining(['euc-kr', 'gb2312', 'iso-2022-jp', 'iso-8859-1', 'ks_c_5601-1987', 'shift_jis', 'windows-1251', 'windows-1252']));
  });
});
