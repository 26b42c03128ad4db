// What the Lambda bundles use instead of encoding-japanese (an esbuild alias, see
// lib/constructs/refer-function.ts): libmime calls only `convert(bytes, { to: 'UNICODE', from, type:
// 'string' })`, for the charsets iconv-lite lacks (ISO-2022-JP and its JIS names, EUCJP). Node's
// ICU converters decode them. test/unit/mail/charset-shims.test.ts compares this with
// encoding-japanese.

interface ConvertOptions {
  readonly to?: string;
  readonly from?: string;
  readonly type?: string;
}

/** The converter for encoding-japanese's name (case and punctuation ignored), as libmime's names reach it. */
function labelFor(from: string): string | null {
  const name = from.toUpperCase().replace(/[^A-Z0-9]+/g, '');
  if (name.startsWith('EUCJP')) return 'euc-jp';
  if (name.startsWith('JIS') || name.startsWith('ISO2022JP')) return 'iso-2022-jp';
  return null;
}

export function convert(data: Uint8Array | string, options: ConvertOptions): string {
  const label = typeof options.from === 'string' ? labelFor(options.from) : null;
  if (options.to?.toUpperCase() !== 'UNICODE' || options.type !== 'string' || !label) {
    // libmime falls back to its other decoders when this throws.
    throw new Error('only ISO-2022-JP and EUC-JP to a string are converted by this build');
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'binary') : data;
  return new TextDecoder(label).decode(bytes);
}

export default { convert };
