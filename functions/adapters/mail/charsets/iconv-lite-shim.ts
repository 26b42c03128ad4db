// What the Lambda bundles use instead of iconv-lite (an esbuild alias, see
// lib/constructs/refer-function.ts): the part of its API that libmime calls (getCodec, getDecoder,
// decode, encodingExists), decoding with Node's own ICU converters and small single-byte tables
// instead of iconv-lite's ~480 KB of double-byte tables. Local mode and the tests run the real
// iconv-lite; test/unit/mail/charset-shims.test.ts compares the two on the corpus and on every
// character of every charset kept here.
//
// A charset name this module does not know throws, as iconv-lite does for its unknown names, and
// libmime then decodes the text as UTF-8. Known to iconv-lite but not here (so read as UTF-8):
// rare DOS, Mac and national code pages (cp737, cp86x, macgreek, koi8-t, viscii, tcvn...).
import { CHARSET_ALIASES, SINGLE_BYTE_HIGH_HALVES } from './charset-tables.ts';

/** iconv-lite's incremental decoder: `write` returns what the bytes so far complete, `end` the rest. */
export interface ChunkDecoder {
  write(chunk: Uint8Array): string;
  end(): string | undefined;
}

/** One codec per charset, cached, so callers may compare codecs (and their `decoder`) by identity as with iconv-lite. */
export interface Codec {
  readonly encodingName: string;
  readonly decoder: () => ChunkDecoder;
}

const REPLACEMENT = '\ufffd';

/** iconv-lite's name canonicalization: lowercase letters and digits, a trailing ":1987"-like year dropped. */
function canonicalName(name: unknown): string {
  return String(name)
    .toLowerCase()
    .replace(/:\d{4}$|[^0-9a-z]/g, '');
}

function singleByteDecoder(highHalf: string): () => ChunkDecoder {
  return () => ({
    write(chunk) {
      let text = '';
      for (const byte of chunk) text += byte < 0x80 ? String.fromCharCode(byte) : highHalf[byte - 0x80];
      return text;
    },
    end: () => undefined,
  });
}

/** Node's ICU converter for a WHATWG label, incremental (a character split across chunks is kept whole). */
function textDecoder(label: string): () => ChunkDecoder {
  return () => {
    const decoder = new TextDecoder(label);
    return {
      write: (chunk) => decoder.decode(chunk, { stream: true }),
      end: () => decoder.decode() || undefined,
    };
  };
}

/**
 * UTF-16 in one byte order, as iconv-lite reads it: a BOM at the start is dropped, unpaired
 * surrogates are kept as they are (they become U+FFFD on the way to UTF-8) and an odd last byte is dropped.
 */
function utf16(bigEndian: boolean): ChunkDecoder {
  let pending: number | null = null;
  let started = false;
  return {
    write(chunk) {
      let text = '';
      for (const byte of chunk) {
        if (pending === null) {
          pending = byte;
          continue;
        }
        const unit = bigEndian ? (pending << 8) | byte : (byte << 8) | pending;
        pending = null;
        if (!started && unit === 0xfeff) {
          started = true;
          continue;
        }
        started = true;
        text += String.fromCharCode(unit);
      }
      return text;
    },
    end() {
      pending = null;
      return undefined;
    },
  };
}

/** UTF-16 without a byte order in the name: from the BOM, else from which byte of the first 100 units is zero (iconv-lite's guess). */
function guessedUtf16(): ChunkDecoder {
  const head: Uint8Array[] = [];
  let headLength = 0;
  let decoder: ChunkDecoder | null = null;
  const choose = () => {
    const bytes = Buffer.concat(head);
    let bigEndian = 0;
    let littleEndian = 0;
    if (bytes[0] === 0xfe && bytes[1] === 0xff) bigEndian = 1;
    else if (!(bytes[0] === 0xff && bytes[1] === 0xfe)) {
      for (let index = 0; index + 1 < Math.min(bytes.length, 200); index += 2) {
        if (bytes[index] === 0 && bytes[index + 1] !== 0) bigEndian += 1;
        if (bytes[index] !== 0 && bytes[index + 1] === 0) littleEndian += 1;
      }
    }
    const chosen = utf16(bigEndian > littleEndian);
    decoder = chosen;
    return chosen.write(bytes);
  };
  return {
    write(chunk) {
      if (decoder) return decoder.write(chunk);
      head.push(Uint8Array.from(chunk));
      headLength += chunk.length;
      return headLength < 16 ? '' : choose();
    },
    end: () => (decoder ? '' : choose()) || undefined,
  };
}

