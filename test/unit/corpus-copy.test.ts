import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, SHARED_CORPUS_DIR } from '../support/corpus.ts';

const files = (root: string) => readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1)).sort();

describe('the vendored corpus', () => {
  it('has every file PROVENANCE.tsv names, and nothing it does not', () => {
    const provenance = readFileSync(join(CORPUS_DIR, 'PROVENANCE.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t')[0] ?? '');
    const listed = new Set(provenance);
    const present = files(CORPUS_DIR).filter((file) => !['README.md', 'PROVENANCE.tsv', 'expected.tsv'].includes(file));
    expect(present.filter((file) => !listed.has(file))).toEqual([]);
    expect(provenance.filter((file) => !present.includes(file))).toEqual([]);
  });

  it.runIf(existsSync(SHARED_CORPUS_DIR))('is byte for byte the shared corpus in ../shared/corpus', () => {
    expect(files(CORPUS_DIR)).toEqual(files(SHARED_CORPUS_DIR));
    for (const file of files(SHARED_CORPUS_DIR)) {
      expect(readFileSync(join(CORPUS_DIR, file)).equals(readFileSync(join(SHARED_CORPUS_DIR, file))), file).toBe(true);
    }
  });
});
