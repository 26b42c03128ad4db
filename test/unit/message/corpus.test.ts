import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_ADDRESS } from '../../support/mime.ts';
import { CORPUS_DIR } from '../../support/corpus.ts';

/**
 * Every corpus message through the real `refer parse --json` (one process for all files), and
 * every row of expected.tsv answered as its columns say. Prints the figures per category.
 */
const CORPUS = CORPUS_DIR;
const REFER = join(import.meta.dirname, '../../../bin/refer.js');
const KINDS = ['intro', 'reply', 'auto_reply', 'bounce', 'bulk', 'calendar', 'not_intro', 'ambiguous'];

interface ParseLine {
  file: string;
  kind: string;
  introducer: string | null;
  parties: string[];
  forwardedBy: string | null;
  subject: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  reasons: string[];
}

interface ExpectedRow {
  file: string;
  isIntroduction: 'yes' | 'no' | 'ambiguous';
  introducer: string;
  partyA: string;
  partyB: string;
  note: string;
}

const emlFiles = readdirSync(join(CORPUS, 'eml'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.eml'))
  .map((file) => join(CORPUS, 'eml', file))
  .sort();

const expectedRows: ExpectedRow[] = readFileSync(join(CORPUS, 'expected.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [file = '', isIntroduction = '', introducer = '', partyA = '', partyB = '', , , note = ''] = line.split('\t');
    return { file, isIntroduction: isIntroduction as ExpectedRow['isIntroduction'], introducer, partyA, partyB, note };
  });

/** `a|b` means either or both; `no-address:Name` means that party has no address anywhere. */
const addressedAlternatives = (party: string): string[] => (party.startsWith('no-address:') || party === 'none' ? [] : party.split('|').map((value) => value.toLowerCase()));

let results = new Map<string, ParseLine>();

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [REFER, 'parse', '--json', '--envelope-to', CAPTURE_ADDRESS, ...emlFiles], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as ParseLine);
  results = new Map(lines.map((line) => [relative(CORPUS, line.file), line]));
}, 60_000);

describe('refer parse over the whole corpus', () => {
  it('answers every .eml with one JSON line of the documented shape, without an error', () => {
    expect(emlFiles.length).toBeGreaterThanOrEqual(100);
    expect(results.size).toBe(emlFiles.length);
    for (const line of results.values()) {
      expect(Object.keys(line).sort()).toEqual(['file', 'forwardedBy', 'inReplyTo', 'introducer', 'kind', 'messageId', 'parties', 'reasons', 'references', 'subject'].sort());
      expect(KINDS).toContain(line.kind);
      expect(line.reasons.length).toBeGreaterThan(0);
      expect([...line.parties].sort()).toEqual(line.parties);
      for (const address of [line.introducer, line.forwardedBy, ...line.parties]) {
        if (address !== null) expect(address).toBe(address.toLowerCase());
        expect(address).not.toBe(CAPTURE_ADDRESS);
      }
    }
  });

  it('prints the figures per category', () => {
    const byCategory = new Map<string, Map<string, number>>();
    for (const [file, line] of results) {
      const category = file.split('/')[1] ?? '';
      const counts = byCategory.get(category) ?? new Map<string, number>();
      counts.set(line.kind, (counts.get(line.kind) ?? 0) + 1);
      byCategory.set(category, counts);
    }
    const table = [...byCategory].map(([category, counts]) => `${category.padEnd(24)} ${[...counts].map(([kind, count]) => `${kind}=${count}`).join(' ')}`);
    console.log(`corpus: ${results.size} messages\n${table.join('\n')}`);
    expect(byCategory.get('bounce')?.get('intro')).toBeUndefined();
    expect(byCategory.get('autoreply')?.get('intro')).toBeUndefined();
  });
});

describe('expected.tsv', () => {
  const tally = { yes: { right: 0, total: 0 }, no: { right: 0, total: 0 }, ambiguous: { right: 0, total: 0 } };

  it.each(expectedRows)('$isIntroduction: $file', (row) => {
    const line = results.get(row.file);
    expect(line, `no result for ${row.file}`).toBeDefined();
    if (!line) return;
    const a = addressedAlternatives(row.partyA);
    const b = addressedAlternatives(row.partyB);
    const allowed = new Set([...a, ...b]);
    const context = `${row.file}: ${row.note}\ngot ${JSON.stringify(line)}`;
    tally[row.isIntroduction].total += 1;

    if (row.isIntroduction === 'yes' && a.length > 0 && b.length > 0) {
      expect(line.kind, context).toBe('intro');
      expect(line.introducer, context).toBe(row.introducer.toLowerCase());
      expect(line.parties.length, context).toBeGreaterThanOrEqual(2);
      for (const party of line.parties) expect(allowed.has(party), context).toBe(true);
      expect(line.parties.some((party) => a.includes(party)) && line.parties.some((party) => b.includes(party)), context).toBe(true);
    } else if (row.isIntroduction === 'yes') {
      // One party has no address: ambiguous, or an intro that names only the addressed party.
      expect(['ambiguous', 'intro'], context).toContain(line.kind);
      if (line.kind === 'intro') for (const party of line.parties) expect(allowed.has(party), context).toBe(true);
      if (line.kind === 'ambiguous') expect(line.reasons.join(' '), context).toMatch(/address/);
    } else if (row.isIntroduction === 'no') {
      expect(line.kind, context).not.toBe('intro');
    } else if (line.kind === 'intro') {
      // Ambiguous rows: never a confident wrong answer.
      expect(line.introducer, context).toBe(row.introducer.toLowerCase());
      for (const party of line.parties) expect(allowed.has(party), context).toBe(true);
    }
    tally[row.isIntroduction].right += 1;
  });

  it('prints how many expected answers were right', () => {
    const summary = Object.entries(tally).map(([answer, { right, total }]) => `${answer}: ${right}/${total}`);
    console.log(`expected.tsv: ${summary.join(', ')}`);
    expect(tally.yes.right + tally.no.right + tally.ambiguous.right).toBe(expectedRows.length);
  });
});
