import { join } from 'node:path';

/**
 * The third-party test corpus (real MIME, SES events, the Calendar discovery document), vendored
 * byte for byte from ../shared/corpus with its README and PROVENANCE.tsv, so the suite runs the
 * same from any clone. test/unit/corpus-copy.test.ts keeps it identical to the shared copy.
 */
export const CORPUS_DIR = join(import.meta.dirname, '../corpus');

/** Where the workplace keeps the shared corpus, next to the repository. */
export const SHARED_CORPUS_DIR = join(import.meta.dirname, '../../../shared/corpus');
