// What the Lambda bundles use instead of he (an esbuild alias, see lib/constructs/refer-function.ts):
// mailparser calls only `he.encode`, to build the HTML versions of addresses and headers, which
// the capture does not read. he's default encoding is a few lines (below); its ~80 KB are the
// named-reference tables, which only `useNamedReferences` needs (mailparser's text-to-HTML links,
// turned off by the capture's parse options): here those characters get numeric references,
// the same HTML. test/unit/mail/charset-shims.test.ts compares this with he.

const hexReference = (codePoint: number) => `&#x${codePoint.toString(16).toUpperCase()};`;

const NAMED_UNSAFE: Readonly<Record<string, string>> = { '"': '&quot;', '&': '&amp;', "'": '&apos;', '<': '&lt;', '>': '&gt;', '`': '&grave;' };

export function encode(text: string, options?: { readonly useNamedReferences?: boolean }): string {
  return (
    text
      // The characters that could end an attribute or start a tag.
      .replace(/["&'<>`]/g, (symbol) => (options?.useNamedReferences ? (NAMED_UNSAFE[symbol] ?? symbol) : hexReference(symbol.charCodeAt(0))))
      // Astral characters as one reference each.
      .replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, (pair) => hexReference(pair.codePointAt(0) ?? 0xfffd))
      // Everything else but printable ASCII and line breaks (he's list: the C0 controls but NUL, LF
      // and CR, DEL, the C1 controls HTML reads as themselves, and all of U+00A0-U+FFFF).
      .replace(/[\x01-\t\x0B\f\x0E-\x1F\x7F\x81\x8D\x8F\x90\x9D\xA0-\uFFFF]/g, (symbol) => hexReference(symbol.charCodeAt(0)))
  );
}

export default { encode };