/** UTF-32 in one byte order; the order from a BOM (else little-endian) when `order` is null. */
function utf32(order: 'le' | 'be' | null): () => ChunkDecoder {
  return () => {
    let pending = new Uint8Array(0);
    let bigEndian = order === 'be';
    let started = false;
    const take = (chunk: Uint8Array, final: boolean) => {
      const bytes = new Uint8Array(pending.length + chunk.length);
      bytes.set(pending);
      bytes.set(chunk, pending.length);
      let offset = 0;
      if (!started && bytes.length >= 4) {
        started = true;
        const le = bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0;
        const be = bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff;
        if (order === null && (le || be)) bigEndian = be;
        if ((le && !bigEndian) || (be && bigEndian)) offset = 4;
      }
      let text = '';
      for (; offset + 4 <= bytes.length; offset += 4) {
        const [a = 0, b = 0, c = 0, d = 0] = bytes.subarray(offset, offset + 4);
        const code = (bigEndian ? (a << 24) | (b << 16) | (c << 8) | d : (d << 24) | (c << 16) | (b << 8) | a) >>> 0;
        text += code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? REPLACEMENT : String.fromCodePoint(code);
      }
      pending = bytes.slice(offset);
      if (final && pending.length > 0) {
        pending = new Uint8Array(0);
        text += REPLACEMENT;
      }
      return text;
    };
    return { write: (chunk) => take(chunk, false), end: () => take(new Uint8Array(0), true) || undefined };
  };
}

/**
 * Windows code page 949 (what Korean mail labelled EUC-KR or ks_c_5601-1987 is written in). ICU's
 * EUC-KR decodes the KS X 1001 pairs; the 8,822 Hangul syllables UHC adds are numbered in Unicode
 * order after lead 0x81 (trail bytes A-Z, a-z, 0x81-0xFE; from lead 0xA1 on only up to 0xA0), so
 * they are computed, not stored.
 */
let uhcTables: { ksx1001: Map<number, string>; extension: string[] } | null = null;
function uhcTablesOnce() {
  if (uhcTables) return uhcTables;
  const pairs: number[] = [];
  const bytes: number[] = [];
  for (let lead = 0xa1; lead <= 0xfe; lead += 1) {
    for (let trail = 0xa1; trail <= 0xfe; trail += 1) {
      pairs.push((lead << 8) | trail);
      bytes.push(lead, trail, 0x0a);
    }
  }
  // A line feed after each pair: ICU resynchronizes on it, so each pair's text is one line.
  const lines = new TextDecoder('euc-kr').decode(Uint8Array.from(bytes)).split('\n');
  const ksx1001 = new Map<number, string>();
  const inKsx1001 = new Set<string>();
  pairs.forEach((pair, index) => {
    const text = lines[index] ?? REPLACEMENT;
    if (text !== REPLACEMENT && text.length > 0) {
      ksx1001.set(pair, text);
      inKsx1001.add(text);
    }
  });
  // Added to code page 949 after KS X 1001: the euro sign and the registered sign.
  ksx1001.set(0xa2e6, '\u20ac');
  ksx1001.set(0xa2e7, '\u00ae');
  const extension: string[] = [];
  for (let code = 0xac00; code <= 0xd7a3; code += 1) {
    const syllable = String.fromCharCode(code);
    if (!inKsx1001.has(syllable)) extension.push(syllable);
  }
  uhcTables = { ksx1001, extension };
  return uhcTables;
}

function uhcExtensionIndex(lead: number, trail: number): number {
  const trailIndex = trail >= 0x41 && trail <= 0x5a ? trail - 0x41 : trail >= 0x61 && trail <= 0x7a ? trail - 0x61 + 26 : trail >= 0x81 && trail <= 0xfe ? trail - 0x81 + 52 : -1;
  if (trailIndex < 0 || lead < 0x81 || lead > 0xc6) return -1;
  if (lead <= 0xa0) return (lead - 0x81) * 178 + trailIndex;
  if (trail > 0xa0) return -1;
  return 32 * 178 + (lead - 0xa1) * 84 + trailIndex;
}

function uhcDecoder(): ChunkDecoder {
  let lead = 0;
  const take = (chunk: Uint8Array) => {
    const { ksx1001, extension } = uhcTablesOnce();
    let text = '';
    for (const byte of chunk) {
      if (lead === 0) {
        if (byte < 0x80) text += String.fromCharCode(byte);
        else if (byte === 0x80 || byte === 0xff) text += REPLACEMENT;
        else lead = byte;
        continue;
      }
      const pair = (lead << 8) | byte;
      lead = 0;
      const known = ksx1001.get(pair) ?? extension[uhcExtensionIndex(pair >> 8, byte)];
      if (known !== undefined) text += known;
      // An ASCII byte after a lead byte is itself again, as iconv-lite reads it.
      else text += byte < 0x80 ? REPLACEMENT + String.fromCharCode(byte) : REPLACEMENT;
    }
    return text;
  };
  return {
    write: take,
    end() {
      const text = lead ? REPLACEMENT : '';
      lead = 0;
      return text || undefined;
    },
  };
}

/** Charsets libmime refuses before decoding (UTF-7, base64, hex): they exist only so it can recognize them. */
function refused(name: string): () => ChunkDecoder {
  return () => {
    throw new Error(`${name} is not decoded by this build`);
  };
}

const CODEC_DECODERS: Readonly<Record<string, () => () => ChunkDecoder>> = {
  gb18030: () => textDecoder('gb18030'),
  big5: () => textDecoder('big5'),
  shift_jis: () => textDecoder('shift_jis'),
  'euc-jp': () => textDecoder('euc-jp'),
  uhc: () => uhcDecoder,
  utf8: () => textDecoder('utf-8'),
  utf16le: () => () => utf16(false),
  utf16be: () => () => utf16(true),
  utf16: () => guessedUtf16,
  utf32: () => utf32(null),
  utf32le: () => utf32('le'),
  utf32be: () => utf32('be'),
  refused: () => refused('this charset'),
};

const codecs = new Map<string, Codec>();

export function getCodec(name: unknown): Codec {
  const canonical = canonicalName(name);
  // Own entries only: a name such as "constructor" must not find an Object.prototype member.
  const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);
  const id = own(CHARSET_ALIASES, canonical) ?? canonical;
  const cached = codecs.get(id);
  if (cached) return cached;
  const highHalf = own(SINGLE_BYTE_HIGH_HALVES, id);
  const makeDecoder = highHalf !== undefined ? singleByteDecoder(highHalf) : own(CODEC_DECODERS, id)?.();
  if (!makeDecoder) throw new Error(`Encoding not recognized: '${String(name)}' (searched as: '${canonical}')`);
  const codec: Codec = { encodingName: id, decoder: makeDecoder };
  codecs.set(id, codec);
  return codec;
}

export function encodingExists(name: unknown): boolean {
  try {
    getCodec(name);
    return true;
  } catch {
    return false;
  }
}

export function getDecoder(name: unknown): ChunkDecoder {
  return getCodec(name).decoder();
}

/** The whole text; a string is read as binary (one byte per character), as iconv-lite reads it. */
export function decode(input: Uint8Array | string, name: unknown): string {
  const decoder = getDecoder(name);
  const bytes = typeof input === 'string' ? Buffer.from(input, 'binary') : input;
  return decoder.write(bytes) + (decoder.end() ?? '');
}

export default { getCodec, getDecoder, decode, encodingExists };
